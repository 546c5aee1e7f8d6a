"""Build script: it only declares the compiled core; pyproject.toml holds everything else.

``RLCORE_PUREPYTHON=1`` skips the extension (the pure-numpy twins in
``rlcore/_reference.py`` are used instead). ``-O3`` only: ``-march=native`` is slower here, not
bit-identical and can SIGILL on another host (shared/reference/stack_notes.md §4). numpy's headers
(``numpy.get_include()``, ``NPY_NO_DEPRECATED_API``) for the few numpy C API calls of the replay
kernels (making their small output arrays without a Python-level ``np.empty`` call). ``-lm``: an
extension that does not link libm leaves ``pow``/``powf``/``exp``/``log`` unversioned, and the
loader binds them to libm's oldest versions (``pow@GLIBC_2.2.5``: a wrapper with the SVID error
handling around the same ``__ieee754_pow``, about 22 more instructions a call); linked, they get the
current symbols (same values). ``-lmvec`` (``RL_HAVE_MVEC``): where the compiler links glibc's
libmvec (Linux x86-64), the replay kernels raise priorities and weights to their powers 4 or 8 at
a time with its AVX2 variants, 8 or 16 with its AVX-512 ones on a CPU with AVX-512F (csrc/btree.h,
``rl_pow_n``); elsewhere they call pow/powf.
"""

import os
import platform
import sys
import tempfile

from setuptools import Extension, setup


def _links_libmvec() -> bool:
    """Whether a program calling libmvec's AVX2 and AVX-512 pow links here (glibc on Linux x86-64 only)."""
    if not (sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64")):
        return False
    from setuptools._distutils.ccompiler import new_compiler
    from setuptools._distutils.errors import CompileError, LinkError
    from setuptools._distutils.sysconfig import customize_compiler

    cc = new_compiler()
    customize_compiler(cc)
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "mvec.c")
        with open(src, "w") as f:
            f.write("#include <immintrin.h>\n"
                    "__attribute__((target(\"avx2\"))) __m256d _ZGVdN4vv_pow(__m256d, __m256d);\n"
                    "__attribute__((target(\"avx512f\"))) __m512 _ZGVeN16vv_powf(__m512, __m512);\n"
                    "__attribute__((target(\"avx2,avx512f\"))) int main(void) {\n"
                    "    double r[4]; _mm256_storeu_pd(r, _ZGVdN4vv_pow(_mm256_set1_pd(2.0), _mm256_set1_pd(0.5)));\n"
                    "    float s[16]; _mm512_storeu_ps(s, _ZGVeN16vv_powf(_mm512_set1_ps(4.0f), _mm512_set1_ps(0.5f)));\n"
                    "    return r[0] > 1.0 && s[0] > 1.0f ? 0 : 1; }\n")
        try:
            objs = cc.compile([src], output_dir=tmp)
            cc.link_executable(objs, "mvec", output_dir=tmp, libraries=["mvec", "m"])
        except (CompileError, LinkError):
            return False
    return True


ext_modules = []
if not os.environ.get("RLCORE_PUREPYTHON"):
    import numpy
    from Cython.Build import cythonize

    mvec = _links_libmvec()
    ext = Extension(
        "rlcore._core",
        sources=["csrc/_core.pyx"],
        include_dirs=["csrc", numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")] + ([("RL_HAVE_MVEC", "1")] if mvec else []),
        extra_compile_args=["-O3", "-std=c11"],
        # pow/powf/exp/log bind to libm's current versions, not the SVID-compat wrappers
        libraries=(["mvec"] if mvec else []) + ["m"],
        depends=[os.path.join("csrc", f) for f in os.listdir("csrc") if f.endswith((".pxi", ".pxd", ".h"))],
    )
    ext_modules = cythonize(
        [ext],
        include_path=["csrc"],
        compiler_directives={"language_level": "3", "embedsignature": True},
        nthreads=2,
    )

setup(ext_modules=ext_modules)
