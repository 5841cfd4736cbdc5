"""Crash safety: `vnreport run` killed with SIGKILL at every task boundary and inside the load.

Each case starts from one prepared warehouse (a first run over three samples),
runs a second night whose inputs changed (one document edited, one added, one
empty page), kills the process group at a chosen instant and then checks that

- the live warehouse file is byte for byte the one before the run (the last
  committed state), opens, passes DuckDB's checks (every table read in full,
  storage info, FORCE CHECKPOINT on a copy), and
- the next run completes to the same table checksums as an uninterrupted run.

Task boundaries are seen from outside, on the flow's log ("Task run 'x-…' -
Finished"); the copy of the live file is seen on the filesystem; two instants
nobody can see from outside (inside the load transaction, between the final
checkpoint and the swap) use `VNREPORT_FAULT_STOP`: the process stops itself
there and the test kills it. One Prefect server serves every run.

Slow by nature (about two minutes): marked `integration`.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[1]
VNREPORT = [sys.executable, "-m", "vnreport.flows.cli"]
FIRST_NIGHT = ("sample_01_tayhung_2022.html", "sample_03_tayhung_2024q1.txt")
EDITED = "sample_07_cum3_namdinh_2024q3.txt"
ADDED = "sample_16_kcn_thaibinh_2024q1.txt"
# Columns that name a run or a moment, or a path of the case's own folder: they
# differ between any two runs by design and are left out of the checksums.
VOLATILE = {
    "run_id", "first_seen_run", "loaded_run", "resolved_run", "released_run", "applied_at",
    "started_at", "finished_at", "checked_at", "loaded_at", "summary_md", "data_docs_index",
    "report_path", "config_path",
}  # fmt: skip
TASK_DONE = re.compile(r"Task run '([A-Za-z0-9_-]+?)-[0-9a-f]{3}' - Finished")


# ---------------------------------------------------------------- helpers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def checksums(db: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """One digest per table over its run-independent columns, rows in a canonical order."""
    out = {}
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY 1"
        ).fetchall()]  # fmt: skip
        for t in tables:
            if t in skip:
                continue
            cols = [r[0] for r in con.execute(f'DESCRIBE "{t}"').fetchall()]
            keep = ", ".join(f'"{c}"' for c in cols if c not in VOLATILE)
            out[t] = con.execute(
                f"SELECT count(*) || ':' || coalesce(md5(string_agg(CAST(x AS VARCHAR), '\\n' "
                f"ORDER BY CAST(x AS VARCHAR))), '') FROM (SELECT {keep} FROM \"{t}\") AS x"
            ).fetchall()[0][0]
    return out


def column_diff(a: Path, b: Path, tables: list[str]) -> dict[str, list[str]]:
    """Which run-independent columns differ, per table (for a readable failure)."""
    out = {}
    with duckdb.connect(str(a), read_only=True) as ca, duckdb.connect(str(b), read_only=True) as cb:
        for t in tables:
            cols = [r[0] for r in ca.execute(f'DESCRIBE "{t}"').fetchall()]
            ra, rb = (
                ca.execute(f'SELECT * FROM "{t}"').fetchall(),
                cb.execute(f'SELECT * FROM "{t}"').fetchall(),
            )
            out[t] = [
                f"{c}: {sorted(set(map(repr, (r[i] for r in ra))) ^ set(map(repr, (r[i] for r in rb))))[:4]}"
                for i, c in enumerate(cols)
                if c not in VOLATILE
                and sorted(map(repr, (r[i] for r in ra))) != sorted(map(repr, (r[i] for r in rb)))
            ]
    return out


def verify_file(db: Path, scratch: Path) -> None:
    """DuckDB's own checks: read every column of every table (block checksums are verified
    on read), storage info per table, and a forced checkpoint on a copy."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
        ).fetchall()]  # fmt: skip
        assert "facts" in tables and "schema_version" in tables
        for t in tables:
            con.execute(f"SELECT md5(string_agg(CAST(x AS VARCHAR), '')) FROM \"{t}\" x").fetchall()
            con.execute(f"SELECT count(*) FROM pragma_storage_info('{t}')").fetchall()
        con.execute("PRAGMA database_size").fetchall()
    copy = scratch / "verify.duckdb"
    shutil.copyfile(db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("FORCE CHECKPOINT")
    copy.unlink()


class Run:
    """`vnreport run` in its own process group, output drained by a thread."""

    def __init__(self, db: Path, config: Path, env: dict, fault: str | None = None) -> None:
        env = dict(env)
        if fault:
            env["VNREPORT_FAULT_STOP"] = fault
        self.lines: list[str] = []
        self.kill_on: str | None = None
        self.killed_after: str | None = None
        self.proc = subprocess.Popen(
            [*VNREPORT, "run", "--config", str(config), "--warehouse", str(db)],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
        self._lock = threading.Lock()
        self.reader = threading.Thread(target=self._drain, daemon=True)

    def start(self, kill_on: str | None = None) -> Run:
        self.kill_on = kill_on
        self.reader.start()
        return self

    def _drain(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)
            m = TASK_DONE.search(line)
            if m and self.kill_on and m.group(1) == self.kill_on and not self.killed_after:
                self.kill()
                self.killed_after = m.group(1)

    def kill(self) -> None:
        with self._lock:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)

    def stopped(self) -> bool:
        try:
            stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        except FileNotFoundError:
            return False
        return stat.rsplit(")", 1)[1].split()[0] == "T"

    def wait(self, timeout: float = 300) -> int:
        rc = self.proc.wait(timeout)
        self.reader.join(10)
        return rc

    def output(self) -> str:
        return "".join(self.lines)[-4000:]


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def api_env(tmp_path_factory):
    """One loopback Prefect server for every run of this module (a temporary one per
    process costs ~13 s)."""
    home = tmp_path_factory.mktemp("prefect")
    port = _free_port()
    env = {
        **os.environ, "PREFECT_HOME": str(home), "PYTHONUTF8": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "INFO",
    }  # fmt: skip
    env.pop("PREFECT_API_URL", None)
    log = open(home / "server.log", "w")  # noqa: SIM115 - closed below
    prefect = Path(sys.executable).with_name("prefect")
    server = subprocess.Popen(
        [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    import httpx

    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            log.close()
            pytest.fail("Prefect server did not start:\n" + (home / "server.log").read_text())
        time.sleep(0.3)
    yield {**env, "PREFECT_API_URL": url}
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)
    log.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory, api_env):
    """The prepared warehouse (first night), the second night's inputs, and the result
    of the second night run without interruption."""
    root = tmp_path_factory.mktemp("kill")
    inputs = root / "inputs"
    inputs.mkdir()
    for name in (*FIRST_NIGHT, EDITED):
        shutil.copyfile(REPO / "samples" / name, inputs / name)
    config = root / "sources.yaml"
    config.write_text(f"sources:\n  - name: thu-muc\n    kind: folder\n    path: {inputs}\n")
    prepared = root / "prepared" / "warehouse.duckdb"
    first = Run(prepared, config, api_env).start()
    assert first.wait() == 0, first.output()

    # Second night: one document edited, one added, one empty page.
    edited = inputs / EDITED
    edited.write_text(
        edited.read_text(encoding="utf-8")
        + "\n\nBổ sung: trong quý, các chi bộ trực thuộc kết nạp thêm 3 đảng viên mới, "
        "nâng tổng số đảng viên toàn Đảng bộ lên 415 đồng chí.\n",
        encoding="utf-8",
    )
    shutil.copyfile(REPO / "samples" / ADDED, inputs / ADDED)
    (inputs / "trang_trong.html").write_bytes(b"")

    reference = case_copy(prepared, root / "reference")
    second = Run(reference, config, api_env).start()
    assert second.wait() == 0, second.output()
    tasks = list(dict.fromkeys(TASK_DONE.findall("".join(second.lines))))
    return {
        "root": root,
        "config": config,
        "env": api_env,
        "prepared": prepared,
        "prepared_digest": file_digest(prepared),
        "prepared_sums": checksums(prepared),
        "reference": reference,
        "reference_sums": checksums(reference),
        "tasks": tasks,
    }


def case_copy(prepared: Path, folder: Path) -> Path:
    """The prepared warehouse folder (file and data-quality project) copied for one case."""
    shutil.copytree(prepared.parent, folder)
    return folder / prepared.name


def assert_untouched(world, db: Path, what: str) -> None:
    assert file_digest(db) == world["prepared_digest"], f"{what}: live file changed"
    verify_file(db, db.parent)
    assert checksums(db) == world["prepared_sums"], what


def rerun_matches_reference(world, db: Path, what: str, skip: tuple[str, ...] = ()) -> None:
    again = Run(db, world["config"], world["env"]).start()
    assert again.wait() == 0, f"{what}: the next run failed\n{again.output()}"
    assert not db.with_name(db.name + ".next").exists()
    verify_file(db, db.parent)
    got = checksums(db, skip)
    want = {t: v for t, v in world["reference_sums"].items() if t not in skip}
    differ = [t for t in want if got.get(t) != want[t]]
    assert not differ, f"{what}: rerun differs in {column_diff(world['reference'], db, differ)}"


# ---------------------------------------------------------------- tests


def test_second_night_changes_the_warehouse(world):
    """The cases below would prove nothing if the run they interrupt changed nothing."""
    before, after = world["prepared_sums"], world["reference_sums"]
    assert before["facts"] != after["facts"] and before["documents"] != after["documents"]
    assert before["failures"] != after["failures"]  # the empty page is recorded
    assert "load" in world["tasks"] and len(world["tasks"]) >= 4, world["tasks"]


def test_kill_at_every_task_boundary_leaves_the_last_committed_state(world):
    """SIGKILL right after each task before the load reports Finished."""
    tasks = world["tasks"][: world["tasks"].index("load")]
    for task in tasks:
        db = case_copy(world["prepared"], world["root"] / f"after-{task}")
        run = Run(db, world["config"], world["env"]).start(kill_on=task)
        rc = run.wait()
        assert run.killed_after == task and rc == -signal.SIGKILL, run.output()
        assert_untouched(world, db, f"killed after {task}")
    # Each leaves the same state (the untouched file, no copy); the next run from that
    # state, with a half-written data-quality project on top, is the case below.


def test_kill_during_validation_then_rerun(world):
    """Mid-task, not at a boundary: the data-quality project may be half written."""
    tasks = world["tasks"]
    before_validate = tasks[tasks.index("validate") - 1]
    db = case_copy(world["prepared"], world["root"] / "mid-validate")
    run = Run(db, world["config"], world["env"]).start()
    deadline = time.monotonic() + 120
    while not any(f"Task run '{before_validate}-" in ln and "Finished" in ln for ln in run.lines):
        assert time.monotonic() < deadline and run.proc.poll() is None, run.output()
        time.sleep(0.01)
    time.sleep(1.5)
    assert not any("Task run 'validate-" in ln and "Finished" in ln for ln in run.lines)
    run.kill()
    assert run.wait() == -signal.SIGKILL
    assert_untouched(world, db, "killed during validation")
    rerun_matches_reference(world, db, "after a kill during validation")


@pytest.mark.parametrize("point", ["load-transaction", "before-swap"])
def test_kill_inside_the_load(world, point):
    """Stopped inside the load transaction (before COMMIT) or after the copy's final
    checkpoint but before the rename: the live file is untouched either way."""
    db = case_copy(world["prepared"], world["root"] / point)
    run = Run(db, world["config"], world["env"], fault=point).start()
    deadline = time.monotonic() + 180
    while not run.stopped():
        assert run.proc.poll() is None, f"finished without reaching {point}\n{run.output()}"
        assert time.monotonic() < deadline, run.output()
        time.sleep(0.02)
    next_file = db.with_name(db.name + ".next")
    assert next_file.exists()  # the run was writing its copy, not the live file
    run.kill()
    assert run.wait() == -signal.SIGKILL
    assert_untouched(world, db, f"killed at {point}")
    rerun_matches_reference(world, db, f"after a kill at {point}")


def test_kill_while_the_copy_is_written(world):
    """A large live file (a ballast table) makes the copy slow enough to stop mid-way."""
    db = case_copy(world["prepared"], world["root"] / "mid-copy")
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE ballast AS SELECT hash(i) AS h FROM range(10000000) t(i)")
        ballast_sum = con.execute("SELECT sum(h::HUGEINT) FROM ballast").fetchall()[0][0]
    digest, size = file_digest(db), db.stat().st_size
    next_file = db.with_name(db.name + ".next")
    run = Run(db, world["config"], world["env"]).start()
    caught = None
    deadline = time.monotonic() + 180
    while caught is None:
        assert run.proc.poll() is None, f"the run ended before it was caught\n{run.output()}"
        assert time.monotonic() < deadline
        try:
            part = next_file.stat().st_size
        except FileNotFoundError:
            time.sleep(0.0005)
            continue
        if 0 < part < size:
            os.killpg(run.proc.pid, signal.SIGSTOP)
            caught = next_file.stat().st_size
    run.kill()
    assert run.wait() == -signal.SIGKILL
    assert caught < size, "the copy was complete when the process was stopped"
    assert file_digest(db) == digest
    verify_file(db, db.parent)
    rerun_matches_reference(world, db, "after a kill mid-copy", skip=("ballast",))
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT sum(h::HUGEINT) FROM ballast").fetchall()[0][0] == ballast_sum


def test_kill_after_the_load_keeps_the_new_state(world):
    """Killed after the load reported Finished: the new night is in, and a rerun adds nothing."""
    db = case_copy(world["prepared"], world["root"] / "after-load")
    run = Run(db, world["config"], world["env"]).start(kill_on="load")
    run.wait()
    assert run.killed_after == "load"
    verify_file(db, db.parent)
    assert checksums(db) == world["reference_sums"]
    # a third run adds its own row to the per-run logs, by design
    rerun_matches_reference(world, db, "after a kill after the load", skip=("runs", "dq_results"))


# ---------------------------------------------------------------- one document failing

# The launcher wraps the real stage functions from outside the package: the named
# document raises, every other goes through the real code. No hook in the package.
FAILING_LAUNCHER = """
import os, sys
from vnreport.transforms import batch, clean, extract

def failing(real, env, stage):
    def wrapper(doc, *args, **kwargs):
        if doc.doc_id == os.environ[env]:
            raise RuntimeError(f"injected {stage} fault")
        return real(doc, *args, **kwargs)
    return wrapper

for mod in (clean, batch):
    if hasattr(mod, "clean_document"):
        mod.clean_document = failing(clean.clean_document, "FAIL_CLEAN", "clean")
for mod in (extract, batch):
    if hasattr(mod, "extract_document"):
        mod.extract_document = failing(extract.extract_document, "FAIL_EXTRACT", "extract")
from vnreport.flows.cli import main
sys.argv = ["vnreport", *sys.argv[1:]]
main()
"""


def test_a_stage_raising_on_one_document_fails_only_that_document(tmp_path, api_env):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    names = (*FIRST_NIGHT, EDITED, ADDED)
    for name in names:
        shutil.copyfile(REPO / "samples" / name, inputs / name)
    (inputs / "trang_trong.html").write_bytes(b"")
    outside = tmp_path / "ngoai.html"
    outside.write_text("<p>không thuộc nguồn</p>", encoding="utf-8")
    (inputs / "lien_ket_ra_ngoai.html").symlink_to(outside)
    config = tmp_path / "sources.yaml"
    config.write_text(f"sources:\n  - name: thu-muc\n    kind: folder\n    path: {inputs}\n")
    db = tmp_path / "wh" / "warehouse.duckdb"
    bad_clean, bad_extract = Path(names[0]).stem, Path(names[2]).stem
    env = {**api_env, "FAIL_CLEAN": bad_clean, "FAIL_EXTRACT": bad_extract}
    res = subprocess.run(
        [sys.executable, "-c", FAILING_LAUNCHER, "run", "--config", str(config),
         "--warehouse", str(db)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    with duckdb.connect(str(db), read_only=True) as con:
        failed = {r[0]: (r[1], r[2]) for r in con.execute(
            "SELECT doc_id, stage, reason FROM failures").fetchall()}  # fmt: skip
        loaded = {r[0] for r in con.execute("SELECT doc_id FROM documents").fetchall()}
        with_facts = {r[0] for r in con.execute("SELECT DISTINCT doc_id FROM facts").fetchall()}
        run_failed = con.execute("SELECT documents_failed FROM runs").fetchall()[0][0]
    assert failed[bad_clean] == ("clean", "RuntimeError: injected clean fault")
    assert failed[bad_extract] == ("extract", "RuntimeError: injected extract fault")
    assert failed["trang_trong"][0] == "clean" and "empty" in failed["trang_trong"][1]
    assert failed["lien_ket_ra_ngoai"][0] == "read"
    assert "outside the source folder" in failed["lien_ket_ra_ngoai"][1]
    others = {Path(n).stem for n in names} - {bad_clean, bad_extract}
    assert loaded == others and with_facts == others  # every other document went through
    assert run_failed == 4
    everything = {p.stem for p in inputs.iterdir()}
    assert loaded | set(failed) == everything  # nothing silently dropped


# ---------------------------------------------------------------- ten re-runs

RERUN_LOOP = """
import shutil, sys
from pathlib import Path
from vnreport.flows.nightly import nightly
config, db, n = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    nightly(config=config, warehouse=str(db), reprocess=bool(i % 2))
    shutil.copyfile(db, db.with_name(f"after-{i}.duckdb"))
"""


def test_ten_reruns_over_the_same_inputs_give_identical_checksums(tmp_path, api_env):
    """Runs 1, 3, 5... skip the unchanged documents; runs 2, 4, 6... re-clean, re-extract and
    reload every one (`reprocess`). The warehouse contents never move."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for name in FIRST_NIGHT:
        shutil.copyfile(REPO / "samples" / name, inputs / name)
    config = tmp_path / "sources.yaml"
    config.write_text(f"sources:\n  - name: thu-muc\n    kind: folder\n    path: {inputs}\n")
    db = tmp_path / "wh" / "warehouse.duckdb"
    res = subprocess.run(
        [sys.executable, "-c", RERUN_LOOP, str(config), str(db), "10"],
        cwd=REPO, env=api_env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    per_run = ("runs", "dq_results")  # one row set per run, by design
    sums = [checksums(db.with_name(f"after-{i}.duckdb"), per_run) for i in range(10)]
    assert sums[0]["facts"].split(":")[0] != "0"
    for i, s in enumerate(sums[1:], 1):
        assert s == sums[0], f"run {i + 1} differs in {[t for t in s if s[t] != sums[0][t]]}"
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchall()[0][0] == 10
