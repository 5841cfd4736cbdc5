"""load_run against a real DuckDB file: idempotence, atomic replacement, quarantine, failures."""

from __future__ import annotations

import dataclasses
import shutil

import duckdb
import polars as pl
import pytest
from test_warehouse_fixtures import batch, block_review, corpus, table_checksums

from vnreport.records import Failure
from vnreport.warehouse import db
from vnreport.warehouse.load import LoadError, fact_history, known_documents, load_run


def _checksums(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return table_checksums(con)
    finally:
        con.close()


def _rows(path, sql, params=()):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def loaded_once(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "warehouse.duckdb"
    counts = load_run(path, **batch(corpus(), "run-1").kwargs())
    assert counts["documents_new"] == 10 and counts["facts_loaded"] > 90
    return path


@pytest.fixture
def wh(loaded_once, tmp_path):
    """A fresh copy of the loaded warehouse for each test (a closed DuckDB file copies whole)."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(loaded_once, path)
    return path


def test_rerun_over_same_inputs_changes_nothing_but_the_run_log(wh):
    before = _checksums(wh)
    counts = load_run(wh, **batch(corpus(), "run-2").kwargs())
    after = _checksums(wh)
    assert counts["documents_unchanged"] == 10
    assert counts["facts_loaded"] == 0 and counts["facts_deleted"] == 0
    changed = {t for t in before if before[t] != after[t]}
    assert changed == {"runs"}
    # The run log grew by exactly this run; it validated nothing, so it adds no dq_results.
    assert _rows(wh, "SELECT run_id FROM runs ORDER BY 1") == [("run-1",), ("run-2",)]
    assert _rows(wh, "SELECT run_id, count(*) FROM dq_results GROUP BY 1") == [("run-1", 3)]
    # Loading the very same run again leaves even the run log alone.
    load_run(wh, **batch(corpus(), "run-2").kwargs())
    assert _checksums(wh) == after


def test_load_is_deterministic_across_files(tmp_path):
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    load_run(a, **batch(corpus(), "run-1").kwargs())
    load_run(b, **batch(list(reversed(corpus())), "run-1").kwargs())
    ca, cb = _checksums(a), _checksums(b)
    ca.pop("schema_version"), cb.pop("schema_version")  # applied_at differs
    assert ca == cb


def test_changed_document_replaces_its_facts_and_leaves_others(wh):
    others_before = _rows(
        wh, "SELECT fact_id, value FROM facts WHERE doc_id <> 'th_2023' ORDER BY fact_id"
    )
    edited = block_review(
        "th_2023", "Đảng ủy khối doanh nghiệp quận Tây Hồ", "Hà Nội", "Tây Hồ", 2023,
        690, 36, 33, 30, 110.0, 3650.0, 171.0, 8.0,
    )  # fmt: skip
    counts = load_run(wh, **batch([edited], "run-2").kwargs())
    assert counts["documents_changed"] == 1 and counts["documents_new"] == 0
    assert counts["facts_deleted"] == counts["facts_loaded"] == 10
    members = _rows(
        wh, "SELECT value, run_id FROM facts WHERE doc_id = 'th_2023' AND metric = 'party_members'"
    )
    assert members == [(690.0, "run-2")]
    assert _rows(wh, "SELECT count(*) FROM facts WHERE doc_id = 'th_2023'") == [(10,)]
    assert (
        _rows(wh, "SELECT fact_id, value FROM facts WHERE doc_id <> 'th_2023' ORDER BY fact_id")
        == others_before
    )
    doc = _rows(wh, "SELECT first_seen_run, loaded_run FROM documents WHERE doc_id = 'th_2023'")
    assert doc == [("run-1", "run-2")]
    # known_documents reports the new hash, so tomorrow's flow skips it.
    assert known_documents(wh)["th_2023"][0] == batch([edited], "x").documents["content_hash"][0]


def test_new_extractor_version_reprocesses_an_unchanged_text(wh):
    counts = load_run(wh, **batch(corpus()[:2], "run-2", extractor="test-2").kwargs())
    assert counts["documents_changed"] == 2
    rows = _rows(wh, "SELECT DISTINCT extractor_version FROM facts WHERE doc_id = 'lb_2021'")
    assert rows == [("test-2",)]


def test_failure_mid_load_leaves_the_previous_state(wh):
    before = _checksums(wh)
    edited = block_review(
        "lb_2021", "Đảng bộ Khối Doanh nghiệp quận Long Biên", "Hà Nội", "Long Biên", 2021,
        9999, 58, 41, 40, 102.5, 9120.5, 402.3, 7.85,
    )  # fmt: skip
    b = batch([edited], "run-2")
    # The run row is written last, after documents, reports and facts were replaced:
    # a timestamp DuckDB cannot read makes the load fail at the very end.
    b.run["finished_at"] = "the night of the 2nd"
    with pytest.raises(duckdb.ConversionException):
        load_run(wh, **b.kwargs())
    assert _checksums(wh) == before
    assert not (wh.parent / (wh.name + ".next")).exists()
    assert _rows(wh, "SELECT max(value) FROM facts WHERE metric = 'party_members'") == [(4105.0,)]


def test_quarantined_records_are_released_when_the_document_passes_later(wh):
    arts = corpus()
    bad = dataclasses.replace(arts[4], quarantined=[1, 2])  # th_2021: two facts held back
    load_run(wh, **batch([bad], "run-2", extractor="test-2").kwargs())
    q = _rows(wh, "SELECT record_type, run_id, released FROM quarantine ORDER BY record_id")
    assert q == [("fact", "run-2", False), ("fact", "run-2", False)]
    assert _rows(wh, "SELECT count(*) FROM facts WHERE doc_id = 'th_2021'") == [(8,)]
    reasons = _rows(wh, "SELECT reasons FROM quarantine LIMIT 1")[0][0]
    assert reasons and "value_in_range" in reasons[0]

    # The same document again, still failing: nothing changes for its quarantine rows.
    load_run(wh, **batch([bad], "run-2b", extractor="test-2").kwargs())
    assert _rows(wh, "SELECT count(*), bool_or(released) FROM quarantine") == [(2, False)]

    # A new extractor version processes it again and everything passes: released.
    counts = load_run(wh, **batch([arts[4]], "run-3", extractor="test-3").kwargs())
    assert counts["quarantine_released"] == 2
    assert _rows(wh, "SELECT DISTINCT released, released_run FROM quarantine") == [(True, "run-3")]
    assert _rows(wh, "SELECT count(*) FROM facts WHERE doc_id = 'th_2021'") == [(10,)]
    summary = _rows(
        wh, "SELECT records_quarantined, records_released FROM dq_summary ORDER BY run_id"
    )
    assert summary == [(0, 0), (2, 0), (0, 0), (0, 2)]


def test_failures_are_kept_and_resolved_when_the_document_loads(wh):
    fail = Failure("kcn_2024", "/data/articles/kcn_2024.html", "clean", "no main text found")
    counts = load_run(wh, **batch([], "run-2", failures=[fail, fail]).kwargs())
    assert counts["failures_added"] == 1
    load_run(wh, **batch([], "run-3", failures=[fail]).kwargs())
    assert _rows(wh, "SELECT doc_id, stage, run_id, resolved_run FROM failures") == [
        ("kcn_2024", "clean", "run-2", None)
    ]
    fixed = block_review(
        "kcn_2024", "Đảng ủy các KCN tỉnh Bắc Ninh", "Bắc Ninh", None, 2024,
        4200, 128, 180, 160, 112.5, 171000.0, 5900.0, 10.3,
    )  # fmt: skip
    counts = load_run(wh, **batch([fixed], "run-4").kwargs())
    assert counts["failures_resolved"] == 1
    assert _rows(wh, "SELECT resolved_run FROM failures") == [("run-4",)]
    # The 2024 review lands on the same organization as the 2022 and 2023 ones.
    orgs = _rows(wh, "SELECT count(DISTINCT org_id) FROM reports WHERE doc_id LIKE 'kcn%'")
    assert orgs == [(1,)]


def test_bad_batches_are_refused_naming_the_documents(wh):
    before = _checksums(wh)
    b = batch(corpus()[:2], "run-2")
    with pytest.raises(LoadError, match="lb_2022"):
        load_run(wh, **dataclasses.replace(b, documents=b.documents.head(1)).kwargs())
    shifted = b.facts.with_columns(
        pl.when(pl.col("doc_id") == "lb_2021").then(pl.col("end") + 100_000).otherwise("end")
    )
    with pytest.raises(LoadError, match="lb_2021.*offsets"):
        load_run(wh, **dataclasses.replace(b, facts=shifted).kwargs())
    dup = pl.concat([b.facts, b.facts.head(1)])
    with pytest.raises(LoadError, match="duplicate fact_id"):
        load_run(wh, **dataclasses.replace(b, facts=dup).kwargs())
    no_metric = b.facts.with_columns(
        pl.when(pl.col("doc_id") == "lb_2022").then(None).otherwise("metric").alias("metric")
    )
    with pytest.raises(LoadError, match="lb_2022: metric is missing"):
        load_run(wh, **dataclasses.replace(b, facts=no_metric).kwargs())
    bad_date = b.reports.with_columns(pl.lit("30/3/2024").alias("meeting_date"))
    with pytest.raises(LoadError, match="meeting_date.*lb_2021"):
        load_run(wh, **dataclasses.replace(b, reports=bad_date).kwargs())
    assert _checksums(wh) == before


def test_every_table_view_and_column_is_commented(wh):
    missing = _rows(
        wh,
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND NOT internal AND (comment IS NULL OR comment = '') "
        "ORDER BY ALL",
    )
    assert missing == []
    uncommented = _rows(
        wh,
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND comment IS NULL "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' "
        "AND NOT internal AND comment IS NULL",
    )
    assert uncommented == []
    tables = {r[0] for r in _rows(wh, "SELECT table_name FROM duckdb_tables()")}
    assert {"sources", "documents", "reports", "organizations", "org_aliases", "facts",
            "metric_catalog", "runs", "dq_results", "quarantine", "failures",
            "schema_version"} <= tables  # fmt: skip


def test_views_keep_subordinate_and_context_facts_out_of_own_numbers(wh):
    # lb_2022 names a subordinate committee's 212 members and a plan for next year.
    own = _rows(
        wh,
        "SELECT value FROM metric_timeseries WHERE metric = 'party_members' AND period = '2022' "
        "AND district = 'Long Biên'",
    )
    assert own == [(1236.0,)]
    kept_apart = "SELECT count(*) FROM facts WHERE scope = 'context' OR subject IS NOT NULL"
    assert _rows(wh, kept_apart)[0][0] == 21  # next year's plans, the province's index, ...
    for view in ("org_facts", "latest_metric", "metric_timeseries", "plan_attainment"):
        mixed = _rows(
            wh,
            f"SELECT count(*) FROM {view} v JOIN ({kept_apart.replace('count(*)', 'fact_id')}) USING (fact_id)",
        )
        assert mixed == [(0,)], view
    sub = _rows(wh, "SELECT subject, value FROM subordinate_facts")
    assert sub == [("Đảng bộ Công ty cổ phần Gang thép Long Biên", 212.0)]
    latest = _rows(
        wh,
        "SELECT organization, value, period FROM latest_metric WHERE metric = 'party_members' "
        "ORDER BY organization",
    )
    assert [(r[1], r[2]) for r in latest] == [
        (2210.0, "2023"), (1310.0, "2024-Q1"), (4105.0, "2023"), (671.0, "2023"),
    ]  # fmt: skip


def test_provenance_offsets_point_at_the_evidence(wh):
    rows = _rows(wh, "SELECT count(*), count_if(evidence_matches), count(uri) FROM fact_provenance")
    n, matching, with_uri = rows[0]
    assert n > 90 and matching == n and with_uri == n


def test_plan_attainment_flags_a_stated_rate_that_does_not_follow(wh):
    rows = _rows(
        wh,
        "SELECT doc_id, computed_pct, stated_pct FROM plan_attainment "
        "WHERE NOT stated_pct_consistent ORDER BY doc_id",
    )
    assert rows == [("th_2022", 124.0, 131.0)]


def test_fact_history_lists_values_under_every_spelling(wh):
    hist = fact_history(wh)
    assert hist.columns == ["organization", "metric", "period", "value", "doc_id"]
    lb = hist.filter((pl.col("metric") == "party_members") & (pl.col("period") == "2021"))
    names = set(lb.filter(pl.col("value") == 1180.0)["organization"])
    assert {"Đảng bộ Khối Doanh nghiệp quận Long Biên", "ĐUK DN quận Long Biên"} <= names
    assert hist.filter(pl.col("value") == 212.0).height == 0  # subordinate, not the block's
    assert known_documents(wh.parent / "absent.duckdb") == {}
    assert fact_history(wh.parent / "absent.duckdb").height == 0


def test_catalog_is_mirrored_into_metric_catalog(wh):
    rows = _rows(wh, "SELECT unit FROM metric_catalog WHERE code = 'party_members'")
    assert rows == [("person",)]
    assert _rows(wh, "SELECT max(version) FROM schema_version") == [(db.SCHEMA_VERSION,)]


def test_texts_larger_than_the_load_memory_limit_load_and_reload(tmp_path, monkeypatch):
    """A run's texts, read from Parquet, may exceed DuckDB's memory limit many times over:
    new documents stream in, and changed ones are replaced, keeping when they were first seen."""
    from vnreport.warehouse import load as load_mod

    monkeypatch.setattr(load_mod, "LOAD_MEMORY_LIMIT", "64MB")
    base = batch(corpus(), "run-1")
    n = 8000  # about 100 MB of text
    para = "Đảng bộ đã lãnh đạo hoàn thành các chỉ tiêu, kết nạp đảng viên mới đạt kế hoạch. "

    def docs(version: str) -> pl.DataFrame:
        ids = [f"bulk_{i:05d}" for i in range(n)]
        texts = [f"{d} {version} " + para * 150 for d in ids]
        return pl.DataFrame(
            {
                "doc_id": ids, "source": "bulk", "uri": [f"/data/bulk/{d}.txt" for d in ids],
                "content_hash": [f"{version}-{d}" for d in ids], "title": None,
                "published_date": None, "site": None, "text": texts,
                "text_length": [len(t) for t in texts], "extractor_version": "t",
                "fetched_at": None,
            },
            schema=base.documents.schema,
        )  # fmt: skip

    path = tmp_path / "warehouse.duckdb"
    for run_id, version in (("run-1", "v1"), ("run-2", "v2")):
        files = []
        frame = docs(version)
        for i in range(0, n, 500):
            files.append(tmp_path / f"{run_id}-documents-{i:05d}.parquet")
            frame.slice(i, 500).write_parquet(files[-1])
        kwargs = batch([], run_id).kwargs() | {"documents": None, "documents_files": files}
        counts = load_run(path, **kwargs)
        key = "documents_new" if run_id == "run-1" else "documents_changed"
        assert counts[key] == n
    rows = _rows(
        path,
        "SELECT count(*), count(DISTINCT doc_id), min(first_seen_run), min(loaded_run), "
        "sum(CASE WHEN text LIKE '% v2 %' THEN 1 ELSE 0 END) FROM documents",
    )
    assert rows == [(n, n, "run-1", "run-2", n)]
