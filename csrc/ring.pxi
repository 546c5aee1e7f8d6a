# Ring-buffer column insert: the write path of columnar replay storage.


def ring_insert(dest, src, start):
    """Copies the rows of ``src`` into ``dest`` from row ``start``, wrapping (see ``rlcore/_core.pyi``)."""
    for name, arr in (("dest", dest), ("src", src)):
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"{name} must be a numpy array, got {type(arr).__name__}")
        if arr.dtype.hasobject:
            raise TypeError(f"{name} must not be an object array")
        if arr.ndim < 1:
            raise ValueError(f"{name} must have at least one dimension")
        if not arr.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous (use np.ascontiguousarray)")
    if src.dtype != dest.dtype:
        raise TypeError(f"src has dtype {src.dtype}, expected {dest.dtype} (as dest)")
    if src.shape[1:] != dest.shape[1:]:
        raise ValueError(f"src rows have shape {src.shape[1:]}, expected {dest.shape[1:]} (as dest)")
    if not dest.flags.writeable:
        raise ValueError("dest must be writable")
    cdef Py_ssize_t cap = dest.shape[0]
    if cap == 0:
        raise ValueError("dest must have at least one row")
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or not 0 <= start < cap:
        raise ValueError(f"start must be an int in [0, {cap}), got {start!r}")
    cdef Py_ssize_t n = src.shape[0], pos = start, first, chunk
    cdef Py_ssize_t row = dest.itemsize
    for d in dest.shape[1:]:
        row *= d
    if n == 0 or row == 0:
        return (pos + n) % cap
    cdef const unsigned char[::1] s = src.reshape(-1).view(np.uint8)
    cdef unsigned char[::1] t = dest.reshape(-1).view(np.uint8)
    first = n - cap if n > cap else 0  # only the last `cap` rows survive
    pos = (pos + first) % cap
    cdef Py_ssize_t j = first
    with nogil:
        while j < n:
            chunk = min(cap - pos, n - j)
            memcpy(&t[pos * row], &s[j * row], chunk * row)
            j += chunk
            pos = (pos + chunk) % cap
    return (start + n) % cap
