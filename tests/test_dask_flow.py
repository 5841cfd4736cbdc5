"""The nightly flow on a real Dask cluster (two worker processes) loads the same warehouse
as the local run; the DuckDB load stays in the flow's process.

Slow (about a minute: a Prefect API, a Dask LocalCluster and two runs): marked integration.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

# Tables whose rows must be identical; columns naming a run or a clock differ by design.
TABLES = (
    "documents", "reports", "facts", "organizations", "org_aliases", "quarantine", "failures",
    "sources", "dq_results",
)  # fmt: skip
VOLATILE = ("run", "_at", "applied", "data_docs")

DRIVER = r"""
import json, sys
from distributed import Client, LocalCluster
from vnreport.flows.nightly import nightly, task_runner

config, local_db, dask_db = sys.argv[1:4]
local = nightly(config=config, warehouse=local_db, batch_size=7)
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                  dashboard_address=None) as cluster, Client(cluster) as client:
    flow = nightly.with_options(task_runner=task_runner("dask", cluster.scheduler_address))
    remote = flow(config=config, warehouse=dask_db, batch_size=7)
    executed = client.run(lambda dask_worker: dask_worker.state.executed_count)
    pids = client.run(lambda: __import__("os").getpid())
keys = ("documents_new", "documents_failed", "documents_duplicate", "facts_loaded",
        "facts_warned", "facts_quarantined")
print(json.dumps({"local": {k: local[k] for k in keys}, "dask": {k: remote[k] for k in keys},
                  "executed": list(executed.values()), "pids": list(pids.values())}))
"""


def snapshot(db: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as con:
        out = {}
        for table in TABLES:
            cols = [r[0] for r in con.execute(f"describe {table}").fetchall()]
            keep = [c for c in cols if not any(v in c for v in VOLATILE)]
            rows = con.execute(f"select {', '.join(keep)} from {table}").fetchall()
            out[table] = sorted(rows, key=repr)
    return out


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """The bundled samples, 40 generated pages, a republished copy and an unreadable page."""
    from corpus import generate

    root = tmp_path_factory.mktemp("dask-corpus")
    pages = root / "pages"
    shutil.copytree(REPO / "samples", pages, ignore=shutil.ignore_patterns("README*"))
    generate(pages / "generated", 40, seed=11)
    # a province portal republishing a text report with its own byline and source line
    original = (REPO / "samples" / "sample_03_tayhung_2024q1.txt").read_text(encoding="utf-8")
    (pages / "zz_republished.txt").write_text(
        original + "\nPV tổng hợp\n\nNguồn: Cổng thông tin điện tử tỉnh\n", encoding="utf-8"
    )
    (pages / "zz_broken.html").write_bytes(b"\x00\x01\x02binary\x00" * 64)
    return pages


@pytest.fixture(scope="module")
def runs(folder: Path, tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("dask-runs")
    config = tmp / "sources.yaml"
    config.write_text(
        f"sources:\n  - name: reports\n    kind: folder\n    path: {folder}\n", encoding="utf-8"
    )
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp / "prefect"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PYTHONUTF8": "1",
    }
    local_db, dask_db = tmp / "local" / "warehouse.duckdb", tmp / "dask" / "warehouse.duckdb"
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(config), str(local_db), str(dask_db)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=840,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out.update(local_db=local_db, dask_db=dask_db)
    return out


def test_dask_run_loads_the_same_warehouse_as_the_local_run(runs):
    local, remote = snapshot(runs["local_db"]), snapshot(runs["dask_db"])
    assert local["documents"] and local["facts"]
    for table in TABLES:
        assert remote[table] == local[table], f"{table} differs between the local and Dask runs"
    assert runs["dask"] == runs["local"]


def test_batches_ran_on_both_worker_processes(runs):
    # 19 samples + 40 generated + 2 extra files in batches of 7: nine batch tasks
    assert len(set(runs["pids"])) == 2 and os.getpid() not in runs["pids"]
    assert all(n >= 1 for n in runs["executed"]), runs["executed"]
    assert sum(runs["executed"]) >= 9


def test_cross_batch_duplicate_and_failure_are_recorded_not_dropped(runs):
    assert runs["dask"]["documents_duplicate"] == 1
    with duckdb.connect(str(runs["dask_db"]), read_only=True) as con:
        docs = {r[0] for r in con.execute("select doc_id from documents").fetchall()}
        failed = dict(con.execute("select doc_id, stage from failures").fetchall())
    assert failed == {"zz_broken": "clean"}
    # one copy of the republished report is kept, the other is counted as its duplicate
    assert len({"sample_03_tayhung_2024q1", "zz_republished"} & docs) == 1
    assert len(docs) == 19 + 40 + 2 - 1 - 1
