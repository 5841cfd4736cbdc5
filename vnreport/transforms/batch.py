"""Per-batch work: clean and extract a list of raw documents.

One function per batch (not per document) keeps orchestration overhead small;
a document that raises is recorded with the stage and reason, and the rest of
the batch goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from vnreport.records import CleanDoc, Failure, RawDoc


@dataclass
class BatchResult:
    docs: list[CleanDoc] = field(default_factory=list)
    facts: list[dict] = field(default_factory=list)
    doc_fields: list[dict] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    def extend(self, other: BatchResult) -> None:
        self.docs += other.docs
        self.facts += other.facts
        self.doc_fields += other.doc_fields
        self.failures += other.failures


def chunks(items: Sequence, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def clean_batch(raws: Iterable[RawDoc], profiles: dict[str, dict] | None = None) -> BatchResult:
    """Clean each document; a page with no main text is a failure with the cleaner's reason."""
    from vnreport.transforms.clean import clean_document

    profiles = profiles or {}
    out = BatchResult()
    for raw in raws:
        try:
            doc = clean_document(raw, profiles.get(raw.source))
        except Exception as exc:  # one bad page must not stop the night
            out.failures.append(Failure(raw.doc_id, raw.uri, "clean", _reason(exc)))
            continue
        if not doc.text.strip():
            out.failures.append(
                Failure(raw.doc_id, raw.uri, "clean", doc.reason or "no main text found")
            )
            continue
        out.docs.append(doc)
    return out


def extract_batch(docs: Iterable[CleanDoc]) -> BatchResult:
    """Extract facts and document fields; a document that raises is recorded, the rest go on."""
    from vnreport.transforms.extract import extract_document

    out = BatchResult()
    for doc in docs:
        try:
            facts, fields = extract_document(doc)
        except Exception as exc:
            out.failures.append(Failure(doc.doc_id, doc.uri, "extract", _reason(exc)))
            continue
        out.docs.append(doc)
        out.facts += facts
        out.doc_fields += fields
    return out


def process_batch(raws: Iterable[RawDoc], profiles: dict[str, dict] | None = None) -> BatchResult:
    """Clean then extract, for callers that need no step between the two."""
    cleaned = clean_batch(raws, profiles)
    out = extract_batch(cleaned.docs)
    out.failures = cleaned.failures + out.failures
    return out


def split_by_change(
    raws: Iterable[RawDoc], known: dict[str, tuple[str, str]], extractor_version: str
) -> tuple[list[RawDoc], dict[str, int]]:
    """Documents that need work, and counts of new / changed / unchanged.

    An unchanged document (same content hash, same extractor version) costs
    nothing: it is neither cleaned, extracted nor loaded again.
    """
    todo: list[RawDoc] = []
    counts = {"documents_new": 0, "documents_changed": 0, "documents_unchanged": 0}
    for raw in raws:
        prev = known.get(raw.doc_id)
        if prev is None:
            counts["documents_new"] += 1
            todo.append(raw)
        elif prev != (raw.content_hash, extractor_version):
            counts["documents_changed"] += 1
            todo.append(raw)
        else:
            counts["documents_unchanged"] += 1
    return todo, counts
