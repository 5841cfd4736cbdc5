"""Per-source progress of a run: counters the pipeline reports to, one listener that shows them.

The pipeline reports with plain calls:

    progress.counted(source, "new")      discovery recorded one count (DiscoveryResult.count)
    progress.planned(todo)               after the change check: what each source has left to process
    progress.tracked(future, batch)      a batch's future; its `.result()` counts the batch as processed

Nothing is kept and nothing is called while no listener is attached (a scheduled
run, a test, a library caller): each call costs one check of a module global.
`listening(listener)` attaches a listener for the length of a run; it is called
with a `SourceProgress` snapshot after every change, under the registry's lock,
so it sees one source's snapshots in order and must not report back.

Where the reports come from, for every task runner: discovery runs in the flow's
own process (the discover task is called, not submitted), and a batch is counted
when the flow collects its result. Under threads, processes and Dask alike the
counts therefore move at the same points and end equal to the run summary's
per-source counts; batches never report from a worker, so a worker process
needs no listener and nothing is counted twice.

Per source: `counts` are discovery's counts (new, changed, unchanged, failed,
skipped; read for folders). `total` is None while discovery runs; after the
change check it is every item discovery counted for the source, and `done`
starts at the items needing no processing (failed, skipped, unchanged) and
grows with each collected batch, so a finished source has done == total.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

KEY_ORDER = ("read", "new", "changed", "unchanged", "failed", "skipped")


def counts_text(counts: Mapping[str, int]) -> str:
    """The non-zero counts in a fixed order ("3 new, 2 unchanged"), as the CLI prints them."""
    keys = [k for k in KEY_ORDER if k in counts] + sorted(k for k in counts if k not in KEY_ORDER)
    return ", ".join(f"{counts[k]} {k}" for k in keys if counts[k]) or "nothing found"


@dataclass
class SourceProgress:
    name: str
    counts: dict[str, int] = field(default_factory=dict)
    found: int = 0  # items discovery counted
    total: int | None = None  # None until the change check
    done: int = 0

    def snapshot(self) -> SourceProgress:
        return replace(self, counts=dict(self.counts))


Listener = Callable[[SourceProgress], None]


class Board:
    """The per-source counters of one run; every method is safe to call from any thread."""

    def __init__(self, listener: Listener | None = None, sources: Iterable[str] = ()) -> None:
        self.listener = listener
        self._lock = threading.Lock()
        # sources named up front get a total at the change check even if nothing was found
        self._sources = {name: SourceProgress(name) for name in sources}

    def _get(self, source: str) -> SourceProgress:
        sp = self._sources.get(source)
        if sp is None:
            sp = self._sources[source] = SourceProgress(source)
        return sp

    def _changed(self, sp: SourceProgress) -> None:
        if self.listener is not None:
            self.listener(sp.snapshot())

    def counted(self, source: str, key: str, n: int = 1) -> None:
        with self._lock:
            sp = self._get(source)
            sp.counts[key] = sp.counts.get(key, 0) + n
            sp.found += n
            if sp.total is not None:  # counted after the change check: settled at once
                sp.total += n
                sp.done += n
            self._changed(sp)

    def planned(self, todo: Mapping[str, int]) -> None:
        """`todo`: documents left to process per source; the rest of what was found is done."""
        with self._lock:
            for name in sorted(set(self._sources) | set(todo)):
                sp = self._get(name)
                n = todo.get(name, 0)
                sp.total = max(sp.found, n)
                sp.done = sp.total - n
                self._changed(sp)

    def processed(self, source: str, n: int = 1) -> None:
        with self._lock:
            sp = self._get(source)
            sp.done += n
            if sp.total is not None:
                sp.done = min(sp.done, sp.total)
            self._changed(sp)

    def snapshot(self) -> dict[str, SourceProgress]:
        with self._lock:
            return {name: sp.snapshot() for name, sp in self._sources.items()}


_board: Board | None = None
_attach = threading.Lock()


@contextlib.contextmanager
def listening(listener: Listener | None = None, sources: Iterable[str] = ()) -> Iterator[Board]:
    """Count a run's progress into a fresh Board, calling `listener` on every change.

    `sources`: the names the config declares, so a source that finds nothing still ends
    with a total (0) rather than waiting for reports that never come.
    """
    global _board
    board = Board(listener, sources)
    with _attach:
        if _board is not None:
            raise RuntimeError("a progress listener is already attached")
        _board = board
    try:
        yield board
    finally:
        with _attach:
            _board = None


def counted(source: str, key: str, n: int = 1) -> None:
    board = _board
    if board is not None and n:
        board.counted(source, key, n)


def planned(items: Iterable) -> None:
    """The documents (RawDoc or RawRef) left to process, before they are batched."""
    board = _board
    if board is not None:
        board.planned(Counter(item.source for item in items))


def processed(source: str, n: int = 1) -> None:
    board = _board
    if board is not None and n:
        board.processed(source, n)


class _Tracked:
    """A submitted batch's future whose `.result()` also counts the batch as processed."""

    def __init__(self, future, sources: Counter) -> None:
        self.future = future
        self.sources = sources

    def result(self, *args, **kwargs):
        out = self.future.result(*args, **kwargs)
        for source, n in sorted(self.sources.items()):
            processed(source, n)
        return out

    def __getattr__(self, name: str):
        return getattr(self.future, name)


def tracked(future, items: Iterable):
    """`future` as is without a listener; with one, a future that reports its batch when collected."""
    if _board is None:
        return future
    return _Tracked(future, Counter(item.source for item in items))
