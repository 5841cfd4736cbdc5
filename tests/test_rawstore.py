"""The raw page store: content addressing, compression, integrity, re-reading pages."""

from __future__ import annotations

import gzip

import pytest

from vnreport.records import RawDoc, content_hash
from vnreport.transforms import rawstore

PAGE = "<html><body><p>Đảng bộ Khối có 52 tổ chức cơ sở đảng với 3.214 đảng viên.</p></body></html>"


def raw(doc_id: str, body: str, **kw) -> RawDoc:
    data = body.encode("utf-8")
    return RawDoc(doc_id, "portal", f"http://portal.example/{doc_id}.html", "html", data,
                  content_hash(data), **kw)  # fmt: skip


def test_put_get_round_trip_is_content_addressed_and_compressed(tmp_path):
    data = (PAGE * 50).encode("utf-8")
    digest = rawstore.put(tmp_path, data)
    assert digest == content_hash(data)
    assert rawstore.put(tmp_path, data) == digest  # idempotent
    blobs = list((tmp_path / "blobs").rglob("*.gz"))
    assert len(blobs) == 1 and blobs[0].name == f"{digest}.gz"
    assert blobs[0].stat().st_size < len(data) / 5
    assert rawstore.get(tmp_path, digest) == data
    assert rawstore.has(tmp_path, digest)


def test_missing_and_damaged_blobs_are_clear_errors(tmp_path):
    with pytest.raises(rawstore.RawStoreError, match="no stored page"):
        rawstore.get(tmp_path, "0" * 64)
    with pytest.raises(rawstore.RawStoreError, match="not a sha256"):
        rawstore.get(tmp_path, "../../etc/passwd")
    digest = rawstore.put(tmp_path, b"original bytes")
    path = next((tmp_path / "blobs").rglob("*.gz"))
    path.write_bytes(gzip.compress(b"tampered bytes"))
    with pytest.raises(rawstore.RawStoreError, match="does not match its hash"):
        rawstore.get(tmp_path, digest)
    path.write_bytes(b"not gzip at all")
    with pytest.raises(rawstore.RawStoreError, match="cannot decompress"):
        rawstore.get(tmp_path, digest)


def test_pages_are_listed_with_metadata_and_rebuilt(tmp_path):
    a = raw("bai-a", PAGE, charset="windows-1258", fetched_at="2024-01-05T01:00:00+00:00",
            meta={"etag": '"e1"', "listing": "http://portal.example/tin-tuc/"})  # fmt: skip
    b = raw("bai-b", PAGE.replace("52", "53"))
    rawstore.put_page(tmp_path, a)
    rawstore.put_page(tmp_path, b)
    pages = list(rawstore.iter_pages(tmp_path))
    assert [p.doc_id for p in pages] == ["bai-a", "bai-b"]
    again = pages[0].load()
    assert again == a
    assert [p.doc_id for p in rawstore.iter_pages(tmp_path, source="other")] == []


def test_a_new_version_replaces_the_page_but_keeps_old_bytes(tmp_path):
    old = raw("bai-a", PAGE)
    new = raw("bai-a", PAGE.replace("3.214", "3.215"))
    rawstore.put_page(tmp_path, old)
    rawstore.put_page(tmp_path, new)
    (page,) = rawstore.iter_pages(tmp_path)
    assert page.content_hash == new.content_hash
    assert rawstore.get(tmp_path, old.content_hash) == old.content  # still traceable


def test_ids_that_are_not_file_names_are_refused(tmp_path):
    with pytest.raises(rawstore.RawStoreError, match="unusable as a file name"):
        rawstore.put_page(tmp_path, raw("../escape", PAGE))


def test_empty_store_lists_nothing(tmp_path):
    assert list(rawstore.iter_pages(tmp_path / "none")) == []
    assert rawstore.page(tmp_path, "bai-a") is None
