"""Validate one run's facts and reports with Great Expectations.

One batch per suite (facts, reports), each expectation's failures mapped back
to the rows they came from through the `_row` column, and every row's failed
expectations turned into a verdict: a `fail` expectation sends the record to
quarantine (with all its reasons and the record itself), a `warn` expectation
lets it load with the reason in `dq_warnings`. Nothing is dropped: each input
row ends up either in `Validation.facts`/`reports` or in `quarantine`.

Great Expectations is imported inside the functions: it takes seconds to
import and the light CLI commands must not pay for it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from vnreport.expectations import checks, suites
from vnreport.expectations.summary import summary_markdown, write_summary_html

__all__ = ["Validation", "summary_markdown", "validate_run", "write_summary_html"]

FACT_SUITE = "facts"
REPORT_SUITE = "reports"
DATASOURCE = "vnreport"

QUARANTINE_SCHEMA = {
    "record_id": pl.Utf8,
    "record_type": pl.Utf8,
    "doc_id": pl.Utf8,
    "run_id": pl.Utf8,
    "reasons": pl.List(pl.Utf8),
    "record": pl.Utf8,
}
DQ_RESULTS_SCHEMA = {
    "run_id": pl.Utf8,
    "suite": pl.Utf8,
    "expectation": pl.Utf8,
    "severity": pl.Utf8,
    "success": pl.Boolean,
    "observed": pl.Utf8,
    "unexpected_count": pl.Int64,
}
ISSUES_SCHEMA = {
    "record_type": pl.Utf8,
    "record_id": pl.Utf8,
    "doc_id": pl.Utf8,
    "rule": pl.Utf8,
    "severity": pl.Utf8,
    "detail": pl.Utf8,
    "metric": pl.Utf8,
    "value": pl.Float64,
    "evidence": pl.Utf8,
}
POLARS_TYPES = {"str": pl.Utf8, "float": pl.Float64, "int": pl.Int64, "list": pl.List(pl.Utf8)}


@dataclass
class Validation:
    """What validation lets through, what it holds back, and why."""

    facts: pl.DataFrame  # input columns + dq_status + dq_warnings; loadable facts only
    reports: pl.DataFrame  # loadable reports
    quarantine: pl.DataFrame  # record_id, record_type, doc_id, run_id, reasons, record (JSON)
    dq_results: pl.DataFrame  # one row per expectation and suite
    data_docs_index: str | None
    # One row per (record, failed expectation): the examples the run summary shows.
    issues: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=ISSUES_SCHEMA))
    # Rule name -> its description, for reports.
    descriptions: dict[str, str] = field(default_factory=dict)
    summary_html: str | None = None
    reports_in: int = 0
    facts_in: int = 0


@dataclass
class _Outcome:
    """Per suite: the results table and, per input row, the failed rules with details."""

    results: list[dict[str, Any]]
    by_row: dict[int, list[tuple[str, str, str]]]  # row -> [(rule, severity, detail)]


def _quiet_gx() -> None:
    """Telemetry off before Great Expectations is imported (it reads the variable then)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"


def _coerce(frame: pl.DataFrame, columns: Mapping[str, str]) -> pl.DataFrame:
    """The contract columns in their contract types, for the derived checks only.

    The Great Expectations batch keeps the frame as it came (so a wrong type is
    reported), but the checks must compute on something well-typed.
    """
    exprs = []
    for col, kind in columns.items():
        target = POLARS_TYPES[kind]
        if col not in frame.columns:
            exprs.append(pl.lit(None, dtype=target).alias(col))
        elif frame.schema[col] != target:
            if kind == "list":
                exprs.append(pl.lit(None, dtype=target).alias(col))
            else:
                exprs.append(pl.col(col).cast(target, strict=False))
    return frame.with_columns(exprs) if exprs else frame


def _to_pandas(frame: pl.DataFrame):
    """Hand the batch to Great Expectations: integers as nullable Int64, text as Python str."""
    import pandas as pd

    conv = frame.with_columns(
        [
            pl.col(c).map_elements(
                lambda v: json.dumps(list(v), ensure_ascii=False), return_dtype=pl.Utf8
            )
            for c, t in frame.schema.items()
            if isinstance(t, pl.List)
        ]
    )
    pdf = conv.to_pandas()
    for c, t in conv.schema.items():
        if t.is_integer():
            pdf[c] = pd.array(conv[c].to_list(), dtype="Int64")
        elif t == pl.Utf8:
            # Plain Python strings: Great Expectations then checks each value's type.
            pdf[c] = pd.Series(conv[c].to_list(), dtype=object, index=pdf.index)
    return pdf


def _context(dq_root: Path):
    """A file-backed Great Expectations project under dq_root with offline Data Docs."""
    _quiet_gx()
    import great_expectations as gx

    from vnreport.expectations import datadocs

    dq_root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(dq_root))
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    context.variables.analytics_enabled = False
    context.variables.save()
    sites = context.variables.data_docs_sites or {}
    config = datadocs.site_config()
    if sites.get(datadocs.SITE_NAME) != config:
        if datadocs.SITE_NAME in sites:
            context.update_data_docs_site(datadocs.SITE_NAME, config)
        else:
            context.add_data_docs_site(datadocs.SITE_NAME, config)
    return context


def _batch_definition(context, asset_name: str):
    source = context.data_sources.add_or_update_pandas(DATASOURCE)
    try:
        asset = source.get_asset(asset_name)
    except LookupError:
        asset = source.add_dataframe_asset(asset_name)
    try:
        return asset.get_batch_definition("whole")
    except KeyError:
        return asset.add_batch_definition_whole_dataframe("whole")


def _plain(v: Any) -> Any:
    """numpy/pandas scalars to JSON-friendly Python values."""
    if hasattr(v, "item") and not isinstance(v, (list, dict, str)):
        with contextlib.suppress(ValueError, AttributeError):
            v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    try:
        import pandas as pd

        if v is pd.NA:
            return None
    except ImportError:  # pragma: no cover
        pass
    return v


def _observed(result: dict[str, Any], exception: str | None, *, sample: bool = True) -> str:
    if exception:
        return f"error: {exception}"
    if "unexpected_count" in result:
        n = result.get("unexpected_count") or 0
        total = result.get("element_count")
        values = [_plain(v) for v in (result.get("partial_unexpected_list") or [])[:5]]
        text = f"{n} of {total} unexpected"
        if n and values and sample:
            text += f"; e.g. {json.dumps(values, ensure_ascii=False, default=str)}"
        return text
    mismatched = (result.get("details") or {}).get("mismatched") or {}
    if mismatched.get("missing"):
        return "missing columns: " + ", ".join(sorted(mismatched["missing"]))
    return json.dumps(_plain(result.get("observed_value")), ensure_ascii=False, default=str)


def _run_suite(
    context,
    *,
    suite_name: str,
    rules: list[suites.Rule],
    batch: pl.DataFrame,
    whys: Mapping[str, Mapping[int, str]],
    run_id: str,
    index_columns: list[str],
) -> _Outcome:
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    # Replace the stored suite in one write: updating it in place re-serializes the
    # whole suite once per expectation (seconds for a hundred expectations).
    with contextlib.suppress(Exception):  # absent on the first run
        context.suites.delete(suite_name)
    suite = context.suites.add(suites.build_suite(suite_name, rules))
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(
            name=suite_name, data=_batch_definition(context, suite_name), suite=suite
        )
    )
    result = definition.run(
        batch_parameters={"dataframe": _to_pandas(batch)},
        result_format={
            "result_format": "COMPLETE",
            "unexpected_index_column_names": index_columns,
            "partial_unexpected_count": 5,
        },
        run_id=RunIdentifier(run_name=run_id, run_time=dt.datetime.now(dt.UTC)),
    )
    all_rows = batch["_row"].to_list()
    check_by_column = {f"chk_{name}": name for name in whys}
    out = _Outcome(results=[], by_row={})
    for res in result.results:
        meta = res.expectation_config.meta or {}
        rule, severity = meta.get("rule"), meta.get("severity", "fail")
        info = res.exception_info or {}
        exception = info.get("exception_message") if info.get("raised_exception") else None
        body = res.result or {}
        success = bool(res.success) and not exception
        column = res.expectation_config.kwargs.get("column")
        check = check_by_column.get(column)
        out.results.append(
            {
                "run_id": run_id,
                "suite": suite_name,
                "expectation": rule,
                "severity": severity,
                "success": success,
                "observed": _observed(body, exception, sample=check is None),
                "unexpected_count": body.get("unexpected_count"),
            }
        )
        if success:
            continue
        index_list = body.get("unexpected_index_list")
        if index_list is not None and len(index_list) < (body.get("unexpected_count") or 0):
            # Never let a truncated index list load records that failed: hold the batch.
            index_list = None
        if exception or index_list is None:
            # A table-level expectation (or one that could not run): the whole batch is suspect.
            detail = f"observed {_observed(body, exception)}"
            mismatched = (body.get("details") or {}).get("mismatched") or {}
            if mismatched.get("missing"):
                detail = "missing columns: " + ", ".join(sorted(mismatched["missing"]))
            elif column and column not in batch.columns:
                detail = f"column {column} is missing"
            for row in all_rows:
                out.by_row.setdefault(row, []).append((rule, severity, detail))
            continue
        for item in index_list:
            row = int(_plain(item["_row"]))
            if check is not None:
                detail = whys[check].get(row, "check failed")
            else:
                shown = {
                    k: _plain(v) for k, v in item.items() if k not in ("_row", "fact_id", "doc_id")
                } or {k: _plain(v) for k, v in item.items() if k != "_row"}
                detail = "got " + ", ".join(f"{k}={v!r}" for k, v in shown.items())
            out.by_row.setdefault(row, []).append((rule, severity, detail))
    return out


def _record_json(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, default=str, sort_keys=False)


def _record_id(record: dict[str, Any], key: str) -> str:
    if record.get(key):
        return str(record[key])
    digest = hashlib.sha256(_record_json(record).encode()).hexdigest()[:16]
    return f"{record.get('doc_id') or 'unknown'}:{digest}"


def _split(
    frame: pl.DataFrame,
    outcome: _Outcome,
    *,
    record_type: str,
    key: str,
    run_id: str,
    descriptions: Mapping[str, str],
) -> tuple[pl.DataFrame, list[dict], list[dict]]:
    """Loadable rows (with dq_status, dq_warnings), quarantine rows and issue rows."""
    keep, status, warnings = [], [], []
    quarantine, issues = [], []
    used: set[str] = set()
    for row, record in enumerate(frame.iter_rows(named=True)):
        found = outcome.by_row.get(row, [])
        fails = [(r, d) for r, s, d in found if s == "fail"]
        warns = [(r, d) for r, s, d in found if s != "fail"]
        rid = _record_id(record, key)
        if rid in used:
            # Duplicate ids are quarantined together; the warehouse keys quarantine by id.
            digest = hashlib.sha256(_record_json(record).encode()).hexdigest()[:12]
            rid, n = f"{rid}:{digest}", 1
            while rid in used:
                n += 1
                rid = f"{rid.rsplit('#', 1)[0]}#{n}"
        used.add(rid)
        for rule, severity, detail in found:
            issues.append(
                {
                    "record_type": record_type,
                    "record_id": rid,
                    "doc_id": record.get("doc_id"),
                    "rule": rule,
                    "severity": severity,
                    "detail": detail,
                    "metric": record.get("metric"),
                    "value": record.get("value")
                    if isinstance(record.get("value"), float | int)
                    else None,
                    "evidence": record.get("evidence"),
                }
            )
        if fails:
            quarantine.append(
                {
                    "record_id": rid,
                    "record_type": record_type,
                    "doc_id": record.get("doc_id"),
                    "run_id": run_id,
                    "reasons": [f"{r}: {descriptions.get(r, '')} — {d}" for r, d in fails + warns],
                    "record": _record_json(record),
                }
            )
            continue
        keep.append(row)
        status.append("warn" if warns else "pass")
        warnings.append([f"{r}: {d}" for r, d in warns])
    kept = frame[keep] if keep else frame.clear()
    kept = kept.with_columns(
        pl.Series("dq_status", status, dtype=pl.Utf8),
        pl.Series("dq_warnings", warnings, dtype=pl.List(pl.Utf8)),
    )
    return kept, quarantine, issues


def validate_run(
    facts: pl.DataFrame,
    reports: pl.DataFrame,
    *,
    run_id: str,
    dq_root: Path,
    history: pl.DataFrame | None = None,
    catalog: Any = None,
    today: dt.date | None = None,
    build_docs: bool = True,
) -> Validation:
    """Validate a run's frames, rebuild Data Docs under dq_root and split pass/warn/quarantine.

    `catalog` defaults to the project's metric catalog; `today` bounds plausible
    years (defaults to the current date).
    """
    dq_root = Path(dq_root)
    specs = suites.metric_specs(catalog)
    fact_rules = suites.fact_rules(specs, run_id=run_id)
    report_rules = suites.report_rules()
    descriptions = {r.name: r.description for r in fact_rules + report_rules}

    facts = facts.drop([c for c in facts.columns if c in ("dq_status", "dq_warnings")])
    facts_rows = facts.with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64))
    reports_rows = reports.with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64))
    fact_checked, fact_whys = checks.apply_checks(
        _coerce(facts_rows, suites.FACT_COLUMNS), checks.FACT_CHECKS, history=history, today=today
    )
    report_checked, report_whys = checks.apply_checks(
        _coerce(reports_rows, suites.REPORT_COLUMNS), checks.REPORT_CHECKS, today=today
    )
    fact_batch = facts_rows.join(
        fact_checked.select("_row", *[c.column for c in checks.FACT_CHECKS]), on="_row"
    ).sort("_row")
    report_batch = reports_rows.join(
        report_checked.select("_row", *[c.column for c in checks.REPORT_CHECKS]), on="_row"
    ).sort("_row")

    context = _context(dq_root)
    fact_outcome = _run_suite(
        context,
        suite_name=FACT_SUITE,
        rules=fact_rules,
        batch=fact_batch,
        whys=fact_whys,
        run_id=run_id,
        index_columns=["_row"] + (["fact_id"] if "fact_id" in facts.columns else []),
    )
    report_outcome = _run_suite(
        context,
        suite_name=REPORT_SUITE,
        rules=report_rules,
        batch=report_batch,
        whys=report_whys,
        run_id=run_id,
        index_columns=["_row"] + (["doc_id"] if "doc_id" in reports.columns else []),
    )
    facts_ok, fact_q, fact_issues = _split(
        facts,
        fact_outcome,
        record_type="fact",
        key="fact_id",
        run_id=run_id,
        descriptions=descriptions,
    )
    reports_ok, report_q, report_issues = _split(
        reports,
        report_outcome,
        record_type="report",
        key="doc_id",
        run_id=run_id,
        descriptions=descriptions,
    )
    index = None
    if build_docs:
        from vnreport.expectations import datadocs

        context.build_data_docs(site_names=[datadocs.SITE_NAME])
        path = dq_root / "gx" / datadocs.SITE_DIR / "index.html"
        index = str(path) if path.exists() else None
    validation = Validation(
        facts=facts_ok,
        reports=reports_ok.drop(["dq_status", "dq_warnings"]),
        quarantine=pl.DataFrame(fact_q + report_q, schema=QUARANTINE_SCHEMA),
        dq_results=pl.DataFrame(
            fact_outcome.results + report_outcome.results, schema=DQ_RESULTS_SCHEMA
        ),
        data_docs_index=index,
        issues=pl.DataFrame(fact_issues + report_issues, schema=ISSUES_SCHEMA),
        descriptions=descriptions,
        facts_in=facts.height,
        reports_in=reports.height,
    )
    validation.summary_html = str(write_summary_html({"run_id": run_id}, validation, dq_root))
    return validation
