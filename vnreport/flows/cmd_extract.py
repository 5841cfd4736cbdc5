"""`vnreport extract` and `vnreport eval`: the extractor as a command, and its scorecard.

Both read files the way the pipeline does (read_path, then clean_document) so a
score measured here is the score of the nightly run. Only the extractor's own
modules are imported: no Prefect, Great Expectations, Polars or DuckDB, so one
page extracts in well under a second and a half.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

SUFFIXES = (".txt", ".html", ".htm")


def _extract_path(path: Path) -> tuple[list[dict], list[dict]]:
    """(facts, fields) for one file; raises with a reason a reader can act on."""
    from vnreport.transforms.clean import clean_document
    from vnreport.transforms.extract import extract_document
    from vnreport.transforms.read import read_path

    raw = read_path(path)
    doc = clean_document(raw)
    if not doc.text:
        raise ValueError(doc.reason or "no text after cleaning")
    return extract_document(doc)


def _progress(items: list, label: str):
    """Rich progress on an interactive stderr; plain iteration otherwise (pipes, CI, tests)."""
    if not sys.stderr.isatty() or len(items) < 2:
        yield from items
        return
    from rich.console import Console
    from rich.progress import track

    yield from track(items, description=label, console=Console(stderr=True), transient=True)


def _files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.suffix.lower() in SUFFIXES))
        else:
            out.append(p)
    return out


def extract_cmd(
    paths: list[Path] = typer.Argument(..., help="Report files (.txt, .html) or folders of them."),
) -> None:
    """Print fact and document records as JSON lines, one source file at a time."""
    failed = 0
    out = sys.stdout
    for path in _progress(_files(paths), "extracting"):
        try:
            facts, fields = _extract_path(path)
        except Exception as exc:  # one bad file must not hide the others' records
            failed += 1
            print(f"vnreport extract: {path}: {exc}", file=sys.stderr)
            continue
        for rec in (*facts, *fields):
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        out.flush()
    if failed:
        raise typer.Exit(1)


def eval_cmd(
    gold: Path = typer.Argument(..., help="Gold JSON-lines file (fact and document records)."),
    corpus: Path = typer.Option(..., "--corpus", help="Folder holding the gold documents' files."),
    pred: Path | None = typer.Option(
        None, "--pred", help="Score these predictions (JSON lines) instead of extracting."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the full result as JSON."),
) -> None:
    """Score extraction against GOLD exactly as METRICS.md's Scoring section says."""
    from vnreport.transforms.evaluate import format_report, load_jsonl, score

    try:
        gold_recs = load_jsonl(gold)
    except (OSError, ValueError) as exc:
        print(f"vnreport eval: {exc}", file=sys.stderr)
        raise typer.Exit(2) from exc
    failed = 0
    if pred is not None:
        pred_recs = load_jsonl(pred)
    else:
        pred_recs = []
        docs = sorted({g["doc"] for g in gold_recs})
        for doc in _progress(docs, "extracting"):
            path = next(
                (corpus / f"{doc}{s}" for s in SUFFIXES if (corpus / f"{doc}{s}").is_file()), None
            )
            if path is None:
                failed += 1
                print(f"vnreport eval: {doc}: no .txt/.html file in {corpus}", file=sys.stderr)
                continue
            try:
                facts, fields = _extract_path(path)
            except Exception as exc:
                failed += 1
                print(f"vnreport eval: {path}: {exc}", file=sys.stderr)
                continue
            pred_recs.extend(facts)
            pred_recs.extend(fields)
    result = score(gold_recs, pred_recs)
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(format_report(result))
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("extract")(extract_cmd)
    app.command("eval")(eval_cmd)
