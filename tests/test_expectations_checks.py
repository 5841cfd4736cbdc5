"""Cross-field and cross-record checks on facts written by hand (no Great Expectations here).

Each check gets a consistent case that must pass and a planted inconsistency
that must be caught; the seeds' own consistent numbers must never fail.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from vnreport.expectations import checks
from vnreport.transforms.normalize import FACT_SCHEMA

UNITS = {
    "party_members": "person",
    "party_cells": "org",
    "party_member_growth": "person",
    "party_cell_growth": "org",
    "new_members_admitted": "person",
    "new_party_orgs_established": "org",
    "grassroots_party_orgs": "org",
    "grassroots_party_committees": "org",
    "grassroots_party_cells": "org",
    "revenue_vnd": "vnd",
    "budget_contribution_vnd": "vnd",
    "profit_vnd": "vnd",
    "avg_income_vnd_month": "vnd_per_person_month",
    "employees": "person",
}
TODAY = dt.date(2026, 11, 21)


def fact(metric: str, value: float, **kw) -> dict:
    evidence = kw.pop("evidence", f"{metric} {value:g}")
    start = kw.pop("start", 10)
    row = {
        "fact_id": None,
        "doc_id": "kcn_2024",
        "metric": metric,
        "value": float(value),
        "value_max": None,
        "unit": UNITS.get(metric, "count"),
        "qualifier": None,
        "denominator": None,
        "pct": None,
        "scope": "org",
        "subject": None,
        "label": None,
        "evidence": evidence,
        "start": start,
        "end": start + len(evidence),
        "doc_length": 5000,
        "organization": "Đảng bộ Khối Doanh nghiệp quận Thanh Xuân",
        "period": "2024",
        "report_type": "year_end_review",
        "extractor_version": "test",
        "run_id": "run-1",
    }
    row.update(kw)
    return row


def frame(*rows: dict) -> pl.DataFrame:
    out = pl.DataFrame(list(rows), schema=FACT_SCHEMA)
    out = out.with_columns(
        pl.when(pl.col("fact_id").is_null())
        .then(pl.lit("f") + pl.int_range(pl.len()).cast(pl.Utf8))
        .otherwise(pl.col("fact_id"))
        .alias("fact_id")
    )
    return out.with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64))


def verdicts(check, facts: pl.DataFrame, **ctx) -> dict[int, tuple[bool, str | None]]:
    res = check(facts, today=TODAY, **ctx)
    return {r: (ok, why) for r, ok, why in res.iter_rows()}


# ----------------------------------------------------------------- the seeds' numbers


def seed_consistent_facts() -> pl.DataFrame:
    """The consistent numbers of the seed articles, restated as facts by hand."""
    return frame(
        fact("new_members_admitted", 69, denominator=48, pct=143.8, doc_id="s2"),
        fact("new_party_orgs_established", 12, denominator=8, pct=150, doc_id="s2"),
        fact("party_members", 796, doc_id="s2"),
        fact("party_cells", 72, doc_id="s2"),
        fact("party_member_growth", 383, pct=92.7, doc_id="s2"),
        fact("party_cell_growth", 34, pct=89.5, doc_id="s2"),
        fact("new_members_admitted", 6, denominator=5, pct=120, doc_id="s3"),
        fact("grassroots_party_orgs", 17, doc_id="s1"),
        fact("grassroots_party_committees", 15, doc_id="s1"),
        fact("grassroots_party_cells", 2, doc_id="s1"),
        fact("party_members", 1840, doc_id="s1"),
        fact("revenue_vnd", 9_605_380_000_000, qualifier="estimated", doc_id="s1"),
        fact("budget_contribution_vnd", 450_000_000_000, doc_id="s1"),
        fact("avg_income_vnd_month", 8_120_000, doc_id="s1"),
    )


def test_seed_numbers_pass_every_fact_check():
    facts = seed_consistent_facts()
    applied = 0
    for check in checks.FACT_CHECKS:
        for row, (ok, why) in verdicts(check.compute, facts).items():
            assert ok, f"{check.name} wrongly failed row {row}: {why}"
            applied += 1
    # the arithmetic checks did look at the seed numbers (not vacuously true)
    ratio = verdicts(checks.ratio_matches_pct, facts)
    growth = verdicts(checks.growth_matches_stock, facts)
    parts = verdicts(checks.parts_sum_to_total, facts)
    assert len(ratio) == 3 and len(growth) == 2 and len(parts) == 3
    assert applied > 10


# ----------------------------------------------------------------- X/Y against pct


def test_ratio_pct_catches_a_wrong_percentage():
    facts = frame(
        fact("new_members_admitted", 69, denominator=48, pct=143.8),
        fact("new_members_admitted", 69, denominator=48, pct=134.8),
        fact("new_members_admitted", 30, denominator=40, pct=75.0),
    )
    v = verdicts(checks.ratio_matches_pct, facts)
    assert v[0][0] is True and v[2][0] is True
    assert v[1][0] is False
    assert "69/48" in v[1][1] and "134,8" in v[1][1]


def test_ratio_pct_accepts_surplus_wording_and_rounding():
    facts = frame(
        # "vượt 43,8% kế hoạch": the surplus over the plan
        fact("new_members_admitted", 69, denominator=48, pct=43.8),
        # rounded to a whole percent
        fact("new_members_admitted", 31, denominator=40, pct=78),
        # surplus reading is not allowed below the plan
        fact("new_members_admitted", 30, denominator=40, pct=-25),
    )
    v = verdicts(checks.ratio_matches_pct, facts)
    assert v[0][0] and v[1][0]
    assert v[2][0] is False


def test_ratio_pct_ignores_pairs_without_a_stated_pct():
    facts = frame(fact("party_course_trainees", 26, denominator=37))
    assert verdicts(checks.ratio_matches_pct, facts) == {}


# ----------------------------------------------------------------- growth against stock


def test_growth_against_stock_catches_a_wrong_stock():
    facts = frame(
        fact("party_members", 950),
        fact("party_member_growth", 383, pct=92.7),
    )
    v = verdicts(checks.growth_matches_stock, facts)
    assert v == {1: (False, v[1][1])}
    assert "383" in v[1][1] and "796" in v[1][1] and "950" in v[1][1]


def test_growth_against_stock_catches_a_wrong_pct():
    facts = frame(fact("party_cells", 72), fact("party_cell_growth", 34, pct=98.5))
    assert verdicts(checks.growth_matches_stock, facts)[1][0] is False


def test_growth_without_a_stock_in_the_report_is_not_judged():
    facts = frame(
        fact("party_member_growth", 383, pct=92.7),
        fact("party_members", 796, doc_id="another_report"),
        fact("party_members", 796, subject="Đảng bộ Công ty May 10"),
    )
    assert verdicts(checks.growth_matches_stock, facts) == {}


def test_growth_passes_when_one_of_several_stocks_fits():
    facts = frame(
        fact("party_members", 413),  # the earlier stock, also stated
        fact("party_members", 796),
        fact("party_member_growth", 383, pct=92.7),
    )
    assert verdicts(checks.growth_matches_stock, facts)[2][0] is True


# ----------------------------------------------------------------- parts against totals


def test_parts_sum_catches_a_total_that_does_not_add_up():
    facts = frame(
        fact("grassroots_party_orgs", 19),
        fact("grassroots_party_committees", 15),
        fact("grassroots_party_cells", 2),
    )
    v = verdicts(checks.parts_sum_to_total, facts)
    assert set(v) == {0, 1, 2}
    assert all(ok is False for ok, _ in v.values())
    assert "17" in v[0][1] and "19" in v[0][1]


def test_parts_sum_needs_all_three_and_the_same_period():
    facts = frame(
        fact("grassroots_party_orgs", 19),
        fact("grassroots_party_committees", 15),
        fact("grassroots_party_cells", 2, period="2023"),
    )
    assert verdicts(checks.parts_sum_to_total, facts) == {}


def test_subordinate_never_exceeds_the_parent():
    facts = frame(
        fact("party_members", 1840),
        fact("party_members", 212, subject="Đảng bộ Công ty cổ phần Cơ khí Hà Nội"),
        fact("party_members", 2150, subject="Đảng bộ Tổng công ty Xây dựng"),
        fact("new_members_admitted", 12, subject="Chi bộ Công ty TNHH Hoà Bình"),
    )
    v = verdicts(checks.subordinate_within_parent, facts)
    assert v[1][0] is True
    assert v[2][0] is False and "2.150" in v[2][1] and "1.840" in v[2][1]
    # no parent total for admissions: nothing to compare with
    assert 3 not in v


def test_subordinate_compared_within_the_same_period_only():
    facts = frame(
        fact("party_members", 1840, period="2024"),
        fact("party_members", 2150, subject="Đảng bộ Công ty Điện lực", period="2020-2025"),
    )
    assert verdicts(checks.subordinate_within_parent, facts) == {}


def test_members_per_cell_catches_a_district_block_with_millions():
    good = frame(fact("party_members", 796), fact("party_cells", 72))
    assert all(ok for ok, _ in verdicts(checks.members_per_cell, good).values())
    bad = frame(fact("party_members", 5_000_000), fact("party_cells", 72))
    v = verdicts(checks.members_per_cell, bad)
    assert v[0][0] is False and v[1][0] is False
    assert "69.444 per cell" in v[0][1]
    # a subordinate's cells say nothing about the parent's members
    other = frame(
        fact("party_members", 5_000_000), fact("party_cells", 72, subject="Đảng bộ Công ty X")
    )
    assert verdicts(checks.members_per_cell, other) == {}
    # members mostly in grassroots committees' own cells: the ratio says nothing
    committees = frame(
        fact("party_members", 9000),
        fact("party_cells", 3),
        fact("grassroots_party_committees", 40),
    )
    assert verdicts(checks.members_per_cell, committees) == {}


# ----------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (8_120_000, True),
        (1_000_000, True),
        (100_000_000, True),
        (8.12, False),
        (812_000_000, False),
    ],
)
def test_average_income_between_one_and_a_hundred_trieu(value, ok):
    facts = frame(fact("avg_income_vnd_month", value))
    assert verdicts(checks.money_magnitude, facts)[0][0] is ok


def test_average_income_range_checks_its_high_end():
    facts = frame(fact("avg_income_vnd_month", 9_000_000, value_max=1_000_000_000))
    assert verdicts(checks.money_magnitude, facts)[0][0] is False


def test_revenue_not_below_budget_contribution():
    good = frame(
        fact("revenue_vnd", 9_605_380_000_000),
        fact("budget_contribution_vnd", 450_000_000_000),
    )
    assert all(ok for ok, _ in verdicts(checks.money_order, good).values())
    # a lost scale word: 9,6 tỷ read for 9.605,38 tỷ
    bad = frame(
        fact("revenue_vnd", 9_605_380_000),
        fact("budget_contribution_vnd", 450_000_000_000),
        fact("profit_vnd", 1_000_000_000),
    )
    v = verdicts(checks.money_order, bad)
    assert v[0][0] is False and v[1][0] is False
    assert v[2][0] is True
    assert "budget_contribution_vnd" in v[1][1]


def test_revenue_of_another_subject_is_not_compared():
    facts = frame(
        fact("revenue_vnd", 9_605_380_000, subject="Công ty TNHH Minh Phát"),
        fact("budget_contribution_vnd", 450_000_000_000),
    )
    assert verdicts(checks.money_order, facts) == {}


# ----------------------------------------------------------------- single-record shape


def test_range_order_integer_counts_and_span_length():
    facts = frame(
        fact("avg_income_vnd_month", 10_000_000, value_max=9_000_000, qualifier="range"),
        fact("party_members", 1840.5),
        fact("party_members", 1840, evidence="có 1.840 đảng viên", start=5, end=40),
    )
    assert verdicts(checks.value_max_order, facts)[0][0] is False
    assert verdicts(checks.integer_counts, facts)[1][0] is False
    span = verdicts(checks.evidence_matches_span, facts)
    assert span[0][0] and not span[2][0]


@pytest.mark.parametrize(
    ("period", "ok"),
    [
        ("2024", True),
        ("2024-Q1", True),
        ("2023-H1", True),
        ("2020-2025", True),
        ("2024-Q5", False),
        ("1890", False),
        ("2030", False),
        ("2025-2020", False),
        ("năm 2024", False),
    ],
)
def test_fact_period_plausible(period, ok):
    facts = frame(fact("party_members", 100, period=period))
    assert verdicts(checks.fact_period_plausible, facts)[0][0] is ok


# ----------------------------------------------------------------- across runs


def history(*rows: tuple[str, str, str, float, str]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "organization": pl.Utf8,
            "metric": pl.Utf8,
            "period": pl.Utf8,
            "value": pl.Float64,
            "doc_id": pl.Utf8,
        },
        orient="row",
    )


ORG = "Đảng bộ Khối Doanh nghiệp quận Thanh Xuân"


def test_member_jump_between_consecutive_periods_is_flagged():
    facts = frame(fact("party_members", 3100, period="2024"))
    hist = history(
        (ORG, "party_members", "2022", 1790.0, "old_2022"),
        (
            " đảng bộ khối doanh nghiệp  quận Thanh Xuân",
            "party_members",
            "2023",
            1840.0,
            "old_2023",
        ),
    )
    v = verdicts(checks.stock_change_across_periods, facts, history=hist)
    assert v[0][0] is False
    assert "1.840" in v[0][1] and "3.100" in v[0][1] and "2023" in v[0][1]


def test_member_growth_within_half_is_fine_and_other_orgs_do_not_count():
    facts = frame(fact("party_members", 1900, period="2024-Q1"))
    hist = history(
        (ORG, "party_members", "2023", 1840.0, "old_2023"),
        ("Đảng bộ Khu công nghiệp Quế Võ", "party_members", "2023", 300.0, "qv_2023"),
    )
    assert verdicts(checks.stock_change_across_periods, facts, history=hist)[0][0] is True


def test_history_of_a_reprocessed_document_is_not_compared():
    facts = frame(fact("party_members", 3100, period="2024", doc_id="kcn_2024"))
    hist = history((ORG, "party_members", "2023", 1840.0, "kcn_2024"))
    v = verdicts(checks.stock_change_across_periods, facts, history=hist)
    assert v[0][0] is True


def test_member_jump_inside_one_batch_is_flagged_too():
    facts = frame(
        fact("party_members", 400, period="2023", doc_id="a"),
        fact("party_members", 900, period="2024", doc_id="b"),
    )
    v = verdicts(checks.stock_change_across_periods, facts, history=None)
    assert v[0][0] is False and v[1][0] is False


# ----------------------------------------------------------------- reports


def report_frame(**kw) -> pl.DataFrame:
    row = {
        "doc_id": "kcn_2024",
        "title": "Hội nghị tổng kết công tác Đảng năm 2024",
        "organization": ORG,
        "province": "Hà Nội",
        "district": "Thanh Xuân",
        "period": "2024",
        "report_type": "year_end_review",
        "meeting_date": "2024-12-27",
        "published_date": "2024-12-28",
        "source_name": "Báo điện tử",
        "inferred": ["district"],
    }
    row.update(kw)
    schema = {k: pl.Utf8 for k in row} | {"inferred": pl.List(pl.Utf8)}
    out = pl.DataFrame([row], schema=schema)
    return out.with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64))


def test_report_checks_pass_a_sound_report():
    reports = report_frame()
    for check in checks.REPORT_CHECKS:
        for ok, why in verdicts(check.compute, reports).values():
            assert ok, f"{check.name}: {why}"


@pytest.mark.parametrize(
    ("change", "check"),
    [
        ({"meeting_date": "2024-02-30"}, checks.report_dates_plausible),
        ({"published_date": "1899-01-01"}, checks.report_dates_plausible),
        ({"period": "2024-Q7"}, checks.report_period_plausible),
        ({"meeting_date": "2025-01-05"}, checks.meeting_before_publication),
        ({"inferred": ["district", "weather"]}, checks.inferred_fields_known),
    ],
)
def test_report_checks_catch_planted_problems(change, check):
    v = verdicts(check, report_frame(**change))
    assert v[0][0] is False and v[0][1]
