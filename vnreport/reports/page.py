"""The page shell shared by the run report and the document viewer.

One template and one stylesheet, inlined into every page: a page copied out of the
reports folder on its own still renders. The Content-Security-Policy allows no script
and no fetch at all, so text from the web cannot run in the analyst's browser even if
an escape were ever missed.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from string import Template
from urllib.parse import quote

from vnreport import __version__
from vnreport.reports.charts import esc

# Bump when the page layout changes, so every document page is written again.
PAGE_FORMAT = 1
PAGE_STAMP = f"vnreport {__version__} page-format {PAGE_FORMAT}"


@cache
def _asset(name: str) -> str:
    return resources.files("vnreport.reports").joinpath("templates", name).read_text("utf-8")


def render(title: str, body: str, *, warehouse: Path | str, body_class: str = "") -> str:
    return Template(_asset("page.html")).substitute(
        title=esc(title),
        css=_asset("style.css"),
        body=body,
        body_class=esc(body_class),
        generated=esc(datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        warehouse=esc(str(warehouse)),
        version=esc(__version__),
        stamp=esc(PAGE_STAMP),
    )


def doc_filename(doc_id: str) -> str:
    """`<doc_id>.html`. Folder sources name documents after their files, so an id may hold
    spaces or Vietnamese letters (kept: links quote them); a path separator is refused."""
    if not doc_id or doc_id in (".", "..") or any(c in doc_id for c in "/\\\x00"):
        raise ValueError(f"document {doc_id!r}: id is not a safe file name")
    return f"{doc_id}.html"


def doc_href(doc_id: str, *, prefix: str = "documents/") -> str:
    return f"{prefix}{quote(doc_filename(doc_id))}"


def fact_href(doc_id: str, fact_id: str, *, prefix: str = "documents/") -> str:
    """Relative link from the reports folder to one fact in its document's viewer page."""
    return f"{doc_href(doc_id, prefix=prefix)}#fact-{quote(fact_id)}"


def file_href(target: str | Path | None, from_dir: Path) -> str | None:
    """A relative link to a file on disk (Data Docs), so the folder can be moved as a whole."""
    if not target:
        return None
    try:
        return Path(os.path.relpath(Path(target), from_dir)).as_posix()
    except ValueError:
        return Path(target).resolve().as_uri()


def web_href(uri: str | None) -> str | None:
    """Only http(s) sources become links: a javascript: or data: URI stays plain text."""
    if uri and re.match(r"https?://", uri, flags=re.IGNORECASE):
        return uri
    return None


def write_text(path: Path, text: str) -> Path:
    """Write through a temporary name, so a reader never opens half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
