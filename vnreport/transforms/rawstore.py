"""Raw pages kept on disk, compressed and addressed by content hash.

Keeping the exact bytes that were fetched lets a new extractor version re-clean
and re-extract every page without asking the sites again, lets a 304 answer
reuse the body it confirms, and makes every warehouse row traceable to the
bytes it came from. Blobs are named by the sha256 of the uncompressed bytes
(the same hash as RawDoc.content_hash), so the same page fetched from two URLs
or on two nights is stored once. Writes go to a temporary file renamed into
place, so a crash never leaves a half-written blob under its final name.

Layout under `root` (normally `<warehouse dir>/raw/`):
    blobs/ab/abcdef....gz     the bytes, gzip-compressed
    pages/<doc_id>.json       the latest fetch of each article: url, source, hash, ...
"""

from __future__ import annotations

import gzip
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vnreport.records import RawDoc, content_hash

_HASH = re.compile(r"^[0-9a-f]{64}$")
_DOC_ID = re.compile(r"^[A-Za-z0-9._-]{1,200}$")


class RawStoreError(RuntimeError):
    """A stored page is missing or does not match its hash."""


def default_root(warehouse: Path) -> Path:
    from vnreport.paths import output_dir

    return output_dir(warehouse) / "raw"


def _blob_path(root: Path, digest: str) -> Path:
    if not _HASH.match(digest):
        raise RawStoreError(f"{digest!r} is not a sha256 hex digest")
    return Path(root) / "blobs" / digest[:2] / f"{digest}.gz"


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def put(root: Path, data: bytes) -> str:
    """Store `data` (idempotent) and return its sha256."""
    digest = content_hash(data)
    path = _blob_path(root, digest)
    if not path.exists():
        # mtime=0 keeps the compressed bytes a function of the content alone.
        _atomic_write(path, gzip.compress(data, compresslevel=6, mtime=0))
    return digest


def has(root: Path, digest: str) -> bool:
    return _blob_path(root, digest).exists()


def get(root: Path, digest: str) -> bytes:
    """The stored bytes for `digest`; raises RawStoreError when missing or corrupt."""
    path = _blob_path(root, digest)
    try:
        data = gzip.decompress(path.read_bytes())
    except FileNotFoundError as exc:
        raise RawStoreError(f"{root}: no stored page with hash {digest}") from exc
    except (OSError, EOFError) as exc:
        raise RawStoreError(f"{path}: cannot decompress: {exc}") from exc
    if content_hash(data) != digest:
        raise RawStoreError(f"{path}: content does not match its hash (file damaged)")
    return data


@dataclass(frozen=True)
class StoredPage:
    """The metadata of an article's latest stored fetch; `load()` rebuilds its RawDoc."""

    root: Path
    meta: dict[str, Any]

    @property
    def doc_id(self) -> str:
        return self.meta["doc_id"]

    @property
    def content_hash(self) -> str:
        return self.meta["content_hash"]

    def load(self) -> RawDoc:
        m = self.meta
        return RawDoc(
            doc_id=m["doc_id"],
            source=m["source"],
            uri=m["uri"],
            kind=m.get("kind", "html"),
            content=get(self.root, m["content_hash"]),
            content_hash=m["content_hash"],
            charset=m.get("charset"),
            fetched_at=m.get("fetched_at"),
            meta=dict(m.get("extra") or {}),
        )


def put_page(root: Path, raw: RawDoc) -> str:
    """Store an article's bytes and record it as that document's latest version."""
    if not _DOC_ID.match(raw.doc_id):
        raise RawStoreError(f"{raw.doc_id!r}: document id unusable as a file name")
    digest = put(root, raw.content)
    meta = {
        "doc_id": raw.doc_id,
        "source": raw.source,
        "uri": raw.uri,
        "kind": raw.kind,
        "content_hash": digest,
        "charset": raw.charset,
        "fetched_at": raw.fetched_at,
        "extra": {k: v for k, v in raw.meta.items() if _jsonable(v)},
    }
    _atomic_write(
        Path(root) / "pages" / f"{raw.doc_id}.json",
        json.dumps(meta, ensure_ascii=False, sort_keys=True).encode("utf-8"),
    )
    return digest


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def page(root: Path, doc_id: str) -> StoredPage | None:
    path = Path(root) / "pages" / f"{doc_id}.json"
    if not path.exists():
        return None
    return StoredPage(Path(root), json.loads(path.read_text(encoding="utf-8")))


def iter_pages(root: Path, *, source: str | None = None) -> Iterator[StoredPage]:
    """Every stored article (latest version each), in doc_id order; for `vnreport reprocess`."""
    folder = Path(root) / "pages"
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.json")):
        meta = json.loads(path.read_text(encoding="utf-8"))
        if source is None or meta.get("source") == source:
            yield StoredPage(Path(root), meta)
