"""`vnreport query` against adversarial SQL: whatever the spelling, nothing is written,
attached, installed, loaded or read from files unless --allow-files is given.

Every case checks the outcome, not only the refusal: the warehouse checksums are
unchanged, no file appeared, and a secret file's content never comes back.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import duckdb
import pytest
from test_warehouse_fixtures import build_warehouse, table_checksums

from vnreport.warehouse import query

SECRET = "mat-khau-quan-tri-7731"


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("wh") / "warehouse.duckdb")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("files")
    (d / "bi_mat.csv").write_text(f"k,v\nsecret,{SECRET}\n", encoding="utf-8")
    (d / "bi_mat.txt").write_text(SECRET, encoding="utf-8")
    return d


def sums(path) -> str:
    """The file's bytes: a read-only session must not change a single one."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_fixture_warehouse_has_rows(wh):
    with duckdb.connect(str(wh), read_only=True) as con:
        assert int(table_checksums(con)["facts"].split(":")[0]) > 0


ADVERSARIAL = [
    # writes hidden by comments, case, whitespace and statement stacking
    "/* harmless */ DELETE FROM facts",
    "-- comment\nDELETE FROM facts",
    "SELECT 1; -- then\n DROP TABLE facts",
    "SELECT 1;DELETE/**/FROM facts",
    "sElEcT 1;\n\n\tuPdAtE facts SET value = 0",
    "SELECT 1 /* ; */ ; INSERT INTO sources VALUES ('x', 'y')",
    "WITH x AS (SELECT 1) DELETE FROM facts",
    "WITH x AS (SELECT 1) INSERT INTO sources SELECT 'x', 'y' FROM x",
    "WITH x AS (SELECT 1) UPDATE facts SET value = 0",
    "CREATE TEMP TABLE t AS SELECT * FROM facts",
    "CREATE OR REPLACE VIEW latest_metric AS SELECT 1",
    "CREATE MACRO m(x) AS x",
    "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')",
    "ALTER TABLE facts ADD COLUMN x INT",
    "TRUNCATE facts",
    "VACUUM",
    "CHECKPOINT",
    "FORCE CHECKPOINT",
    "PREPARE p AS DELETE FROM facts; EXECUTE p",
    "EXECUTE p",
    "BEGIN TRANSACTION; DELETE FROM facts; COMMIT",
    # escapes from the sandbox
    "ATTACH ':memory:' AS m",
    "ATTACH 'other.duckdb' (READ_ONLY)",
    "DETACH warehouse",
    "USE memory",
    "COPY facts TO 'out.csv'",
    "COPY (SELECT 1) TO '/dev/stdout'",
    "COPY facts FROM 'in.csv'",
    "EXPORT DATABASE 'dump'",
    "IMPORT DATABASE 'dump'",
    "INSTALL httpfs",
    "FORCE INSTALL httpfs",
    "LOAD httpfs",
    "LOAD '/tmp/evil.duckdb_extension'",
    "SET enable_external_access = true",
    "SET GLOBAL enable_external_access = true",
    "RESET lock_configuration",
    "SET VARIABLE x = 1",
    "SET memory_limit = '1GB'",
    "SET threads = 1",
    "CALL enable_external_access()",
    "CALL checkpoint()",
    "CALL force_checkpoint()",
    "PRAGMA enable_profiling",
    "PRAGMA profiling_output = 'prof.json'",
    "PRAGMA import_database('dump')",
    "PRAGMA copy_database('warehouse', 'other')",
    "PRAGMA enable_checkpoint_on_shutdown",
    "EXPLAIN ANALYZE DELETE FROM facts",
    "EXPLAIN COPY facts TO 'x.csv'",
    "DESCRIBE DELETE FROM facts",
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("sql", ADVERSARIAL)
@pytest.mark.parametrize("allow_files", [False, True])
def test_writes_and_escapes_are_refused_however_spelt(wh, tmp_path, sql, allow_files):
    before = sums(wh)
    cwd = os.getcwd()
    os.chdir(tmp_path)  # relative targets (out.csv, dump) would land here
    try:
        with pytest.raises((query.QueryRefused, duckdb.Error)):
            query.run_query(wh, sql, allow_files=allow_files)
    finally:
        os.chdir(cwd)
    assert sums(wh) == before
    assert not list(tmp_path.iterdir())
    assert not wh.with_name(wh.name + ".wal").exists()


FILE_READS = [
    "SELECT * FROM '{d}/bi_mat.csv'",
    "FROM '{d}/bi_mat.csv'",
    "SELECT * FROM/**/'{d}/bi_mat.csv'",
    'SELECT * FROM "{d}/bi_mat.csv"',
    "SELECT * FROM read_csv('{d}/bi_mat.csv')",
    "SELECT * FROM READ_CSV ( '{d}/bi_mat.csv' )",
    "SELECT * FROM read_csv/**/('{d}/bi_mat.csv')",
    "SELECT * FROM read_csv(['{d}/bi_mat.csv'])",
    "SELECT * FROM read_csv('{d}/*.csv')",
    "SELECT * FROM sniff_csv('{d}/bi_mat.csv')",
    "SELECT * FROM read_text('{d}/bi_mat.txt')",
    "SELECT * FROM read_blob('{d}/bi_mat.txt')",
    "SELECT * FROM read_json_objects('{d}/bi_mat.txt')",
    "SELECT * FROM glob('{d}/*')",
    "SELECT (SELECT content FROM read_text('{d}/bi_mat.txt'))",
    "SELECT * FROM facts WHERE EXISTS (SELECT * FROM read_text('{d}/bi_mat.txt'))",
    "WITH a AS (WITH b AS (SELECT * FROM read_text('{d}/bi_mat.txt')) SELECT * FROM b) "
    "SELECT * FROM a",
    "SELECT * FROM facts UNION ALL BY NAME SELECT * FROM '{d}/bi_mat.csv'",
    "SELECT * FROM query_table('{d}/bi_mat.csv')",
    "SELECT * FROM query('SELECT * FROM read_text(''{d}/bi_mat.txt'')')",
    "SUMMARIZE SELECT * FROM '{d}/bi_mat.csv'",
    "DESCRIBE SELECT * FROM read_text('{d}/bi_mat.txt')",
    "SHOW SELECT * FROM '{d}/bi_mat.csv'",
    "EXPLAIN SELECT * FROM read_text('{d}/bi_mat.txt')",
    "PIVOT '{d}/bi_mat.csv' ON k IN ('secret') USING first(v)",
    "SELECT getenv('HOME')",
    "SELECT * FROM duckdb_secrets()",
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("sql", FILE_READS)
def test_file_reads_and_environment_need_the_flag(wh, files, sql):
    sql = sql.format(d=files)
    try:
        _, rows = query.run_query(wh, sql)
    except (query.QueryRefused, duckdb.Error):
        return
    shown = repr(rows)
    assert SECRET not in shown and str(os.environ.get("HOME", "/root")) not in shown, rows


def test_the_flag_lets_file_reads_through_but_still_no_writes(wh, files, tmp_path):
    _, rows = query.run_query(wh, f"SELECT v FROM '{files}/bi_mat.csv'", allow_files=True)
    assert rows == [(SECRET,)]
    with pytest.raises((query.QueryRefused, duckdb.Error)):
        query.run_query(wh, f"COPY (SELECT 1) TO '{tmp_path}/x.csv'", allow_files=True)
    assert not list(tmp_path.iterdir())


def test_cli_refuses_stacked_write_and_leaves_the_warehouse(wh):
    before = sums(wh)
    res = subprocess.run(
        [sys.executable, "-m", "vnreport.flows.cli", "query", "SELECT 1; DELETE FROM facts",
         "--warehouse", str(wh)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert res.returncode != 0
    assert "DELETE" in res.stderr + res.stdout and "Traceback" not in res.stderr
    assert sums(wh) == before
