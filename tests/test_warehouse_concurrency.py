"""An analyst's read-only session in another process during the nightly load.

Real processes, real file locks: the reader keeps its session and its snapshot, the
load neither fails nor waits for it; a read-write session makes the load wait, bounded;
two loads at once are serialized and neither loses the other's documents.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from test_warehouse_fixtures import batch, corpus, table_checksums

from vnreport.warehouse import db
from vnreport.warehouse.load import load_run

TESTS = Path(__file__).resolve().parent

READER = textwrap.dedent(
    """
    import sys, duckdb
    path = sys.argv[1]
    con = duckdb.connect(path, read_only=True)
    q = "SELECT count(*) FROM facts"
    print("before", con.execute(q).fetchall()[0][0], flush=True)
    sys.stdin.readline()                      # the load happens meanwhile
    print("same-session", con.execute(q).fetchall()[0][0], flush=True)
    con.close()                               # DuckDB shares one instance per file within
    fresh = duckdb.connect(path, read_only=True)  # a process: reopening sees the new snapshot
    print("new-session", fresh.execute(q).fetchall()[0][0], flush=True)
    """
)

HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])          # read-write: an exclusive lock
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
    """
)

LOADER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[3])
    from test_warehouse_fixtures import batch, corpus
    from vnreport.warehouse.load import load_run
    lo, hi = map(int, sys.argv[2].split(":"))
    print(load_run(sys.argv[1], **batch(corpus()[lo:hi], "run-" + sys.argv[2]).kwargs()))
    """
)


def _count(path, sql="SELECT count(*) FROM facts"):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture
def wh(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    load_run(path, **batch(corpus()[:5], "run-1").kwargs())
    return path


def test_reader_in_another_process_keeps_its_session_during_a_load(wh):
    n_before = _count(wh)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(wh)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert reader.stdout.readline().split() == ["before", str(n_before)]
        t0 = time.monotonic()
        counts = load_run(wh, **batch(corpus()[5:], "run-2").kwargs(), lock_timeout=5)
        assert time.monotonic() - t0 < 5  # not blocked by the shared lock
        assert counts["documents_new"] == 5
        out, err = reader.communicate("go\n", timeout=30)
    finally:
        reader.kill()
    assert reader.returncode == 0, err
    n_after = _count(wh)
    assert n_after > n_before
    assert out.split("\n")[:2] == [f"same-session {n_before}", f"new-session {n_after}"]


def test_a_read_write_session_makes_the_load_wait_bounded(wh):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(wh), "30"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        t0 = time.monotonic()
        with pytest.raises(db.WarehouseBusy, match="read-write session"):
            load_run(wh, **batch(corpus()[5:], "run-2").kwargs(), lock_timeout=1.0)
        assert 0.9 < time.monotonic() - t0 < 10
    finally:
        holder.kill()
        holder.wait()
    # Held briefly: the load waits for it and then goes through.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(wh), "1.5"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        t0 = time.monotonic()
        counts = load_run(wh, **batch(corpus()[5:], "run-3").kwargs(), lock_timeout=30)
        assert time.monotonic() - t0 >= 1.0
        assert counts["documents_new"] == 5
    finally:
        holder.wait(timeout=30)


def test_two_loads_at_once_are_serialized(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", LOADER, str(path), span, str(TESTS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for span in ("0:5", "5:10")
    ]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert _count(path, "SELECT count(*) FROM documents") == 10
    assert _count(path, "SELECT count(*) FROM runs") == 2


BIG_LOADER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[2])
    from load_bench import frames
    from vnreport.warehouse.load import load_run
    docs, reports, facts, q, dq = frames(400_000, 2_000, "killed-run")
    print("loading", flush=True)
    load_run(sys.argv[1], run={"run_id": "killed-run"}, documents=docs, reports=reports,
             facts=facts, quarantine=q, dq_results=dq, failures=[])
    print("finished", flush=True)
    """
)


def test_a_load_killed_midway_leaves_the_previous_warehouse(wh):
    con = duckdb.connect(str(wh), read_only=True)
    before = table_checksums(con)
    con.close()
    bench = TESTS.parent / "bench"
    proc = subprocess.Popen(
        [sys.executable, "-c", BIG_LOADER, str(wh), str(bench)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    snapshot = wh.with_name(wh.name + ".next")
    try:
        assert proc.stdout.readline().strip() == "loading"
        deadline = time.monotonic() + 60
        while not snapshot.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert snapshot.exists(), "the load never started writing its snapshot"
        time.sleep(0.2)
        assert proc.poll() is None, "the load finished before it could be killed"
    finally:
        proc.kill()  # SIGKILL: no cleanup, no rollback, the lock dies with the process
        proc.wait()
    con = duckdb.connect(str(wh), read_only=True)
    assert table_checksums(con) == before
    con.close()
    # The next load clears the stale snapshot and goes through.
    counts = load_run(wh, **batch(corpus()[5:], "run-2").kwargs(), lock_timeout=5)
    assert counts["documents_new"] == 5
    assert not snapshot.exists()


def test_a_read_only_connection_in_the_loading_process_keeps_working(wh):
    con = duckdb.connect(str(wh), read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM facts").fetchall()[0][0]
        counts = load_run(wh, **batch(corpus()[5:], "run-2").kwargs(), lock_timeout=5)
        assert counts["documents_new"] == 5
        assert con.execute("SELECT count(*) FROM facts").fetchall()[0][0] == n
    finally:
        con.close()
    assert _count(wh) > n
