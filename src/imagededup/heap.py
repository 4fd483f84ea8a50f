"""Make freed memory go back to the operating system (glibc only), so RSS follows live data.

glibc serves allocations above a threshold with their own memory maps, returned on free, but
raises that threshold to 32 MiB after the first large free. Past that, the search's many
mid-sized temporary buffers (FAISS results, NumPy blocks) stay in the heap once freed: at
100,000 images this held about 450 MiB and raised the peak by 140 MiB (benchmarks/memory.py).
Pinning the threshold at 128 KiB keeps them returned.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 128 * 1024


@functools.cache
def return_freed_memory() -> bool:
    """Pin glibc's mmap threshold (once per process); False where there is no glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
