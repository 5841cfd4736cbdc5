"""End to end: `vnreport run` on the bundled samples into a temporary warehouse, twice."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]
VNREPORT = [sys.executable, "-m", "vnreport.flows.cli"]
CONTENT_TABLES = ("documents", "reports", "facts", "organizations", "quarantine", "failures")


def cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*VNREPORT, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every row of the content tables, sorted: equal snapshots mean equal contents."""
    with duckdb.connect(str(db), read_only=True) as con:
        out = {}
        for table in CONTENT_TABLES:
            cols = [r[0] for r in con.execute(f"describe {table}").fetchall()]
            keep = [
                c for c in cols if c not in ("loaded_at", "first_seen", "last_seen", "updated_at")
            ]
            rows = con.execute(f"select {', '.join(keep)} from {table}").fetchall()
            out[table] = sorted(rows, key=repr)
        return out


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    env = {**os.environ, "PREFECT_HOME": str(tmp / "prefect"), "PYTHONUTF8": "1"}
    db = tmp / "out" / "warehouse.duckdb"
    first = cli("run", "--config", "sources.yaml", "--warehouse", str(db), env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    snap1 = snapshot(db)
    second = cli("run", "--config", "sources.yaml", "--warehouse", str(db), env=env)
    assert second.returncode == 0, second.stderr[-3000:]
    return {
        "db": db,
        "env": env,
        "first": first,
        "second": second,
        "snap1": snap1,
        "snap2": snapshot(db),
    }


def test_first_run_prints_where_the_results_are(two_runs):
    out = two_runs["first"].stdout
    assert f"warehouse: {two_runs['db'].resolve()}" in out
    report_line = next(
        line for line in out.splitlines() if line.startswith("data-quality report: ")
    )
    index = Path(report_line.split(": ", 1)[1])
    assert index.is_file()
    # rendered after the load, the Data Docs still list this run's results for both suites
    with duckdb.connect(str(two_runs["db"]), read_only=True) as con:
        run_id, stored = con.execute(
            "select run_id, data_docs_index from runs order by started_at limit 1"
        ).fetchone()
    assert Path(stored) == index
    page = index.read_text(encoding="utf-8")
    assert f"validations/facts/{run_id}/" in page and f"validations/reports/{run_id}/" in page


def test_every_sample_becomes_a_document_with_facts(two_runs):
    samples = sorted(p.stem for p in (REPO / "samples").iterdir() if p.suffix in (".html", ".txt"))
    assert len(samples) >= 12
    with duckdb.connect(str(two_runs["db"]), read_only=True) as con:
        docs = {r[0] for r in con.execute("select doc_id from documents").fetchall()}
        failed = {r[0] for r in con.execute("select doc_id from failures").fetchall()}
        assert docs | failed == set(samples)
        assert not failed, f"samples failed: {failed}"
        per_doc = dict(con.execute("select doc_id, count(*) from facts group by 1").fetchall())
        assert all(per_doc.get(d, 0) > 0 for d in docs), per_doc
        metrics = {r[0] for r in con.execute("select distinct metric from facts").fetchall()}
    assert {
        "party_members",
        "new_members_admitted",
        "revenue_vnd",
        "avg_income_vnd_month",
    } <= metrics


def test_second_run_changes_nothing(two_runs):
    assert two_runs["snap1"] == two_runs["snap2"]
    assert "0 new, 0 changed" in two_runs["second"].stdout
    with duckdb.connect(str(two_runs["db"]), read_only=True) as con:
        runs = con.execute("select documents_unchanged from runs order by started_at").fetchall()
    assert len(runs) == 2 and runs[1][0] == len(two_runs["snap1"]["documents"])


def test_query_shows_facts_per_metric_as_csv(two_runs):
    res = cli(
        "query",
        "select metric, count(*) as n from facts group by 1 order by 1",
        "--warehouse",
        str(two_runs["db"]),
        "--format",
        "csv",
        env=two_runs["env"],
    )
    assert res.returncode == 0, res.stderr
    rows = list(csv.reader(io.StringIO(res.stdout)))
    assert rows[0] == ["metric", "n"]
    assert len(rows) > 5 and all(int(n) > 0 for _, n in rows[1:])


def test_report_prints_the_latest_summary(two_runs):
    res = cli("report", "--warehouse", str(two_runs["db"]), env=two_runs["env"])
    assert res.returncode == 0, res.stderr
    assert "facts" in res.stdout.lower()
