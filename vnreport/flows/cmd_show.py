"""`vnreport show DOC`: where one document's numbers came from, in the browser.

The page is written from the warehouse if it is missing (or on --rebuild), so an analyst
can look at any document without waiting for the next nightly run.
"""

from __future__ import annotations

import webbrowser
from pathlib import Path

import typer

from vnreport import paths


def register(app: typer.Typer) -> None:
    """Add `show` to `app`."""

    @app.command("show")
    def show_cmd(
        doc_id: str = typer.Argument(..., metavar="DOC", help="Document id (see the run report)."),
        warehouse: Path = typer.Option(paths.DEFAULT_WAREHOUSE, "--warehouse", help="DuckDB file."),
        open_page: bool = typer.Option(False, "--open", help="Open the page in a browser."),
        rebuild: bool = typer.Option(
            False, "--rebuild", help="Write the page again even if it exists."
        ),
    ) -> None:
        """Print (or open) the path of one document's provenance viewer page."""
        from vnreport.reports.page import doc_filename

        try:
            page = paths.reports_dir(warehouse) / "documents" / doc_filename(doc_id)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        if rebuild or not page.exists():
            from vnreport.reports import provenance
            from vnreport.warehouse import db

            try:
                con = db.connect_read(warehouse)
            except db.WarehouseError as exc:
                typer.echo(str(exc), err=True)
                raise typer.Exit(1) from None
            try:
                page = provenance.write_document(
                    con, doc_id, paths.reports_dir(warehouse), warehouse=warehouse
                )
            except LookupError as exc:
                typer.echo(f"{warehouse}: {exc.args[0]}", err=True)
                raise typer.Exit(1) from None
            finally:
                con.close()
        typer.echo(str(page))
        if open_page and not webbrowser.open(page.resolve().as_uri()):
            typer.echo("no browser available; open the path above by hand", err=True)
