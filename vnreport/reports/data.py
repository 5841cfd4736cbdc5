"""What the report pages read from the warehouse, as plain dicts.

Everything comes from one read-only connection, so pages can be rebuilt at any time (after
a load, or by `vnreport show` days later) from the warehouse alone, and the numbers on the
page are the numbers a SQL user would get from the same file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

# Headline counts of a run, in the order shown, with their labels.
RUN_COUNTS = (
    ("documents_new", "documents new"),
    ("documents_changed", "documents changed"),
    ("documents_unchanged", "documents unchanged"),
    ("documents_failed", "documents failed"),
    ("facts_loaded", "facts loaded"),
    ("facts_warned", "facts warned"),
    ("facts_quarantined", "facts quarantined"),
)
# Key metrics of the newest report per organization, in column order.
KEY_METRICS = (
    ("party_members", "party members"),
    ("party_cells", "party cells"),
    ("new_members_admitted", "admitted"),
    ("employees", "employees"),
    ("revenue_vnd", "revenue"),
    ("avg_income_vnd_month", "avg income / month"),
    ("budget_contribution_vnd", "budget contribution"),
)
GROWTH_METRICS = ("party_members", "party_cells", "employees")
TOP_ORGS = 4
# Same tolerance as the plan_attainment view: rounding to one decimal is not a disagreement.
PCT_TOLERANCE = "greatest(0.6, 0.005 * abs(pct))"


def rows(con, sql: str, params: list | tuple = ()) -> list[dict[str, Any]]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def columns(con, table: str) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [table]
        ).fetchall()
    }


def runs(con) -> list[dict]:
    """All runs, oldest first (the order the history charts use)."""
    return rows(
        con,
        "SELECT * FROM runs ORDER BY coalesce(started_at, finished_at) NULLS FIRST, run_id",
    )


def pick_run(all_runs: list[dict], run_id: str | None) -> tuple[dict | None, dict | None]:
    """The run to report on (default: the latest) and the one before it."""
    if not all_runs:
        return None, None
    if run_id is None:
        idx = len(all_runs) - 1
    else:
        ids = [r["run_id"] for r in all_runs]
        if run_id not in ids:
            return None, None
        idx = ids.index(run_id)
    return all_runs[idx], (all_runs[idx - 1] if idx > 0 else None)


def warehouse_totals(con) -> dict[str, int]:
    one = con.execute(
        "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM facts), "
        "(SELECT count(*) FROM reports), (SELECT count(*) FROM organizations), "
        "(SELECT count(*) FROM quarantine WHERE NOT coalesce(released, false))"
    ).fetchone()
    keys = ("documents", "facts", "reports", "organizations", "quarantine_held")
    return dict(zip(keys, (int(v) for v in one), strict=True))


def dq_history(con) -> list[dict]:
    """Share of expectations that passed in each run (runs without results are left out)."""
    return rows(
        con,
        """
        SELECT r.run_id, r.started_at,
               count(d.expectation) AS evaluated,
               count(d.expectation) FILTER (WHERE d.success) AS passed,
               count(d.expectation) FILTER (WHERE NOT d.success AND d.severity = 'fail')
                   AS failed,
               count(d.expectation) FILTER (WHERE NOT d.success AND d.severity = 'warn')
                   AS warned
        FROM runs AS r JOIN dq_results AS d USING (run_id)
        GROUP BY ALL
        ORDER BY r.started_at NULLS FIRST, r.run_id
        """,
    )


def facts_per_metric(con) -> list[dict]:
    return rows(
        con,
        "SELECT metric, count(*) AS n FROM facts GROUP BY metric ORDER BY n DESC, metric",
    )


def facts_per_source(con) -> list[dict]:
    return rows(
        con,
        """
        SELECT coalesce(d.source, '(no document)') AS source, count(*) AS n
        FROM facts AS f LEFT JOIN documents AS d USING (doc_id)
        GROUP BY ALL ORDER BY n DESC, source
        """,
    )


def top_organizations(con, metrics: tuple[str, ...], limit: int = TOP_ORGS) -> list[dict]:
    """Organizations with the most periods of data for these metrics (ties: by name)."""
    marks = ", ".join("?" for _ in metrics)
    return rows(
        con,
        f"""
        SELECT org_id, any_value(organization) AS organization,
               count(DISTINCT metric || '|' || period) AS points
        FROM metric_timeseries
        WHERE metric IN ({marks}) AND label IS NULL
        GROUP BY org_id
        ORDER BY points DESC, organization
        LIMIT {int(limit)}
        """,
        metrics,
    )


def series(con, org_id: str, metric: str, *, single_periods: bool = False) -> list[dict]:
    """One organization's values of a metric over time, with the plan the article stated."""
    extra = "AND NOT regexp_full_match(t.period, '\\d{4}-\\d{4}')" if single_periods else ""
    return rows(
        con,
        f"""
        SELECT t.period, t.period_start, t.period_end, t.value, t.change_from_previous,
               t.doc_id, t.fact_id, f.denominator, f.pct, f.evidence, o.as_of_date
        FROM metric_timeseries AS t
        LEFT JOIN facts AS f USING (fact_id)
        LEFT JOIN org_facts AS o USING (fact_id)
        WHERE t.org_id = ? AND t.metric = ? AND t.label IS NULL {extra}
        ORDER BY {"t.period_end, t.period_start DESC" if single_periods else "o.as_of_date"},
                 t.period
        """,
        [org_id, metric],
    )


def growth(con) -> list[dict]:
    """First and latest value of each stock metric per organization, to see who grew.

    Ordered by the date the figure describes (the meeting, else publication), not by the
    period's end: a mid-term review of 2020-2025 held in 2023 counts as 2023.
    """
    marks = ", ".join("?" for _ in GROWTH_METRICS)
    return rows(
        con,
        f"""
        WITH s AS (
            SELECT t.*,
                   row_number() OVER (PARTITION BY t.org_id, t.metric
                                      ORDER BY o.as_of_date, t.period_end) AS first_rn,
                   row_number() OVER (PARTITION BY t.org_id, t.metric
                                      ORDER BY o.as_of_date DESC, t.period_end DESC) AS last_rn,
                   count(*) OVER (PARTITION BY t.org_id, t.metric) AS n
            FROM metric_timeseries AS t LEFT JOIN org_facts AS o USING (fact_id)
            WHERE t.metric IN ({marks}) AND t.label IS NULL
        )
        SELECT a.organization, a.org_id, a.metric, a.n AS periods,
               a.period AS first_period, a.value AS first_value,
               a.doc_id AS first_doc_id, a.fact_id AS first_fact_id,
               b.period AS last_period, b.value AS last_value,
               b.doc_id AS last_doc_id, b.fact_id AS last_fact_id,
               b.value - a.value AS change,
               round(100.0 * (b.value - a.value) / nullif(a.value, 0), 1) AS change_pct
        FROM s AS a JOIN s AS b ON a.org_id = b.org_id AND a.metric = b.metric
        WHERE a.first_rn = 1 AND b.last_rn = 1
        ORDER BY a.metric = 'party_members' DESC, a.metric, change_pct DESC NULLS LAST,
                 a.organization
        """,
        GROWTH_METRICS,
    )


def ratio_counts(con) -> tuple[int, int]:
    """(loaded facts stating both X/Y and a percentage, how many of them disagree)."""
    total, bad = con.execute(
        f"""
        SELECT count(*), count(*) FILTER (WHERE abs(pct - 100.0 * value / denominator)
                                              > {PCT_TOLERANCE})
        FROM facts WHERE denominator IS NOT NULL AND denominator <> 0 AND pct IS NOT NULL
        """
    ).fetchone()
    return int(total), int(bad)


def ratio_facts(con, keep: int | None = None) -> list[dict]:
    """Loaded facts that state both X/Y and a percentage, with whether the two agree.

    With `keep`: at most `keep` disagreements, the largest gap first, and at most `keep`
    agreeing facts spread evenly over all of them, which is all the report draws. A
    large warehouse holds such facts by the hundred thousand; reading them all as dicts
    was a third of a gigabyte.
    """
    where = ""
    params: list = []
    if keep is not None:
        where = """WHERE (NOT agrees AND i < ?)
                      OR (agrees AND i % greatest(1, n // ?) = 0 AND i // greatest(1, n // ?) < ?)"""
        params = [keep, keep, keep, keep]
    return rows(
        con,
        f"""
        WITH r AS (
            SELECT f.fact_id, f.doc_id, f.metric, f.label, f.value, f.denominator, f.pct,
                   f.subject, f.evidence, f.period, f.start_offset,
                   coalesce(o.canonical_name, f.organization) AS organization,
                   round(100.0 * f.value / f.denominator, 2) AS computed_pct,
                   abs(f.pct - 100.0 * f.value / f.denominator) <= {PCT_TOLERANCE} AS agrees,
                   'loaded' AS state
            FROM facts AS f LEFT JOIN organizations AS o USING (org_id)
            WHERE f.denominator IS NOT NULL AND f.denominator <> 0 AND f.pct IS NOT NULL
        ), ranked AS (
            SELECT *,
                   row_number() OVER (PARTITION BY agrees ORDER BY abs(pct - computed_pct)
                                      DESC, doc_id, fact_id) - 1 AS i,
                   count(*) OVER (PARTITION BY agrees) AS n
            FROM r
        )
        SELECT * EXCLUDE (i, n, start_offset) FROM ranked {where}
        ORDER BY agrees, doc_id, start_offset
        """,
        params,
    )


def held_quarantine(con, doc_ids: list[str] | None = None) -> list[dict]:
    """Records still held back, with their record JSON decoded (bad JSON is kept, flagged)."""
    where = "WHERE NOT coalesce(released, false)"
    params: list = []
    if doc_ids is not None:
        if not doc_ids:
            return []
        where += f" AND doc_id IN ({_marks(doc_ids)})"
        params.extend(doc_ids)
    out = rows(
        con,
        f"SELECT record_id, record_type, doc_id, run_id, reasons, record FROM quarantine {where} "
        "ORDER BY doc_id, record_type, record_id",
        params,
    )
    for q in out:
        try:
            q["data"] = json.loads(q["record"]) if q["record"] else {}
        except json.JSONDecodeError:
            q["data"] = {}
            q["bad_json"] = True
        q["reasons"] = list(q["reasons"] or [])
    return out


def quarantined_ratios(held: list[dict]) -> list[dict]:
    """Held fact records that state X/Y and a percentage, in the shape of `ratio_facts`."""
    out = []
    for q in held:
        d = q["data"]
        if q["record_type"] != "fact":
            continue
        try:
            value, den, pct = float(d["value"]), float(d["denominator"]), float(d["pct"])
        except (KeyError, TypeError, ValueError):
            continue
        if den == 0:
            continue
        computed = round(100.0 * value / den, 2)
        out.append(
            {
                "fact_id": d.get("fact_id") or q["record_id"],
                "doc_id": q["doc_id"],
                "metric": d.get("metric"),
                "label": d.get("label"),
                "value": value,
                "denominator": den,
                "pct": pct,
                "subject": d.get("subject"),
                "evidence": d.get("evidence"),
                "period": d.get("period"),
                "organization": d.get("organization"),
                "computed_pct": computed,
                "agrees": abs(pct - 100.0 * value / den) <= max(0.6, 0.005 * abs(pct)),
                "state": "quarantined",
            }
        )
    return out


def newest_reports(con) -> list[dict]:
    """The newest report of each organization (by meeting, publication, then period end)."""
    return rows(
        con,
        """
        SELECT * EXCLUDE (rn) FROM (
            SELECT r.doc_id, coalesce(o.canonical_name, r.organization) AS organization,
                   r.org_id, r.period, r.report_type, r.meeting_date, r.published_date,
                   d.title, d.uri, d.source,
                   row_number() OVER (
                       PARTITION BY coalesce(r.org_id, r.organization, r.doc_id)
                       ORDER BY coalesce(r.meeting_date, r.published_date,
                                         period_end(r.period)) DESC NULLS LAST,
                                period_end(r.period) DESC NULLS LAST, r.doc_id DESC
                   ) AS rn
            FROM reports AS r
            LEFT JOIN organizations AS o USING (org_id)
            LEFT JOIN documents AS d USING (doc_id)
        ) WHERE rn = 1
        ORDER BY organization NULLS LAST, doc_id
        """,
    )


def key_facts(con, doc_ids: list[str]) -> dict[tuple[str, str], dict]:
    """(doc_id, metric) -> the organization's own first-stated fact for the key metrics."""
    if not doc_ids:
        return {}
    metrics = [m for m, _ in KEY_METRICS]
    found = rows(
        con,
        f"""
        SELECT * EXCLUDE (rn) FROM (
            SELECT f.*, row_number() OVER (PARTITION BY doc_id, metric
                                           ORDER BY start_offset, fact_id) AS rn
            FROM facts AS f
            WHERE doc_id IN ({", ".join("?" for _ in doc_ids)})
              AND metric IN ({", ".join("?" for _ in metrics)})
              AND scope = 'org' AND subject IS NULL AND label IS NULL
        ) WHERE rn = 1
        """,
        [*doc_ids, *metrics],
    )
    return {(f["doc_id"], f["metric"]): f for f in found}


_DOCUMENTS_SQL = """
    SELECT d.doc_id, d.title, d.source, d.uri, d.published_date, d.text_length,
           d.loaded_run, coalesce(o.canonical_name, r.organization) AS organization,
           r.period, r.report_type,
           coalesce(fc.facts, 0) AS facts, coalesce(fc.warned, 0) AS warned,
           coalesce(qc.held, 0) AS held
    FROM documents AS d
    LEFT JOIN reports AS r USING (doc_id)
    LEFT JOIN organizations AS o ON o.org_id = r.org_id
    LEFT JOIN (SELECT doc_id, count(*) AS facts,
                      count(*) FILTER (WHERE dq_status = 'warn') AS warned
               FROM facts GROUP BY doc_id) AS fc USING (doc_id)
    LEFT JOIN (SELECT doc_id, count(*) AS held FROM quarantine
               WHERE NOT coalesce(released, false) GROUP BY doc_id) AS qc USING (doc_id)
    ORDER BY organization NULLS LAST, r.period, d.doc_id
"""


def document_pages(con, size: int) -> Iterator[list[dict]]:
    """The rows of `documents`, in its order, `size` at a time: one listing page each."""
    cur = con.cursor()  # its own result, whatever else the caller reads meanwhile
    cur.execute(_DOCUMENTS_SQL)
    names = [d[0] for d in cur.description]
    while batch := cur.fetchmany(size):
        yield [dict(zip(names, r, strict=True)) for r in batch]


def document_ids(con) -> list[str]:
    return [r[0] for r in con.execute("SELECT doc_id FROM documents ORDER BY doc_id").fetchall()]


def _marks(ids: list[str]) -> str:
    return ", ".join("?" for _ in ids)


def documents_in(con, doc_ids: list[str]) -> dict[str, dict]:
    """Documents with their report fields, for the viewer pages of `doc_ids`."""
    if not doc_ids:
        return {}
    found = rows(
        con,
        f"""
        SELECT d.*, r.organization AS report_organization, r.period, r.report_type,
               r.meeting_date, r.province, r.district, r.source_name,
               o.canonical_name AS organization
        FROM documents AS d
        LEFT JOIN reports AS r USING (doc_id)
        LEFT JOIN organizations AS o ON o.org_id = r.org_id
        WHERE d.doc_id IN ({_marks(doc_ids)})
        """,
        doc_ids,
    )
    return {d["doc_id"]: d for d in found}


def facts_in(con, doc_ids: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {d: [] for d in doc_ids}
    if not doc_ids:
        return out
    for f in rows(
        con,
        f"SELECT * FROM facts WHERE doc_id IN ({_marks(doc_ids)}) "
        "ORDER BY doc_id, start_offset, end_offset DESC, fact_id",
        doc_ids,
    ):
        out[f["doc_id"]].append(f)
    return out


def document(con, doc_id: str) -> dict | None:
    return documents_in(con, [doc_id]).get(doc_id)


def document_facts(con, doc_id: str) -> list[dict]:
    return facts_in(con, [doc_id])[doc_id]


def touched_documents(con, run_id: str) -> set[str]:
    """Documents whose page a run changed: loaded by it, or quarantined or released by it."""
    return {
        r[0]
        for r in con.execute(
            "SELECT doc_id FROM documents WHERE loaded_run = ? UNION "
            "SELECT doc_id FROM quarantine WHERE run_id = ? OR released_run = ?",
            [run_id, run_id, run_id],
        ).fetchall()
    }


def metric_descriptions(con) -> dict[str, str]:
    return {
        r["code"]: r["description"] or ""
        for r in rows(con, "SELECT code, description FROM metric_catalog")
    }


def failures(con, run_id: str) -> list[dict]:
    return rows(
        con,
        "SELECT doc_id, uri, stage, reason FROM failures WHERE run_id = ? ORDER BY doc_id",
        [run_id],
    )
