# JSON lines to column arrays: the numbers of an offline batch line parsed straight into numpy.
#
# RLlib 1.x's offline format is one JSON object a line, a batch's columns as (nested) lists of
# numbers. A general JSON parser makes a Python object of every number and numpy then reads them
# back one by one; here each rectangular list of numbers and booleans becomes its array directly.
# Every other value (strings, scalars, lists holding objects, strings or nulls, ragged lists) is
# handed to the caller's ``loads`` as the exact text of that value, so its meaning is the parser's
# (and a list of those goes through ``rlcore._checks.json_numbers``, as the twin's lists all do).
#
# Numbers are read as JSON defines them (strictly: no leading zeros, a digit after '.' and 'e'),
# plus the ``NaN``/``Infinity``/``-Infinity`` that ``json.dumps`` (and so RLlib 1.x) writes. A
# decimal of at most 19 digits whose digits as an integer are at most 2**53 and whose power of ten
# is within 1e22 is one exact IEEE multiply or divide (Clinger's fast path, correctly rounded);
# any other goes through CPython's own correctly rounded ``PyOS_string_to_double``.

from cpython.ref cimport PyObject
from libc.stdint cimport uint64_t
from libc.stdlib cimport realloc
from libc.math cimport NAN
from libc.string cimport memcmp

from rlcore._checks import json_numbers

cdef extern from "Python.h":
    double PyOS_string_to_double(const char *s, char **endptr, PyObject *overflow_exception) except? -1.0

DEF _JSON_MAX_DEPTH = 32  # rlcore._checks.JSON_MAX_DEPTH (the parity tests hold them equal)

cdef double _POW10[23]
for _i in range(23):
    _POW10[_i] = 10.0 ** _i

cdef enum:
    _LEAF_BOOL = 0
    _LEAF_INT = 1
    _LEAF_FLOAT = 2

cdef union _Leaf:
    double d
    int64_t i

cdef struct _Numbers:
    _Leaf* leaves
    uint8_t* kinds
    Py_ssize_t n, cap
    Py_ssize_t shape[_JSON_MAX_DEPTH]
    Py_ssize_t count[_JSON_MAX_DEPTH]
    int leaf_level, max_depth
    bint any_float, any_int


cdef inline bint _is_ws(char c) noexcept nogil:
    return c == 32 or c == 10 or c == 13 or c == 9


cdef inline Py_ssize_t _skip_ws(const char* s, Py_ssize_t p, Py_ssize_t n) noexcept nogil:
    while p < n and _is_ws(s[p]):
        p += 1
    return p


cdef inline bint _is_digit(char c) noexcept nogil:
    return 48 <= c <= 57


cdef Py_ssize_t _skip_string(const char* s, Py_ssize_t p, Py_ssize_t n) noexcept nogil:
    """End (past the closing quote) of the string opening at ``p``; -1 if unterminated."""
    p += 1
    while p < n:
        if s[p] == 92:  # backslash: the next byte is escaped
            p += 2
        elif s[p] == 34:
            return p + 1
        else:
            p += 1
    return -1


cdef Py_ssize_t _skip_value(const char* s, Py_ssize_t p, Py_ssize_t n) noexcept nogil:
    """End of the value starting at ``p`` found by its brackets and strings alone (the parser checks
    the text); -1 if it does not end."""
    cdef int depth = 0
    cdef char c
    while p < n:
        c = s[p]
        if c == 34:
            p = _skip_string(s, p, n)
            if p < 0:
                return -1
            if depth == 0:
                return p
            continue
        if depth == 0 and (c == 44 or c == 93 or c == 125 or _is_ws(c)):
            return p  # the end of a scalar
        if c == 91 or c == 123:
            depth += 1
        elif c == 93 or c == 125:
            depth -= 1
            if depth == 0:
                return p + 1
        p += 1
    return p if depth == 0 else -1


cdef int _grow(_Numbers* a) except -1:
    cdef Py_ssize_t cap = a.cap * 2 if a.cap else 1024
    cdef _Leaf* leaves = <_Leaf*>realloc(a.leaves, cap * sizeof(_Leaf))
    if leaves == NULL:
        raise MemoryError()
    a.leaves = leaves
    cdef uint8_t* kinds = <uint8_t*>realloc(a.kinds, cap * sizeof(uint8_t))
    if kinds == NULL:
        raise MemoryError()
    a.kinds = kinds
    a.cap = cap
    return 0


cdef double _slow_double(const char* s, Py_ssize_t start, Py_ssize_t end) except? -1.0:
    cdef bytes token = s[start:end]
    return PyOS_string_to_double(token, NULL, NULL)


cdef Py_ssize_t _number(const char* s, Py_ssize_t p, Py_ssize_t n, _Numbers* a) except -3:
    """Appends the JSON number at ``p``; returns the position after it, -1 for text that is not a
    number, -2 for an integer of more than 18 digits (left to the caller's parser)."""
    cdef Py_ssize_t start = p
    cdef bint neg = False, is_float = False, eneg = False
    cdef uint64_t m = 0  # the digits (wrapped when more than 19: those take the slow path)
    cdef int nd = 0, frac = 0
    cdef long ex = 0, e10
    cdef double d
    if s[p] == 45:
        neg = True
        p += 1
        if p >= n:
            return -1
    if s[p] == 48:
        p += 1
    elif _is_digit(s[p]):
        while p < n and _is_digit(s[p]):
            m = m * 10 + <uint64_t>(s[p] - 48)
            p += 1
        nd = <int>(p - start - neg)
    else:
        return -1
    if p < n and s[p] == 46:
        is_float = True
        p += 1
        frac = <int>p
        while p < n and _is_digit(s[p]):
            m = m * 10 + <uint64_t>(s[p] - 48)
            p += 1
        frac = <int>p - frac
        if frac == 0:
            return -1
        nd += frac
    if p < n and (s[p] == 101 or s[p] == 69):
        is_float = True
        p += 1
        if p < n and (s[p] == 43 or s[p] == 45):
            eneg = s[p] == 45
            p += 1
        if p >= n or not _is_digit(s[p]):
            return -1
        while p < n and _is_digit(s[p]):
            if ex < 100000:
                ex = ex * 10 + (s[p] - 48)
            p += 1
        if eneg:
            ex = -ex
    if a.n == a.cap:
        _grow(a)
    if not is_float:
        if nd > 18:
            return -2
        a.leaves[a.n].i = -<int64_t>m if neg else <int64_t>m
        a.kinds[a.n] = _LEAF_INT
        a.any_int = True
        a.n += 1
        return p
    e10 = ex - frac
    if nd <= 19 and m <= (<uint64_t>1 << 53) and -22 <= e10 <= 22:
        d = <double>m
        d = d * _POW10[e10] if e10 >= 0 else d / _POW10[-e10]
    else:
        d = _slow_double(s, start + neg, p)
    a.leaves[a.n].d = -d if neg else d
    a.kinds[a.n] = _LEAF_FLOAT
    a.any_float = True
    a.n += 1
    return p


cdef Py_ssize_t _word_leaf(const char* s, Py_ssize_t p, Py_ssize_t n, _Numbers* a) except -3:
    """Appends ``true``/``false``/``NaN``/``Infinity``/``-Infinity`` at ``p``; -1 for anything else."""
    cdef Py_ssize_t left = n - p
    cdef uint8_t kind = _LEAF_FLOAT
    cdef _Leaf leaf
    if left >= 4 and memcmp(s + p, b"true", 4) == 0:
        kind = _LEAF_BOOL
        leaf.i = 1
        p += 4
    elif left >= 5 and memcmp(s + p, b"false", 5) == 0:
        kind = _LEAF_BOOL
        leaf.i = 0
        p += 5
    elif left >= 3 and memcmp(s + p, b"NaN", 3) == 0:
        leaf.d = NAN
        p += 3
    elif left >= 8 and memcmp(s + p, b"Infinity", 8) == 0:
        leaf.d = INFINITY
        p += 8
    elif left >= 9 and memcmp(s + p, b"-Infinity", 9) == 0:
        leaf.d = -INFINITY
        p += 9
    else:
        return -1
    if a.n == a.cap:
        _grow(a)
    a.leaves[a.n] = leaf
    a.kinds[a.n] = kind
    if kind == _LEAF_FLOAT:
        a.any_float = True
    a.n += 1
    return p


cdef Py_ssize_t _numbers(const char* s, Py_ssize_t p, Py_ssize_t n, _Numbers* a) except -3:
    """Reads the list opening at ``p`` into ``a`` if it is a rectangular list of numbers and booleans
    (its shape in ``a.shape``); returns the position after it, or -1 when it is anything else."""
    cdef int depth = 0, d
    cdef bint expect_value = True, close
    cdef char c
    a.n = 0
    a.leaf_level = -1
    a.max_depth = 0
    a.any_float = a.any_int = False
    for d in range(_JSON_MAX_DEPTH):
        a.shape[d] = -1
    a.count[0] = 0
    p += 1
    while True:
        p = _skip_ws(s, p, n)
        if p >= n:
            return -1
        c = s[p]
        close = False
        if expect_value:
            if c == 93 and a.count[depth] == 0:  # ']' of an empty list
                close = True
            elif c == 91:  # '['
                if depth + 1 >= _JSON_MAX_DEPTH or (a.leaf_level != -1 and depth + 1 > a.leaf_level):
                    return -1
                depth += 1
                a.count[depth] = 0
                if depth > a.max_depth:
                    a.max_depth = depth
                p += 1
                continue
            else:
                if a.leaf_level == -1:
                    if depth < a.max_depth:
                        return -1
                    a.leaf_level = depth
                elif a.leaf_level != depth:
                    return -1
                if c == 45 and p + 1 < n and s[p + 1] == 73:  # -Infinity
                    p = _word_leaf(s, p, n, a)
                elif c == 45 or _is_digit(c):
                    p = _number(s, p, n, a)
                else:
                    p = _word_leaf(s, p, n, a)
                if p < 0:
                    return -1
                a.count[depth] += 1
                expect_value = False
                continue
        elif c == 44:  # ','
            p += 1
            expect_value = True
            continue
        elif c == 93:
            close = True
        if not close:
            return -1
        p += 1
        if a.shape[depth] == -1:
            a.shape[depth] = a.count[depth]
        elif a.shape[depth] != a.count[depth]:
            return -1
        if depth == 0:
            return p
        depth -= 1
        a.count[depth] += 1
        expect_value = False


@cython.boundscheck(False)
@cython.wraparound(False)
cdef object _numbers_array(_Numbers* a):
    cdef int ndim = a.leaf_level + 1 if a.leaf_level != -1 else a.max_depth + 1
    cdef Py_ssize_t i
    shape = tuple([a.shape[i] for i in range(ndim)])
    cdef double[::1] f
    cdef int64_t[::1] q
    cdef uint8_t[::1] b
    if a.any_float or a.n == 0:
        out = np.empty(a.n, np.float64)
        f = out
        for i in range(a.n):
            f[i] = a.leaves[i].d if a.kinds[i] == _LEAF_FLOAT else <double>a.leaves[i].i
    elif a.any_int:
        out = np.empty(a.n, np.int64)
        q = out
        for i in range(a.n):
            q[i] = a.leaves[i].i
    else:
        out = np.empty(a.n, np.uint8)
        b = out
        for i in range(a.n):
            b[i] = <uint8_t>a.leaves[i].i
        out = out.view(np.bool_)
    return out.reshape(shape)


cdef object _json_object(const char* s, Py_ssize_t* pos, Py_ssize_t n, object loads, _Numbers* a, int depth):
    """The object opening at ``pos[0]`` (which it moves past the object), or None if the text is not
    JSON."""
    cdef Py_ssize_t p = _skip_ws(s, pos[0] + 1, n), q, end
    cdef bint escaped
    out = {}
    if p < n and s[p] == 125:
        pos[0] = p + 1
        return out
    while True:
        if p >= n or s[p] != 34:
            return None
        q, escaped = p + 1, False
        while q < n and s[q] != 34:
            if s[q] == 92:
                escaped = True
                q += 1
            elif <unsigned char>s[q] < 32:
                return None
            q += 1
        if q >= n:
            return None
        try:
            key = loads(s[p:q + 1]) if escaped else (<bytes>s[p + 1:q]).decode("utf-8")
        except ValueError:
            return None
        p = _skip_ws(s, q + 1, n)
        if p >= n or s[p] != 58:
            return None
        p = _skip_ws(s, p + 1, n)
        if p >= n:
            return None
        value = None
        end = -1
        if s[p] == 91:
            end = _numbers(s, p, n, a)
            if end >= 0:
                value = _numbers_array(a)
        elif s[p] == 123 and depth + 1 < _JSON_MAX_DEPTH:
            pos[0] = p
            value = _json_object(s, pos, n, loads, a, depth + 1)
            if value is None:
                return None
            end = pos[0]
        if end < 0:
            end = _skip_value(s, p, n)
            if end < 0:
                return None
            try:
                value = loads(s[p:end])
            except ValueError:
                return None
            if s[p] == 91:  # a list that is not all numbers, or holds an integer beyond 18 digits
                value = json_numbers(value)
        out[key] = value
        p = _skip_ws(s, end, n)
        if p >= n:
            return None
        if s[p] == 44:
            p = _skip_ws(s, p + 1, n)
        elif s[p] == 125:
            pos[0] = p + 1
            return out
        else:
            return None


def json_line_arrays(line, loads):
    """One JSON object line with its rectangular lists of numbers as arrays (see ``rlcore/_core.pyi``)."""
    if not isinstance(line, bytes):
        raise TypeError(f"line must be bytes, got {type(line).__name__}")
    cdef const char* s = line
    cdef Py_ssize_t n = len(line), p
    cdef _Numbers a
    a.leaves, a.kinds, a.n, a.cap = NULL, NULL, 0, 0
    try:
        p = _skip_ws(s, 0, n)
        if p >= n or s[p] != 123:
            return None
        out = _json_object(s, &p, n, loads, &a, 0)
        if out is None or _skip_ws(s, p, n) != n:
            return None
        return out
    finally:
        free(a.leaves)
        free(a.kinds)
