"""Giving freed memory back to the operating system between the stages of a large run."""

from __future__ import annotations

import contextlib


def release() -> None:
    """Collect garbage and hand freed heap pages back to the OS.

    glibc keeps memory Python has freed for reuse, so without a trim each stage's
    peak (validation's pandas frames, say) stays in the process and the next
    stage's memory (DuckDB's buffers in the load) adds on top of it.
    """
    import ctypes
    import gc

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)
