"""Streaming a run: references instead of bytes, bounded batches in flight, spilled frames,
near-duplicates found across batches, and every failure kept."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pytest

from vnreport.config import load_sources
from vnreport.records import CleanDoc
from vnreport.transforms import batch as batching
from vnreport.transforms import dedup
from vnreport.transforms.extract import EXTRACTOR_VERSION

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> Path:
    from corpus import generate

    root = tmp_path_factory.mktemp("stream")
    generate(root / "gen", 24, seed=3)
    return root / "gen"


def _config(tmp_path: Path, *folders: Path) -> list:
    text = "sources:\n" + "".join(
        f"  - name: s{i}\n    kind: folder\n    path: {f}\n" for i, f in enumerate(folders)
    )
    (tmp_path / "sources.yaml").write_text(text, encoding="utf-8")
    return load_sources(tmp_path / "sources.yaml")


def test_folder_pages_are_references_until_their_batch(pages, tmp_path):
    found = batching.discover_lazy(_config(tmp_path, pages))
    assert len(found.raws) == 24 and not found.failures
    assert all(isinstance(r, batching.RawRef) for r in found.raws)
    assert not any(hasattr(r, "content") for r in found.raws)
    assert found.counts["s0"]["read"] == 24
    raw = found.raws[0].load()
    assert raw.content and raw.content_hash == found.raws[0].content_hash


def test_same_id_in_two_folders_is_a_read_failure(pages, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    first = sorted(pages.rglob("*.*"))[0]
    (other / first.name).write_bytes(first.read_bytes())
    found = batching.discover_lazy(_config(tmp_path, pages, other))
    assert len(found.raws) == 24
    (fail,) = found.failures
    assert fail.stage == "read" and fail.doc_id == first.stem and "already used" in fail.reason


def test_drain_hands_out_each_item_once_and_lets_go_of_it():
    items = list(range(23))
    out = []
    for chunk in batching.drain(items, 5):
        assert items == []  # the caller's list no longer holds what is in flight
        out += chunk
    assert out == list(range(23))


def test_bounded_keeps_at_most_window_batches_in_flight_and_keeps_order():
    running = 0
    peak = 0
    lock = threading.Lock()
    gate = threading.Semaphore(0)

    def work(n: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        gate.acquire(timeout=0.05)
        with lock:
            running -= 1
        return n * n

    submitted = []
    with ThreadPoolExecutor(8) as pool:

        def submit(n):
            submitted.append(n)
            return pool.submit(work, n)

        results = []
        for r in batching.bounded(submit, iter(range(20)), window=3):
            results.append(r)
            # never more than the window submitted ahead of what was collected
            assert len(submitted) - len(results) <= 3
    assert results == [n * n for n in range(20)]
    assert peak <= 3


def test_a_file_gone_before_its_batch_is_recorded_and_the_rest_go_on(pages, tmp_path):
    found = batching.discover_lazy(_config(tmp_path, pages))
    refs = found.raws[:5]
    late = tmp_path / "late"
    late.mkdir()
    gone = late / "gone.html"
    gone.write_text("<html><body><p>x</p></body></html>", encoding="utf-8")
    (missing,) = batching.discover_lazy(_config(tmp_path, late)).raws
    gone.unlink()
    frames = batching.process_frames(
        [*refs, missing], extractor_version=EXTRACTOR_VERSION, run_id="r1"
    )
    assert frames.documents.height == 5
    assert [(f.doc_id, f.stage) for f in frames.failures] == [("gone", "read")]
    assert frames.facts.height > 0 and set(frames.facts["doc_id"]) <= set(frames.doc_ids)
    assert frames.band_keys.shape == (5, dedup.BANDS)


def _doc(doc_id: str, text: str, date: str | None = None) -> CleanDoc:
    return CleanDoc(doc_id, "s", f"file:{doc_id}", doc_id, text, published_date=date)


def test_duplicates_across_batches_match_dedup_over_the_whole_run(tmp_path):
    """The spill finds the same groups as `dedup.merge_duplicates` given every text at once."""
    base = [
        f"Năm 202{i % 5}, Đảng bộ Khối Doanh nghiệp tỉnh số {i} có {100 + 37 * i} đảng viên, "
        f"sinh hoạt tại {10 + i} tổ chức cơ sở đảng; kết nạp {5 + i} đảng viên mới, đạt "
        f"{80 + i},5% kế hoạch; doanh thu đạt {1000 + 91 * i} tỷ đồng, nộp ngân sách "
        f"{50 + 7 * i} tỷ đồng, thu nhập bình quân {6 + i % 4},2 triệu đồng/người/tháng. "
        "Cấp ủy lãnh đạo triển khai nghiêm túc các nghị quyết, chỉ thị của Đảng, chăm lo "
        "đời sống người lao động và phát triển tổ chức đảng trong doanh nghiệp."
        for i in range(12)
    ]
    docs = [_doc(f"d{i:02d}", t, f"2024-01-{i + 1:02d}") for i, t in enumerate(base)]
    # republished copies in other batches: a byline and a source line added
    docs.append(_doc("copy-of-d02", base[2] + " PV tổng hợp. Nguồn: Báo tỉnh.", "2024-02-01"))
    docs.append(_doc("copy-of-d09", "Tin ảnh. " + base[9], "2023-12-31"))
    expected_kept, expected_groups = dedup.merge_duplicates(docs)
    assert len(expected_groups) == 2

    from vnreport.transforms import normalize

    spill = batching.Spill(tmp_path / "spill")
    for i in range(0, len(docs), 4):  # batches of 4: each copy is away from its original
        part = docs[i : i + 4]
        keys, sets = batching.band_keys(part, with_shingles=True)
        spill.add(
            batching.BatchFrames(
                documents=normalize.documents_frame(part, extractor_version="v"),
                reports=pl.DataFrame(schema=normalize.REPORT_SCHEMA),
                facts=pl.DataFrame(schema=normalize.FACT_SCHEMA),
                doc_ids=[d.doc_id for d in part],
                band_keys=keys,
                shingles=sets,
            )
        )
    dropped, groups = spill.merge_duplicates()
    assert [(g.canonical, g.members) for g in groups] == [
        (g.canonical, g.members) for g in expected_groups
    ]
    assert dropped == {d.doc_id for d in docs} - {d.doc_id for d in expected_kept}
    # the earlier-published copy of d09 is the one kept
    assert "d09" in dropped and "copy-of-d09" not in dropped
    kept = spill.frame("documents", exclude=dropped)
    assert sorted(kept["doc_id"]) == sorted(d.doc_id for d in expected_kept)
    assert set(spill.candidates()) >= {"d02", "copy-of-d02", "d09", "copy-of-d09"}


def test_nothing_to_validate_is_a_loadable_empty_validation(tmp_path):
    from vnreport.transforms import normalize
    from vnreport.warehouse.load import load_run

    v = batching.nothing_to_validate(
        pl.DataFrame(schema=normalize.FACT_SCHEMA), pl.DataFrame(schema=normalize.REPORT_SCHEMA)
    )
    assert {"dq_status", "dq_warnings"} <= set(v.facts.columns)
    counts = load_run(
        tmp_path / "w.duckdb",
        run={"run_id": "r-empty", "status": "completed"},
        documents=pl.DataFrame(schema=normalize.DOCUMENT_SCHEMA),
        reports=v.reports,
        facts=v.facts,
        quarantine=v.quarantine,
        dq_results=v.dq_results,
        failures=[],
    )
    assert counts["facts_loaded"] == 0 and counts["dq_results"] == 0 and counts["runs"] == 1


@pytest.mark.parametrize("preset", [None, "dirty_decay_ms:2000"])
def test_polars_gives_freed_pages_back_unless_the_environment_says_otherwise(preset):
    """The package sets Polars' allocator to return freed pages at once, before anything
    imports Polars; a setting already in the environment is kept."""
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if preset:
        env["_RJEM_MALLOC_CONF"] = preset
    code = "import vnreport.flows.nightly, polars, os; print(os.environ['_RJEM_MALLOC_CONF'])"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    # Polars puts its defaults first and what it found in the environment last (last wins)
    assert out.endswith(preset or "dirty_decay_ms:0,muzzy_decay_ms:0")
    assert out.count("dirty_decay_ms") == 2
