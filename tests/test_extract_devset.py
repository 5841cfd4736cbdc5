"""Extraction scores on the labelled corpora, read the way `vnreport eval` reads them.

The development set (eight articles from other provinces, years and site styles) keeps the floors
this extractor reaches, so a later change that loses a general rule shows here; the seeds and the
bundled samples, on which earlier passes were tuned, must stay at 0.95 or better on every level.
The real measure of generalization is a held-out set this repository does not contain.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vnreport.transforms.clean import clean_document
from vnreport.transforms.evaluate import load_jsonl, score
from vnreport.transforms.extract import extract_document
from vnreport.transforms.read import read_path

REPO = Path(__file__).resolve().parents[1]
DEVSET = REPO / "tests" / "fixtures" / "devset"
SUFFIXES = (".txt", ".html")


def _score(gold_path: Path, corpus: Path) -> dict:
    gold = load_jsonl(gold_path)
    pred: list[dict] = []
    for doc in sorted({g["doc"] for g in gold}):
        path = next(corpus / f"{doc}{s}" for s in SUFFIXES if (corpus / f"{doc}{s}").is_file())
        facts, fields = extract_document(clean_document(read_path(path)))
        pred += facts + fields
    return score(gold, pred)


def _levels(res: dict) -> dict[str, float]:
    out = {}
    for level in ("value", "typed"):
        for k in ("precision", "recall", "f1"):
            out[f"{level} {k}"] = res[level][k]
    out["fields"] = res["fields"]["accuracy"]
    return out


def _explain(res: dict) -> str:
    lines = []
    for level in ("value", "typed"):
        for kind in ("misses", "extras"):
            for it in res[level][kind]:
                lines.append(f"{level} {kind}: {it['doc']} {it['metric']}={it['value']}")
    lines += [f"field: {m}" for m in res["fields"]["mismatches"]]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def devset() -> dict:
    return _score(DEVSET / "gold.jsonl", DEVSET)


# Floors reached on the development set (value and typed P/R are 1.000, fields 53/54 when
# these floors were set); a little room is left so a fix elsewhere is not blocked by one fact.
DEV_FLOORS = {
    "value precision": 0.98,
    "value recall": 0.98,
    "typed precision": 0.97,
    "typed recall": 0.97,
    "fields": 0.96,
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("level", sorted(DEV_FLOORS))
def test_devset_floor(devset, level):
    got = _levels(devset)[level]
    assert got >= DEV_FLOORS[level], f"{level} {got:.3f}\n{_explain(devset)}"


@pytest.mark.timeout(120)
def test_devset_compound_amount_and_attached_rates(devset):
    """The dev set's error classes stay fixed: no `1 tỷ` + `250 triệu` split, no stray rate."""
    extras = devset["value"]["extras"]
    assert not [e for e in extras if e["metric"] == "other" and "%" in (e["evidence"] or "")]
    assert not [e for e in extras if e["metric"] == "charity_vnd"]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("corpus", ["seeds", "samples"])
def test_tuned_corpora_stay_at_or_above_095(corpus, shared_dir):
    if corpus == "seeds":
        res = _score(shared_dir / "gold" / "seeds.jsonl", shared_dir / "corpus" / "seeds")
    else:
        res = _score(REPO / "tests" / "fixtures" / "samples_gold.jsonl", REPO / "samples")
    low = {k: v for k, v in _levels(res).items() if v < 0.95}
    assert not low, f"{low}\n{_explain(res)}"
