"""Cross-field and cross-record checks as derived columns.

Great Expectations validates one column (or a pair) at a time; the checks that
make a reviewer trust a report's numbers compare fields of one fact (`69/48`
against its stated `143,8%`) or several facts of one report (15 committees +
2 cells = 17 grassroots organizations). Each check here computes, per row, a
Boolean `ok` (null when the check does not apply to that row) and a `why` text
naming the numbers involved. The validation stage adds them to the batch as
`chk_<name>` columns and validates each with one expectation, so every check
appears in Data Docs, in `dq_results` and in the quarantine reasons like any
other expectation.

All functions take the fact (or report) frame with a `_row` column (the row's
position in the input) and return a frame `_row, ok, why` for the rows the
check applies to.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import product

import polars as pl

from vnreport.transforms.normalize import REPORT_FIELDS

# Percent points of slack between a computed ratio and the stated percentage:
# reports round to one decimal (143,75% -> 143,8%) and sometimes to integers.
PCT_TOLERANCE = 0.6

# A growth metric and the stock it grows: "số đảng viên tăng 383 (92,7%)" is
# stated next to the stock "796 đảng viên", and 383 / (796 - 383) = 92,7%.
GROWTH_OF = {
    "party_member_growth": "party_members",
    "party_cell_growth": "party_cells",
}

# A total and its parts, when a report states all three.
PARTS_OF = {
    "grassroots_party_orgs": ("grassroots_party_committees", "grassroots_party_cells"),
}

# Money pairs where the first can never be smaller than the second for the
# same organization and period: taxes and profit are paid out of revenue.
MONEY_ORDER = (
    ("revenue_vnd", "budget_contribution_vnd"),
    ("revenue_vnd", "profit_vnd"),
)

# Plausible magnitude of money by unit; outside it a scale word (triệu, tỷ) was
# lost or doubled.  avg income: 1 to 100 triệu đồng per person per month.
MONEY_BOUNDS = {
    "vnd_per_person_month": (1e6, 1e8),
    "vnd": (1e5, 1e16),
}

# Members per party cell: a cell has at least three members and, even in the
# largest enterprises, hundreds, not tens of thousands. A district block stated
# with millions of members beside its few dozen cells has a misread number.
MEMBERS_PER_CELL = (1, 1000)

# Units whose values add up, so a part can never exceed its whole.
ADDITIVE_UNITS = ("person", "org", "count", "vnd")
INTEGER_UNITS = ("person", "org", "count")

# Stocks whose jump between consecutive periods is worth a reviewer's look.
STOCK_METRICS = ("party_members",)
STOCK_CHANGE_LIMIT = 0.5

REPORT_TYPES = (
    "year_end_review",
    "quarterly_briefing",
    "half_year_review",
    "mid_term_review",
    "congress",
    "other",
)
QUALIFIERS = ("approx", "estimated", "over", "under", "nearly", "range")
SCOPES = ("org", "context")

# The Party was founded in 1930: no report of these organizations is older.
FIRST_YEAR = 1930
PERIOD_RE = r"^\d{4}(?:-(?:Q[1-4]|H[12]|0[1-9]|1[0-2]|\d{4}))?$"
DATE_RE = r"^\d{4}-\d{2}-\d{2}$"


@dataclass(frozen=True)
class Check:
    """A derived-column check: its id, severity ('fail' or 'warn') and what it means."""

    name: str
    severity: str
    description: str
    compute: Callable[..., pl.DataFrame]

    @property
    def column(self) -> str:
        return f"chk_{self.name}"


def fold(text: str | None) -> str | None:
    """Organization names differ in case and spacing between reports of the same body."""
    if text is None:
        return None
    return " ".join(text.split()).casefold() or None


def _fmt(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "null"
    if float(x).is_integer():
        return f"{int(x):,}".replace(",", ".")
    return f"{x:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def _result(rows: list[tuple[int, bool, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"_row": pl.Int64, "ok": pl.Boolean, "why": pl.Utf8}, orient="row"
    )


def period_bounds(period: str | None) -> tuple[int, int] | None:
    """First and last month (year*12 + month - 1) a period covers; None if unparseable.

    Periods order the time series of a stock: a year-end count is a snapshot at
    the end of the year, a quarter's at the end of the quarter.
    """
    if period is None or not re.match(PERIOD_RE, period):
        return None
    year = int(period[:4])
    rest = period[5:]
    if not rest:
        return year * 12, year * 12 + 11
    if rest.startswith("Q"):
        q = int(rest[1])
        return year * 12 + 3 * (q - 1), year * 12 + 3 * q - 1
    if rest.startswith("H"):
        h = int(rest[1])
        return year * 12 + 6 * (h - 1), year * 12 + 6 * h - 1
    if len(rest) == 4:
        return year * 12, int(rest) * 12 + 11
    return year * 12 + int(rest) - 1, year * 12 + int(rest) - 1


def period_problem(period: str | None, today: dt.date | None = None) -> str | None:
    """Why a well-formed period cannot be right (years out of range, reversed term)."""
    if period is None:
        return None
    if not re.match(PERIOD_RE, period):
        return f"period {period!r} is not YYYY, YYYY-Qn, YYYY-Hn, YYYY-MM or YYYY-YYYY"
    this_year = (today or dt.date.today()).year
    start = int(period[:4])
    if not FIRST_YEAR <= start <= this_year + 1:
        return f"period {period} starts in {start}, outside {FIRST_YEAR}..{this_year + 1}"
    rest = period[5:]
    if len(rest) == 4:
        end = int(rest)
        if not start < end <= start + 10:
            return f"term {period} must end 1 to 10 years after it starts"
        if end > this_year + 6:
            return f"term {period} ends after {this_year + 6}"
    return None


def date_problem(value: str | None, today: dt.date | None = None) -> str | None:
    """Why an ISO date field cannot be right: not a calendar date, or an implausible year."""
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return f"{value!r} is not an ISO calendar date"
    if not re.match(DATE_RE, value):
        return f"{value!r} is not in YYYY-MM-DD form"
    this_year = (today or dt.date.today()).year
    if not FIRST_YEAR <= day.year <= this_year + 1:
        return f"{value} is outside {FIRST_YEAR}..{this_year + 1}"
    return None


# --------------------------------------------------------------------------- facts


def ratio_matches_pct(facts: pl.DataFrame, **_) -> pl.DataFrame:
    """X/Y with a stated percentage: the text's own arithmetic must hold."""
    rows = []
    sub = facts.filter(
        pl.col("denominator").is_not_null()
        & pl.col("pct").is_not_null()
        & pl.col("value").is_not_null()
    )
    for r in sub.select("_row", "value", "value_max", "denominator", "pct").iter_rows():
        row, value, value_max, den, pct = r
        if den <= 0:
            rows.append((row, False, f"denominator {_fmt(den)} is not positive"))
            continue
        ratio = 100 * value / den
        hi = 100 * value_max / den if value_max is not None else ratio
        ok = ratio - PCT_TOLERANCE <= pct <= hi + PCT_TOLERANCE
        # "vượt 43,8% kế hoạch": the stated number is the surplus over the plan.
        if not ok and value > den:
            ok = abs(ratio - 100 - pct) <= PCT_TOLERANCE
        why = None
        if not ok:
            why = f"{_fmt(value)}/{_fmt(den)} = {ratio:.1f}% but the text states {_fmt(pct)}%"
        rows.append((row, ok, why))
    return _result(rows)


def _key(col: str) -> pl.Expr:
    return pl.col(col).fill_null("")


def growth_matches_stock(facts: pl.DataFrame, **_) -> pl.DataFrame:
    """A growth and its pct imply the earlier stock: pct = growth / (stock - growth) * 100."""
    growth = facts.filter(
        pl.col("metric").is_in(list(GROWTH_OF))
        & pl.col("pct").is_not_null()
        & pl.col("value").is_not_null()
    ).with_columns(
        pl.col("metric").replace_strict(GROWTH_OF, default=None).alias("_stock_metric"),
        _key("subject").alias("_subject"),
    )
    if growth.is_empty():
        return _result([])
    stocks = facts.filter(
        pl.col("metric").is_in(list(GROWTH_OF.values()))
        & (pl.col("scope") == "org")
        & pl.col("value").is_not_null()
    ).select(
        "doc_id",
        pl.col("metric").alias("_stock_metric"),
        _key("subject").alias("_subject"),
        pl.col("value").alias("_stock"),
    )
    joined = growth.select("_row", "doc_id", "_stock_metric", "_subject", "value", "pct").join(
        stocks, on=["doc_id", "_stock_metric", "_subject"], how="inner"
    )
    rows = []
    for (row,), grp in joined.group_by(["_row"]):
        g = grp["value"][0]
        pct = grp["pct"][0]
        stock_values = sorted(set(grp["_stock"].to_list()))
        ok = any(s > g and abs(100 * g / (s - g) - pct) <= PCT_TOLERANCE for s in stock_values)
        why = None
        if not ok:
            implied = g + 100 * g / pct if pct > 0 else None
            stated = ", ".join(_fmt(s) for s in stock_values)
            why = (
                f"growth {_fmt(g)} at {_fmt(pct)}% implies a stock of about {_fmt(round(implied))}"
                if implied is not None
                else f"growth {_fmt(g)} at {_fmt(pct)}% cannot be a growth rate"
            ) + f" but the report states {stated}"
        rows.append((row, ok, why))
    return _result(rows)


def _group_key(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        _key("subject").alias("_subject"),
        _key("period").alias("_period"),
    )


def _by_body(sub: pl.DataFrame) -> list[list[tuple[int, str, float]]]:
    """`sub`'s rows as (row, metric, value), grouped by document, subject and period.

    One pass in Python over the few facts these checks look at: a Polars filter per
    group and metric costs more than the whole check once a run has thousands of
    documents. Rows keep their input order within a group.
    """
    groups: dict[tuple, list[tuple[int, str, float]]] = {}
    for row, doc, subject, period, metric, value in sub.select(
        "_row", "doc_id", "_subject", "_period", "metric", "value"
    ).iter_rows():
        groups.setdefault((doc, subject, period), []).append((row, metric, value))
    return list(groups.values())


def _values(group: list[tuple[int, str, float]], metric: str) -> list[float]:
    return [v for _, m, v in group if m == metric]


def _max(values: list[float]) -> float:
    """The largest value ignoring NaN, as Polars' max does (NaN when there is nothing else)."""
    return max((v for v in values if v == v), default=math.nan)


def _gt(a: float, b: float) -> bool:
    """a > b as Polars compares floats: NaN is above every number."""
    return a > b or (a != a and b == b)


def parts_sum_to_total(facts: pl.DataFrame, **_) -> pl.DataFrame:
    """Grassroots committees + grassroots cells = grassroots organizations, when all are stated."""
    rows = []
    org = _group_key(facts.filter((pl.col("scope") == "org") & pl.col("value").is_not_null()))
    for total, (part_a, part_b) in PARTS_OF.items():
        sub = org.filter(pl.col("metric").is_in([total, part_a, part_b]))
        for grp in _by_body(sub):
            by_metric = {m: _values(grp, m) for m in (total, part_a, part_b)}
            if not all(by_metric.values()):
                continue
            ok = any(
                a + b == t
                for t, a, b in product(by_metric[total], by_metric[part_a], by_metric[part_b])
            )
            why = None
            if not ok:
                why = (
                    f"{part_a} {_fmt(by_metric[part_a][0])} + {part_b} "
                    f"{_fmt(by_metric[part_b][0])} = "
                    f"{_fmt(by_metric[part_a][0] + by_metric[part_b][0])} but {total} is "
                    + ", ".join(_fmt(v) for v in by_metric[total])
                )
            rows.extend((r, ok, why) for r, _, _ in grp)
    return _result(rows)


def members_per_cell(facts: pl.DataFrame, **_) -> pl.DataFrame:
    """Members and cells of the same body and period: between 1 and 1000 members per cell.

    Only when the report states no grassroots committees for that body: "40 đảng bộ
    cơ sở, 3 chi bộ trực thuộc, 9.000 đảng viên" counts members that mostly sit in
    the committees' own cells, which the report does not number.
    """
    lo, hi = MEMBERS_PER_CELL
    rows = []
    org = _group_key(facts.filter((pl.col("scope") == "org") & pl.col("value").is_not_null()))
    structure = ["party_members", "party_cells", "grassroots_party_committees"]
    sub = org.filter(pl.col("metric").is_in([*structure, "grassroots_party_orgs"]))
    for grp in _by_body(sub):
        members = _values(grp, "party_members")
        cells = _values(grp, "party_cells")
        committees = _values(grp, "grassroots_party_committees")
        orgs = _values(grp, "grassroots_party_orgs")
        if not members or not cells or any(_gt(v, 0) for v in committees + orgs):
            continue
        ok = any(c > 0 and lo <= m / c <= hi for m, c in product(members, cells))
        why = None
        if not ok:
            m, c = members[0], cells[0]
            ratio = f"{m / c:,.0f}".replace(",", ".") if c > 0 else "∞"
            why = f"{_fmt(m)} members in {_fmt(c)} cells is {ratio} per cell (expected {lo}–{hi})"
        rows.extend(
            (r, ok, why) for r, metric, _ in grp if metric in ("party_members", "party_cells")
        )
    return _result(rows)


def _collect(frame) -> pl.DataFrame:
    """A LazyFrame over a whole run is read in a streaming pass; a DataFrame is itself."""
    return frame.collect(engine="streaming") if isinstance(frame, pl.LazyFrame) else frame


def _subordinate_base(facts):
    """The facts `subordinate_within_parent` compares (a DataFrame or a LazyFrame).

    Organization names are folded once per distinct name, not once per fact.
    """
    names = _collect(facts.select(pl.col("organization").drop_nulls().unique()))["organization"]
    folded = pl.DataFrame(
        {"organization": names, "_org": [fold(n) for n in names.to_list()]},
        schema={"organization": pl.Utf8, "_org": pl.Utf8},
    )
    if isinstance(facts, pl.LazyFrame):
        folded = folded.lazy()
    base = facts.filter(
        (pl.col("scope") == "org")
        & pl.col("value").is_not_null()
        & (pl.col("metric") != "other")
        & pl.col("unit").is_in(list(ADDITIVE_UNITS))
    )
    return base.join(folded, on="organization", how="left").with_columns(
        pl.when(pl.col("organization").is_not_null())
        .then(pl.col("_org"))
        .otherwise(pl.lit("doc:") + pl.col("doc_id"))
        .alias("_org"),
        _key("period").alias("_period"),
    )


def subordinate_parents(facts) -> pl.DataFrame:
    """Each organization's own total per period and metric, from every fact of the run.

    The parent of a subordinate number may be stated in another document of the
    same organization, so a validation that goes through a run in chunks computes
    this once over the whole run (`facts` may be a LazyFrame over the spill) and
    hands it to `subordinate_within_parent` as `parents`.
    """
    base = _subordinate_base(facts.select(SUBORDINATE_COLUMNS))
    out = (
        base.filter(pl.col("subject").is_null())
        .group_by(["_org", "_period", "metric"])
        .agg(pl.coalesce("value_max", "value").max().alias("_parent"))
    )
    return _collect(out)


SUBORDINATE_COLUMNS = (
    "doc_id", "scope", "value", "value_max", "metric", "unit", "organization", "subject", "period",
)  # fmt: skip


def subordinate_within_parent(
    facts: pl.DataFrame, *, parents: pl.DataFrame | None = None, **_
) -> pl.DataFrame:
    """A subordinate committee's number never exceeds the parent's total (same metric, period).

    `parents`: `subordinate_parents` of the whole run, when `facts` is one chunk of it.
    """
    base = _subordinate_base(facts)
    if parents is None:
        parents = subordinate_parents(facts)
    children = base.filter(pl.col("subject").is_not_null()).join(
        parents, on=["_org", "_period", "metric"], how="inner"
    )
    rows = []
    for row, metric, subject, value, parent in children.select(
        "_row", "metric", "subject", "value", "_parent"
    ).iter_rows():
        ok = value <= parent
        why = None
        if not ok:
            why = f"{subject}: {metric} {_fmt(value)} exceeds the parent's total {_fmt(parent)}"
        rows.append((row, ok, why))
    return _result(rows)


def money_magnitude(facts: pl.DataFrame, **_) -> pl.DataFrame:
    """Money by unit within plausible magnitudes: a lost or doubled scale word is off by 1e3+."""
    rows = []
    sub = facts.filter(pl.col("unit").is_in(list(MONEY_BOUNDS)) & pl.col("value").is_not_null())
    for row, unit, value, value_max in sub.select("_row", "unit", "value", "value_max").iter_rows():
        lo, hi = MONEY_BOUNDS[unit]
        top = value_max if value_max is not None else value
        ok = lo <= value and top <= hi
        why = None
        if not ok:
            why = f"{_fmt(value)} {unit} is outside {_fmt(lo)}..{_fmt(hi)}"
        rows.append((row, ok, why))
    return _result(rows)


def money_order(facts: pl.DataFrame, **_) -> pl.DataFrame:
    """Revenue is never below the budget contribution (or profit) of the same body and period."""
    rows: dict[int, tuple[bool, str | None]] = {}
    org = _group_key(facts.filter((pl.col("scope") == "org") & pl.col("value").is_not_null()))
    for whole, part in MONEY_ORDER:
        sub = org.filter(pl.col("metric").is_in([whole, part]))
        for grp in _by_body(sub):
            wholes = [(r, v) for r, m, v in grp if m == whole]
            parts = [(r, v) for r, m, v in grp if m == part]
            if not wholes or not parts:
                continue
            top = _max([v for _, v in wholes])
            bad_parts = [(r, v) for r, v in parts if _gt(v, top)]
            ok = not bad_parts
            why = None
            if not ok:
                why = (
                    f"{part} {_fmt(_max([v for _, v in bad_parts]))} exceeds {whole} "
                    f"{_fmt(top)} stated in the same report"
                )
            flagged = [r for r, _ in wholes] + [r for r, _ in (bad_parts if not ok else parts)]
            for r in flagged:
                prev = rows.get(r)
                if prev is None or prev[0]:
                    rows[r] = (ok, why)
    return _result([(r, ok, why) for r, (ok, why) in rows.items()])


def value_max_order(facts: pl.DataFrame, **_) -> pl.DataFrame:
    """A range `9 - 10 triệu` keeps its low end in value and its high end in value_max."""
    sub = facts.filter(pl.col("value_max").is_not_null() & pl.col("value").is_not_null())
    rows = []
    for row, value, value_max in sub.select("_row", "value", "value_max").iter_rows():
        ok = value <= value_max
        rows.append((row, ok, None if ok else f"range {_fmt(value)}..{_fmt(value_max)} reversed"))
    return _result(rows)


def integer_counts(facts: pl.DataFrame, **_) -> pl.DataFrame:
    """People, organizations and events are counted in whole numbers."""
    sub = facts.filter(pl.col("unit").is_in(list(INTEGER_UNITS)) & pl.col("value").is_not_null())
    rows = []
    for row, unit, value, value_max in sub.select("_row", "unit", "value", "value_max").iter_rows():
        ok = float(value).is_integer() and (value_max is None or float(value_max).is_integer())
        rows.append((row, ok, None if ok else f"{_fmt(value)} {unit} is not a whole number"))
    return _result(rows)


def evidence_matches_span(facts: pl.DataFrame, **_) -> pl.DataFrame:
    """The evidence is the exact span start..end of the cleaned text, so its length agrees."""
    sub = facts.filter(
        pl.col("evidence").is_not_null()
        & pl.col("start").is_not_null()
        & pl.col("end").is_not_null()
    )
    rows = []
    for row, ev, start, end in sub.select("_row", "evidence", "start", "end").iter_rows():
        ok = len(ev) == end - start
        why = (
            None
            if ok
            else f"evidence has {len(ev)} characters but the span {start}..{end} has {end - start}"
        )
        rows.append((row, ok, why))
    return _result(rows)


def fact_period_plausible(
    facts: pl.DataFrame, *, today: dt.date | None = None, **_
) -> pl.DataFrame:
    """A fact's period (copied from its report) must be a real period so time series can order it."""
    rows = []
    for row, period in (
        facts.filter(pl.col("period").is_not_null()).select("_row", "period").iter_rows()
    ):
        why = period_problem(period, today)
        rows.append((row, why is None, why))
    return _result(rows)


def stock_points(facts) -> pl.DataFrame:
    """The facts `stock_change_across_periods` looks at (a DataFrame or a LazyFrame with `_row`).

    A few per document: a chunked validation collects them once over the whole run.
    """
    out = facts.filter(
        pl.col("metric").is_in(list(STOCK_METRICS))
        & (pl.col("scope") == "org")
        & pl.col("subject").is_null()
        & pl.col("organization").is_not_null()
        & pl.col("period").is_not_null()
        & pl.col("value").is_not_null()
    ).select("_row", "doc_id", "organization", "metric", "period", "value", "scope", "subject")
    return _collect(out)


def stock_change_across_periods(
    facts: pl.DataFrame,
    *,
    history: pl.DataFrame | None = None,
    run_docs: Iterable[str] | None = None,
    **_,
) -> pl.DataFrame:
    """An organization's member count moving by more than half between consecutive periods.

    Real reorganizations do this (a block absorbs another), so it is a warning for
    a reviewer, never a reason to hold the record back. A series crosses documents:
    `facts` may be `stock_points` of the whole run, with `run_docs` every document
    id of the run (their stored values are not history).
    """
    current = stock_points(facts)
    if current.is_empty():
        return _result([])
    points = [
        (fold(o), m, period_bounds(p), v, d, row, p)
        for row, d, o, m, p, v in current.select(
            "_row", "doc_id", "organization", "metric", "period", "value"
        ).iter_rows()
    ]
    batch_docs = (
        set(run_docs) if run_docs is not None else set(facts["doc_id"].drop_nulls().to_list())
    )
    if history is not None and not history.is_empty():
        for o, m, p, v, d in history.select(
            "organization", "metric", "period", "value", "doc_id"
        ).iter_rows():
            # A document in this batch is being re-extracted: its old values are not history.
            if o is None or v is None or d in batch_docs or m not in STOCK_METRICS:
                continue
            points.append((fold(o), m, period_bounds(p), v, d, None, p))
    series: dict[tuple, dict[tuple, list]] = {}
    for org, metric, bounds, value, _doc, row, period in points:
        if bounds is None:
            continue
        series.setdefault((org, metric), {}).setdefault((bounds[1], period), []).append(
            (value, row)
        )
    flagged: dict[int, str] = {}
    checked: set[int] = set()
    for (_org, metric), by_period in series.items():
        ordered = sorted(by_period.items())
        for _, prev_vals in ordered[:1]:
            checked.update(r for _, r in prev_vals if r is not None)
        for ((_, prev_p), prev_vals), ((_, cur_p), cur_vals) in zip(
            ordered, ordered[1:], strict=False
        ):
            before = sorted(v for v, _ in prev_vals)[len(prev_vals) // 2]
            after = sorted(v for v, _ in cur_vals)[len(cur_vals) // 2]
            rows_here = [r for _, r in prev_vals + cur_vals if r is not None]
            checked.update(rows_here)
            if before > 0 and abs(after - before) / before > STOCK_CHANGE_LIMIT:
                why = (
                    f"{metric} went from {_fmt(before)} ({prev_p}) to {_fmt(after)} ({cur_p}), "
                    f"a change of {100 * (after - before) / before:+.0f}%"
                )
                for r in rows_here:
                    flagged.setdefault(r, why)
    return _result([(r, r not in flagged, flagged.get(r)) for r in sorted(checked)])


FACT_CHECKS: tuple[Check, ...] = (
    Check(
        "ratio_matches_pct",
        "fail",
        "An achieved/planned pair X/Y with a stated percentage must agree: "
        f"|100·X/Y − pct| ≤ {PCT_TOLERANCE} (or pct is the surplus 100·X/Y − 100 when X > Y).",
        ratio_matches_pct,
    ),
    Check(
        "growth_matches_stock",
        "fail",
        "A growth stated with its percentage implies the earlier stock: "
        f"|100·growth/(stock − growth) − pct| ≤ {PCT_TOLERANCE} for a stock stated in the same "
        "report.",
        growth_matches_stock,
    ),
    Check(
        "parts_sum_to_total",
        "fail",
        "Grassroots party committees + grassroots party cells = grassroots party organizations "
        "when a report states all three for the same body and period.",
        parts_sum_to_total,
    ),
    Check(
        "members_per_cell",
        "fail",
        f"Party members and party cells of the same body and period give {MEMBERS_PER_CELL[0]} "
        f"to {MEMBERS_PER_CELL[1]} members per cell.",
        members_per_cell,
    ),
    Check(
        "subordinate_within_parent",
        "fail",
        "A subordinate unit's number (a fact with a subject) never exceeds the parent "
        "organization's total for the same metric and period.",
        subordinate_within_parent,
    ),
    Check(
        "money_magnitude",
        "fail",
        "Money within plausible magnitudes by unit: average income 1–100 triệu đồng per person "
        "per month, amounts in đồng between 100 nghìn and 10 triệu tỷ.",
        money_magnitude,
    ),
    Check(
        "money_order",
        "fail",
        "Revenue is not below the budget contribution or the profit stated for the same body "
        "and period.",
        money_order,
    ),
    Check(
        "value_max_order",
        "fail",
        "A range keeps its low end in value and its high end in value_max.",
        value_max_order,
    ),
    Check(
        "integer_counts",
        "fail",
        "People, organizations and events are whole numbers.",
        integer_counts,
    ),
    Check(
        "fact_period_plausible",
        "fail",
        f"The fact's period is a real period between {FIRST_YEAR} and next year "
        "(terms: 1 to 10 years).",
        fact_period_plausible,
    ),
    Check(
        "evidence_matches_span",
        "warn",
        "The evidence is the exact text span: its length equals end − start.",
        evidence_matches_span,
    ),
    Check(
        "stock_change_across_periods",
        "warn",
        f"An organization's member count changing by more than {int(STOCK_CHANGE_LIMIT * 100)}% "
        "between consecutive periods (this run and the warehouse's history).",
        stock_change_across_periods,
    ),
)


# --------------------------------------------------------------------------- reports


def report_period_plausible(reports: pl.DataFrame, *, today: dt.date | None = None, **_):
    """The report's period is a real period (orders time series, groups facts)."""
    rows = []
    for row, period in (
        reports.filter(pl.col("period").is_not_null()).select("_row", "period").iter_rows()
    ):
        why = period_problem(period, today)
        rows.append((row, why is None, why))
    return _result(rows)


def report_dates_plausible(reports: pl.DataFrame, *, today: dt.date | None = None, **_):
    """Meeting and publication dates are calendar dates in plausible years."""
    rows = []
    for row, meeting, published in reports.select(
        "_row", "meeting_date", "published_date"
    ).iter_rows():
        if meeting is None and published is None:
            continue
        problems = [
            f"{name}: {p}"
            for name, p in (
                ("meeting_date", date_problem(meeting, today)),
                ("published_date", date_problem(published, today)),
            )
            if p
        ]
        rows.append((row, not problems, "; ".join(problems) or None))
    return _result(rows)


def meeting_before_publication(reports: pl.DataFrame, **_):
    """An article reports a meeting that already happened: meeting_date <= published_date."""
    rows = []
    for row, meeting, published in reports.select(
        "_row", "meeting_date", "published_date"
    ).iter_rows():
        if not meeting or not published or date_problem(meeting) or date_problem(published):
            continue
        ok = meeting <= published
        why = None if ok else f"meeting {meeting} is after publication {published}"
        rows.append((row, ok, why))
    return _result(rows)


def inferred_fields_known(reports: pl.DataFrame, **_):
    """`inferred` names document fields; anything else means the field list drifted."""
    rows = []
    for row, inferred in reports.select("_row", "inferred").iter_rows():
        if inferred is None:
            continue
        unknown = [f for f in inferred if f not in REPORT_FIELDS]
        rows.append((row, not unknown, f"unknown fields {unknown}" if unknown else None))
    return _result(rows)


REPORT_CHECKS: tuple[Check, ...] = (
    Check(
        "report_period_plausible",
        "fail",
        f"The period is a real period between {FIRST_YEAR} and next year (terms: 1 to 10 years).",
        report_period_plausible,
    ),
    Check(
        "report_dates_plausible",
        "fail",
        f"meeting_date and published_date are ISO calendar dates between {FIRST_YEAR} and next "
        "year.",
        report_dates_plausible,
    ),
    Check(
        "meeting_before_publication",
        "warn",
        "The meeting took place on or before the article's publication date.",
        meeting_before_publication,
    ),
    Check(
        "inferred_fields_known",
        "fail",
        "`inferred` lists only document field names.",
        inferred_fields_known,
    ),
)


# Checks whose rows depend on other documents of the run, not only on their own.
RUN_WIDE = ("stock_change_across_periods",)


def apply_checks(
    frame: pl.DataFrame,
    checks: tuple[Check, ...],
    *,
    precomputed: dict[str, pl.DataFrame] | None = None,
    **context,
) -> tuple[pl.DataFrame, dict[str, dict[int, str]]]:
    """Add one `chk_<name>` Boolean column per check; return the why-texts by check and row.

    `precomputed`: check name -> its result over the whole run (`_row, ok, why`), for
    a frame that is one chunk of the run; only the chunk's rows are taken from it.
    """
    whys: dict[str, dict[int, str]] = {}
    out = frame
    for check in checks:
        if precomputed and check.name in precomputed:
            res = precomputed[check.name].filter(pl.col("_row").is_in(frame["_row"].implode()))
        else:
            res = check.compute(frame, **context)
        whys[check.name] = {r: w for r, ok, w in res.iter_rows() if ok is False and w is not None}
        out = out.join(res.select("_row", pl.col("ok").alias(check.column)), on="_row", how="left")
    return out.sort("_row"), whys
