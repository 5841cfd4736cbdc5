"""The run summary a reviewer reads first: counts, then the checks that failed, with evidence.

The same content is produced as markdown (the Prefect artifact, `vnreport
report`) and as a self-contained HTML page beside the Data Docs, so a person
can open it from disk with no network.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

EXAMPLES_PER_CHECK = 3
TOP_CHECKS = 10


@dataclass(frozen=True)
class _Failing:
    suite: str
    rule: str
    severity: str
    description: str
    count: int | None
    observed: str
    examples: list[dict[str, Any]]


def _counts(run: dict, validation) -> list[tuple[str, Any]]:
    q = validation.quarantine
    facts_q = q.filter(pl.col("record_type") == "fact").height if q.height else 0
    reports_q = q.filter(pl.col("record_type") == "report").height if q.height else 0
    warned = getattr(validation, "facts_warned", None)
    if warned is None:
        warned = (
            validation.facts.filter(pl.col("dq_status") == "warn").height
            if "dq_status" in validation.facts.columns
            else 0
        )
    loaded = getattr(validation, "facts_ok", None)
    if loaded is None:
        loaded = validation.facts.height
    rows: list[tuple[str, Any]] = []
    for key, label in (
        ("documents_read", "documents read"),
        ("documents_new", "new"),
        ("documents_changed", "changed"),
        ("documents_unchanged", "unchanged"),
        ("documents_failed", "failed"),
    ):
        if run.get(key) is not None:
            rows.append((label, run[key]))
    rows += [
        ("facts validated", validation.facts_in),
        ("facts loaded", run.get("facts_loaded", loaded)),
        ("facts warned", run.get("facts_warned", warned)),
        ("facts quarantined", run.get("facts_quarantined", facts_q)),
        ("reports validated", validation.reports_in),
        ("reports quarantined", reports_q),
    ]
    return rows


def _failing(validation) -> list[_Failing]:
    res = validation.dq_results.filter(~pl.col("success"))
    if res.is_empty():
        return []
    res = res.with_columns(
        (pl.col("severity") == "fail").alias("_fail"),
        pl.col("unexpected_count").fill_null(-1).alias("_n"),
    ).sort(["_fail", "_n"], descending=[True, True])
    out = []
    for row in res.iter_rows(named=True):
        examples = (
            validation.issues.filter(pl.col("rule") == row["expectation"])
            .head(EXAMPLES_PER_CHECK)
            .to_dicts()
        )
        out.append(
            _Failing(
                suite=row["suite"],
                rule=row["expectation"],
                severity=row["severity"],
                description=validation.descriptions.get(row["expectation"], ""),
                count=row["unexpected_count"],
                observed=row["observed"] or "",
                examples=examples,
            )
        )
    return out


def _suite_lines(validation) -> list[tuple[str, int, int, int]]:
    """Per suite: expectations, failed with severity fail, failed with severity warn."""
    out = []
    for suite in validation.dq_results["suite"].unique(maintain_order=True).to_list():
        sub = validation.dq_results.filter(pl.col("suite") == suite)
        failed = sub.filter(~pl.col("success"))
        out.append(
            (
                suite,
                sub.height,
                failed.filter(pl.col("severity") == "fail").height,
                failed.filter(pl.col("severity") == "warn").height,
            )
        )
    return out


def _example_text(ex: dict[str, Any]) -> str:
    parts = [f"`{ex.get('doc_id')}`"]
    if ex.get("metric"):
        value = ex.get("value")
        parts.append(f"{ex['metric']} = {_num(value)}" if value is not None else ex["metric"])
    if ex.get("evidence"):
        parts.append(f"«{ex['evidence']}»")
    return " ".join(parts) + f" — {ex.get('detail')}"


def _num(value: float) -> str:
    """Numbers as the reports write them: 1.840 and 9.605,38."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _md_cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def summary_markdown(run: dict, validation) -> str:
    """Markdown summary of a run: counts, suites, top failing checks with examples and evidence.

    It also rewrites the HTML summary page that `validate_run` left beside the Data
    Docs, so the page shows the run's final counts (known only after validation).
    """
    if getattr(validation, "summary_html", None):
        write_summary_html(run, validation, Path(validation.summary_html).parent)
    run_id = run.get("run_id", "?")
    lines = [f"# vnreport run `{run_id}`", ""]
    meta = [
        f"{k}: {run[k]}"
        for k in ("status", "started_at", "finished_at", "extractor_version")
        if run.get(k)
    ]
    if meta:
        lines += [" · ".join(meta), ""]
    lines += ["| | count |", "|---|---:|"]
    lines += [f"| {label} | {value} |" for label, value in _counts(run, validation)]
    lines += [
        "",
        "## Expectation suites",
        "",
        "| suite | expectations | failed (fail) | failed (warn) |",
    ]
    lines += ["|---|---:|---:|---:|"]
    lines += [f"| {s} | {n} | {f} | {w} |" for s, n, f, w in _suite_lines(validation)]
    failing = _failing(validation)
    lines += ["", "## Failing checks", ""]
    if not failing:
        lines.append("All expectations passed.")
    else:
        lines += ["| check | severity | records | observed |", "|---|---|---:|---|"]
        lines += [
            f"| `{f.rule}` | {f.severity} | {'' if f.count is None else f.count} "
            f"| {_md_cell(f.observed)[:120]} |"
            for f in failing
        ]
        lines += ["", "## Top failing checks, with examples", ""]
    for f in failing[:TOP_CHECKS]:
        count = "" if f.count is None else f" — {f.count} record(s)"
        lines += [
            f"### `{f.rule}` ({f.severity}){count}",
            "",
            f.description,
            "",
            f"Observed: {_md_cell(f.observed)}",
            "",
        ]
        lines += [f"- {_md_cell(_example_text(ex))}" for ex in f.examples]
        lines.append("")
    q = validation.quarantine
    if q.height:
        lines += [
            "## Quarantine",
            "",
            f"{q.height} record(s) held back; `vnreport quarantine --run {run_id}` explains each.",
            "",
        ]
    docs = run.get("data_docs_index") or validation.data_docs_index
    if docs:
        lines += [f"Data Docs: `{docs}`", ""]
    return "\n".join(lines).rstrip() + "\n"


def summary_html(run: dict, validation) -> str:
    """The same summary as one self-contained HTML page (inline styles, no scripts, no network)."""
    e = html.escape
    run_id = run.get("run_id", "?")
    counts = "".join(
        f"<tr><th>{e(label)}</th><td class='num'>{e(str(value))}</td></tr>"
        for label, value in _counts(run, validation)
    )
    suites = "".join(
        f"<tr data-suite='{e(s)}'><td>{e(s)}</td><td class='num'>{n}</td>"
        f"<td class='num fail'>{f}</td><td class='num warn'>{w}</td></tr>"
        for s, n, f, w in _suite_lines(validation)
    )
    failing = _failing(validation)
    blocks = []
    for f in failing:
        examples = "".join(
            "<li>"
            + f"<code>{e(str(ex.get('doc_id')))}</code> "
            + (f"{e(ex['metric'])} " if ex.get("metric") else "")
            + (f"= {_num(ex['value'])} " if ex.get("value") is not None else "")
            + (f"<q>{e(ex['evidence'])}</q> " if ex.get("evidence") else "")
            + f"— {e(str(ex.get('detail')))}</li>"
            for ex in f.examples
        )
        count = "" if f.count is None else f"{f.count} record(s)"
        blocks.append(
            f"<section class='check {e(f.severity)}' data-rule='{e(f.rule)}'>"
            f"<h3><code>{e(f.rule)}</code> <span class='badge {e(f.severity)}'>{e(f.severity)}</span>"
            f" <small>{e(f.suite)} · {e(count)}</small></h3>"
            f"<p>{e(f.description)}</p><p class='observed'>Observed: {e(f.observed)}</p>"
            f"<ul>{examples}</ul></section>"
        )
    if not blocks:
        blocks.append("<p class='allpass'>All expectations passed.</p>")
    docs = run.get("data_docs_index") or validation.data_docs_index
    docs_link = ""
    if docs:
        docs_path = Path(docs)
        docs_link = (
            f"<p>Data Docs: <a id='data-docs' href='{e(docs_path.as_uri())}'>{e(str(docs_path))}</a></p>"
            if docs_path.is_absolute()
            else f"<p>Data Docs: {e(str(docs_path))}</p>"
        )
    meta = " · ".join(
        f"{k}: {e(str(run[k]))}"
        for k in ("status", "started_at", "finished_at", "extractor_version")
        if run.get(k)
    )
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vnreport run {e(run_id)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; padding: 0 1rem; }}
table {{ border-collapse: collapse; margin: .5rem 0 1.5rem; }}
th, td {{ border: 1px solid #ddd; padding: .3rem .6rem; text-align: left; }}
td.num {{ text-align: right; }} td.fail {{ color: #b42318; }} td.warn {{ color: #b54708; }}
section.check {{ border-left: 4px solid #b42318; padding: .2rem 1rem; margin: 1rem 0; background: #fef3f2; }}
section.check.warn {{ border-color: #f79009; background: #fffaeb; }}
.badge {{ font-size: .75rem; padding: .1rem .4rem; border-radius: .3rem; color: #fff; background: #b42318; }}
.badge.warn {{ background: #f79009; }}
q {{ font-style: italic; }} code {{ background: #f2f4f7; padding: 0 .2rem; }}
.observed {{ color: #555; font-size: .9rem; }}
</style></head>
<body>
<h1>vnreport run <code id="run-id">{e(run_id)}</code></h1>
<p>{meta}</p>
<table id="counts">{counts}</table>
<h2>Expectation suites</h2>
<table id="suites"><tr><th>suite</th><th>expectations</th><th>failed (fail)</th><th>failed (warn)</th></tr>{suites}</table>
<h2>Top failing checks</h2>
<div id="failing">{"".join(blocks)}</div>
{docs_link}
</body></html>
"""


def write_summary_html(run: dict, validation, dq_root: Path) -> Path:
    """Write `<dq_root>/summary.html`; call again with the final run dict once counts are known."""
    path = Path(dq_root) / "summary.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(summary_html(run, validation), encoding="utf-8")
    return path
