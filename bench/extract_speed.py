"""Extraction speed in MB of clean text per second on one core, beside the 2 MB/s target.

Usage: .venv/bin/python bench/extract_speed.py [--repeat N]

Reads the real seed report articles (../shared/corpus/seeds) and the 181 real
news pages of ../shared/bench/article-extraction (when present), the labelled
fixtures, the development set and the bundled samples, cleans them once with the
pipeline's own cleaner, then times only
`extract_document` (facts and document fields) in this single process. Several
passes over the same texts are timed on this process's CPU clock (the machine is
shared, so wall time would also count other jobs) and the best pass is reported.
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
from pathlib import Path

from vnreport.records import CleanDoc
from vnreport.transforms.clean import clean_document
from vnreport.transforms.extract import extract_document
from vnreport.transforms.read import read_path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TARGET_MB_S = 2.0


def _docs(folder: Path) -> list[CleanDoc]:
    out = []
    for path in sorted(folder.glob("*.txt")) + sorted(folder.glob("*.html")):
        doc = clean_document(read_path(path))
        if doc.text:
            out.append(doc)
    return out


def _real_pages(folder: Path) -> list[CleanDoc]:
    """The benchmark's gzipped pages, unpacked to a temporary folder and cleaned."""
    with tempfile.TemporaryDirectory() as tmp:
        for gz in sorted(folder.glob("*.html.gz")):
            (Path(tmp) / gz.name[:-3]).write_bytes(gzip.decompress(gz.read_bytes()))
        return _docs(Path(tmp))


def _speed(docs: list[CleanDoc], repeat: int) -> tuple[float, int, int]:
    size = sum(len(d.text.encode("utf-8")) for d in docs)
    best = float("inf")
    facts = 0
    for _ in range(repeat):
        t0 = time.process_time()
        facts = sum(len(extract_document(d)[0]) for d in docs)
        best = min(best, time.process_time() - t0)
    return size / 1e6 / best, size, facts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    sets = [
        ("fixtures", _docs(REPO / "tests" / "fixtures" / "extraction")),
        ("devset", _docs(REPO / "tests" / "fixtures" / "devset")),
        ("samples", _docs(REPO / "samples")),
    ]
    seeds = SHARED / "corpus" / "seeds"
    pages = SHARED / "bench" / "article-extraction" / "html"
    if seeds.is_dir():
        sets.insert(0, ("seeds", _docs(seeds)))
    else:
        print(f"(no seeds at {seeds})")
    if pages.is_dir():
        sets.insert(1, ("real 181", _real_pages(pages)))
    else:
        print(f"(no benchmark pages at {pages})")
    extract_document(CleanDoc("warm", "b", "b", "", "kết nạp 5 đảng viên"))  # compile the catalog
    print(
        f"{'set':<10}{'docs':>6}{'KB':>9}{'facts':>7}{'facts/KB':>10}{'MB/s/core':>12}"
        f"{'target':>9}{'ok':>5}"
    )
    for name, docs in sets:
        mb_s, size, facts = _speed(docs, args.repeat)
        ok = "yes" if mb_s >= TARGET_MB_S else "NO"
        print(
            f"{name:<10}{len(docs):>6}{size / 1024:>9.1f}{facts:>7}{facts / (size / 1024):>10.1f}"
            f"{mb_s:>12.2f}{TARGET_MB_S:>9.1f}{ok:>5}"
        )


if __name__ == "__main__":
    main()
