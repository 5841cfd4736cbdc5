"""`vnreport clean PATH...`: what the clean stage makes of pages, without a run.

Only the clean stage is imported (BeautifulSoup, lxml, charset detection), so
the command starts fast; Prefect, Great Expectations, Polars and DuckDB stay out.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer


class Format(StrEnum):
    text = "text"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""

    @app.command("clean")
    def clean(
        paths: list[Path] = typer.Argument(..., help=".html/.htm/.txt files to clean"),
        fmt: Format = typer.Option(
            Format.text, "--format", "-f", help="text or json (one object a line)"
        ),
    ) -> None:
        """Print each page's cleaned article text (or JSON with title, date, site)."""
        from vnreport.transforms.clean import clean_document
        from vnreport.transforms.read import read_path

        failed = 0
        for i, path in enumerate(paths):
            try:
                raw = read_path(path)
            except (OSError, ValueError) as exc:
                failed += 1
                typer.echo(f"error: {exc}", err=True)
                continue
            doc = clean_document(raw)
            if doc.reason and not doc.text:
                typer.echo(f"warning: {path}: {doc.reason}", err=True)
            if fmt is Format.json:
                obj = {
                    "path": str(path),
                    "title": doc.title,
                    "published_date": doc.published_date,
                    "site": doc.site,
                    "author": doc.author,
                    "text": doc.text,
                    "reason": doc.reason,
                }
                sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
            else:
                if len(paths) > 1:
                    if i:
                        sys.stdout.write("\n")
                    sys.stdout.write(f"==> {path} <==\n")
                sys.stdout.write(doc.text + "\n")
        sys.stdout.flush()
        if failed:
            raise typer.Exit(code=1)
