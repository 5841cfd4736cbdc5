"""The run report and the document viewer, built from a real warehouse, opened in Chromium.

The warehouse comes from two real pipeline runs (the CLI): the bundled samples, then the
samples plus one more article of ours whose stated percentage does not follow from its
X/Y (so it is quarantined) and whose text carries script markup (which must stay text).
Every request other than file:// is aborted and counted: the pages need no network.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import duckdb
import pytest

from vnreport.reports import run_report, write_reports
from vnreport.reports.page import PAGE_STAMP
from vnreport.reports.provenance import STAMP_FILE, page_path
from vnreport.reports.run_report import CHART_IDS, SECTIONS_CACHE, render_sections
from vnreport.transforms.numbers import find_quantities, parse_number, parse_words

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "viewer"
VNREPORT = [sys.executable, "-m", "vnreport.flows.cli"]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EXTRA_DOC = "dongson_2024"
SPACED_DOC = "Đông Sơn tổng kết 2023"  # a file name with spaces and Vietnamese letters


def cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*VNREPORT, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )


def q(db: Path, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("viewer")
    env = {**os.environ, "PREFECT_HOME": str(tmp / "prefect"), "PYTHONUTF8": "1"}
    one = tmp / "one.yaml"
    one.write_text(
        f"sources:\n  - name: samples\n    kind: folder\n    path: {REPO / 'samples'}\n",
        encoding="utf-8",
    )
    two = tmp / "two.yaml"
    two.write_text(
        one.read_text(encoding="utf-8")
        + f"  - name: viewer-fixtures\n    kind: folder\n    path: {FIXTURES}\n",
        encoding="utf-8",
    )
    db = tmp / "out" / "warehouse.duckdb"
    for config in (one, two):
        done = cli("run", "--config", str(config), "--warehouse", str(db), env=env)
        assert done.returncode == 0, done.stderr[-3000:]
    # the nightly run wrote its own pages next to the warehouse; these tests build a fresh set
    out_dir = tmp / "pages"
    written = write_reports(db, out_dir)
    shots = Path(os.environ.get("VNREPORT_SCREENSHOTS") or tmp / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    return {"db": db, "env": env, "out": out_dir, "written": written, "shots": shots}


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip("Debian chromium not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


def open_offline(browser, path: Path, *, width: int = 1400):
    page = browser.new_page(viewport={"width": width, "height": 1200})
    blocked: list[str] = []
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        if r.request.url.startswith(("file:", "data:", "about:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return page, blocked, errors


def doc_pages(built) -> dict[str, Path]:
    """Every document of the warehouse and where its viewer page belongs."""
    ids = [r[0] for r in q(built["db"], "SELECT doc_id FROM documents")]
    return {d: page_path(built["out"], d) for d in ids}


def test_write_reports_writes_every_page(built):
    w, db = built["written"], built["db"]
    assert w["run_report"] == built["out"] / "index.html" and w["run_report"].is_file()
    (latest,) = q(db, "SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1")[0]
    copy = built["out"] / f"run-{latest}.html"
    assert copy.read_bytes() == w["run_report"].read_bytes()
    pages = doc_pages(built)
    assert EXTRA_DOC in pages and all(p.is_file() for p in pages.values())
    assert {p.name for p in (built["out"] / "documents").glob("*.html")} == {
        p.name for p in pages.values()
    }
    assert w["documents_written"] == w["documents"] == len(pages)


def test_the_nightly_run_wrote_its_report_and_every_document_page(built):
    nightly = built["db"].parent / "reports"
    (latest,) = q(built["db"], "SELECT run_id, report_path FROM runs ORDER BY started_at DESC")[:1]
    assert latest[1] == str(nightly / f"run-{latest[0]}.html")
    assert (nightly / "index.html").read_bytes() == Path(latest[1]).read_bytes()
    docs = {r[0] for r in q(built["db"], "SELECT doc_id FROM documents")}
    assert {p.name for p in (nightly / "documents").glob("*.html")} == {
        page_path(nightly, d).name for d in docs
    }


def test_pages_are_rewritten_only_when_needed(built):
    """Pages of documents the run did not touch are kept, unless missing or asked for."""
    again = write_reports(built["db"], built["out"])
    # the latest run loaded only the two extra articles: their pages alone are written again
    (latest,) = q(built["db"], "SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1")[0]
    loaded = {
        r[0] for r in q(built["db"], "SELECT doc_id FROM documents WHERE loaded_run = ?", [latest])
    }
    assert loaded == {EXTRA_DOC, SPACED_DOC}
    assert again["documents_written"] == 2
    kept = page_path(built["out"], "sample_01_tayhung_2022")
    before = kept.stat().st_mtime_ns
    gone = page_path(built["out"], "sample_02_tayhung_2023")
    gone.unlink()
    third = write_reports(built["db"], built["out"])
    assert third["documents_written"] == 3 and gone.is_file()
    assert kept.stat().st_mtime_ns == before
    rebuilt = write_reports(built["db"], built["out"], rebuild=True)
    (n_docs,) = q(built["db"], "SELECT count(*) FROM documents")[0]
    assert rebuilt["documents_written"] == rebuilt["documents"] == n_docs


def test_pages_of_another_page_format_are_all_written_again(built, tmp_path):
    """The documents folder carries the page format its pages were written in: after an
    upgrade (another stamp) or without a stamp every page is written again, and the
    stamp follows only once they all were."""
    out = tmp_path / "out"
    shutil.copytree(built["out"], out)
    stamp = out / "documents" / STAMP_FILE
    assert stamp.read_text(encoding="utf-8") == PAGE_STAMP
    n_docs = len(doc_pages(built))
    touched = write_reports(built["db"], out)["documents_written"]  # the latest run's
    assert 0 < touched < n_docs
    stamp.write_text("vnreport 0.0 page-format 0", encoding="utf-8")
    page = page_path(out, "sample_01_tayhung_2022")
    page.write_text("<html>an older page</html>", encoding="utf-8")
    assert write_reports(built["db"], out)["documents_written"] == n_docs
    assert PAGE_STAMP in page.read_text(encoding="utf-8")
    assert stamp.read_text(encoding="utf-8") == PAGE_STAMP
    stamp.unlink()
    assert write_reports(built["db"], out)["documents_written"] == n_docs
    assert stamp.is_file()


def test_report_sections_are_reused_until_a_row_changes(built, tmp_path):
    """A night that changed nothing reuses last night's drawing of the warehouse sections;
    any changed row draws them again (and the drawing equals one made without the cache)."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built["db"], db)
    out = tmp_path / "pages"
    first = write_reports(db, out)
    (cached,) = (out / SECTIONS_CACHE).glob("sections-*.html")
    with duckdb.connect(str(db), read_only=True) as con:
        assert cached.read_text(encoding="utf-8") == render_sections(con)
    before = cached.stat().st_mtime_ns
    page = first["run_report"].read_bytes()
    again = write_reports(db, out)
    assert [p.name for p in (out / SECTIONS_CACHE).glob("*")] == [cached.name]
    assert cached.stat().st_mtime_ns == before
    assert again["run_report"].read_bytes() == page

    with duckdb.connect(str(db)) as con:
        con.execute(
            "UPDATE documents SET title = 'Tiêu đề đã sửa lại' WHERE doc_id = ?", [EXTRA_DOC]
        )
    third = write_reports(db, out)
    (redrawn,) = (out / SECTIONS_CACHE).glob("sections-*.html")
    assert redrawn.name != cached.name and not cached.exists()
    assert "Tiêu đề đã sửa lại" in third["run_report"].read_text(encoding="utf-8")
    with duckdb.connect(str(db), read_only=True) as con:
        assert redrawn.read_text(encoding="utf-8") == render_sections(con)


def test_documents_are_listed_a_page_at_a_time(built, browser, tmp_path, monkeypatch):
    """Past DOC_LIST_ROWS documents the run report lists the first page and links the rest;
    following the pager reaches every document once, and a document opens from any page."""
    monkeypatch.setattr(run_report, "DOC_LIST_ROWS", 3)
    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built["db"], db)
    out = tmp_path / "pages"
    write_reports(db, out)
    docs = {r[0] for r in q(db, "SELECT doc_id FROM documents")}
    pages = -(-len(docs) // 3)
    assert pages >= 3
    assert sorted(p.name for p in out.glob("documents-*.html")) == sorted(
        f"documents-{n}.html" for n in range(2, pages + 1)
    )

    seen: list[str] = []
    page, blocked, errors = open_offline(browser, out / "index.html")
    for n in range(1, pages + 1):
        assert page.locator("#documents-pages b").inner_text() == str(n)
        rows = page.locator("#documents tbody tr").evaluate_all("rs => rs.map(r => r.dataset.doc)")
        assert len(rows) == (3 if n < pages else len(docs) - 3 * (pages - 1))
        seen += rows
        if n < pages:
            page.locator("#documents-pages a", has_text=str(n + 1)).first.click()
            page.wait_for_load_state("load")
    assert sorted(seen) == sorted(docs)
    # from the last listing page, a document's link opens its viewer page
    last = seen[-1]
    page.locator(f"#documents tr[data-doc='{last}'] a").click()
    page.wait_for_load_state("load")
    assert page.locator("#doc-id").inner_text() == last
    assert blocked == [] and errors == []
    page.close()

    # a night that changed nothing writes a missing listing page again, and a changed
    # warehouse with fewer pages removes the listing pages past its last
    (out / "documents-2.html").unlink()
    (out / f"documents-{pages + 5}.html").write_text("stale", encoding="utf-8")
    write_reports(db, out)
    assert (out / "documents-2.html").is_file()
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM documents WHERE doc_id = ?", [EXTRA_DOC])
    write_reports(db, out)
    remaining = -(-(len(docs) - 1) // 3)
    assert sorted(p.name for p in out.glob("documents-*.html")) == sorted(
        f"documents-{n}.html" for n in range(2, remaining + 1)
    )


def test_run_report_counts_and_charts_match_the_warehouse(built, browser):
    db = built["db"]
    page, blocked, errors = open_offline(browser, built["out"] / "index.html")
    page.screenshot(path=str(built["shots"] / "run_report.png"), full_page=True)
    assert blocked == [] and errors == []

    run, prev = q(db, "SELECT * FROM runs ORDER BY started_at DESC LIMIT 2")
    cols = [r[0] for r in q(db, "DESCRIBE runs")]
    run, prev = dict(zip(cols, run, strict=True)), dict(zip(cols, prev, strict=True))
    assert page.locator("#run-id").inner_text() == run["run_id"]
    for key in ("documents_new", "documents_unchanged", "facts_loaded", "facts_quarantined"):
        card = page.locator(f"#run-counts .card[data-key='{key}']")
        assert card.locator(".value").inner_text() == str(run[key])
        diff = run[key] - prev[key]
        expected = "±0 vs previous run" if diff == 0 else f"{diff:+d} vs previous run"
        assert card.locator(".delta").inner_text() == expected
    assert run["facts_quarantined"] >= 1  # the planted ratio
    (total,) = q(db, "SELECT count(*) FROM facts")[0]
    assert page.locator(".card[data-key='total_facts'] .value").inner_text() == str(total)

    # one chart element per chart, each with drawn marks
    assert page.locator("figure.chart").count() == len(CHART_IDS)
    for cid in CHART_IDS:
        fig = page.locator(f"figure#chart-{cid}")
        assert fig.locator("svg").count() >= 1, cid
        assert fig.locator(".mark").count() >= 1, cid

    # the scatter: loaded facts with X/Y and % plus held ones; the planted one is labelled
    (loaded,) = q(db, "SELECT count(*) FROM facts WHERE denominator <> 0 AND pct IS NOT NULL")[0]
    (held,) = q(
        db,
        "SELECT count(*) FROM quarantine WHERE NOT released AND record_type = 'fact' "
        "AND json_extract(record, '$.denominator') IS NOT NULL "
        "AND json_extract(record, '$.pct') IS NOT NULL",
    )[0]
    scatter = page.locator("#chart-plan-attainment")
    assert scatter.locator("circle.mark").count() == loaded + held
    flags = scatter.locator("text.flag-label").evaluate_all("ts => ts.map(t => t.textContent)")
    assert len(flags) == scatter.locator("circle.flagged").count() >= 1
    assert any("Đông Sơn" in f and "125%" in f for f in flags)

    # the disagreement table names it and links to its highlight
    row = page.locator("#disagree tr.disagree", has_text="Đông Sơn")
    assert row.count() == 1 and "quarantined" in row.inner_text()
    href = row.locator("a.fact-link").get_attribute("href")
    assert href.startswith(f"documents/{EXTRA_DOC}.html#fact-")

    # per metric bars: one per metric in the warehouse
    (metrics,) = q(db, "SELECT count(DISTINCT metric) FROM facts")[0]
    assert page.locator("#chart-facts-per-metric g.mark").count() == metrics
    # DQ pass rate: one point per run with results
    (runs_with_dq,) = q(db, "SELECT count(DISTINCT run_id) FROM dq_results")[0]
    assert page.locator("#chart-dq-pass-rate circle.mark").count() == runs_with_dq == 2

    # newest report per organization and the growth table
    (orgs,) = q(db, "SELECT count(DISTINCT coalesce(org_id, organization)) FROM reports")[0]
    assert page.locator("#newest tbody tr").count() == orgs
    tayhung = page.locator("#growth tr[data-metric='party_members']", has_text="Tây Hưng")
    assert "+71" in tayhung.inner_text()  # 812 in 2022 to 883 in mid-2024, from the samples
    dongson = page.locator("#growth tr[data-metric='party_members']", has_text="Đông Sơn")
    assert "+26" in dongson.inner_text()  # 401 at the end of 2023, 427 a year later

    # a document named with spaces and Vietnamese letters opens from its link
    page.locator(f"#documents tr[data-doc='{SPACED_DOC}'] a").click()
    page.wait_for_load_state("load")
    assert page.locator("#doc-id").inner_text() == SPACED_DOC
    assert page.locator("#text mark").count() >= 8
    assert blocked == [] and errors == []
    page.close()


def test_every_fact_link_in_the_report_reaches_its_highlight(built):
    html = (built["out"] / "index.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="(documents/[^"#]+\.html)#(fact-[^"]+)"', html))
    assert len(links) > 50
    assert any("%20" in p for p, _ in links)  # the spaced file name is linked, quoted
    for href, anchor in links:
        target = (built["out"] / unquote(href)).read_text(encoding="utf-8")
        assert f'id="{anchor}"' in target, (href, anchor)


def test_every_provenance_row_has_a_viewer_target(built):
    rows = q(built["db"], "SELECT doc_id, fact_id, viewer_href FROM fact_provenance")
    assert rows
    pages: dict[str, str] = {}
    for doc_id, fact_id, href in rows:
        target, anchor = href.split("#", 1)
        assert anchor == f"fact-{fact_id}"
        if target not in pages:
            pages[target] = (built["out"] / unquote(target)).read_text(encoding="utf-8")
        assert f'id="{anchor}"' in pages[target], (doc_id, fact_id)


def written_number(shown: str, value: float) -> bool:
    """The highlight holds the fact's number: as a quantity (2.986 tỷ đồng), or as a plain
    number token (a duration like '3 năm' is no quantity to the number finder)."""
    found = [x.value for x in find_quantities(shown)]
    for token in re.findall(r"\d[\d.,]*\d|\d", shown):
        with contextlib.suppress(ValueError):
            found.append(parse_number(token))
    words = shown.split()
    for i in range(len(words)):  # spelled out: 'bốn', 'mười hai'
        for j in range(i + 1, min(i + 4, len(words)) + 1):
            with contextlib.suppress(ValueError):
                found.append(parse_words(" ".join(words[i:j])))
    return any(v is not None and abs(v - value) <= 1e-6 * max(1.0, abs(value)) for v in found)


def highlights(page) -> dict[str, str]:
    """Text under each fact: the pieces of a split fact joined in document order."""
    return page.evaluate(
        """() => {
            const out = {};
            for (const m of document.querySelectorAll('#text mark[data-fact]')) {
                out[m.dataset.fact] = (out[m.dataset.fact] || '') + m.textContent;
            }
            return out;
        }"""
    )


def test_viewer_highlights_every_fact_at_its_offsets(built, browser):
    db = built["db"]
    docs = doc_pages(built)
    checked = nested = 0
    for doc_id, path in sorted(docs.items()):
        page, blocked, errors = open_offline(browser, path)
        assert blocked == [] and errors == [], doc_id
        (text,) = q(db, "SELECT text FROM documents WHERE doc_id = ?", [doc_id])[0]
        facts = q(
            db,
            "SELECT fact_id, value, start_offset, end_offset FROM facts WHERE doc_id = ?",
            [doc_id],
        )
        got = highlights(page)
        for fact_id, value, start, end in facts:
            shown = got.get(f"fact-{fact_id}")
            assert shown == text[start:end], (doc_id, fact_id)
            assert written_number(shown, value), (doc_id, shown, value)
            checked += 1
        assert page.locator("#facts tbody tr").count() >= len(facts)
        assert page.locator("#fact-count").inner_text() == f"{len(facts)} facts loaded"
        nested += page.locator("#text mark mark").count()
        page.close()
    (total,) = q(db, "SELECT count(*) FROM facts")[0]
    assert checked == total
    assert nested >= 1  # the samples do overlap (collectives inside individuals commended)


def test_quarantined_fact_has_its_own_color_and_script_text_stays_text(built, browser):
    db = built["db"]
    page, blocked, errors = open_offline(browser, page_path(built["out"], EXTRA_DOC))
    page.screenshot(path=str(built["shots"] / "viewer.png"), full_page=True)
    assert blocked == [] and errors == []
    held = q(
        db,
        "SELECT json_extract_string(record, '$.fact_id'), "
        "CAST(json_extract(record, '$.start') AS BIGINT), "
        "CAST(json_extract(record, '$.end') AS BIGINT), reasons "
        "FROM quarantine WHERE doc_id = ? AND record_type = 'fact' AND NOT released",
        [EXTRA_DOC],
    )
    assert held, "the planted 23/20 = 125% fact should be held"
    (text,) = q(db, "SELECT text FROM documents WHERE doc_id = ?", [EXTRA_DOC])[0]
    got = highlights(page)
    for fact_id, start, end, reasons in held:
        mark = page.locator(f"mark#fact-{fact_id}")
        assert mark.get_attribute("data-status") == "quarantined"
        assert "quarantined" in (mark.get_attribute("class") or "")
        assert got[f"fact-{fact_id}"] == text[start:end]
        row = page.locator(f"#row-fact-{fact_id}")
        assert all(r in row.inner_text() for r in reasons)
        loaded_bg = page.evaluate(
            "getComputedStyle(document.querySelector('mark.fact:not(.quarantined)'))"
            ".backgroundImage"
        )
        held_bg = mark.evaluate("m => getComputedStyle(m).backgroundImage")
        assert held_bg != loaded_bg and "gradient" in held_bg
    # the script in the article is shown as text, never run
    assert "<script>document.title='pwned'</script>" in page.locator("#text").inner_text()
    assert page.locator("script").count() == 0
    assert page.title() != "pwned"
    # hovering a highlight gives the fact's details
    (fid, value, unit) = q(
        db,
        "SELECT fact_id, value, unit FROM facts WHERE doc_id = ? AND metric = 'party_members'",
        [EXTRA_DOC],
    )[0]
    title = page.locator(f"mark#fact-{fid}").get_attribute("title")
    assert title.startswith(f"party_members: {int(value)} {unit}") and "data quality: pass" in title
    page.close()


def test_show_writes_a_missing_page_and_prints_its_path(built):
    db, env = built["db"], built["env"]
    page = db.parent / "reports" / "documents" / "sample_05_kcn_thaibinh_2023.html"
    page.unlink(missing_ok=True)
    done = cli("show", "sample_05_kcn_thaibinh_2023", "--warehouse", str(db), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(page) and page.is_file()
    assert 'id="fact-' in page.read_text(encoding="utf-8")
    missing = cli("show", "no_such_doc", "--warehouse", str(db), env=env)
    assert missing.returncode == 1 and "no_such_doc" in missing.stderr
    report = cli("report", "--warehouse", str(db), env=env)
    assert report.returncode == 0
    assert f"Run report: {db.parent / 'reports' / 'run-'}" in report.stdout


def test_open_flags_hand_the_pages_to_a_browser(built, monkeypatch):
    from typer.testing import CliRunner

    from vnreport.flows.cli import app

    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda uri: opened.append(uri) or True)
    db = str(built["db"])
    runner = CliRunner()
    out = runner.invoke(app, ["report", "--warehouse", db, "--open"])
    assert out.exit_code == 0, out.output
    (latest,) = q(built["db"], "SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1")[0]
    nightly = built["db"].parent / "reports"  # where the run wrote its pages
    assert opened == [(nightly / f"run-{latest}.html").resolve().as_uri()]
    out = runner.invoke(app, ["show", EXTRA_DOC, "--warehouse", db, "--open"])
    assert out.exit_code == 0, out.output
    page = nightly / "documents" / page_path(nightly, EXTRA_DOC).name
    assert opened[-1] == page.resolve().as_uri()
