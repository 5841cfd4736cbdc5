"""Giving freed memory back to the operating system between the stages of a large run."""

from __future__ import annotations

import contextlib

# Below this many rows (facts + reports) a stage's objects are few: a full collection
# and trim cost more (a tenth of a small run's validation, a quarter second of an
# unchanged night) than the memory they would give back.
RELEASE_MIN_ROWS = 5_000


def release(rows: int | None = None) -> None:
    """Collect garbage and hand freed heap pages back to the OS, after a stage that
    handled `rows` rows (no release below RELEASE_MIN_ROWS; None: always).

    glibc keeps memory Python has freed for reuse, so without a trim each stage's
    peak (validation's pandas frames, say) stays in the process and the next
    stage's memory (DuckDB's buffers in the load) adds on top of it.
    """
    if rows is not None and rows < RELEASE_MIN_ROWS:
        return
    import ctypes
    import gc

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)
