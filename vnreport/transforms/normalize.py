"""Normalize stage: extracted records into typed Polars frames.

Frames have fixed schemas so validation and loading never guess at types, and
ids are hashes of content (not counters) so a re-run over the same inputs
produces the same ids and the load stays idempotent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import polars as pl

from vnreport.records import CleanDoc

FACT_SCHEMA: dict[str, pl.DataType] = {
    "fact_id": pl.Utf8,
    "doc_id": pl.Utf8,
    "metric": pl.Utf8,
    "value": pl.Float64,
    "value_max": pl.Float64,
    "unit": pl.Utf8,
    "qualifier": pl.Utf8,
    "denominator": pl.Float64,
    "pct": pl.Float64,
    "scope": pl.Utf8,
    "subject": pl.Utf8,
    "label": pl.Utf8,
    "evidence": pl.Utf8,
    "start": pl.Int64,
    "end": pl.Int64,
    "doc_length": pl.Int64,
    "organization": pl.Utf8,
    "period": pl.Utf8,
    "report_type": pl.Utf8,
    "extractor_version": pl.Utf8,
    "run_id": pl.Utf8,
}

REPORT_FIELDS = (
    "title",
    "organization",
    "province",
    "district",
    "period",
    "report_type",
    "meeting_date",
    "published_date",
    "source",
)

REPORT_SCHEMA: dict[str, pl.DataType] = {
    "doc_id": pl.Utf8,
    "title": pl.Utf8,
    "organization": pl.Utf8,
    "province": pl.Utf8,
    "district": pl.Utf8,
    "period": pl.Utf8,
    "report_type": pl.Utf8,
    "meeting_date": pl.Utf8,
    "published_date": pl.Utf8,
    "source_name": pl.Utf8,
    "inferred": pl.List(pl.Utf8),
}

DOCUMENT_SCHEMA: dict[str, pl.DataType] = {
    "doc_id": pl.Utf8,
    "source": pl.Utf8,
    "uri": pl.Utf8,
    "content_hash": pl.Utf8,
    "title": pl.Utf8,
    "published_date": pl.Utf8,
    "site": pl.Utf8,
    "text": pl.Utf8,
    "text_length": pl.Int64,
    "extractor_version": pl.Utf8,
    "fetched_at": pl.Utf8,
}


def fact_id(fact: dict) -> str:
    """Same fact, same id: the document, where it sits, what it says."""
    key = "\x1f".join(
        str(fact.get(k))
        for k in ("doc", "metric", "start", "end", "value", "value_max", "subject", "label")
    )
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]


def _as_float(v) -> float | None:
    return None if v is None else float(v)


def report_rows(doc_fields: Iterable[dict]) -> list[dict]:
    """Pivot document-field records (one per field) into one row per document."""
    rows: dict[str, dict] = {}
    for rec in doc_fields:
        doc = rec["doc"]
        row = rows.setdefault(doc, {"doc_id": doc, "inferred": []})
        field = rec["field"]
        if field not in REPORT_FIELDS:
            continue
        row["source_name" if field == "source" else field] = rec.get("value")
        if rec.get("inferred"):
            row["inferred"].append(field)
    return list(rows.values())


def reports_frame(doc_fields: Iterable[dict]) -> pl.DataFrame:
    return pl.DataFrame(report_rows(doc_fields), schema=REPORT_SCHEMA)


def facts_frame(
    facts: Sequence[dict],
    reports: pl.DataFrame,
    doc_lengths: dict[str, int],
    *,
    extractor_version: str,
    run_id: str,
) -> pl.DataFrame:
    """Typed facts with their document's organization/period, deduplicated by id.

    The extractor may report the same span twice (two cues on one number); one
    row per id keeps counts honest.
    """
    context = {
        r["doc_id"]: r
        for r in reports.select("doc_id", "organization", "period", "report_type").to_dicts()
    }
    rows = []
    seen: set[str] = set()
    for f in facts:
        fid = fact_id(f)
        if fid in seen:
            continue
        seen.add(fid)
        doc = context.get(f["doc"], {})
        rows.append(
            {
                "fact_id": fid,
                "doc_id": f["doc"],
                "metric": f["metric"],
                "value": _as_float(f["value"]),
                "value_max": _as_float(f.get("value_max")),
                "unit": f["unit"],
                "qualifier": f.get("qualifier"),
                "denominator": _as_float(f.get("denominator")),
                "pct": _as_float(f.get("pct")),
                "scope": f.get("scope") or "org",
                "subject": f.get("subject"),
                "label": f.get("label"),
                "evidence": f.get("evidence") or "",
                "start": f["start"],
                "end": f["end"],
                "doc_length": doc_lengths.get(f["doc"]),
                "organization": doc.get("organization"),
                "period": doc.get("period"),
                "report_type": doc.get("report_type"),
                "extractor_version": extractor_version,
                "run_id": run_id,
            }
        )
    return pl.DataFrame(rows, schema=FACT_SCHEMA).sort("doc_id", "start", "end", "metric")


def documents_frame(
    docs: Sequence[CleanDoc], *, extractor_version: str, fetched_at: dict[str, str] | None = None
) -> pl.DataFrame:
    fetched_at = fetched_at or {}
    rows = [
        {
            "doc_id": d.doc_id,
            "source": d.source,
            "uri": d.uri,
            "content_hash": d.content_hash,
            "title": d.title,
            "published_date": d.published_date,
            "site": d.site,
            "text": d.text,
            "text_length": len(d.text),
            "extractor_version": extractor_version,
            "fetched_at": fetched_at.get(d.doc_id),
        }
        for d in docs
    ]
    return pl.DataFrame(rows, schema=DOCUMENT_SCHEMA).sort("doc_id")
