"""The run report: what a run changed, what the warehouse now says, and where numbers came from.

Built after the load from the warehouse alone (read-only), so it shows exactly what an
analyst's SQL would return, and can be rebuilt for any earlier run. Every number about a
fact links to the fact's highlight in its document's viewer page.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, datetime
from pathlib import Path

from vnreport.reports import charts, data, provenance
from vnreport.reports.charts import Bar, Point, esc, fmt_num
from vnreport.reports.page import (
    doc_filename,
    doc_href,
    fact_href,
    file_href,
    render,
    write_text,
)

CHART_IDS = (
    "party-members",
    "admissions",
    "plan-attainment",
    "facts-per-metric",
    "facts-per-source",
    "dq-pass-rate",
)
MAX_POINTS = 1500  # scatter points drawn; past it the SVG only gets heavier, not clearer
MAX_LABELS = 25  # disagreeing points labelled on the scatter
MAX_TABLE_ROWS = 200  # rows of the disagreement table; the rest are counted
# Documents per listing page. The run report lists the first page; the rest go to
# documents-2.html, documents-3.html, ...: a table of every document in one page reached
# tens of megabytes at 100,000 documents, more than a browser or the report step can hold.
DOC_LIST_ROWS = 1000
# DuckDB's buffers for the report step. Unbounded, writing 100,000 viewer pages filled its
# cache with every facts block read; 128 MB is too little for the documents listing query.
REPORT_MEMORY_LIMIT = "256MB"
# One thread: the step is Python drawing pages; a second DuckDB thread only doubled the
# buffers its aggregations held (at 128 MB the listing query fails with two, not with one).
REPORT_THREADS = 1
# ... and while it writes viewer pages: each chunk of pages reads a few hundred rows, so a
# larger cache only keeps blocks no later chunk reads (at 100,000 pages, all 256 MB).
PAGES_MEMORY_LIMIT = "64MB"
MONEY_DIVISOR = 1e9  # money columns are shown in tỷ đồng (billions), as the articles write them


def _ordinal(d: date | datetime | None) -> float:
    if d is None:
        return 0.0
    if isinstance(d, datetime):
        return d.timestamp() / 86400
    return float(d.toordinal())


def _delta(now: int | None, before: int | None, *, more_is_bad: bool | None) -> str:
    """Change against the previous run; colored only where more is plainly worse."""
    if before is None or now is None:
        return '<span class="delta same">first run</span>'
    diff = int(now) - int(before)
    if diff == 0:
        return '<span class="delta same">±0 vs previous run</span>'
    cls = "same" if more_is_bad is None else ("down" if more_is_bad == (diff > 0) else "up")
    return f'<span class="delta {cls}">{diff:+d} vs previous run</span>'


def _cards(run: dict, prev: dict | None, totals: dict[str, int]) -> str:
    bad = {"documents_failed", "facts_warned", "facts_quarantined"}
    cards = []
    for key, label in data.RUN_COUNTS:
        value = run.get(key)
        shown = "–" if value is None else str(int(value))
        flag = " bad" if key in bad and value else ""
        cards.append(
            f'<div class="card{flag}" data-key="{key}" data-value="{esc(value)}">'
            f'<div class="value">{esc(shown)}</div><div class="label">{esc(label)}</div>'
            f"{_delta(value, prev.get(key) if prev else None, more_is_bad=True if key in bad else None)}"
            "</div>"
        )
    totals_html = "".join(
        f'<div class="card" data-key="total_{k}" data-value="{v}"><div class="value">{v}</div>'
        f'<div class="label">{esc(label)}</div></div>'
        for k, v, label in (
            ("facts", totals["facts"], "facts in the warehouse"),
            ("documents", totals["documents"], "documents in the warehouse"),
            ("organizations", totals["organizations"], "organizations"),
            ("quarantine_held", totals["quarantine_held"], "records held in quarantine"),
        )
    )
    return (
        f'<h2 id="counts">This run</h2><div class="cards" id="run-counts">{"".join(cards)}</div>'
        f'<h3>Warehouse after the run</h3><div class="cards" id="totals">{totals_html}</div>'
    )


def _series_panels(con, orgs: list[dict], metric: str, *, plans: bool) -> str:
    panels = []
    for org in orgs:
        rows = data.series(con, org["org_id"], metric, single_periods=plans)
        if not rows:
            continue
        name = org["organization"] or org["org_id"]
        short = short_org(name, 44)
        if plans:
            bars = []
            for r in rows:
                plan = r["denominator"]
                if plan is None and r["pct"]:
                    plan = r["value"] * 100.0 / r["pct"]
                note = ""
                if r["pct"] is not None:
                    note = f"{fmt_num(r['pct'], 1)}%"
                elif plan:
                    note = f"{fmt_num(100.0 * r['value'] / plan, 1)}%"
                bars.append(
                    Bar(
                        r["period"],
                        r["value"],
                        plan,
                        title=f"{name} {r['period']}: {fmt_num(r['value'])}"
                        + (f" of plan {fmt_num(plan)}" if plan else " (no plan stated)")
                        + f"\n{r['evidence'] or ''}",
                        href=fact_href(r["doc_id"], r["fact_id"]),
                        note=note,
                    )
                )
            panels.append(charts.plan_bars(short, bars))
        else:
            pts = [
                Point(
                    _ordinal(r["as_of_date"] or r["period_end"]),
                    r["value"],
                    label=fmt_num(r["value"]),
                    title=f"{name} {r['period']}: {fmt_num(r['value'])}\n{r['evidence'] or ''}",
                    href=fact_href(r["doc_id"], r["fact_id"]),
                )
                for r in rows
            ]
            xl = [(_ordinal(r["as_of_date"] or r["period_end"]), r["period"]) for r in rows]
            panels.append(charts.line_panel(short, pts, x_labels=xl))
    return f'<div class="panels">{"".join(panels)}</div>' if panels else ""


def short_org(name: str, limit: int = 30) -> str:
    """Vietnamese names end with what tells them apart (the district, the province), so a
    long name keeps its tail: '…nghiệp huyện Đông Sơn' rather than 'Đảng ủy Khối Doanh…'."""
    name = re.sub(r"\s*\([^)]*\)", "", name.strip())  # '(các doanh nghiệp điện, nước...)'
    name = re.sub(r"^(Đảng bộ|Đảng ủy|Đảng uỷ)\s+", "", name) or name
    return name if len(name) <= limit else "…" + name[-(limit - 1) :].lstrip()


def _gap(r: dict) -> float:
    return abs(r["pct"] - r["computed_pct"])


def order_ratios(ratios: list[dict]) -> list[dict]:
    """Disagreements first, the largest gap first: what a reader should see before the cap."""
    return sorted(ratios, key=lambda r: (r["agrees"], -_gap(r), r["doc_id"], r["fact_id"]))


def _scatter_sample(ratios: list[dict]) -> list[dict]:
    """At most MAX_POINTS points: disagreements first, then agreeing ones spread evenly."""
    if len(ratios) <= MAX_POINTS:
        return ratios
    bad = [r for r in ratios if not r["agrees"]][: MAX_POINTS // 2]
    good = [r for r in ratios if r["agrees"]]
    room = MAX_POINTS - len(bad)
    step = max(1, len(good) // room) if room else len(good) + 1
    return bad + good[::step][:room]


def _ratio_label(r: dict) -> str:
    short = short_org(r.get("organization") or r["doc_id"], 28)
    return f"{short} {r.get('period') or ''}: {fmt_num(r['pct'], 1)}% ≠ {fmt_num(r['computed_pct'], 1)}%"


def _charts(con, ratios: list[dict], dq: list[dict], *, total: int, bad: int) -> str:
    """`ratios` are the facts worth drawing (every disagreement first); `total` and `bad`
    count all of them."""
    figs = []
    members_orgs = data.top_organizations(con, ("party_members",))
    adm_orgs = data.top_organizations(con, ("new_members_admitted",))
    figs.append(
        charts.figure(
            "party-members",
            "Party members over time",
            _series_panels(con, members_orgs, "party_members", plans=False)
            or charts.empty_svg("no party membership figures yet"),
            f"The {len(members_orgs)} organizations with the most reported periods; "
            "each point links to the sentence it was read from.",
        )
    )
    figs.append(
        charts.figure(
            "admissions",
            "New members admitted against plan",
            _series_panels(con, adm_orgs, "new_members_admitted", plans=True)
            or charts.empty_svg("no admissions figures yet"),
            "Bars: admitted; dashed outline: the plan (stated X/Y, or derived from the stated %). "
            "Multi-year term totals are left out.",
        )
    )
    shown = _scatter_sample(ratios)
    pts = [
        Point(
            r["computed_pct"],
            r["pct"],
            label=_ratio_label(r) if i < MAX_LABELS else "",
            title=f"{r.get('organization') or ''} {r.get('period') or ''} {r['metric']}: "
            f"{fmt_num(r['value'])}/{fmt_num(r['denominator'])} = "
            f"{fmt_num(r['computed_pct'], 2)}%, stated {fmt_num(r['pct'], 2)}% ({r['state']})"
            f"\n{r.get('evidence') or ''}",
            href=fact_href(r["doc_id"], r["fact_id"]),
            flag=not r["agrees"],
        )
        for i, r in enumerate(shown)
    ]
    sampled = (
        f" Showing {len(shown)} of them (every disagreement first, largest gap first)."
        if len(shown) < total
        else ""
    )
    figs.append(
        charts.figure(
            "plan-attainment",
            "Plan attainment: stated % against computed X/Y",
            charts.scatter_diagonal("stated against computed percentage", pts),
            f"{total} facts state both X/Y and a percentage; {bad} disagree (red"
            f"{', labelled' if bad <= MAX_LABELS else f', the {MAX_LABELS} largest labelled'})."
            f" Points on the dashed diagonal agree.{sampled}",
        )
    )
    per_metric = data.facts_per_metric(con)
    figs.append(
        charts.figure(
            "facts-per-metric",
            "Facts per metric",
            charts.hbars(
                "facts per metric",
                [(r["metric"], r["n"], charts.color_for(r["metric"])) for r in per_metric],
            ),
        )
    )
    per_source = data.facts_per_source(con)
    figs.append(
        charts.figure(
            "facts-per-source",
            "Facts per source",
            charts.hbars(
                "facts per source", [(r["source"], r["n"], "#90cdf4") for r in per_source]
            ),
        )
    )
    dq_pts = [
        Point(
            i,
            100.0 * r["passed"] / r["evaluated"] if r["evaluated"] else 0.0,
            label=f"{100.0 * r['passed'] / r['evaluated']:.0f}%" if r["evaluated"] else "",
            title=f"run {r['run_id']}: {r['passed']} of {r['evaluated']} expectations passed, "
            f"{r['failed']} failed, {r['warned']} warned",
            flag=bool(r["failed"]),
        )
        for i, r in enumerate(dq)
    ]
    step = max(1, len(dq) // 6)
    xl = [(i, _run_label(r)) for i, r in enumerate(dq) if i % step == 0 or i == len(dq) - 1]
    figs.append(
        charts.figure(
            "dq-pass-rate",
            "Data-quality pass rate per run",
            charts.line_panel(
                "expectations passed (%)",
                dq_pts,
                x_labels=xl,
                width=520,
                y_domain=(0, 118),
                y_fmt=lambda v: f"{v:.0f}%",
            ),
            "Red points: runs where an expectation of severity 'fail' did not pass.",
        )
    )
    return f'<h2 id="charts">Charts</h2><div class="charts">{"".join(figs)}</div>'


def _run_label(r: dict) -> str:
    started = r.get("started_at")
    return started.strftime("%m-%d %H:%M") if started else str(r["run_id"])[:8]


def _fact_cell(f: dict | None, *, money: bool = False) -> str:
    if f is None:
        return '<td class="num empty">–</td>'
    value = f["value"] / MONEY_DIVISOR if money else f["value"]
    text = fmt_num(value, 1 if money else 0)
    if f.get("value_max") is not None:
        vmax = f["value_max"] / MONEY_DIVISOR if money else f["value_max"]
        text += f"–{fmt_num(vmax, 1 if money else 0)}"
    if f.get("denominator") is not None:
        text += f"/{fmt_num(f['denominator'])}"
    return (
        f'<td class="num"><a class="fact-link" href="{esc(fact_href(f["doc_id"], f["fact_id"]))}" '
        f'title="{esc(f["evidence"])}">{esc(text)}</a></td>'
    )


def _growth_table(rows: list[dict]) -> str:
    if not rows:
        return '<p class="empty">No organization has a membership figure yet.</p>'
    body = []
    for r in rows:
        if r["periods"] < 2:
            change = '<td class="num empty">one period only</td><td></td>'
        else:
            cls = "up" if r["change"] > 0 else ("down" if r["change"] < 0 else "same")
            pct = "" if r["change_pct"] is None else f"{r['change_pct']:+.1f}%"
            change = (
                f'<td class="num"><span class="delta {cls}">{r["change"]:+,.0f}</span></td>'
                f'<td class="num"><span class="delta {cls}">{esc(pct)}</span></td>'
            )
        first = {"doc_id": r["first_doc_id"], "fact_id": r["first_fact_id"]}
        last = {"doc_id": r["last_doc_id"], "fact_id": r["last_fact_id"]}
        body.append(
            f'<tr data-org="{esc(r["org_id"])}" data-metric="{esc(r["metric"])}">'
            f"<td>{esc(r['organization'])}</td><td>{esc(r['metric'])}</td>"
            f"<td>{esc(r['first_period'])}</td>"
            + _fact_cell(first | {"value": r["first_value"], "evidence": ""})
            + f"<td>{esc(r['last_period'])}</td>"
            + _fact_cell(last | {"value": r["last_value"], "evidence": ""})
            + change
            + "</tr>"
        )
    return (
        '<table id="growth"><thead><tr><th>organization</th><th>metric</th><th>first period</th>'
        '<th class="num">value</th><th>latest period</th><th class="num">value</th>'
        '<th class="num">change</th><th class="num">change %</th></tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _disagree_table(ratios: list[dict], *, total: int, n_bad: int) -> str:
    bad = [r for r in ratios if not r["agrees"]]
    if not bad:
        return (
            f'<p class="empty" id="disagree-none">All {total} stated percentages agree '
            "with their X/Y.</p>"
        )
    body = "".join(
        f'<tr class="disagree" data-state="{esc(r["state"])}">'
        f"<td>{esc(r.get('organization') or '')}</td><td>{esc(r.get('period') or '')}</td>"
        f"<td>{esc(r['metric'])}{(' · ' + esc(r['label'])) if r.get('label') else ''}</td>"
        + _fact_cell(r)
        + f'<td class="num">{esc(fmt_num(r["computed_pct"], 2))}%</td>'
        f'<td class="num">{esc(fmt_num(r["pct"], 2))}%</td>'
        f'<td class="num">{esc(fmt_num(r["pct"] - r["computed_pct"], 2))}</td>'
        f"<td class='status-{'quarantined' if r['state'] == 'quarantined' else 'pass'}'>"
        f"{esc(r['state'])}</td>"
        f'<td class="evidence">{esc(r.get("evidence") or "")}</td></tr>'
        for r in bad[:MAX_TABLE_ROWS]
    )
    shown = min(len(bad), MAX_TABLE_ROWS)
    more = (
        f'<p class="meta">and {n_bad - shown} more: docs/queries.md, question 3.</p>'
        if n_bad > shown
        else ""
    )
    return (
        '<table id="disagree"><thead><tr><th>organization</th><th>period</th><th>metric</th>'
        '<th class="num">X/Y</th><th class="num">computed</th><th class="num">stated</th>'
        '<th class="num">gap (points)</th><th>state</th><th>evidence</th></tr></thead>'
        f"<tbody>{body}</tbody></table>"
    ) + more


def _newest_table(con, newest: list[dict]) -> str:
    if not newest:
        return '<p class="empty">No reports loaded yet.</p>'
    keyed = data.key_facts(con, [r["doc_id"] for r in newest])
    head = "".join(
        f'<th class="num">{esc(label)}{" (tỷ đ)" if m.endswith("_vnd") else ""}</th>'
        for m, label in data.KEY_METRICS
    )
    body = []
    for r in newest:
        cells = "".join(
            _fact_cell(keyed.get((r["doc_id"], m)), money=m.endswith("_vnd"))
            for m, _ in data.KEY_METRICS
        )
        body.append(
            f'<tr data-doc="{esc(r["doc_id"])}"><td>{esc(r["organization"] or "")}</td>'
            f"<td>{esc(r['period'] or '')}</td><td>{esc(r['report_type'] or '')}</td>"
            f'<td><a href="{esc(doc_href(r["doc_id"]))}">{esc(r["title"] or r["doc_id"])}'
            f"</a></td>{cells}</tr>"
        )
    return (
        '<table id="newest"><thead><tr><th>organization</th><th>period</th><th>type</th>'
        f"<th>report</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        '<p class="meta">avg income in đồng per person per month; money in tỷ đồng.</p>'
    )


def doc_list_name(page: int) -> str:
    """Listing page `page` (from 1) of the documents; the first is the run report itself."""
    return "index.html" if page == 1 else f"documents-{page}.html"


def _doc_pages(n_docs: int) -> int:
    return max(1, -(-n_docs // DOC_LIST_ROWS))


def _pager(page: int, n_docs: int) -> str:
    pages = _doc_pages(n_docs)
    first = (page - 1) * DOC_LIST_ROWS
    span = f"documents {first + 1}–{min(first + DOC_LIST_ROWS, n_docs)} of {n_docs}"
    if pages == 1:
        return f'<p class="meta" id="documents-span">{span}</p>'
    links = " ".join(
        f"<b>{n}</b>" if n == page else f'<a href="{doc_list_name(n)}">{n}</a>'
        for n in range(1, pages + 1)
    )
    return (
        f'<p class="meta" id="documents-span">{span}</p>'
        f'<nav class="pager" id="documents-pages">pages: {links}</nav>'
    )


def _documents_table(docs: list[dict]) -> str:
    body = "".join(
        f'<tr data-doc="{esc(d["doc_id"])}"><td><a href="{esc(doc_href(d["doc_id"]))}">'
        f"{esc(d['doc_id'])}</a></td><td>{esc(d['title'] or '')}</td>"
        f"<td>{esc(d['organization'] or '')}</td><td>{esc(d['period'] or '')}</td>"
        f"<td>{esc(d['source'] or '')}</td>"
        f'<td class="num">{d["facts"]}</td><td class="num">{d["warned"]}</td>'
        f'<td class="num">{d["held"]}</td></tr>'
        for d in docs
    )
    return (
        '<table id="documents"><thead><tr><th>document</th><th>title</th><th>organization</th>'
        '<th>period</th><th>source</th><th class="num">facts</th><th class="num">warned</th>'
        f'<th class="num">quarantined</th></tr></thead><tbody>{body}</tbody></table>'
    )


def _quarantine_table(held: list[dict]) -> str:
    if not held:
        return '<p class="empty">Nothing is held in quarantine.</p>'
    body = []
    for q in held:
        d = q["data"]
        fid = str(d.get("fact_id") or q["record_id"])
        target = (
            fact_href(q["doc_id"], fid) if q["record_type"] == "fact" else doc_href(q["doc_id"])
        )
        what = d.get("metric") or q["record_type"]
        body.append(
            f'<tr data-record="{esc(q["record_id"])}"><td>{esc(q["record_type"])}</td>'
            f'<td><a href="{esc(target)}">{esc(q["doc_id"])}</a></td><td>{esc(what)}</td>'
            f'<td class="num">{esc(fmt_num(d["value"]) if isinstance(d.get("value"), int | float) else "")}</td>'
            f"<td>{esc(q['run_id'])}</td><td>{'<br>'.join(esc(x) for x in q['reasons'])}</td>"
            f'<td class="evidence">{esc(d.get("evidence") or "")}</td></tr>'
        )
    return (
        '<table id="quarantine"><thead><tr><th>record</th><th>document</th><th>metric</th>'
        '<th class="num">value</th><th>run</th><th>reasons</th><th>evidence</th></tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _n_documents(con) -> int:
    return con.execute("SELECT count(*) FROM documents").fetchone()[0]


def render_sections(con) -> str:
    """Everything below the run's own header: what the warehouse holds, not what the run did."""
    held = data.held_quarantine(con)
    held_ratios = data.quarantined_ratios(held)
    total, n_bad = data.ratio_counts(con)
    total += len(held_ratios)
    n_bad += sum(1 for r in held_ratios if not r["agrees"])
    ratios = order_ratios(data.ratio_facts(con, keep=MAX_POINTS) + held_ratios)
    charts_html = _charts(con, ratios, data.dq_history(con), total=total, bad=n_bad)
    n_docs = _n_documents(con)
    first_page = next(data.document_pages(con, DOC_LIST_ROWS), [])
    return f"""
<h2 id="growth-h">Which organizations grew</h2>
<p class="meta">First and latest reported value of each organization's own stock figures.</p>
{_growth_table(data.growth(con))}
{charts_html}
<h2 id="disagree-h">Stated percentages that disagree with their X/Y ({n_bad})</h2>
{_disagree_table(ratios, total=total, n_bad=n_bad)}
<h2 id="newest-h">Newest report per organization</h2>
{_newest_table(con, data.newest_reports(con))}
<h2 id="documents-h">Documents</h2>
<p class="meta">Open a document to see every number highlighted where it was read.</p>
{_pager(1, n_docs)}
{_documents_table(first_page)}
<h2 id="quarantine-h">Held in quarantine ({len(held)})</h2>
{_quarantine_table(held)}
"""


# What the sections are drawn by: a change to any of these files makes cached sections stale.
_SECTION_SOURCES = ("run_report.py", "charts.py", "data.py", "page.py", "provenance.py")
SECTIONS_CACHE = ".sections"


def sections_key(con) -> str:
    """A digest of every row the sections read, and of the code that draws them."""
    import hashlib

    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for name in _SECTION_SOURCES:
        h.update((here / name).read_bytes())
    h.update((here.parent / "warehouse" / "sql" / "views.sql").read_bytes())
    sql = (here / "sections_digest.sql").read_text(encoding="utf-8")
    h.update(repr(con.execute(sql).fetchall()).encode())
    return h.hexdigest()[:32]


def write_document_lists(con, out_dir: Path, *, warehouse) -> list[Path]:
    """Listing pages 2, 3, ... of the documents (the run report holds the first), written
    one page of rows at a time; listing pages past the last are removed."""
    out_dir = Path(out_dir)
    n_docs = _n_documents(con)
    written: list[Path] = []
    for page, docs in enumerate(data.document_pages(con, DOC_LIST_ROWS), start=1):
        if page == 1:
            continue
        body = (
            f'<nav class="top"><a href="index.html">latest run report</a></nav>'
            f"<h1>Documents, page {page}</h1>"
            '<p class="meta">Open a document to see every number highlighted where it was '
            f"read.</p>{_pager(page, n_docs)}{_documents_table(docs)}"
        )
        html = render(f"vnreport documents, page {page}", body, warehouse=warehouse)
        written.append(write_text(out_dir / doc_list_name(page), html))
    keep = set(written)
    for old in out_dir.glob("documents-*.html"):
        if old not in keep:
            old.unlink(missing_ok=True)
    return written


def cached_sections(con, out_dir: Path, *, warehouse) -> str:
    """The sections (and the documents' listing pages), drawn again only when the
    warehouse's rows changed since last time, or a listing page is missing.

    A night on which nothing was new or changed loads nothing, so its report's sections
    are those of the night before; redrawing them cost most of such a run. The cache
    (one file beside the reports) is a rendering of the same rows by the same code,
    never a different page.
    """
    cache = out_dir / SECTIONS_CACHE
    path = cache / f"sections-{sections_key(con)}.html"
    lists = [out_dir / doc_list_name(n) for n in range(2, _doc_pages(_n_documents(con)) + 1)]
    if path.exists() and all(p.exists() for p in lists):
        return path.read_text(encoding="utf-8")
    html = render_sections(con)
    write_document_lists(con, out_dir, warehouse=warehouse)
    for old in cache.glob("sections-*.html"):
        old.unlink(missing_ok=True)
    write_text(path, html)
    return html


def render_run_report(
    con,
    run: dict,
    prev: dict | None,
    *,
    out_dir: Path,
    warehouse,
    sections: str | None = None,
) -> str:
    """The report page of `run`; `sections` (from `cached_sections`) saves drawing them."""
    totals = data.warehouse_totals(con)
    docs_link = file_href(run.get("data_docs_index"), out_dir)
    summary = Path(warehouse).resolve().parent / "dq" / "summary.html"
    links = []
    if docs_link:
        links.append(f'<a id="data-docs" href="{esc(docs_link)}">Data Docs of this run</a>')
    if summary.exists():
        links.append(f'<a id="dq-summary" href="{esc(file_href(summary, out_dir))}">DQ summary</a>')
    failed = data.failures(con, run["run_id"])
    failed_html = ""
    if failed:
        failed_html = (
            '<h3>Documents that failed in this run</h3><table id="failures"><thead><tr>'
            "<th>document</th><th>stage</th><th>reason</th></tr></thead><tbody>"
            + "".join(
                f"<tr><td>{esc(f['doc_id'])}</td><td>{esc(f['stage'])}</td>"
                f"<td>{esc(f['reason'])}</td></tr>"
                for f in failed
            )
            + "</tbody></table>"
        )
    if sections is None:
        sections = render_sections(con)
    body = f"""
<nav class="top"><a href="#counts">counts</a><a href="#growth-h">growth</a>
<a href="#charts">charts</a><a href="#disagree-h">disagreeing %</a>
<a href="#newest-h">newest reports</a><a href="#documents-h">documents</a>
<a href="#quarantine-h">quarantine</a>{"".join(links)}</nav>
<h1>vnreport run <span id="run-id">{esc(run["run_id"])}</span></h1>
<p class="meta"><span>status <b id="run-status">{esc(run.get("status"))}</b></span>
<span>started {esc(run.get("started_at"))}</span><span>finished {esc(run.get("finished_at"))}</span>
<span>extractor {esc(run.get("extractor_version"))}</span>
<span>{esc(run.get("documents_read"))} documents read</span>
<span>previous run {esc(prev["run_id"] if prev else "none")}</span></p>
<p class="meta">Every underlined number and every chart point links to the sentence it was read
from, highlighted in its document.</p>
{_cards(run, prev, totals)}
{failed_html}{sections}"""
    return render(f"vnreport run {run['run_id']}", body, warehouse=warehouse, body_class="run")


def write_reports(
    db_path: Path, out_dir: Path, *, run_id: str | None = None, rebuild: bool = False
) -> dict:
    """Write the run report (run-<id>.html, copied to index.html when it is the latest run)
    and the viewer page of every document the run touched or whose page is missing or from
    an older page format (all of them with `rebuild`).

    Returns {"run_report": path, "documents": pages in the folder (one per document),
    "documents_written": n}.
    """
    from vnreport.warehouse import db

    db_path, out_dir = Path(db_path), Path(out_dir)
    con = db.connect_read(db_path, memory_limit=REPORT_MEMORY_LIMIT, threads=REPORT_THREADS)
    try:
        all_runs = data.runs(con)
        run, prev = data.pick_run(all_runs, run_id)
        if run is None:
            what = f"run {run_id}" if run_id else "any run"
            raise LookupError(f"{db_path}: no record of {what} in the runs table")
        touched = data.touched_documents(con, run["run_id"])
        doc_ids = data.document_ids(con)
        current = set() if rebuild else provenance.current_pages(out_dir)
        todo = [d for d in doc_ids if d in touched or doc_filename(d) not in current]
        con.execute(f"SET memory_limit = '{PAGES_MEMORY_LIMIT}'")
        provenance.write_documents(con, todo, out_dir, warehouse=db_path)
        con.execute(f"SET memory_limit = '{REPORT_MEMORY_LIMIT}'")
        provenance.stamp_pages(out_dir)
        sections = cached_sections(con, out_dir, warehouse=db_path)
        html = render_run_report(
            con, run, prev, out_dir=out_dir, warehouse=db_path, sections=sections
        )
    finally:
        con.close()
    report = write_text(out_dir / f"run-{run['run_id']}.html", html)
    if run is all_runs[-1]:
        index = out_dir / "index.html"
        tmp = index.with_name("index.html.tmp")
        shutil.copyfile(report, tmp)
        tmp.replace(index)
        report = index
    return {"run_report": report, "documents": len(doc_ids), "documents_written": len(todo)}
