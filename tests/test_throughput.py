"""What the throughput benchmark relies on: its generated pages are real work for every stage,
and the one-page command stays light (no warehouse, validation or orchestration imports)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> list[Path]:
    from corpus import generate

    return generate(tmp_path_factory.mktemp("gen") / "pages", 30, seed=5)


def test_generator_is_deterministic_and_varied(generated, tmp_path):
    from corpus import generate

    again = generate(tmp_path / "again", 30, seed=5)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in generated]
    assert len({p.read_bytes() for p in generated}) == 30
    assert {p.suffix for p in generated} == {".html", ".txt"}


def test_generated_pages_clean_to_articles_and_yield_their_numbers(generated):
    from vnreport.transforms.batch import clean_batch, extract_batch
    from vnreport.transforms.read import read_path

    raws = [read_path(p, "gen") for p in generated]
    cleaned = clean_batch(raws)
    assert not cleaned.failures
    for doc in cleaned.docs:
        # furniture is gone: menus, related links and the licence footer do not reach the text
        assert "Sơ đồ cổng" not in doc.text and "GP-BTTTT" not in doc.text, doc.doc_id
    out = extract_batch(cleaned.docs)
    metrics: dict[str, set[str]] = {}
    for f in out.facts:
        metrics.setdefault(f["doc"], set()).add(f["metric"])
    with_members = [d for d, m in metrics.items() if "party_members" in m]
    with_money = [d for d, m in metrics.items() if "revenue_vnd" in m]
    assert len(with_members) >= 0.9 * len(generated)
    assert len(with_money) >= 0.8 * len(generated)


def test_extract_one_page_imports_nothing_heavy():
    page = REPO / "samples" / "sample_05_kcn_thaibinh_2023.html"
    code = (
        "import sys\n"
        "from vnreport.flows.cli import app\n"
        "try:\n"
        f"    app([ 'extract', {str(page)!r} ], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('polars', 'duckdb', 'prefect', 'great_expectations', 'dask', 'distributed',"
        " 'pandas', 'pyarrow')\n"
        "print('HEAVY', [m for m in heavy if m in sys.modules])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert '"metric"' in proc.stdout or "metric" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "HEAVY []"


def test_portal_furniture_adds_no_facts_and_sizes_pages_like_real_ones():
    """The same article with and without its portal furniture yields the same facts."""
    import random

    from corpus import Furniture, Page

    from vnreport.records import RawDoc, content_hash
    from vnreport.transforms.clean import clean_document
    from vnreport.transforms.extract import extract_document

    def facts(data: bytes) -> list[tuple]:
        raw = RawDoc("g", "gen", "g.html", "html", data, content_hash(data))
        found, _ = extract_document(clean_document(raw))
        return sorted((f["metric"], f["value"], f["subject"]) for f in found)

    rng, sizes = random.Random(5), []
    for i in range(25):
        state, module_state = rng.getstate(), random.getstate()
        bare = Page(rng, i).to_html().encode()
        rng.setstate(state)
        random.setstate(module_state)
        page = Page(rng, i)
        dressed = page.to_html(Furniture(page, 5)).encode()
        sizes.append(len(dressed))
        assert len(dressed) > 3 * len(bare)
        assert facts(dressed) == facts(bare), f"page {i}: furniture changed the facts"
    sizes.sort()
    assert 47_000 < sizes[len(sizes) // 2] < 289_000, sizes  # real pages: p10 47 KB, p90 289 KB
