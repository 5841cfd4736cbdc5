"""The records that pass between stages.

Stages are plain functions over these records (or over Polars frames built from
them), so the same code runs in tests, in the CLI and inside Prefect tasks.
Fact and document-field records are plain dicts in the exact shape of the
extraction contract, so `vnreport extract` can print them unchanged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


def content_hash(data: bytes) -> str:
    """sha256 of the raw bytes: the key that makes unchanged inputs free."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class RawDoc:
    """One source document as read or fetched, before any interpretation."""

    doc_id: str  # file stem for folder sources; a stable id derived from the URL for fetched pages
    source: str  # the source's `name` in sources.yaml
    uri: str  # path or URL
    kind: str  # "html" or "text"
    content: bytes
    content_hash: str
    charset: str | None = None  # charset declared by the transport (HTTP header), if any
    fetched_at: str | None = None  # ISO timestamp for fetched pages
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class CleanDoc:
    """Main text of a document with its page metadata; `text` is what fact offsets index."""

    doc_id: str
    source: str
    uri: str
    content_hash: str
    text: str
    title: str | None = None
    published_date: str | None = None  # ISO date, when the page states one
    site: str | None = None
    author: str | None = None
    reason: str | None = None  # why `text` is empty, when it is
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Failure:
    """A document or record a stage could not process: kept, never dropped."""

    doc_id: str
    uri: str
    stage: str
    reason: str
