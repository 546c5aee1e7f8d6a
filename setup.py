"""Build script: it only declares the compiled core; pyproject.toml holds everything else.

``RLCORE_PUREPYTHON=1`` skips the extension (the pure-numpy twins in
``rlcore/_reference.py`` are used instead). ``-O3`` only: ``-march=native`` is slower here, not
bit-identical and can SIGILL on another host (shared/reference/stack_notes.md §4). numpy's headers
(``numpy.get_include()``, ``NPY_NO_DEPRECATED_API``) for the few numpy C API calls of the replay
kernels (making their small output arrays without a Python-level ``np.empty`` call). ``-lm``: an
extension that does not link libm leaves ``pow``/``powf``/``exp``/``log`` unversioned, and the
loader binds them to libm's oldest versions (``pow@GLIBC_2.2.5``: a wrapper with the SVID error
handling around the same ``__ieee754_pow``, about 22 more instructions a call); linked, they get the
current symbols (same values).
"""

import os

from setuptools import Extension, setup

ext_modules = []
if not os.environ.get("RLCORE_PUREPYTHON"):
    import numpy
    from Cython.Build import cythonize

    ext = Extension(
        "rlcore._core",
        sources=["csrc/_core.pyx"],
        include_dirs=["csrc", numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3", "-std=c11"],
        libraries=["m"],  # pow/powf/exp/log bind to libm's current versions, not the SVID-compat wrappers
        depends=[os.path.join("csrc", f) for f in os.listdir("csrc") if f.endswith((".pxi", ".pxd", ".h"))],
    )
    ext_modules = cythonize(
        [ext],
        include_path=["csrc"],
        compiler_directives={"language_level": "3", "embedsignature": True},
        nthreads=2,
    )

setup(ext_modules=ext_modules)
