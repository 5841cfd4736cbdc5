"""`vnreport extract` and `vnreport eval` end to end, on the real seed articles."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

VNREPORT = [sys.executable, "-m", "vnreport.flows.cli"]
UNITS = {"person", "org", "count", "vnd", "vnd_per_person_month", "pct"}
# Targets of the extraction issue, on ../shared/gold/seeds.jsonl.
TARGET_VALUE_F1 = 0.95
TARGET_TYPED_F1 = 0.95
TARGET_FIELD_ACCURACY = 0.90


def _run(*args: str, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([*VNREPORT, *args], capture_output=True, text=True, env=env, **kw)


@pytest.fixture(scope="module")
def seeds(shared_dir: Path) -> list[Path]:
    files = sorted((shared_dir / "corpus" / "seeds").glob("*.txt"))
    if not files:
        pytest.skip(f"no seed articles under {shared_dir / 'corpus' / 'seeds'}")
    return files


def _check_fact(rec: dict) -> None:
    assert isinstance(rec["metric"], str) and rec["metric"]
    assert isinstance(rec["value"], int | float)
    assert rec["unit"] in UNITS
    assert rec["qualifier"] in (None, "approx", "estimated", "over", "under", "nearly", "range")
    assert (rec["qualifier"] == "range") == (rec["value_max"] is not None)
    assert rec["denominator"] is None or isinstance(rec["denominator"], int | float)
    assert rec["pct"] is None or isinstance(rec["pct"], int | float)
    assert rec["scope"] in ("org", "context")
    assert rec["subject"] is None or isinstance(rec["subject"], str)
    assert (rec["label"] is not None) == (rec["metric"] == "other")
    assert 0 <= rec["start"] < rec["end"]
    assert len(rec["evidence"]) == rec["end"] - rec["start"]
    assert any(ch.isdigit() for ch in rec["evidence"]) or rec["evidence"].strip()


def _contract_fields(shared_dir: Path) -> set[str]:
    """The document fields METRICS.md lists (`Fields: `title`, ...`, examples in brackets left out)."""
    contract = (shared_dir / "contract" / "METRICS.md").read_text("utf-8")
    para = contract.split("\nFields:", 1)[1].split("`inferred: true`", 1)[0]
    return set(re.findall(r"`([a-z_]+)`", re.sub(r"\([^)]*\)", "", para)))


def test_extract_prints_contract_records_for_every_seed(seeds, shared_dir):
    fields = _contract_fields(shared_dir)
    out = _run("extract", *map(str, seeds), check=True).stdout
    lines = out.splitlines()
    assert lines
    docs = set()
    for line in lines:
        rec = json.loads(line)
        docs.add(rec["doc"])
        assert "\\u" not in line  # ensure_ascii=False: Vietnamese stays readable
        if "metric" in rec:
            _check_fact(rec)
        else:
            assert set(rec) == {"doc", "field", "value", "inferred"}
            assert rec["field"] in fields and isinstance(rec["inferred"], bool)
    assert docs == {p.stem for p in seeds}


def test_a_bad_file_is_named_and_the_others_still_print(seeds, tmp_path):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4")
    missing = tmp_path / "missing.txt"
    res = _run("extract", str(bad), str(seeds[0]), str(missing))
    assert res.returncode == 1
    assert "broken.pdf" in res.stderr and "missing.txt" in res.stderr
    assert {json.loads(line)["doc"] for line in res.stdout.splitlines()} == {seeds[0].stem}


def test_one_page_extracts_quickly(seeds):
    best = min(_timed(seeds[0]) for _ in range(2))
    assert best < 1.5, f"vnreport extract took {best:.2f}s for one page"


def _timed(path: Path) -> float:
    t0 = time.perf_counter()
    _run("extract", str(path), check=True)
    return time.perf_counter() - t0


def test_seed_scores_stay_above_target(shared_dir, seeds):
    gold = shared_dir / "gold" / "seeds.jsonl"
    if not gold.is_file():
        pytest.skip(f"no gold labels at {gold}")
    res = _run("eval", str(gold), "--corpus", str(seeds[0].parent), "--json", check=True)
    scores = json.loads(res.stdout)
    assert scores["value"]["f1"] >= TARGET_VALUE_F1, scores["value"]
    assert scores["typed"]["f1"] >= TARGET_TYPED_F1, scores["typed"]
    assert scores["fields"]["accuracy"] >= TARGET_FIELD_ACCURACY, scores["fields"]


def test_eval_prints_the_table_and_names_a_missing_document(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        json.dumps(
            {
                "doc": "nowhere",
                "metric": "party_members",
                "value": 5,
                "scope": "org",
                "evidence": "5 đảng viên",
            }
        ),
        encoding="utf-8",
    )
    res = _run("eval", str(gold), "--corpus", str(tmp_path))
    assert res.returncode == 1
    assert "nowhere" in res.stderr
    assert "value misses (1)" in res.stdout
