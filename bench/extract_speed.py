"""Extraction speed in MB of clean text per second on one core, beside the 2 MB/s target.

Usage: .venv/bin/python bench/extract_speed.py [--repeat N]

Reads the seed articles (../shared/corpus/seeds, when present), the labelled
fixtures (number-dense), the development set and the bundled samples, cleans them once with the pipeline's own cleaner, then times only
`extract_document` (facts and document fields) in this single process. Several
passes over the same texts are timed on this process's CPU clock (the machine is
shared, so wall time would also count other jobs) and the best pass is reported.
"""

from __future__ import annotations

import argparse
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
        ("fixtures", REPO / "tests" / "fixtures" / "extraction"),
        ("devset", REPO / "tests" / "fixtures" / "devset"),
        ("samples", REPO / "samples"),
    ]
    seeds = SHARED / "corpus" / "seeds"
    if seeds.is_dir():
        sets.insert(0, ("seeds", seeds))
    else:
        print(f"(no seeds at {seeds}; fixtures only)")
    extract_document(CleanDoc("warm", "b", "b", "", "kết nạp 5 đảng viên"))  # compile the catalog
    print(f"{'set':<10}{'docs':>6}{'KB':>9}{'facts':>7}{'MB/s/core':>12}{'target':>9}{'ok':>5}")
    for name, folder in sets:
        docs = _docs(folder)
        mb_s, size, facts = _speed(docs, args.repeat)
        ok = "yes" if mb_s >= TARGET_MB_S else "NO"
        print(
            f"{name:<10}{len(docs):>6}{size / 1024:>9.1f}{facts:>7}{mb_s:>12.2f}"
            f"{TARGET_MB_S:>9.1f}{ok:>5}"
        )


if __name__ == "__main__":
    main()
