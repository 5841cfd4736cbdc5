"""Validation in chunks: the verdicts do not depend on the chunk size, the spill path agrees
with the in-memory one, and an unchanged suite is not written again.

The facts are those of test_expectations_validate (every check family planted), plus
pairs of documents that only fail together: a subordinate number whose parent total
is stated in another document of the same organization, and a member count that
jumps between two documents' periods.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
from test_expectations_validate import (
    DUPLICATES,
    HISTORY,
    PLANTED,
    RUN_ID,
    SEED_FACTS,
    SUPPORT,
    WARNED,
    fact,
    report,
)

from vnreport.expectations.validate import validate_run, validate_spill
from vnreport.transforms import batch as batching
from vnreport.transforms.normalize import DOCUMENT_SCHEMA, FACT_SCHEMA, REPORT_SCHEMA
from vnreport.warehouse.load import load_run

ACROSS = [
    fact("x1-parent", "x1", "party_members", 1000, organization="Đảng bộ Khối X"),
    fact(
        "x2-child", "x2", "party_members", 1500, organization="Đảng bộ Khối X", subject="Chi bộ A"
    ),
    fact("y1-2023", "y1", "party_members", 1000, organization="Đảng bộ Khối Y", period="2023"),
    fact("y2-2024", "y2", "party_members", 2100, organization="Đảng bộ Khối Y", period="2024"),
    fact("z-dup", "z1", "inspections", 3),
    fact("z-dup", "z2", "inspections", 4),
]


def frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    rows = SEED_FACTS + [r for r, _ in PLANTED.values()] + SUPPORT + DUPLICATES + [WARNED]
    # The two documents of each cross-document pair far apart in the input.
    first, last = ACROSS[0::2], ACROSS[1::2]
    facts = pl.DataFrame(first + rows + last, schema=FACT_SCHEMA)
    docs = sorted(set(facts["doc_id"].to_list()))
    reports = pl.DataFrame(
        [report(d) for d in docs]
        + [report("bad-report", meeting_date="2024-13-01", report_type="annual")],
        schema=REPORT_SCHEMA,
    )
    return facts, reports


def outputs(v) -> dict:
    return {
        "facts": v.facts.sort("fact_id", "value", nulls_last=True).to_dicts(),
        "reports": v.reports.sort("doc_id").to_dicts(),
        "quarantine": v.quarantine.to_dicts(),
        "issues": v.issues.to_dicts(),
        "dq_results": v.dq_results.to_dicts(),
        "counts": (v.facts_in, v.reports_in, v.facts_ok, v.facts_warned),
    }


def assert_shared_fact_id_held(v) -> None:
    """The fact id found in two documents: both held, under distinct record ids."""
    q = {r["record_id"]: r["reasons"] for r in v.quarantine.to_dicts()}
    dups = [k for k in q if k.startswith("z-dup")]
    assert len(dups) == 2
    assert all(any(r.startswith("facts.unique[fact_id]") for r in q[k]) for k in dups)


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    facts, reports = frames()
    root = tmp_path_factory.mktemp("whole")
    return validate_run(facts, reports, run_id=RUN_ID, dq_root=root, history=HISTORY)


def test_cross_document_checks_hold_in_one_chunk(whole):
    q = {r["record_id"]: r["reasons"] for r in whole.quarantine.to_dicts()}
    assert any(r.startswith("facts.subordinate_within_parent") for r in q["x2-child"])
    warned = whole.facts.filter(pl.col("fact_id").is_in(["y1-2023", "y2-2024"]))
    assert warned["dq_status"].to_list() == ["warn", "warn"]
    assert_shared_fact_id_held(whole)


@pytest.mark.parametrize("chunk_rows", [1, 25])
def test_chunk_size_changes_nothing(whole, tmp_path, chunk_rows):
    facts, reports = frames()
    chunked = validate_run(
        facts, reports, run_id=RUN_ID, dq_root=tmp_path, history=HISTORY, chunk_rows=chunk_rows
    )
    assert outputs(chunked) == outputs(whole)
    # one validation result per chunk and suite, each named after the run and its chunk
    results = list((tmp_path / "gx" / "uncommitted" / "validations" / "facts").iterdir())
    assert len(results) > 1
    assert all(p.name.startswith(f"{RUN_ID}-part-") for p in results)
    assert Path(chunked.data_docs_index).is_file()


def _spill(root: Path, facts: pl.DataFrame, reports: pl.DataFrame, per_batch: int):
    """The frames spilled the way the flow spills them, a few documents per batch."""
    spill = batching.Spill(root)
    docs = sorted(set(reports["doc_id"].to_list()) | set(facts["doc_id"].to_list()))
    for i in range(0, len(docs), per_batch):
        ids = docs[i : i + per_batch]
        documents = pl.DataFrame(
            [
                {"doc_id": d, "source": "t", "uri": f"file:///{d}", "content_hash": d,
                 "text": "x" * 4000, "text_length": 4000, "extractor_version": "test-1"}
                for d in ids
            ],
            schema_overrides={k: v for k, v in DOCUMENT_SCHEMA.items()},
        ).select([pl.col(c) if c in ("doc_id", "source", "uri", "content_hash", "text",
                                      "text_length", "extractor_version")
                  else pl.lit(None, dtype=t).alias(c) for c, t in DOCUMENT_SCHEMA.items()])  # fmt: skip
        spill.add(
            batching.BatchFrames(
                documents=documents.cast(DOCUMENT_SCHEMA),
                reports=reports.filter(pl.col("doc_id").is_in(ids)),
                facts=facts.filter(pl.col("doc_id").is_in(ids)),
            )
        )
    return spill


def _validate_spilled(tmp_path: Path, facts, reports, per_batch: int, **options):
    """The frames spilled `per_batch` documents a batch, then validated from the spill as
    the flow does it; returns (spill, validation)."""
    spill = _spill(tmp_path / "spill", facts, reports, per_batch=per_batch)
    return spill, validate_spill(
        spill.root,
        run_id=RUN_ID,
        dq_root=tmp_path / "dq",
        facts_dir=tmp_path / "validated",
        history=HISTORY,
        **options,
    )


def test_spill_validation_and_load_match_in_memory(whole, tmp_path):
    facts, reports = frames()
    # every document's rows together in the input, as the spill keeps them
    order = facts["doc_id"].unique(maintain_order=True).to_list()
    spill, v = _validate_spilled(tmp_path, facts, reports, 3, exclude=["p9"], chunk_rows=10)
    assert v.facts.height == 0 and len(v.facts_files) > 1
    loadable = pl.read_parquet(v.facts_files)
    keep = [d for d in order if d != "p9"]
    ref = validate_run(
        facts.filter(pl.col("doc_id").is_in(keep)),
        reports.filter(pl.col("doc_id") != "p9"),
        run_id=RUN_ID,
        dq_root=tmp_path / "dq-ref",
        history=HISTORY,
    )
    assert sorted(loadable["fact_id"].to_list()) == sorted(ref.facts["fact_id"].to_list())
    assert loadable.sort("fact_id").to_dicts() == ref.facts.sort("fact_id").to_dicts()
    assert sorted(v.quarantine["record_id"].to_list()) == sorted(ref.quarantine["record_id"])
    by_rule = {r["expectation"]: r for r in v.dq_results.to_dicts()}
    for r in ref.dq_results.to_dicts():
        got = by_rule[r["expectation"]]
        assert (got["success"], got["unexpected_count"]) == (r["success"], r["unexpected_count"])
    assert (v.facts_ok, v.facts_warned) == (ref.facts_ok, ref.facts_warned)

    # the load reads the validated Parquet in its one transaction
    documents = spill.frame("documents", exclude=["p9"])
    args = dict(
        run={"run_id": RUN_ID, "status": "completed"},
        documents=documents,
        reports=v.reports,
        quarantine=v.quarantine,
        dq_results=v.dq_results,
        failures=[],
    )
    from_frame = load_run(tmp_path / "frame.duckdb", facts=loadable, **args)
    args["documents"] = None
    from_files = load_run(
        tmp_path / "files.duckdb",
        facts=None,
        facts_files=v.facts_files,
        documents_files=sorted(spill.root.glob("documents-*.parquet")),
        exclude_documents={"p9"},
        **args,
    )
    assert from_files == from_frame and from_files["facts_loaded"] == loadable.height

    def table(db, sql):
        con = duckdb.connect(str(db), read_only=True)
        try:
            return con.sql(sql).fetchall()
        finally:
            con.close()

    for sql in (
        "SELECT * EXCLUDE (org_id) FROM facts ORDER BY fact_id",
        "SELECT * EXCLUDE (first_seen_run, loaded_run) FROM documents ORDER BY doc_id",
    ):
        assert table(tmp_path / "files.duckdb", sql) == table(tmp_path / "frame.duckdb", sql)
    assert "p9" not in {
        r[0] for r in table(tmp_path / "files.duckdb", "SELECT doc_id FROM documents")
    }


def test_unchanged_rules_leave_the_stored_suite_alone(tmp_path):
    facts = pl.DataFrame(SEED_FACTS[:4], schema=FACT_SCHEMA)
    reports = pl.DataFrame([report("s2")], schema=REPORT_SCHEMA)
    validate_run(facts, reports, run_id=RUN_ID, dq_root=tmp_path)
    stored = [
        tmp_path / "gx" / "expectations" / "facts.json",
        tmp_path / "gx" / "expectations" / "reports.json",
        tmp_path / "gx" / "validation_definitions" / "facts.json",
    ]
    before = [(p.stat().st_mtime_ns, p.read_bytes()) for p in stored]
    other_run = "20261122T010000Z-test02"
    second = validate_run(
        facts.with_columns(pl.lit(other_run).alias("run_id")),
        reports,
        run_id=other_run,
        dq_root=tmp_path,
    )
    assert [(p.stat().st_mtime_ns, p.read_bytes()) for p in stored] == before
    # the run id is a parameter of the stored suite: this run's facts pass, the old id fails
    assert second.quarantine.height == 0
    stale = validate_run(facts, reports, run_id=other_run, dq_root=tmp_path)
    assert stale.quarantine.height == facts.height
    assert all(
        any(r.startswith("facts.run_id") for r in reasons)
        for reasons in stale.quarantine["reasons"].to_list()
    )


def test_changed_rules_replace_the_stored_suite(tmp_path):
    facts = pl.DataFrame(SEED_FACTS[:2], schema=FACT_SCHEMA)
    reports = pl.DataFrame([report("s2")], schema=REPORT_SCHEMA)
    validate_run(facts, reports, run_id=RUN_ID, dq_root=tmp_path)
    path = tmp_path / "gx" / "expectations" / "facts.json"
    before = path.read_text(encoding="utf-8")
    catalog = {
        "new_members_admitted": {"unit": "person", "min": 0, "max": 50},
        "new_party_orgs_established": {"unit": "org", "min": 0, "max": 100},
    }
    v = validate_run(facts, reports, run_id=RUN_ID, dq_root=tmp_path, catalog=catalog)
    assert path.read_text(encoding="utf-8") != before
    # the new range holds 69 admissions back
    assert "s2-adm" in v.quarantine["record_id"].to_list()


def test_no_validated_chunk_stays_in_memory_after_the_run(tmp_path):
    """Great Expectations' pandas engine outlives the run (the data source keeps it) and
    kept the last chunk of each suite, a large frame through the load and the report."""
    import gc

    from great_expectations.execution_engine import PandasExecutionEngine

    facts, reports = frames()
    validate_run(facts, reports, run_id=RUN_ID, dq_root=tmp_path, history=HISTORY, chunk_rows=5)
    gc.collect()
    engines = [o for o in gc.get_objects() if isinstance(o, PandasExecutionEngine)]
    assert engines  # what this test looks at is still there
    assert [len(e.batch_manager.batch_data_cache) for e in engines] == [0] * len(engines)


def test_shared_keys_link_each_later_batch_to_the_first():
    import numpy as np

    from vnreport.expectations.validate import _shared_keys

    per_batch = [np.array(a, dtype=np.uint64) for a in ([1, 2], [3], [4, 2], [2], [4], [])]
    assert sorted(_shared_keys(per_batch)) == [(0, 2), (0, 3), (2, 4)]
    assert _shared_keys([np.array([1, 2], dtype=np.uint64), np.array([3], dtype=np.uint64)]) == []
    assert _shared_keys([]) == []


def test_batches_sharing_a_fact_id_are_validated_in_one_chunk(tmp_path):
    """One document per spilled batch and one batch per chunk: only the link between the
    two batches that share a fact id brings them together, and the duplicate is held."""
    facts, reports = frames()
    _, v = _validate_spilled(tmp_path, facts, reports, 1, chunk_rows=1)
    assert_shared_fact_id_held(v)
