"""`vnreport query` is read-only and `vnreport export` writes Parquet, on a real warehouse."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from test_warehouse_fixtures import build_warehouse

from vnreport.warehouse import query
from vnreport.warehouse.export import export_parquet

VNREPORT = [sys.executable, "-m", "vnreport.flows.cli"]


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("wh") / "warehouse.duckdb")


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("files") / "targets.csv"
    path.write_text("district,target\nLong Biên,50\nTây Hồ,30\n", encoding="utf-8")
    pl.read_csv(path).write_parquet(path.with_suffix(".parquet"))
    return path


def _cli(*args: str) -> subprocess.CompletedProcess:
    code = "from vnreport.flows.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("INSERT INTO runs (run_id) VALUES ('x')", "INSERT"),
        ("UPDATE facts SET value = 0", "UPDATE"),
        ("DELETE FROM facts", "DELETE"),
        ("CREATE TABLE t AS SELECT 1", "CREATE"),
        ("DROP VIEW latest_metric", "DROP"),
        ("ATTACH '/tmp/other.duckdb' AS o", "ATTACH"),
        ("COPY facts TO '/tmp/facts.csv'", "COPY"),
        ("COPY (SELECT * FROM facts) TO '/tmp/facts.parquet' (FORMAT parquet)", "COPY"),
        ("INSTALL httpfs", "LOAD"),
        ("LOAD httpfs", "LOAD"),
        ("SET enable_external_access = true", "SET"),
        ("EXPORT DATABASE '/tmp/dump'", "EXPORT"),
        ("SELECT 1; DELETE FROM facts", "DELETE"),
        ("EXPLAIN ANALYZE COPY facts TO '/tmp/x.csv'", "COPY"),
        ("PRAGMA enable_profiling", "PRAGMA enable_profiling"),
    ],
)
def test_writes_and_escapes_are_refused(wh, sql, why):
    with pytest.raises(query.QueryRefused, match=why):
        query.run_query(wh, sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('{csv}')",
        "SELECT * FROM read_csv_auto('{csv}')",
        "SELECT content FROM read_text('{csv}')",
        "SELECT * FROM read_parquet('{pq}')",
        "SELECT * FROM glob('{dir}/*')",
        "SELECT * FROM '{csv}'",
        "SELECT f.metric FROM facts f JOIN read_csv('{csv}') t ON t.district = f.organization OR true",
        "WITH t AS (SELECT * FROM read_csv('{csv}')) SELECT count(*) FROM t",
    ],
)
def test_file_readers_need_allow_files(wh, csv_file, sql):
    sql = sql.format(csv=csv_file, dir=csv_file.parent, pq=csv_file.with_suffix(".parquet"))
    with pytest.raises(query.QueryRefused, match="allow-files"):
        query.run_query(wh, sql)
    _, rows = query.run_query(wh, sql, allow_files=True)  # allowed when asked for
    assert rows


def test_duckdb_itself_enforces_the_guards(wh, csv_file):
    """Not only the statement check: the connection refuses even if a statement slips by."""
    con = query.connect(wh)
    try:
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"SELECT * FROM read_csv('{csv_file}')")
        with pytest.raises(duckdb.Error, match="locked"):
            con.execute("SET enable_external_access = true")
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("DELETE FROM facts")
        with pytest.raises(duckdb.PermissionException):
            con.execute("COPY facts TO '/tmp/escaped.csv'")
    finally:
        con.close()
    con = query.connect(wh, allow_files=True)
    try:
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("CREATE TABLE t (a INTEGER)")
    finally:
        con.close()


def test_allow_files_still_refuses_writes_and_attach(wh, tmp_path):
    for sql in (f"COPY facts TO '{tmp_path}/f.csv'", f"ATTACH '{tmp_path}/o.duckdb'"):
        with pytest.raises(query.QueryRefused):
            query.run_query(wh, sql, allow_files=True)
    assert not list(tmp_path.iterdir())


def test_reads_pass(wh):
    cols, rows = query.run_query(
        wh, "SELECT metric, count(*) AS n FROM facts GROUP BY metric ORDER BY n DESC, metric"
    )
    assert cols == ["metric", "n"] and rows[0] == ("new_members_admitted", 20)
    for sql in ("DESCRIBE facts", "SHOW TABLES", "SUMMARIZE runs", "PRAGMA table_info('facts')",
                "EXPLAIN SELECT * FROM latest_metric"):  # fmt: skip
        cols, rows = query.run_query(wh, sql)
        assert rows, sql


def test_cli_formats(wh):
    sql = (
        "SELECT organization, value FROM latest_metric WHERE metric = 'party_members' "
        "ORDER BY value DESC"
    )
    out = _cli("query", sql, "--warehouse", str(wh), "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0] == ["organization", "value"]
    assert rows[1] == ["Đảng ủy các Khu công nghiệp tỉnh Bắc Ninh", "4105.0"]
    assert len(rows) == 5

    out = _cli("query", sql, "--warehouse", str(wh), "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data[-1] == {"organization": "Đảng ủy khối doanh nghiệp quận Tây Hồ", "value": 671.0}

    out = _cli("query", sql, "--warehouse", str(wh))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split("|")[0].strip() == "organization" and lines[-1] == "(4 rows)"


def test_cli_refuses_with_a_clear_message(wh):
    out = _cli("query", "DELETE FROM facts", "--warehouse", str(wh))
    assert out.returncode == 3
    assert "read-only" in out.stderr and "DELETE" in out.stderr
    out = _cli("query", "SELECT * FROM read_text('/etc/hostname')", "--warehouse", str(wh))
    assert out.returncode == 3 and "--allow-files" in out.stderr
    out = _cli("query", "SELECT 1", "--warehouse", str(wh.parent / "missing.duckdb"))
    assert out.returncode == 1 and "not found" in out.stderr


def test_export_writes_one_parquet_file_per_table_and_view(wh, tmp_path):
    out = _cli("export", "--parquet", str(tmp_path / "bi"), "--warehouse", str(wh))
    assert out.returncode == 0, out.stderr
    files = {Path(p).stem for p in out.stdout.split()}
    assert {"facts", "documents", "organizations", "latest_metric", "metric_timeseries",
            "plan_attainment", "dq_summary", "fact_provenance"} <= files  # fmt: skip
    con = duckdb.connect(str(wh), read_only=True)
    try:
        n_facts = con.execute("SELECT count(*) FROM facts").fetchall()[0][0]
        n_latest = con.execute("SELECT count(*) FROM latest_metric").fetchall()[0][0]
    finally:
        con.close()
    facts = pl.read_parquet(tmp_path / "bi" / "facts.parquet")
    assert facts.height == n_facts and "evidence" in facts.columns
    assert pl.read_parquet(tmp_path / "bi" / "latest_metric.parquet").height == n_latest
    assert not list((tmp_path / "bi").glob(".*.tmp"))
    # Idempotent: exporting again rewrites the same files.
    again = export_parquet(wh, tmp_path / "bi")
    assert {p.stem for p in again} == files
