# cython: language_level=3, embedsignature=True
"""rlcore's compiled core: trajectory collection, return, replay and loss kernels.

One extension built from this umbrella file; each family lives in its own ``.pxi``. The numpy twin
of every name is in ``rlcore/_reference.py`` and the typed surface in ``rlcore/_core.pyi``.
Import through ``rlcore._backend``.
"""

import math

import numpy as np

cimport cython
cimport numpy as cnp
from cpython.buffer cimport PyBUF_C_CONTIGUOUS, PyBUF_WRITABLE, PyBuffer_Release, PyObject_GetBuffer
from libc.stdint cimport int64_t, uint8_t
from libc.math cimport INFINITY, fabs, pow
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memmove

from c_kernels cimport (
    rl_adjust_nstep,
    rl_categorical_logp,
    rl_discount_cumsum,
    rl_gae,
    rl_ppo_categorical,
    rl_copy_rows,
    rl_prefetch_rows,
    rl_vtrace,
)

cnp.import_array()

include "checks.pxi"
include "returns.pxi"
include "segment_tree.pxi"
include "ring.pxi"
include "replay.pxi"
include "collector.pxi"
include "step_rules.pxi"
include "losses.pxi"
include "json_lines.pxi"
