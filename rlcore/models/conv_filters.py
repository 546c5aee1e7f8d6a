"""Conv filter configs: RLlib's default ``conv_filters`` per image size, and their validation.

A conv filter config is a list of ``[out_channels, kernel, stride]`` entries (kernel and stride
an int or a ``[h, w]`` pair). Both frameworks' ``VisionNetwork`` read it from here.

Examples:
    >>> get_filter_config((84, 84, 4))[0]
    [16, [8, 8], 4]
    >>> check_filters([[16, 4, 2]])
    [(16, (4, 4), (2, 2))]
"""

from __future__ import annotations

from typing import Any, List

import numpy as np

#: RLlib's default filters per input size.
FILTERS_84x84 = [[16, [8, 8], 4], [32, [4, 4], 2], [256, [11, 11], 1]]
FILTERS_42x42 = [[16, [4, 4], 2], [32, [4, 4], 2], [256, [11, 11], 1]]
FILTERS_10x10 = [[16, [5, 5], 2], [32, [5, 5], 2]]


def get_filter_config(shape: Any) -> List[list]:
    """RLlib's default ``conv_filters`` for an ``[H, W, C]`` observation shape.

    Examples:
        >>> get_filter_config((42, 42, 1))[-1]
        [256, [11, 11], 1]
        >>> get_filter_config((64, 64, 3))
        Traceback (most recent call last):
        ...
        ValueError: no default conv_filters for observation shape (64, 64, 3); defaults exist for 84x84, 42x42 and 10x10 inputs: set model_config['conv_filters']
    """
    shape = tuple(int(d) for d in shape)
    table = {(84, 84): FILTERS_84x84, (42, 42): FILTERS_42x42, (10, 10): FILTERS_10x10}
    if len(shape) in (2, 3) and shape[:2] in table:
        return [[f[0], list(f[1]), f[2]] for f in table[shape[:2]]]
    raise ValueError(
        f"no default conv_filters for observation shape {shape}; defaults exist for 84x84, 42x42 and 10x10 "
        "inputs: set model_config['conv_filters']"
    )


def _pair(v: Any, what: str, entry: Any) -> tuple:
    if isinstance(v, (int, np.integer)):
        return (int(v), int(v))
    if isinstance(v, (list, tuple)) and len(v) == 2 and all(isinstance(x, (int, np.integer)) for x in v):
        return (int(v[0]), int(v[1]))
    raise ValueError(f"conv_filters entry {entry!r}: {what} must be an int or an [h, w] pair")


def check_filters(filters: Any) -> List[tuple]:
    """Validates a filter config; returns ``(out_channels, (kh, kw), (sh, sw))`` tuples.

    Examples:
        >>> check_filters([[16, [8, 8]]])
        Traceback (most recent call last):
        ...
        ValueError: conv_filters entry [16, [8, 8]] must be [out_channels, kernel, stride]
    """
    out = []
    for f in filters:
        if not (isinstance(f, (list, tuple)) and len(f) == 3):
            raise ValueError(f"conv_filters entry {f!r} must be [out_channels, kernel, stride]")
        out.append((int(f[0]), _pair(f[1], "kernel", f), _pair(f[2], "stride", f)))
    if not out:
        raise ValueError("conv_filters must not be empty")
    return out


__all__ = ["FILTERS_10x10", "FILTERS_42x42", "FILTERS_84x84", "check_filters", "get_filter_config"]
