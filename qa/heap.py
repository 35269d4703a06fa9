"""Giving the C heap's freed pages back to the system.

A forward pass over a batch allocates a few hundred MB of short-lived tensors; glibc keeps what they free in
its heap, scattered between live blocks it cannot trim, so a long build's resident memory grows with every
batch. `malloc_trim` hands those free pages back (a few ms on a large heap).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to hand back this way
        return None


def release() -> bool:
    """Hand the heap's free pages back to the system; False where the C library cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
