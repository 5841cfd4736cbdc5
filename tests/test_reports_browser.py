"""The Data Docs site and the run summary page, rendered in a real headless Chromium.

Every request other than file:// is aborted and recorded, so the test also
proves the pages need no network.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from vnreport.expectations.validate import validate_run
from vnreport.transforms.normalize import FACT_SCHEMA, REPORT_SCHEMA

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RUN_ID = "20261121T010000Z-browser"


def fact(fid: str, metric: str, value: float, unit: str, evidence: str, **kw) -> dict:
    row = dict.fromkeys(FACT_SCHEMA)
    row |= {
        "fact_id": fid,
        "doc_id": "kcn_quevo_2024",
        "metric": metric,
        "value": float(value),
        "unit": unit,
        "scope": "org",
        "evidence": evidence,
        "start": 200,
        "end": 200 + len(evidence),
        "doc_length": 3000,
        "organization": "Đảng bộ các Khu công nghiệp tỉnh Bắc Ninh",
        "period": "2024",
        "report_type": "year_end_review",
        "extractor_version": "t1",
        "run_id": RUN_ID,
    }
    return row | kw


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip("Debian chromium not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    dq_root = tmp_path_factory.mktemp("dq")
    facts = pl.DataFrame(
        [
            fact("ok-members", "party_members", 1250, "person", "tổng số 1.250 đảng viên"),
            fact(
                "bad-ratio",
                "new_members_admitted",
                46,
                "person",
                "kết nạp 46/40 đảng viên mới, đạt 125%",
                denominator=40,
                pct=125,
            ),
            fact(
                "bad-income",
                "avg_income_vnd_month",
                9.2,
                "vnd_per_person_month",
                "thu nhập bình quân 9,2 đồng/người/tháng",
            ),
        ],
        schema=FACT_SCHEMA,
    )
    reports = pl.DataFrame(
        [
            {
                "doc_id": "kcn_quevo_2024",
                "title": "Tổng kết công tác Đảng năm 2024",
                "organization": "Đảng bộ các Khu công nghiệp tỉnh Bắc Ninh",
                "province": "Bắc Ninh",
                "district": None,
                "period": "2024",
                "report_type": "year_end_review",
                "meeting_date": "2024-12-24",
                "published_date": "2024-12-25",
                "source_name": "Cổng thông tin",
                "inferred": [],
            }
        ],
        schema=REPORT_SCHEMA,
    )
    validation = validate_run(facts, reports, run_id=RUN_ID, dq_root=dq_root)
    return validation, dq_root


def open_offline(browser, path: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith(("file:", "data:", "about:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return page, blocked


def test_data_docs_index_lists_the_runs_suites(browser, run, tmp_path):
    validation, _ = run
    page, blocked = open_offline(browser, Path(validation.data_docs_index))
    page.screenshot(path=str(tmp_path / "data_docs_index.png"), full_page=True)
    rows = page.locator("table.dq-static-table tbody tr")
    assert rows.count() >= 2
    text = page.locator("table.dq-static-table").first.inner_text()
    assert RUN_ID in text
    suites = {s.strip() for s in page.locator("td:has(a[href*='expectations/'])").all_inner_texts()}
    assert {"facts", "reports"} <= suites
    # the facts validation failed (planted problems), and the index says so in words
    # the suites table links each suite's page
    suite_links = page.locator("a[href^='expectations/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert any(h.startswith("expectations/facts.html") for h in suite_links)
    statuses = page.locator("td.status").all_inner_texts()
    assert "Failed" in statuses
    assert blocked == []
    page.close()


def test_validation_page_shows_the_failing_checks(browser, run, tmp_path):
    validation, _ = run
    index_page, _ = open_offline(browser, Path(validation.data_docs_index))
    href = index_page.locator("a[href*='validations/facts/']").first.get_attribute("href")
    index_page.close()
    target = Path(validation.data_docs_index).parent / href.split("?")[0]
    page, blocked = open_offline(browser, target)
    page.screenshot(path=str(tmp_path / "facts_validation.png"), full_page=False)
    body = page.locator("body").inner_text()
    assert "facts.ratio_matches_pct (fail)" in body
    assert "facts.money_magnitude (fail)" in body
    assert "facts.range[avg_income_vnd_month] (fail)" in body
    # status marks are visible without the icon web font
    assert page.locator("i.fa-times").count() >= 3
    mark = page.evaluate(
        "getComputedStyle(document.querySelector('i.fa-times'), '::before').content"
    )
    assert mark not in ("none", "normal", "")
    assert blocked == []
    page.close()


def test_summary_page_shows_suites_and_failing_checks(browser, run, tmp_path):
    validation, dq_root = run
    page, blocked = open_offline(browser, dq_root / "summary.html")
    page.screenshot(path=str(tmp_path / "summary.png"), full_page=True)
    assert page.locator("#run-id").inner_text() == RUN_ID
    suites = page.locator("#suites tr[data-suite]").evaluate_all(
        "rows => rows.map(r => r.dataset.suite)"
    )
    assert suites == ["facts", "reports"]
    rules = page.locator("#failing section.check").evaluate_all("s => s.map(x => x.dataset.rule)")
    assert "facts.ratio_matches_pct" in rules and "facts.money_magnitude" in rules
    ratio = page.locator("section[data-rule='facts.ratio_matches_pct']").inner_text()
    assert "46/40 = 115.0% but the text states 125%" in ratio
    assert "kết nạp 46/40 đảng viên mới, đạt 125%" in ratio
    assert page.locator("a#data-docs").get_attribute("href").startswith("file://")
    assert blocked == []
    page.close()
