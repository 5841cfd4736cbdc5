"""A full disk and a read-only warehouse directory, on real small filesystems.

Each case mounts its own tmpfs (needs root; skipped otherwise with the reason),
puts a loaded warehouse on it, then loads a second night in a child process (a
storage failure inside DuckDB must not be able to take the test run down with
it). The load must fail with an error naming the warehouse and the cause, the
live file must be byte for byte what it was, and no partial copy may be left
eating the little space there is.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from test_warehouse_fixtures import build_warehouse, table_checksums

pytestmark = pytest.mark.timeout(180)

TESTS = Path(__file__).resolve().parent
LOAD_SECOND_NIGHT = """
import sys
sys.path.insert(0, sys.argv[2])
from test_warehouse_fixtures import batch, corpus
from vnreport.warehouse.db import WarehouseError
from vnreport.warehouse.load import load_run
articles = corpus()
for a in articles:  # a second night that changes every document (new content)
    a.paragraphs = a.paragraphs + [("Bài viết được cập nhật.", [])]
try:
    load_run(sys.argv[1], **batch(articles, "20240502T190000Z-bbbbbb").kwargs(), lock_timeout=5)
except WarehouseError as exc:
    print(f"WarehouseError: {exc}", file=sys.stderr)
    sys.exit(3)
print("loaded")
"""


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sums(path: Path) -> dict[str, str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return table_checksums(con)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("prepared") / "warehouse.duckdb")


@pytest.fixture
def small_fs(tmp_path):
    """Mount a tmpfs of the given size; unmounted (lazily, if busy) after the test."""
    mounted: list[Path] = []

    def mount(size_kb: int) -> Path:
        if os.geteuid() != 0:
            pytest.skip("mounting a small filesystem needs root")
        point = tmp_path / f"fs{len(mounted)}"
        point.mkdir()
        res = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0755", "tmpfs", str(point)],
            capture_output=True, text=True,
        )  # fmt: skip
        if res.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def second_night(db: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", LOAD_SECOND_NIGHT, str(db), str(TESTS)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def fill(point: Path, leave: int) -> None:
    """Fill the filesystem until `leave` bytes are free."""
    st = os.statvfs(point)
    free = st.f_bavail * st.f_frsize
    with open(point / "filler.bin", "wb") as fh:
        fh.write(b"\0" * max(0, free - leave))
        fh.flush()
        os.fsync(fh.fileno())


def test_the_second_night_loads_when_there_is_room(prepared, small_fs):
    """The control case: the same load on a roomy filesystem succeeds and changes the data."""
    point = small_fs(64 * 1024)
    db = point / "warehouse.duckdb"
    shutil.copyfile(prepared, db)
    before = sums(db)
    res = second_night(db)
    assert res.returncode == 0, res.stderr[-3000:]
    assert sums(db) != before


@pytest.mark.parametrize(
    "room",
    ["less than the copy", "the copy and nothing more"],
)
def test_disk_full_fails_clearly_and_leaves_the_warehouse(prepared, small_fs, room):
    size = prepared.stat().st_size
    point = small_fs(size // 1024 * 3 + 4096)
    db = point / "warehouse.duckdb"
    shutil.copyfile(prepared, db)
    before_digest, before_sums = digest(db), sums(db)
    fill(point, size // 2 if room == "less than the copy" else size + 16 * 1024)
    res = second_night(db)
    assert res.returncode == 3, (res.returncode, res.stderr[-3000:])
    message = res.stderr.strip().splitlines()[-1]
    assert str(db) in message and "unchanged" in message
    assert "No space left" in message or "space" in message.lower() or "disk" in message.lower()
    assert digest(db) == before_digest
    assert not db.with_name(db.name + ".next").exists()
    assert not db.with_name(db.name + ".next.wal").exists()
    (point / "filler.bin").unlink()  # room again: the next night goes through
    res = second_night(db)
    assert res.returncode == 0, res.stderr[-3000:]
    assert sums(db) != before_sums


def test_read_only_warehouse_directory(prepared, small_fs):
    point = small_fs(64 * 1024)
    db = point / "warehouse.duckdb"
    shutil.copyfile(prepared, db)
    (db.with_name(db.name + ".writer.lock")).touch()
    before = digest(db)
    res = subprocess.run(["mount", "-o", "remount,ro", str(point)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot remount read-only: {res.stderr.strip()}")
    res = second_night(db)
    assert res.returncode == 3, (res.returncode, res.stderr[-3000:])
    message = res.stderr.strip().splitlines()[-1]
    assert str(db) in message and "Read-only file system" in message
    assert digest(db) == before
    # analysts can still read it
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM facts").fetchall()[0][0] > 0
