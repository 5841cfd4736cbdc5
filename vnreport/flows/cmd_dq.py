"""`vnreport report` and `vnreport quarantine`: what the last run found, and what it held back.

Both read the warehouse read-only (the `runs` and `quarantine` tables the
loader writes), so they work while an analyst has the file open and never
import Great Expectations.
"""

from __future__ import annotations

import json
import webbrowser
from pathlib import Path

import typer

from vnreport import paths

# Fields of a quarantined record worth showing before its reasons.
RECORD_FIELDS = ("metric", "value", "value_max", "unit", "denominator", "pct", "subject", "period")


def _connect(warehouse: Path):
    from vnreport.warehouse import db

    try:
        return db.connect_read(warehouse)
    except db.WarehouseError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


def _latest_run(con, run_id: str | None) -> dict | None:
    sql = "SELECT * FROM runs"
    params: list = []
    if run_id:
        sql += " WHERE run_id = ?"
        params.append(run_id)
    sql += " ORDER BY coalesce(finished_at, started_at) DESC NULLS LAST, run_id DESC LIMIT 1"
    cur = con.execute(sql, params)
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cur.description], row, strict=True))


def _record_summary(record_json: str | None) -> str:
    if not record_json:
        return ""
    try:
        record = json.loads(record_json)
    except json.JSONDecodeError:
        return f"record (not JSON): {record_json[:200]}"
    parts = [f"{k}={record[k]}" for k in RECORD_FIELDS if record.get(k) is not None]
    text = " ".join(parts)
    if record.get("evidence"):
        text += f"\n    evidence: «{record['evidence']}»"
        if record.get("start") is not None:
            text += f" [{record['start']}..{record.get('end')}]"
    return text


def _run_report(warehouse: Path, run: dict) -> Path | None:
    """The run's HTML report: as recorded, else where `write_reports` puts it."""
    recorded = run.get("report_path")
    candidates = [Path(recorded)] if recorded else []
    candidates.append(paths.reports_dir(warehouse) / f"run-{run['run_id']}.html")
    return next((p for p in candidates if p.exists()), None)


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""

    @app.command("report")
    def report_cmd(
        warehouse: Path = typer.Option(paths.DEFAULT_WAREHOUSE, "--warehouse", help="DuckDB file."),
        open_report: bool = typer.Option(
            False,
            "--open",
            help="Open the run report in a browser (the Data Docs when there is no report).",
        ),
        open_docs: bool = typer.Option(
            False, "--data-docs", help="Open the Data Docs of the run in a browser."
        ),
        run_id: str | None = typer.Option(
            None, "--run", help="A run id (default: the latest run)."
        ),
    ) -> None:
        """Print the latest run's data-quality summary, or open its Data Docs."""
        con = _connect(warehouse)
        try:
            run = _latest_run(con, run_id)
        finally:
            con.close()
        if run is None:
            what = f"run {run_id}" if run_id else "any run"
            typer.echo(f"{warehouse}: no record of {what} in the runs table", err=True)
            raise typer.Exit(1)
        index = run.get("data_docs_index")
        summary_page = paths.dq_dir(warehouse) / "summary.html"
        report_page = _run_report(warehouse, run)
        if open_report and report_page is not None and not open_docs:
            uri = report_page.resolve().as_uri()
            typer.echo(f"opening {uri}")
            if not webbrowser.open(uri):
                typer.echo("no browser available; open the path above by hand", err=True)
            return
        if open_docs or open_report:
            if not index or not Path(index).exists():
                typer.echo(
                    f"run {run['run_id']}: Data Docs index {index or '(none recorded)'} not found",
                    err=True,
                )
                raise typer.Exit(1)
            uri = Path(index).resolve().as_uri()
            typer.echo(f"opening {uri}")
            if not webbrowser.open(uri):
                typer.echo("no browser available; open the path above by hand", err=True)
            return
        summary = run.get("summary_md")
        if summary:
            typer.echo(summary.rstrip())
        else:
            typer.echo(f"run {run['run_id']} ({run.get('status')}): no summary was recorded")
        typer.echo("")
        if not index or index not in (summary or ""):
            typer.echo(f"Data Docs: {index or '(none recorded)'}")
        if summary_page.exists():
            typer.echo(f"Summary page: {summary_page}")
        if report_page is not None:
            typer.echo(f"Run report: {report_page}")
        else:
            typer.echo("Run report: (not written for this run)")

    @app.command("quarantine")
    def quarantine_cmd(
        warehouse: Path = typer.Option(paths.DEFAULT_WAREHOUSE, "--warehouse", help="DuckDB file."),
        run_id: str | None = typer.Option(
            None, "--run", help="Only records quarantined by this run (held or since released)."
        ),
        show_all: bool = typer.Option(False, "--all", help="Include records a later run released."),
        as_json: bool = typer.Option(False, "--json", help="One JSON object per record."),
    ) -> None:
        """List quarantined records with every reason they were held back."""
        con = _connect(warehouse)
        try:
            cols = {
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE table_name = 'quarantine'"
                ).fetchall()
            }
            if not cols:
                typer.echo(f"{warehouse}: no quarantine table", err=True)
                raise typer.Exit(1)
            released = "released" if "released" in cols else "false AS released"
            released_run = "released_run" if "released_run" in cols else "NULL AS released_run"
            where, params = [], []
            if run_id:
                where.append("run_id = ?")
                params.append(run_id)
            elif not show_all and "released" in cols:
                where.append("NOT coalesce(released, false)")
            sql = (
                "SELECT record_id, record_type, doc_id, run_id, reasons, record, "
                f"{released}, {released_run} FROM quarantine"
                + (" WHERE " + " AND ".join(where) if where else "")
                + " ORDER BY run_id DESC, doc_id, record_type, record_id"
            )
            rows = con.execute(sql, params).fetchall()
        finally:
            con.close()
        if as_json:
            for rid, rtype, doc, rrun, reasons, record, rel, rel_run in rows:
                typer.echo(
                    json.dumps(
                        {
                            "record_id": rid,
                            "record_type": rtype,
                            "doc_id": doc,
                            "run_id": rrun,
                            "released": bool(rel),
                            "released_run": rel_run,
                            "reasons": list(reasons or []),
                            "record": json.loads(record) if record else None,
                        },
                        ensure_ascii=False,
                    )
                )
            return
        if not rows:
            scope = f"run {run_id}" if run_id else "the warehouse"
            typer.echo(f"No quarantined records held in {scope}.")
            return
        held = sum(1 for r in rows if not r[6])
        for rid, rtype, doc, rrun, reasons, record, rel, rel_run in rows:
            state = f"RELEASED by run {rel_run}" if rel else "HELD"
            typer.echo(f"{rtype} {rid}  doc {doc}  run {rrun}  {state}")
            detail = _record_summary(record)
            if detail:
                typer.echo(f"    {detail}")
            for reason in reasons or []:
                typer.echo(f"  - {reason}")
            typer.echo("")
        typer.echo(f"{len(rows)} record(s): {held} held, {len(rows) - held} released")
