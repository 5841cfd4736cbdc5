"""Opening a v1 warehouse (the first cut's DDL, with rows) upgrades it in place."""

from __future__ import annotations

import duckdb
import pytest
from test_warehouse_fixtures import batch, corpus

from vnreport.warehouse import db
from vnreport.warehouse.load import fact_history, known_documents, load_run


def _v1_file(path):
    """A warehouse as v1 left it: v1 DDL only, rows inserted the way v1 loaded them."""
    b = batch(corpus()[:5], "old-run")
    con = duckdb.connect(str(path))
    con.execute(db.sql_text("migrations/001_initial.sql"))
    con.execute("INSERT INTO schema_version (version, description) VALUES (1, 'first cut')")
    con.register("d", b.documents.to_arrow())
    con.register("r", b.reports.to_arrow())
    con.register("f", b.facts.to_arrow())
    con.execute(
        "INSERT INTO documents SELECT doc_id, source, uri, content_hash, title, "
        "CAST(published_date AS DATE), site, text, text_length, extractor_version, NULL, "
        "'old-run', 'old-run' FROM d"
    )
    con.execute("INSERT INTO sources VALUES ('local', 'old-run')")
    con.execute(
        "INSERT INTO reports SELECT doc_id, title, organization, province, district, period, "
        "report_type, CAST(meeting_date AS DATE), CAST(published_date AS DATE), source_name, "
        "inferred FROM r"
    )
    con.execute(
        "INSERT INTO facts SELECT fact_id, doc_id, metric, value, unit, qualifier, denominator, "
        'pct, scope, subject, label, evidence, "start", "end", doc_length, organization, '
        "period, report_type, extractor_version, run_id, dq_status, dq_warnings FROM f"
    )
    con.execute(
        "INSERT INTO runs (run_id, status, facts_loaded) VALUES ('old-run', 'completed', ?)",
        [b.facts.height],
    )
    con.execute(
        "INSERT INTO quarantine VALUES ('q1', 'fact', 'lb_2021', 'old-run', ['too big'], '{}')"
    )
    con.execute("INSERT INTO metric_catalog VALUES ('party_members', 'person', 'members')")
    counts = {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
        for t in ("documents", "reports", "facts", "runs", "quarantine", "sources")
    }
    con.close()
    return counts


def test_v1_file_is_upgraded_in_place_without_losing_rows(tmp_path):
    path = tmp_path / "old.duckdb"
    before = _v1_file(path)
    assert db.needs_upgrade(path)

    db.ensure_current(path)

    con = duckdb.connect(str(path), read_only=True)
    try:
        assert db.schema_version(con) == db.SCHEMA_VERSION
        for table, n in before.items():
            assert con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] == n, table
        # New columns exist and are filled where v2 knows how.
        assert con.execute("SELECT released FROM quarantine").fetchall() == [(False,)]
        assert con.execute("SELECT count(*) FROM facts WHERE org_id IS NULL").fetchall() == [(0,)]
        orgs = con.execute(
            "SELECT canonical_name, district FROM organizations ORDER BY 1"
        ).fetchall()
        assert orgs == [
            ("Đảng bộ Khối Doanh nghiệp quận Long Biên", "Long Biên"),
            ("Đảng ủy khối doanh nghiệp quận Tây Hồ", "Tây Hồ"),
        ]
        # The views work on the upgraded data.
        assert con.execute("SELECT count(*) FROM latest_metric").fetchall()[0][0] > 0
        versions = con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
        assert versions == [(m.version,) for m in db.MIGRATIONS]
    finally:
        con.close()


def test_reading_a_v1_file_for_a_run_upgrades_it_first(tmp_path):
    """The flow's first reads (known documents, fact history) upgrade an old file and
    read it at the current schema: the history query needs v2's alias table."""
    path = tmp_path / "old.duckdb"
    before = _v1_file(path)
    assert len(known_documents(path)) == before["documents"]
    assert not db.needs_upgrade(path)
    assert fact_history(path).height > 0
    assert len(known_documents(path)) == before["documents"]


def test_loading_into_a_v1_file_upgrades_then_loads(tmp_path):
    path = tmp_path / "old.duckdb"
    _v1_file(path)
    counts = load_run(path, **batch(corpus(), "new-run").kwargs())
    assert counts["documents_unchanged"] == 5 and counts["documents_new"] == 5
    assert len(known_documents(path)) == 10
    con = duckdb.connect(str(path), read_only=True)
    try:
        # Old and new documents of the same block resolve to one organization.
        n = con.execute(
            "SELECT count(DISTINCT org_id) FROM facts WHERE doc_id LIKE 'lb_%'"
        ).fetchall()
        assert n == [(1,)]
    finally:
        con.close()


def test_a_newer_file_is_refused(tmp_path):
    path = tmp_path / "new.duckdb"
    load_run(path, **batch(corpus()[:1], "r").kwargs())
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_version (version, description) VALUES (99, 'future')")
    con.close()
    with pytest.raises(db.WarehouseError, match="newer than this code"):
        load_run(path, **batch(corpus()[:1], "r2").kwargs())


def test_a_file_that_is_not_a_warehouse_is_refused(tmp_path):
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE customers (id INTEGER)")
    con.close()
    with pytest.raises(db.WarehouseError, match="not a vnreport warehouse"):
        db.ensure_current(path)
