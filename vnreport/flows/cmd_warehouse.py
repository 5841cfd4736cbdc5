"""`vnreport query` and `vnreport export`: the analyst's way into the warehouse."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import typer

from vnreport import paths


def _jsonable(v):
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, bytes):
        return v.hex()
    return v


def _cell(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(_jsonable(v))


def _print_table(columns: list[str], rows: list[tuple]) -> None:
    cells = [[_cell(v).replace("\n", " ") for v in row] for row in rows]
    widths = [len(c) for c in columns]
    for row in cells:
        widths = [max(w, min(len(c), 60)) for w, c in zip(widths, row, strict=True)]

    def fmt(values: list[str]) -> str:
        return " | ".join(
            (v if len(v) <= w else v[: w - 1] + "…").ljust(w)
            for v, w in zip(values, widths, strict=True)
        ).rstrip()

    typer.echo(fmt(columns))
    typer.echo("-+-".join("-" * w for w in widths))
    for row in cells:
        typer.echo(fmt(row))
    typer.echo(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""

    @app.command("query")
    def query_cmd(
        sql: str = typer.Argument(..., help="SQL to run (SELECT, WITH, DESCRIBE, SHOW, ...)."),
        warehouse: Path = typer.Option(paths.DEFAULT_WAREHOUSE, "--warehouse", help="DuckDB file."),
        fmt: str = typer.Option("table", "--format", help="table, csv or json."),
        allow_files: bool = typer.Option(
            False, "--allow-files", help="Allow file readers (read_csv, read_parquet, glob...)."
        ),
    ) -> None:
        """Run read-only SQL on the warehouse; writes, ATTACH, COPY, INSTALL/LOAD are refused."""
        from vnreport.warehouse import db, query

        if fmt not in ("table", "csv", "json"):
            typer.echo(f"--format must be table, csv or json, got {fmt!r}", err=True)
            raise typer.Exit(2)
        try:
            columns, rows = query.run_query(warehouse, sql, allow_files=allow_files)
        except query.QueryRefused as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(3) from None
        except db.WarehouseError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        except Exception as exc:  # DuckDB's own message (syntax, unknown column...) is the answer
            typer.echo(f"query failed: {exc}", err=True)
            raise typer.Exit(1) from None
        if fmt == "csv":
            w = csv.writer(sys.stdout, lineterminator="\n")
            w.writerow(columns)
            for row in rows:
                w.writerow(["" if v is None else _jsonable(v) for v in row])
        elif fmt == "json":
            out = [{c: _jsonable(v) for c, v in zip(columns, row, strict=True)} for row in rows]
            typer.echo(json.dumps(out, ensure_ascii=False, indent=1))
        else:
            _print_table(columns, rows)

    @app.command("export")
    def export_cmd(
        parquet: Path = typer.Option(
            ..., "--parquet", help="Folder for one Parquet file per table/view."
        ),
        warehouse: Path = typer.Option(paths.DEFAULT_WAREHOUSE, "--warehouse", help="DuckDB file."),
    ) -> None:
        """Export every table and analyst view to Parquet for BI tools."""
        from vnreport.warehouse import db, export

        try:
            written = export.export_parquet(warehouse, parquet)
        except db.WarehouseError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        for p in written:
            typer.echo(str(p))
        typer.echo(f"{len(written)} files written to {Path(parquet).resolve()}", err=True)
