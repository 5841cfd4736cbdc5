"""An unchanged folder file is not read again: its hash comes from the last run's cache,
and any change to the file (even one that keeps its size and modification time) is read."""

from __future__ import annotations

import json
import os
from pathlib import Path

from vnreport.config import Source
from vnreport.records import content_hash
from vnreport.transforms.batch import discover_lazy

PAGE = "<html><body><p>Đảng bộ có {n} đảng viên, sinh hoạt tại 12 chi bộ.</p></body></html>"


def folder(tmp_path: Path) -> tuple[Source, Path]:
    root = tmp_path / "pages"
    root.mkdir()
    for i in range(3):
        (root / f"bai_{i}.html").write_text(PAGE.format(n=100 + i), encoding="utf-8")
    return Source(name="f", kind="folder", options={"path": str(root)}), root


def hashes(source: Source, cache: Path) -> dict[str, str]:
    found = discover_lazy([source], hash_cache=cache)
    assert not found.failures
    return {r.doc_id: r.content_hash for r in found.raws}


def test_an_unchanged_file_takes_its_hash_from_the_cache(tmp_path):
    source, root = folder(tmp_path)
    cache = tmp_path / "folder-hashes.json"
    first = hashes(source, cache)
    assert first["bai_0"] == content_hash((root / "bai_0.html").read_bytes())
    # plant a hash no read could produce: an unchanged file is not read, so it comes back
    entries = json.loads(cache.read_text(encoding="utf-8"))
    entries[str(root / "bai_0.html")][1] = "planted"
    cache.write_text(json.dumps(entries), encoding="utf-8")
    assert hashes(source, cache) == {**first, "bai_0": "planted"}


def test_a_rewrite_that_keeps_size_and_mtime_is_read_again(tmp_path):
    source, root = folder(tmp_path)
    cache = tmp_path / "folder-hashes.json"
    first = hashes(source, cache)
    page = root / "bai_1.html"
    st = page.stat()
    page.write_text(PAGE.format(n=999), encoding="utf-8")  # same length
    os.utime(page, ns=(st.st_atime_ns, st.st_mtime_ns))  # modification time put back
    assert page.stat().st_size == st.st_size and page.stat().st_mtime_ns == st.st_mtime_ns
    again = hashes(source, cache)
    assert again["bai_1"] == content_hash(page.read_bytes()) != first["bai_1"]
    assert again["bai_0"] == first["bai_0"]


def test_the_cache_keeps_only_the_files_of_this_run_and_survives_damage(tmp_path):
    source, root = folder(tmp_path)
    cache = tmp_path / "folder-hashes.json"
    hashes(source, cache)
    (root / "bai_2.html").unlink()
    hashes(source, cache)
    assert sorted(json.loads(cache.read_text(encoding="utf-8"))) == [
        str(root / "bai_0.html"),
        str(root / "bai_1.html"),
    ]
    cache.write_text("{not json", encoding="utf-8")
    assert hashes(source, cache) == {
        p.stem: content_hash(p.read_bytes()) for p in root.glob("*.html")
    }
