"""What the run report reads from a large warehouse: what it draws, not every row.

The warehouse is a real DuckDB file loaded by the pipeline's own load, then given a few
thousand extra facts that state X/Y and a percentage, as a large archive holds.
"""

from __future__ import annotations

import duckdb
import pytest
from test_warehouse_fixtures import build_warehouse

from vnreport.reports import data
from vnreport.reports.run_report import MAX_POINTS, order_ratios, render_sections

N_AGREE = 3000
N_DISAGREE = 60


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = build_warehouse(tmp_path_factory.mktemp("ratios") / "warehouse.duckdb")
    with duckdb.connect(str(path)) as con:
        (doc_id,) = con.execute("SELECT min(doc_id) FROM documents").fetchone()
        # agreeing: value/denominator is the stated % (to 2 decimals); disagreeing: the
        # stated % is off by 2 + i points, so every gap differs
        con.execute(
            """
            INSERT INTO facts (fact_id, doc_id, metric, value, denominator, pct, scope,
                               evidence, start_offset, end_offset, extractor_version,
                               run_id, dq_status)
            SELECT 'syn-' || lpad(i::VARCHAR, 5, '0'), ?, 'new_members_admitted',
                   v, 40, CASE WHEN i < ? THEN round(100.0 * v / 40, 2) + 2 + i
                               ELSE round(100.0 * v / 40, 2) END,
                   'self', 'kết nạp ' || v || '/40 đảng viên mới', i, i + 5, 'test-1',
                   'syn', 'pass'
            FROM (SELECT range AS i, 20 + range % 23 AS v FROM range(?))
            """,
            [doc_id, N_DISAGREE, N_AGREE + N_DISAGREE],
        )
    return path


def test_counts_cover_every_ratio_fact(db):
    with duckdb.connect(str(db), read_only=True) as con:
        everything = data.ratio_facts(con)
        assert data.ratio_counts(con) == (
            len(everything),
            sum(1 for r in everything if not r["agrees"]),
        )
        assert len(everything) >= N_AGREE + N_DISAGREE


@pytest.mark.parametrize("keep", [25, 100, 10_000])
def test_kept_ratios_are_the_largest_gaps_and_an_even_spread_of_the_rest(db, keep):
    with duckdb.connect(str(db), read_only=True) as con:
        ordered = order_ratios(data.ratio_facts(con))
        kept = data.ratio_facts(con, keep=keep)
    bad = [r["fact_id"] for r in ordered if not r["agrees"]]
    good = [r["fact_id"] for r in ordered if r["agrees"]]
    kept_bad = [r["fact_id"] for r in order_ratios(kept) if not r["agrees"]]
    kept_good = [r["fact_id"] for r in order_ratios(kept) if r["agrees"]]
    # the disagreements with the largest gaps, in the order the report shows them
    assert kept_bad == bad[:keep]
    if keep >= len(good):
        assert kept_good == good
        return
    # agreeing ones: every step-th of them, from the first, so the whole range is drawn
    step = len(good) // keep
    assert kept_good == good[::step][:keep]
    assert good.index(kept_good[-1]) >= len(good) - 2 * step


def test_sections_count_every_ratio_but_draw_a_bounded_number(db):
    with duckdb.connect(str(db), read_only=True) as con:
        total, bad = data.ratio_counts(con)
        html = render_sections(con)
    assert f"{total} facts state both X/Y and a percentage; {bad} disagree" in html
    assert html.count('<tr class="disagree"') == bad
    scatter = html.split('id="chart-plan-attainment"', 1)[1].split("</svg>", 1)[0]
    assert scatter.count('class="mark') == MAX_POINTS < total
