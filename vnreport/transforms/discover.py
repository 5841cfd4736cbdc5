"""Discover stage: every declared source, read into raw documents.

Document ids must be unique across sources because facts hang off them; a
second document with an id already taken is recorded as a failure rather than
silently overwriting the first.
"""

from __future__ import annotations

from collections.abc import Iterable

from vnreport.config import Source
from vnreport.records import Failure, RawDoc
from vnreport.transforms.read import iter_folder


def iter_source(source: Source) -> Iterable[RawDoc | Failure]:
    if source.kind == "folder":
        return iter_folder(source.path, source.name)
    raise ValueError(f"source {source.name!r}: kind {source.kind!r} is not supported")


def read_sources(sources: Iterable[Source]) -> tuple[list[RawDoc], list[Failure]]:
    raws: list[RawDoc] = []
    failures: list[Failure] = []
    owner: dict[str, str] = {}
    for source in sources:
        for item in iter_source(source):
            if isinstance(item, Failure):
                failures.append(item)
            elif item.doc_id in owner:
                failures.append(
                    Failure(
                        item.doc_id,
                        item.uri,
                        "read",
                        f"document id {item.doc_id!r} already used by {owner[item.doc_id]}",
                    )
                )
            else:
                owner[item.doc_id] = item.uri
                raws.append(item)
    return raws, failures


def profiles(sources: Iterable[Source]) -> dict[str, dict]:
    """Per-source cleaning profiles (CSS selectors for a known portal), by source name."""
    return {
        s.name: s.options["profile"] for s in sources if isinstance(s.options.get("profile"), dict)
    }
