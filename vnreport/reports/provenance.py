"""One page per document: its cleaned text with every extracted fact highlighted in place.

Offsets index `documents.text`, the same string the extractor read, so a highlight is a
direct slice of what was stored: if it looks wrong, the extraction is wrong, not the page.
Spans may overlap (a total and its parts, a ratio inside a sentence-long fact); properly
nested ones become nested <mark>s and crossing ones are split into pieces that share
the fact's id, so every fact keeps its whole span highlighted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from vnreport.reports import data
from vnreport.reports.charts import color_for, esc, fmt_num
from vnreport.reports.page import PAGE_STAMP, doc_filename, render, web_href, write_text

QUARANTINE_KEY = "quarantined"
BATCH = 200  # documents read from the warehouse per query when writing many pages


@dataclass
class Span:
    """A fact as the viewer shows it (loaded or held in quarantine)."""

    anchor: str  # element id of the first piece: fact-<id>
    fact_id: str
    start: int
    end: int
    metric: str
    status: str  # pass | warn | quarantined
    record: dict
    notes: list[str] = field(default_factory=list)  # warnings or quarantine reasons
    problem: str | None = None  # why the span cannot be shown

    @property
    def classes(self) -> str:
        extra = {"warn": " warn", "quarantined": " quarantined"}.get(self.status, "")
        return f"fact{extra}"


def _value_text(rec: dict) -> str:
    value, vmax = rec.get("value"), rec.get("value_max")
    if value is None:
        return "–"
    text = fmt_num(float(value), 2)
    if vmax is not None:
        text += f"–{fmt_num(float(vmax), 2)}"
    return text


def _money_words(rec: dict) -> str:
    """1.845.000.000.000 vnd is hard to read; the articles say 1.845 tỷ đồng."""
    value, unit = rec.get("value"), rec.get("unit") or ""
    if value is None or not unit.startswith("vnd"):
        return ""
    for div, word in ((1e9, "tỷ"), (1e6, "triệu")):
        if abs(float(value)) >= div:
            return f"{fmt_num(float(value) / div, 3)} {word} đồng"
    return ""


def _hover(span: Span) -> str:
    r = span.record
    lines = [f"{span.metric}: {_value_text(r)} {r.get('unit') or ''}".rstrip()]
    if _money_words(r):
        lines.append(f"= {_money_words(r)}")
    for key in ("qualifier", "subject", "scope", "label", "period"):
        if r.get(key):
            lines.append(f"{key}: {r[key]}")
    if r.get("denominator") is not None:
        lines.append(f"of: {fmt_num(float(r['denominator']), 2)}")
    if r.get("pct") is not None:
        lines.append(f"stated: {fmt_num(float(r['pct']), 2)}%")
    lines.append(f"data quality: {span.status}")
    lines.extend(f"  {n}" for n in span.notes)
    return "\n".join(lines)


def collect_spans(doc: dict, facts: list[dict], held: list[dict]) -> list[Span]:
    """Loaded facts and held fact records of one document, each checked against the text."""
    text = doc["text"] or ""
    spans: list[Span] = []
    used: set[str] = set()
    for f in facts:
        anchor = f"fact-{f['fact_id']}"
        used.add(anchor)
        spans.append(
            Span(
                anchor,
                f["fact_id"],
                int(f["start_offset"]),
                int(f["end_offset"]),
                f["metric"],
                f["dq_status"] or "pass",
                f,
                list(f.get("dq_warnings") or []),
            )
        )
    for q in held:
        if q["record_type"] != "fact":
            continue
        rec = dict(q["data"])
        fid = str(rec.get("fact_id") or q["record_id"])
        anchor = f"fact-{fid}" if f"fact-{fid}" not in used else f"fact-q-{q['record_id']}"
        used.add(anchor)
        start, end = (
            rec.get("start", rec.get("start_offset")),
            rec.get("end", rec.get("end_offset")),
        )
        span = Span(
            anchor,
            fid,
            int(start) if isinstance(start, int | float) else -1,
            int(end) if isinstance(end, int | float) else -1,
            str(rec.get("metric") or "?"),
            QUARANTINE_KEY,
            rec,
            list(q["reasons"]),
        )
        if q.get("bad_json"):
            span.problem = "quarantine record is not valid JSON"
        spans.append(span)
    for s in spans:
        if s.problem:
            continue
        if not (0 <= s.start < s.end <= len(text)):
            s.problem = f"offsets {s.start}..{s.end} are outside the text ({len(text)} characters)"
        elif s.record.get("evidence") and text[s.start : s.end] != s.record["evidence"]:
            s.notes.append("evidence differs from the text at these offsets")
    return spans


def highlight(text: str, spans: list[Span]) -> str:
    """Escaped text with <mark>s: nested where spans nest, split where they cross."""
    shown = [s for s in spans if not s.problem]
    starts: dict[int, list[Span]] = {}
    for s in shown:
        starts.setdefault(s.start, []).append(s)
    for group in starts.values():
        group.sort(key=lambda s: (-s.end, s.anchor))  # outer first
    bounds = sorted({s.start for s in shown} | {s.end for s in shown})
    out: list[str] = []
    stack: list[Span] = []
    opened: set[str] = set()

    def open_mark(s: Span) -> None:
        first = s.anchor not in opened
        opened.add(s.anchor)
        ident = f' id="{esc(s.anchor)}"' if first else ""
        bg = "" if s.status == QUARANTINE_KEY else f' style="background:{color_for(s.metric)}"'
        out.append(
            f'<mark class="{s.classes}"{ident} data-fact="{esc(s.anchor)}" '
            f'data-metric="{esc(s.metric)}" data-status="{esc(s.status)}"{bg} '
            f'title="{esc(_hover(s))}">'
        )

    pos = 0
    for b in bounds:
        out.append(esc(text[pos:b]))
        pos = b
        if any(s.end == b for s in stack):
            reopen: list[Span] = []
            while any(s.end == b for s in stack):
                s = stack.pop()
                out.append("</mark>")
                if s.end != b:
                    reopen.append(s)
            for s in reversed(reopen):
                open_mark(s)
                stack.append(s)
        for s in starts.get(b, []):
            open_mark(s)
            stack.append(s)
    out.append(esc(text[pos:]))
    return "".join(out)


def _fact_row(s: Span) -> str:
    r = s.record
    value = _value_text(r)
    if r.get("denominator") is not None:
        value += f"/{fmt_num(float(r['denominator']), 2)}"
    if r.get("pct") is not None:
        value += f" ({fmt_num(float(r['pct']), 2)}%)"
    details = [
        f"{key} <b>{esc(r[key])}</b>"
        for key in ("qualifier", "subject", "scope", "period")
        if r.get(key)
    ]
    status = f'<span class="status-{esc(s.status)}">{esc(s.status)}</span>'
    notes = "".join(f"<li>{esc(n)}</li>" for n in s.notes)
    if s.problem:
        notes += f"<li><b>not highlighted:</b> {esc(s.problem)}</li>"
    chip_style = "" if s.status == QUARANTINE_KEY else f' style="background:{color_for(s.metric)}"'
    chip_cls = "chip swatch-q" if s.status == QUARANTINE_KEY else "chip"
    label = f'<div class="label"><i>{esc(r["label"])}</i></div>' if r.get("label") else ""
    return (
        f'<tr id="row-{esc(s.anchor)}" data-fact="{esc(s.anchor)}" data-status="{esc(s.status)}">'
        f'<td><a href="#{esc(s.anchor)}"><span class="{chip_cls}"{chip_style}>{esc(s.metric)}'
        f"</span></a>{label}</td>"
        f'<td class="num">{esc(value)}<div class="unit">{esc(r.get("unit") or "")}</div>'
        f'<div class="unit">{esc(_money_words(r))}</div></td>'
        f'<td class="details">{" · ".join(details)}<div>data quality: {status}</div>'
        f"{f'<ul>{notes}</ul>' if notes else ''}"
        f'<div class="evidence">«{esc(r.get("evidence") or "")}»</div></td></tr>'
    )


def render_page(
    doc: dict, facts: list[dict], held: list[dict], descriptions: dict, *, warehouse
) -> str:
    """The viewer page of one document, from its rows in the warehouse."""
    doc_id = doc["doc_id"]
    spans = collect_spans(doc, facts, held)

    counts: dict[str, int] = {}
    for s in spans:
        if s.status != QUARANTINE_KEY:
            counts[s.metric] = counts.get(s.metric, 0) + 1
    legend = [
        f'<span class="chip" style="background:{color_for(m)}" title="{esc(descriptions.get(m))}"'
        f' data-metric="{esc(m)}">{esc(m)} · {n}</span>'
        for m, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    n_held = sum(1 for s in spans if s.status == QUARANTINE_KEY)
    n_warn = sum(1 for s in spans if s.status == "warn")
    if n_held:
        legend.append(f'<span class="chip swatch-q">quarantined · {n_held}</span>')
    if n_warn:
        legend.append(
            f'<span class="chip" style="border-bottom:2px dashed #b7791f">warned · {n_warn}</span>'
        )

    title = doc.get("title") or doc_id
    src = doc.get("uri") or ""
    link = web_href(src)
    src_html = f'<a href="{esc(link)}" rel="noreferrer">{esc(src)}</a>' if link else esc(src)
    meta = [
        f"<span>{esc(doc.get('organization') or doc.get('report_organization') or '')}</span>",
        f"<span>period {esc(doc.get('period') or '?')}</span>",
        f"<span>{esc(doc.get('report_type') or '')}</span>",
        f"<span>published {esc(doc.get('published_date') or '?')}</span>",
        f"<span>source {esc(doc.get('source') or '')}</span>",
        f"<span>loaded by run {esc(doc.get('loaded_run') or '?')}</span>",
    ]
    notices = "".join(
        f'<div class="notice">Report fields held in quarantine: {esc("; ".join(q["reasons"]))}'
        "</div>"
        for q in held
        if q["record_type"] == "report"
    )
    rows = "".join(_fact_row(s) for s in sorted(spans, key=lambda s: (s.start, -s.end)))
    body = f"""
<nav class="top"><a href="../index.html">← run report</a></nav>
<h1 id="doc-title">{esc(title)}</h1>
<p class="meta">{"".join(meta)}</p>
<p class="meta"><span>document <code id="doc-id">{esc(doc_id)}</code></span>
<span>{src_html}</span><span>{esc(doc.get("text_length"))} characters</span>
<span id="fact-count">{len(facts)} facts loaded</span><span>{n_held} held in quarantine</span></p>
{notices}
<div class="legend" id="legend">{"".join(legend)}</div>
<div class="layout">
<article id="text" class="doc-text">{highlight(doc.get("text") or "", spans)}</article>
<aside><table id="facts"><thead><tr><th>metric</th><th class="num">value</th>
<th>qualifier · subject · scope · period, data quality, evidence</th></tr></thead><tbody>{rows}</tbody></table></aside>
</div>"""
    return render(f"{title} · vnreport", body, warehouse=warehouse, body_class="viewer")


def render_document(con, doc_id: str, *, warehouse: Path | str) -> str:
    doc = data.document(con, doc_id)
    if doc is None:
        raise LookupError(f"document {doc_id!r} is not in the warehouse")
    return render_page(
        doc,
        data.document_facts(con, doc_id),
        data.held_quarantine(con, [doc_id]),
        data.metric_descriptions(con),
        warehouse=warehouse,
    )


def page_path(out_dir: Path, doc_id: str) -> Path:
    return Path(out_dir) / "documents" / doc_filename(doc_id)


STAMP_FILE = ".page-format"  # in documents/: the page format every page there was written in


def current_pages(out_dir: Path) -> set[str]:
    """File names of the pages in `<out_dir>/documents` written by this page code.

    One stamp file for the folder rather than a look inside every page: at a
    hundred thousand documents, opening each page every night cost seconds. A
    stamp from another format (or none) means no page is current; the stamp is
    written only once every page has been written again (`stamp_pages`).
    """
    folder = Path(out_dir) / "documents"
    try:
        stamp = (folder / STAMP_FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return set()
    if stamp != PAGE_STAMP:
        return set()
    with os.scandir(folder) as entries:
        return {e.name for e in entries if e.name.endswith(".html")}


def stamp_pages(out_dir: Path) -> None:
    """Mark every page in `<out_dir>/documents` as written by this page code."""
    write_text(Path(out_dir) / "documents" / STAMP_FILE, PAGE_STAMP)


def write_document(con, doc_id: str, out_dir: Path, *, warehouse: Path | str) -> Path:
    """Write `<out_dir>/documents/<doc_id>.html` and return its path."""
    page = render_document(con, doc_id, warehouse=warehouse)
    return write_text(page_path(out_dir, doc_id), page)


def write_documents(
    con, doc_ids: list[str], out_dir: Path, *, warehouse: Path | str, chunk: int = BATCH
) -> dict[str, Path]:
    """Write many pages, reading the warehouse a chunk of documents at a time."""
    descriptions = data.metric_descriptions(con)
    out: dict[str, Path] = {}
    for i in range(0, len(doc_ids), chunk):
        ids = doc_ids[i : i + chunk]
        docs = data.documents_in(con, ids)
        facts = data.facts_in(con, ids)
        held: dict[str, list[dict]] = {d: [] for d in ids}
        for q in data.held_quarantine(con, ids):
            held[q["doc_id"]].append(q)
        for doc_id in ids:
            if doc_id not in docs:
                raise LookupError(f"document {doc_id!r} is not in the warehouse")
            page = render_page(
                docs[doc_id], facts[doc_id], held[doc_id], descriptions, warehouse=warehouse
            )
            out[doc_id] = write_text(page_path(out_dir, doc_id), page)
    return out
