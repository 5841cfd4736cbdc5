"""validate_run end to end with real Great Expectations suites on facts written by hand.

One module-scoped run validates the seeds' consistent numbers together with a
planted inconsistency of every family, so each assertion below reads the same
real result (a run takes a few seconds: Great Expectations is slow to import).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from vnreport.expectations import suites
from vnreport.expectations.validate import (
    DQ_RESULTS_SCHEMA,
    QUARANTINE_SCHEMA,
    summary_markdown,
    validate_run,
)
from vnreport.transforms.catalog import load_catalog
from vnreport.transforms.normalize import FACT_SCHEMA, REPORT_SCHEMA

RUN_ID = "20261121T010000Z-test01"
SPECS = suites.metric_specs(load_catalog())


def fact(fid: str, doc: str, metric: str, value: float | None, **kw) -> dict:
    evidence = kw.pop("evidence", f"{metric} {value}")
    start = kw.pop("start", 100)
    spec = SPECS.get(metric)
    row = {
        "fact_id": fid,
        "doc_id": doc,
        "metric": metric,
        "value": None if value is None else float(value),
        "value_max": None,
        "unit": spec.unit if spec and spec.unit else "count",
        "qualifier": None,
        "denominator": None,
        "pct": None,
        "scope": "org",
        "subject": None,
        "label": None,
        "evidence": evidence,
        "start": start,
        "end": start + len(evidence),
        "doc_length": 4000,
        "organization": f"Đảng bộ {doc}",
        "period": "2024",
        "report_type": "year_end_review",
        "extractor_version": "test-1",
        "run_id": RUN_ID,
    }
    row.update(kw)
    return row


SEED_FACTS = [
    fact("s2-adm", "s2", "new_members_admitted", 69, denominator=48, pct=143.8),
    fact("s2-new", "s2", "new_party_orgs_established", 12, denominator=8, pct=150),
    fact("s2-mem", "s2", "party_members", 796),
    fact("s2-cel", "s2", "party_cells", 72),
    fact("s2-mgr", "s2", "party_member_growth", 383, pct=92.7),
    fact("s2-cgr", "s2", "party_cell_growth", 34, pct=89.5),
    fact("s3-adm", "s3", "new_members_admitted", 6, denominator=5, pct=120),
    fact("s1-org", "s1", "grassroots_party_orgs", 17),
    fact("s1-com", "s1", "grassroots_party_committees", 15),
    fact("s1-cel", "s1", "grassroots_party_cells", 2),
    fact("s1-mem", "s1", "party_members", 1840),
    fact("s1-rev", "s1", "revenue_vnd", 9_605_380_000_000, qualifier="estimated"),
    fact("s1-bud", "s1", "budget_contribution_vnd", 450_000_000_000),
    fact("s1-inc", "s1", "avg_income_vnd_month", 8_120_000),
    fact("s1-oth", "s1", "other", 8, unit="org", denominator=17, label="đơn vị đạt chuẩn văn hóa"),
]
# fact id -> the rule that must send it to quarantine
PLANTED = {
    "p-ratio": (
        fact("p-ratio", "p1", "new_members_admitted", 69, denominator=48, pct=134.8),
        "facts.ratio_matches_pct",
    ),
    "p-growth": (
        fact("p-growth", "p2", "party_member_growth", 383, pct=92.7),
        "facts.growth_matches_stock",
    ),
    "p-parts-total": (
        fact("p-parts-total", "p3", "grassroots_party_orgs", 19),
        "facts.parts_sum_to_total",
    ),
    "p-subject": (
        fact("p-subject", "p4", "party_members", 2150, subject="Đảng bộ Tổng công ty Sông Đà"),
        "facts.subordinate_within_parent",
    ),
    "p-income": (
        fact("p-income", "p5", "avg_income_vnd_month", 8.12),
        "facts.money_magnitude",
    ),
    "p-budget": (
        fact("p-budget", "p6", "budget_contribution_vnd", 450_000_000_000),
        "facts.money_order",
    ),
    "p-huge": (
        fact("p-huge", "p7", "party_members", SPECS["party_members"].max * 10),
        "facts.range[party_members]",
    ),
    "p-millions": (
        fact("p-millions", "p11", "party_members", 5_000_000),
        "facts.members_per_cell",
    ),
    "p-offset": (
        fact("p-offset", "p8", "party_cells", 12, start=3990),
        "facts.end_within_document",
    ),
    "p-negative": (
        fact("p-negative", "p8", "party_cells", 13, start=-4),
        "facts.start_not_negative",
    ),
    "p-blank": (
        fact("p-blank", "p8", "party_cells", 14, evidence="   "),
        "facts.evidence_not_blank",
    ),
    "p-unit": (
        fact("p-unit", "p9", "party_members", 500, unit="vnd"),
        "facts.unit_matches_metric",
    ),
    "p-qualifier": (
        fact("p-qualifier", "p9", "party_cells", 20, qualifier="about"),
        "facts.qualifier_known",
    ),
    "p-null": (fact("p-null", "p9", "party_cells", None), "facts.not_null[value]"),
    "p-metric": (fact("p-metric", "p9", "party_memberz", 20), "facts.metric_in_catalog"),
    "p-period": (fact("p-period", "p9", "inspections", 4, period="2024-Q9"), "facts.period_format"),
}
SUPPORT = [
    fact("p2-stock", "p2", "party_members", 950),  # does not fit 383 at 92,7%
    fact("p3-com", "p3", "grassroots_party_committees", 15),
    fact("p3-cel", "p3", "grassroots_party_cells", 2),
    fact("p4-parent", "p4", "party_members", 1840),
    fact("p6-rev", "p6", "revenue_vnd", 9_605_380_000),  # a lost scale word
    fact("p11-cells", "p11", "party_cells", 72),
]
DUPLICATES = [
    fact("p-dup", "p10", "inspections", 4),
    fact("p-dup", "p10", "inspections", 5),
]
WARNED = fact("w-jump", "w1", "party_members", 3100, organization="Đảng bộ Khu công nghiệp Đại An")
HISTORY = pl.DataFrame(
    {
        "organization": ["Đảng bộ Khu công nghiệp Đại An"],
        "metric": ["party_members"],
        "period": ["2023"],
        "value": [1840.0],
        "doc_id": ["w0"],
    }
)


def report(doc: str, **kw) -> dict:
    row = {
        "doc_id": doc,
        "title": f"Tổng kết công tác xây dựng Đảng năm 2024 ({doc})",
        "organization": f"Đảng bộ {doc}",
        "province": "Hà Nội",
        "district": None,
        "period": "2024",
        "report_type": "year_end_review",
        "meeting_date": "2024-12-20",
        "published_date": "2024-12-21",
        "source_name": "Báo điện tử",
        "inferred": [],
    }
    row.update(kw)
    return row


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    dq_root = tmp_path_factory.mktemp("dq")
    planted_rows = [row for row, _ in PLANTED.values()]
    facts = pl.DataFrame(
        SEED_FACTS + planted_rows + SUPPORT + DUPLICATES + [WARNED], schema=FACT_SCHEMA
    )
    docs = sorted(set(facts["doc_id"].to_list()))
    reports = pl.DataFrame(
        [report(d) for d in docs]
        + [report("bad-report", meeting_date="2024-13-01", report_type="annual")],
        schema=REPORT_SCHEMA,
    )
    validation = validate_run(facts, reports, run_id=RUN_ID, dq_root=dq_root, history=HISTORY)
    return facts, reports, validation, dq_root


def reasons_of(validation, record_id: str) -> list[str]:
    q = validation.quarantine.filter(pl.col("record_id") == record_id)
    assert q.height == 1, f"{record_id} not quarantined"
    return q["reasons"][0].to_list()


def test_seed_numbers_validate_without_false_failures(run):
    _, _, validation, _ = run
    loaded = validation.facts.filter(pl.col("fact_id").is_in([f["fact_id"] for f in SEED_FACTS]))
    assert loaded.height == len(SEED_FACTS)
    assert loaded["dq_status"].to_list() == ["pass"] * len(SEED_FACTS), loaded.filter(
        pl.col("dq_status") != "pass"
    )["dq_warnings"].to_list()


@pytest.mark.parametrize("fact_id", sorted(PLANTED))
def test_planted_inconsistency_is_quarantined_with_its_reason(run, fact_id):
    _, _, validation, _ = run
    expected_rule = PLANTED[fact_id][1]
    reasons = reasons_of(validation, fact_id)
    assert any(r.startswith(expected_rule + ":") for r in reasons), reasons
    assert fact_id not in validation.facts["fact_id"].to_list()


def test_quarantined_record_keeps_the_record_itself(run):
    _, _, validation, _ = run
    row = validation.quarantine.filter(pl.col("record_id") == "p-ratio").row(0, named=True)
    record = json.loads(row["record"])
    assert record["value"] == 69 and record["denominator"] == 48 and record["pct"] == 134.8
    assert record["evidence"] == PLANTED["p-ratio"][0]["evidence"]
    assert row["doc_id"] == "p1" and row["run_id"] == RUN_ID and row["record_type"] == "fact"
    # the reason says what was computed and what the text states
    assert any("69/48 = 143.8%" in r and "134,8" in r for r in reasons_of(validation, "p-ratio"))


def test_every_record_failing_a_cross_record_check_is_held(run):
    _, _, validation, _ = run
    held = set(validation.quarantine["record_id"].to_list())
    # both sides of the broken sums and money pair, not only one of them
    assert {"p3-com", "p3-cel", "p-parts-total", "p6-rev", "p-budget"} <= held
    # the parent of the oversized subordinate is fine
    assert "p4-parent" in validation.facts["fact_id"].to_list()


def test_duplicate_ids_are_both_held_under_distinct_record_ids(run):
    _, _, validation, _ = run
    dups = validation.quarantine.filter(pl.col("record_id").str.starts_with("p-dup"))
    assert dups.height == 2
    assert dups["record_id"].n_unique() == 2
    for reasons in dups["reasons"].to_list():
        assert any(r.startswith("facts.unique[fact_id]") for r in reasons)
    assert sorted(json.loads(r)["value"] for r in dups["record"].to_list()) == [4.0, 5.0]


def test_nothing_is_dropped(run):
    facts, reports, validation, _ = run
    q = validation.quarantine
    assert (
        validation.facts.height + q.filter(pl.col("record_type") == "fact").height == facts.height
    )
    assert (
        validation.reports.height + q.filter(pl.col("record_type") == "report").height
        == reports.height
    )
    assert validation.quarantine["record_id"].n_unique() == validation.quarantine.height


def test_member_jump_is_a_warning_not_a_quarantine(run):
    _, _, validation, _ = run
    row = validation.facts.filter(pl.col("fact_id") == "w-jump").row(0, named=True)
    assert row["dq_status"] == "warn"
    assert any(
        w.startswith("facts.stock_change_across_periods") and "1.840" in w
        for w in row["dq_warnings"]
    )


def test_bad_report_is_quarantined_and_facts_keep_their_shape(run):
    facts, _, validation, _ = run
    reasons = reasons_of(validation, "bad-report")
    assert any(r.startswith("reports.report_dates_plausible") for r in reasons)
    assert any(r.startswith("reports.report_type_known") for r in reasons)
    assert validation.facts.columns == facts.columns + ["dq_status", "dq_warnings"]
    assert "bad-report" not in validation.reports["doc_id"].to_list()


def test_output_frames_follow_the_agreed_schemas(run):
    _, _, validation, _ = run
    assert dict(validation.quarantine.schema) == QUARANTINE_SCHEMA
    assert dict(validation.dq_results.schema) == DQ_RESULTS_SCHEMA
    assert validation.facts.schema["dq_warnings"] == pl.List(pl.Utf8)


def test_dq_results_have_one_row_per_expectation_with_severity(run):
    _, _, validation, _ = run
    res = validation.dq_results
    rules = suites.fact_rules(SPECS, run_id=RUN_ID)
    assert res.filter(pl.col("suite") == "facts").height == len(rules)
    assert set(res["severity"].unique().to_list()) == {"fail", "warn"}
    ratio = res.filter(pl.col("expectation") == "facts.ratio_matches_pct").row(0, named=True)
    assert ratio["success"] is False and ratio["unexpected_count"] == 1
    assert ratio["severity"] == "fail" and ratio["run_id"] == RUN_ID
    jump = res.filter(pl.col("expectation") == "facts.stock_change_across_periods").row(
        0, named=True
    )
    assert jump["severity"] == "warn" and jump["success"] is False
    ok = res.filter(pl.col("expectation") == "facts.columns").row(0, named=True)
    assert ok["success"] is True


def test_reports_on_disk(run):
    _, _, validation, dq_root = run
    index = Path(validation.data_docs_index)
    assert index.is_file() and index.is_relative_to(dq_root)
    html = index.read_text(encoding="utf-8")
    assert "cdn." not in html and "unpkg.com" not in html and "<script src=" not in html
    assert (dq_root / "summary.html").is_file()


def test_summary_markdown_names_counts_checks_and_evidence(run):
    _, _, validation, _ = run
    md = summary_markdown(
        {"run_id": RUN_ID, "documents_read": 14, "status": "completed"}, validation
    )
    assert f"`{RUN_ID}`" in md
    assert "| documents read | 14 |" in md
    assert f"| facts quarantined | {validation.quarantine.height - 1} |" in md
    # every failing check is listed; the largest ones are shown with examples and evidence
    assert "| `facts.ratio_matches_pct` | fail | 1 |" in md
    assert "| `facts.stock_change_across_periods` | warn | 1 |" in md
    assert "### `facts.parts_sum_to_total` (fail) — 3 record(s)" in md
    assert "«" + PLANTED["p-parts-total"][0]["evidence"] + "»" in md
    assert "15 + grassroots_party_cells 2 = 17 but grassroots_party_orgs is 19" in md
    # fail checks come before warnings
    assert md.index("| fail |") < md.index("| warn |")


def test_suites_are_generated_from_the_catalog():
    catalog = {
        "party_members": {"code": "party_members", "unit": "person", "min": 1, "max": 500000},
        "trade_union_members": {"unit": "person", "min": 1, "max": 200000},
        "other": {"unit": "any"},
    }
    specs = suites.metric_specs(catalog)
    rules = {r.name: r for r in suites.fact_rules(specs, run_id="r")}
    assert rules["facts.range[trade_union_members]"].kwargs["max_value"] == 200000
    assert rules["facts.range[trade_union_members]"].where == ("metric", "trade_union_members")
    assert "facts.range[other]" not in rules
    pairs = rules["facts.unit_matches_metric"].kwargs["value_set"]
    assert "trade_union_members:person" in pairs and "other:vnd" in pairs
    assert "trade_union_members:vnd" not in pairs
    assert rules["facts.metric_in_catalog"].kwargs["value_set"] == sorted(catalog)
    # the project's catalog: one range per metric that states one
    project = {r.name for r in suites.fact_rules(SPECS, run_id="r")}
    for code, spec in SPECS.items():
        if spec.max is not None:
            assert f"facts.range[{code}]" in project


def test_empty_run_validates(tmp_path):
    validation = validate_run(
        pl.DataFrame(schema=FACT_SCHEMA),
        pl.DataFrame(schema=REPORT_SCHEMA),
        run_id="empty",
        dq_root=tmp_path,
    )
    assert validation.facts.height == 0 and validation.quarantine.height == 0
    assert validation.dq_results.height > 0
    assert validation.data_docs_index is not None


def test_contract_drift_holds_the_batch_with_a_clear_reason(tmp_path):
    """A normalizer that drops a column or changes a type must not load half-checked facts."""
    facts = pl.DataFrame(SEED_FACTS[:3], schema=FACT_SCHEMA)
    drifted = facts.drop("label").with_columns(pl.col("start").cast(pl.Float64))
    validation = validate_run(
        drifted, pl.DataFrame(schema=REPORT_SCHEMA), run_id=RUN_ID, dq_root=tmp_path
    )
    assert validation.facts.height == 0
    assert validation.quarantine.height == 3
    for reasons in validation.quarantine["reasons"].to_list():
        assert any("missing columns: label" in r for r in reasons), reasons
        assert any(r.startswith("facts.type[start]") for r in reasons), reasons
    row = validation.dq_results.filter(pl.col("expectation") == "facts.columns").row(0, named=True)
    assert row["success"] is False and row["observed"] == "missing columns: label"
