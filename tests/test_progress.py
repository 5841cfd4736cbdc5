"""Per-source progress counters (vnreport.progress) and the bars the CLI draws from them."""

from __future__ import annotations

import io
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from rich.console import Console

from vnreport import progress
from vnreport.config import Source
from vnreport.flows.cmd_pipeline import SourceBars, source_bars
from vnreport.transforms import discover
from vnreport.transforms.batch import RawRef, discover_lazy

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def ref(doc_id: str, source: str) -> RawRef:
    return RawRef(doc_id, source, f"/{source}/{doc_id}.txt", "text", "h" + doc_id)


def test_without_a_listener_nothing_is_kept_or_wrapped():
    progress.counted("a", "new", 3)
    progress.planned([ref("1", "a")])
    progress.processed("a", 1)
    future: Future = Future()
    assert progress.tracked(future, [ref("1", "a")]) is future
    assert progress._board is None
    with progress.listening() as board:
        assert board.snapshot() == {}  # nothing reported before carried over
    assert progress._board is None


def test_only_one_listener_at_a_time():
    with progress.listening(), pytest.raises(RuntimeError), progress.listening():
        pass
    with progress.listening():  # the first one detached cleanly
        pass


def test_many_threads_reporting_give_exact_totals_and_ordered_snapshots():
    sources = [f"s{i}" for i in range(4)]
    keys = ["new", "unchanged", "failed", "skipped"]
    threads, per_thread = 16, 2000
    seen: dict[str, list[int]] = {s: [] for s in sources}

    def listener(sp: progress.SourceProgress) -> None:
        time.sleep(0)  # a listener may block (rich takes its own lock): other threads run
        seen[sp.name].append(sp.found)

    start = threading.Barrier(threads)

    def work(t: int) -> None:
        start.wait()
        for i in range(per_thread):
            progress.counted(sources[(t + i) % 4], keys[i % 4])

    with progress.listening(listener) as board:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(work, range(threads)))
        snap = board.snapshot()
    per_source = threads * per_thread // 4
    for s in sources:
        assert snap[s].found == per_source
        assert sum(snap[s].counts.values()) == per_source
        # the listener runs under the lock: it saw every step of each source, in order
        assert seen[s] == list(range(1, per_source + 1))
    for k in keys:
        assert sum(snap[s].counts[k] for s in sources) == threads * per_thread // 4


def test_processed_from_many_threads_fills_each_bar_exactly():
    with progress.listening() as board:
        progress.counted("a", "read", 1000)
        progress.counted("a", "failed", 7)
        progress.planned([ref(str(i), "a") for i in range(1000)])
        assert (board.snapshot()["a"].total, board.snapshot()["a"].done) == (1007, 7)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: progress.processed("a"), range(1000)))
        a = board.snapshot()["a"]
    assert (a.total, a.done) == (1007, 1007)


def test_the_plan_settles_what_needs_no_processing_and_batches_fill_the_rest():
    with progress.listening(sources=["folder", "web", "empty"]) as board:
        progress.counted("folder", "read", 5)
        progress.counted("folder", "failed")
        progress.counted("web", "new", 2)
        progress.counted("web", "unchanged", 3)
        progress.counted("web", "skipped")
        snap = board.snapshot()
        assert snap["web"].total is None and snap["empty"].total is None  # still discovering

        todo = [ref(f"f{i}", "folder") for i in range(5)] + [ref("w1", "web"), ref("w2", "web")]
        progress.planned(todo)
        snap = board.snapshot()
        assert (snap["folder"].total, snap["folder"].done) == (6, 1)
        assert (snap["web"].total, snap["web"].done) == (6, 4)
        assert (snap["empty"].total, snap["empty"].done) == (0, 0)

        ok: Future = Future()
        batch = progress.tracked(ok, todo[:3] + todo[5:6])
        ok.set_result("frames")
        assert board.snapshot()["folder"].done == 1  # not counted before it is collected
        assert batch.result() == "frames"
        snap = board.snapshot()
        assert (snap["folder"].done, snap["web"].done) == (4, 5)

        failed: Future = Future()
        broken = progress.tracked(failed, todo[3:5])
        failed.set_exception(RuntimeError("worker died"))
        with pytest.raises(RuntimeError):
            broken.result()
        assert board.snapshot()["folder"].done == 4  # a batch that raised is not processed
        assert board.snapshot()["web"].counts == {"new": 2, "unchanged": 3, "skipped": 1}


def test_counts_text_is_the_same_whatever_the_order():
    a = {"new": 0, "changed": 0, "unchanged": 2, "failed": 1, "skipped": 0, "read": 4}
    b = {"read": 4, "failed": 1, "unchanged": 2}
    assert progress.counts_text(a) == progress.counts_text(b) == "4 read, 2 unchanged, 1 failed"
    assert progress.counts_text(dict.fromkeys(discover.COUNT_KEYS, 0)) == "nothing found"


def folder(tmp_path: Path, name: str, files: dict[str, str]) -> Source:
    root = tmp_path / name
    root.mkdir()
    for fname, text in files.items():
        (root / fname).write_text(text, encoding="utf-8")
    return Source(name, "folder", {"path": str(root)})


@pytest.mark.parametrize("lazy", [False, True], ids=["discover", "discover_lazy"])
def test_discovery_reports_every_count_it_records(tmp_path, lazy):
    text = "Đảng bộ hiện có 120 đảng viên sinh hoạt tại 8 chi bộ."
    a = folder(tmp_path, "a", {"x.txt": text, "y.txt": text + " 1", "z.html": "<p>z</p>"})
    outside = tmp_path / "secret.txt"
    outside.write_text("outside", encoding="utf-8")
    (a.path / "link.txt").symlink_to(outside)  # refused: leads out of the folder
    b = folder(tmp_path, "b", {"x.txt": "same id as a/x", "w.txt": text})  # x: a taken id
    with progress.listening(sources=["a", "b"]) as board:
        result = discover_lazy([a, b]) if lazy else discover.discover([a, b])
        snap = board.snapshot()
    expected = {name: {k: n for k, n in c.items() if n} for name, c in result.counts.items()}
    assert expected == {"a": {"read": 3, "failed": 1}, "b": {"read": 1, "failed": 1}}
    assert {name: sp.counts for name, sp in snap.items()} == expected
    assert [sp.found for sp in snap.values()] == [4, 2]


def render(bars) -> list[str]:
    """The bars as the live display draws them now (one line per source)."""
    file = bars.console.file
    file.seek(0)
    file.truncate()
    bars.console.print(bars.get_renderable())
    text = ANSI.sub("", file.getvalue())
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def test_source_bars_show_each_source_with_its_counts_and_progress():
    console = Console(file=io.StringIO(), force_terminal=True, width=160, color_system=None)
    bars = source_bars(console)
    names = ["samples", "portal", "empty"]
    with progress.listening(SourceBars(bars, names), names):
        progress.counted("portal", "new", 3)
        progress.counted("portal", "skipped", 2)
        progress.counted("samples", "read", 19)
        lines = render(bars)
        assert lines[0].startswith("samples") and " 0/? " in lines[0] and "19 read" in lines[0]
        assert lines[1].startswith("portal") and "3 new, 2 skipped" in lines[1]
        assert lines[2].startswith("empty") and "0/?" in lines[2]

        progress.planned([ref(str(i), "samples") for i in range(19)] + [ref("p", "portal")])
        progress.processed("samples", 10)
        lines = render(bars)
        assert "10/19" in lines[0]
        assert " 4/5 " in lines[1]
        assert re.search(r"\b0/0\s+nothing found", lines[2])
    assert bars.finished is False  # samples and portal still have documents in flight


def test_the_cli_draws_bars_only_on_a_terminal_and_not_with_no_progress(monkeypatch, capsys):
    from vnreport.flows.cmd_pipeline import _showing_progress

    names = ["samples", "portal"]
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for env, wanted, drawn in [("1", True, True), ("1", False, False), ("0", True, False)]:
        monkeypatch.setenv("TTY_COMPATIBLE", env)  # rich: "1" a terminal, "0" not one
        with _showing_progress(names, wanted):
            assert (progress._board is not None) is drawn
            progress.counted("portal", "new", 2)
            progress.planned([ref("p1", "portal"), ref("p2", "portal")])
            progress.processed("portal", 2)
        err = ANSI.sub("", capsys.readouterr().err)
        assert progress._board is None
        bars = re.findall(r"^(samples|portal) +━+ +(\S+) +(.*?) *(?:\d+:\d\d:\d\d|-:--:--)$",
                          err.replace("\r", "\n"), re.M)  # fmt: skip
        if drawn:
            assert ("portal", "2/2", "2 new") in bars
            assert ("samples", "0/0", "nothing found") in bars
        else:
            assert bars == [] and "━" not in err, (env, wanted, err)
