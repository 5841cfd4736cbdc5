"""Web sources end to end against a loopback site: listing, feed, sitemap, state, safety."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.site.server import Site, standard_site

from vnreport.config import load_sources
from vnreport.records import Failure, RawDoc
from vnreport.transforms import rawstore
from vnreport.transforms.discover import discover, doc_id_for_url, read_sources
from vnreport.transforms.guard import UnsafeURL

ARTICLES = {
    "/bai-viet/dang-uy-khoi-dn-tong-ket-2023.html",
    "/bai-viet/dang-bo-kcn-so-ket-6-thang-2024.html",
    "/bai-viet/cum-thi-dua-so-3-giao-ban-quy-1-2024.html",
    "/bai-viet/cong-ty-may-hoa-binh-tong-ket-2023.html",
}
FAST_HTTP = "http: {per_host_delay: 0.0, retries: 1, backoff_base: 0.01, read_timeout: 3.0}"


def test_dns(host: str) -> list[str]:
    """Invented `.example` names answer the loopback address; anything else is unknown."""
    if host.endswith(".example") or host == "localhost":
        return ["127.0.0.1"]
    raise UnsafeURL(f"{host}: cannot resolve (test DNS)")


test_dns.__test__ = False  # a helper, not a test


@pytest.fixture
def site():
    s = Site().start()
    standard_site(s, "portal.example")
    yield s
    s.stop()


def config(tmp_path: Path, body: str, site: Site) -> list:
    base = site.url("", "portal.example")
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n" + body.replace("BASE", base), encoding="utf-8")
    return load_sources(path)


def paths(raws: list[RawDoc]) -> set[str]:
    from urllib.parse import urlsplit

    return {urlsplit(r.uri).path for r in raws}


LISTING = f"""
  - name: portal
    kind: listing
    start_urls: [BASE/tin-tuc/]
    link_selector: "ul.news-list h3 a"
    next_selector: "a.next"
    max_pages: 5
    allow_private_network: true
    {FAST_HTTP}
"""


def test_listing_with_pagination_fetches_every_article_once(tmp_path, site):
    result = discover(config(tmp_path, LISTING, site), resolver=test_dns)
    assert paths(result.raws) == ARTICLES
    for path in ARTICLES:
        assert site.count(path, "portal.example") == 1
    assert site.count("/tin-tuc/trang-2") == 1
    raw = next(r for r in result.raws if "tong-ket-2023" in r.uri and "khoi" in r.uri)
    assert raw.uri == site.url("/bai-viet/dang-uy-khoi-dn-tong-ket-2023.html", "portal.example")
    assert "utm_source" not in raw.uri  # tracking parameter dropped
    assert raw.doc_id == doc_id_for_url(raw.uri) and raw.doc_id.startswith("dang-uy-khoi")
    assert raw.kind == "html" and raw.charset == "utf-8" and raw.fetched_at
    assert raw.meta["listing"].endswith("/tin-tuc/")
    assert result.counts["portal"] == {
        "new": 4, "changed": 0, "unchanged": 0, "failed": 0, "skipped": 3,
    }  # fmt: skip
    reasons = {Path(f.uri).name: f.reason for f in result.skipped}
    assert reasons["bao-cao-tong-ket-2023.pdf"] == (
        "content type application/pdf is not HTML or text"
    )
    assert reasons["bao-cao-nhan-su.html"] == "disallowed by robots.txt"
    assert "leaves the source's domains" in reasons["hoi-nghi-tong-ket.html"]
    assert all(f.stage == "skip" for f in result.skipped) and result.failures == []
    assert site.count("/noi-bo/bao-cao-nhan-su.html") == 0
    assert not [h for h in site.hits if h.host == "baokhac.example"]


def test_listing_with_a_numbered_pattern_stops_at_the_missing_page(tmp_path, site):
    site.add_file("/tin-tuc/trang-1", "tin-tuc.html", "portal.example")
    body = LISTING.replace('next_selector: "a.next"', "next_pattern: BASE/tin-tuc/trang-{page}")
    body = body.replace("start_urls: [BASE/tin-tuc/]", "start_urls: [BASE/tin-tuc/trang-1]")
    result = discover(config(tmp_path, body, site), resolver=test_dns)
    assert paths(result.raws) == ARTICLES
    assert site.count("/tin-tuc/trang-3") == 1 and result.failures == []


def test_max_pages_bounds_the_listing(tmp_path, site):
    body = LISTING.replace("max_pages: 5", "max_pages: 1")
    result = discover(config(tmp_path, body, site), resolver=test_dns)
    assert len(result.raws) == 2 and site.count("/tin-tuc/trang-2") == 0


def test_rss_and_atom_feeds(tmp_path, site):
    body = f"""
  - name: feeds
    kind: feed
    urls: [BASE/rss/tin-tuc.rss, BASE/atom.xml]
    allow_private_network: true
    {FAST_HTTP}
"""
    result = discover(config(tmp_path, body, site), resolver=test_dns)
    assert paths(result.raws) == ARTICLES
    titles = {r.meta.get("feed_title") for r in result.raws}
    assert "Cụm thi đua số 3 giao ban quý I năm 2024" in titles
    assert site.count("/api/bai-viet/4") == 0  # Atom rel="edit" is not the article


def test_sitemap_index_with_url_filter(tmp_path, site):
    body = f"""
  - name: map
    kind: sitemap
    url: BASE/sitemap.xml
    url_filter: "/bai-viet/"
    allow_private_network: true
    {FAST_HTTP}
"""
    result = discover(config(tmp_path, body, site), resolver=test_dns)
    assert paths(result.raws) == ARTICLES
    assert site.count("/gioi-thieu") == 0
    assert site.count("/sitemaps/2023.xml") == 1 and site.count("/sitemaps/2024.xml") == 1
    assert [f.uri for f in result.skipped] == ["http://baokhac.example/sitemap.xml"]
    raw = next(r for r in result.raws if "cum-thi-dua" in r.uri)
    assert raw.meta["lastmod"] == "2024-04-12"


def test_second_run_sends_only_conditional_requests(tmp_path, site):
    sources = config(tmp_path, LISTING, site)
    raw_root = tmp_path / "raw"
    first = discover(sources, None, raw_root, resolver=test_dns)
    assert len(first.raws) == 4
    assert {rawstore.page(raw_root, r.doc_id).content_hash for r in first.raws} == {
        r.content_hash for r in first.raws
    }
    site.reset_log()
    second = discover(sources, first.state, raw_root, resolver=test_dns)
    assert site.hits and all(h.conditional for h in site.hits), [
        h.path for h in site.hits if not h.conditional
    ]
    assert second.counts["portal"]["unchanged"] == 4 and second.counts["portal"]["new"] == 0
    # 304 pages come back from the store, marked, so an extractor upgrade can still re-run them
    assert {r.content_hash for r in second.raws} == {r.content_hash for r in first.raws}
    assert all(r.meta.get("not_modified") for r in second.raws)
    assert {r["status"] for r in second.updated_rows() if r["kind"] == "article"} <= {
        "not_modified", "skipped",
    }  # fmt: skip

    # one article edited on the site: only it is new work
    changed = "/bai-viet/cum-thi-dua-so-3-giao-ban-quy-1-2024.html"
    site.add(changed, "<html><body><p>Cụm thi đua số 3 đính chính số liệu.</p></body></html>",
             "portal.example")  # fmt: skip
    third = discover(sources, second.state, raw_root, resolver=test_dns)
    assert third.counts["portal"]["changed"] == 1 and third.counts["portal"]["unchanged"] == 3
    fresh = [r for r in third.raws if not r.meta.get("not_modified")]
    assert [r.uri for r in fresh] == [site.url(changed, "portal.example")]


def test_without_reuse_a_304_yields_no_document(tmp_path, site):
    sources = config(tmp_path, LISTING, site)
    first = discover(sources, None, tmp_path / "raw", resolver=test_dns)
    second = discover(sources, first.state, tmp_path / "raw", resolver=test_dns,
                      reuse_unchanged=False)  # fmt: skip
    assert second.raws == [] and second.counts["portal"]["unchanged"] == 4


def test_failures_keep_the_last_good_validators(tmp_path, site):
    from fixtures.site.server import send

    sources = config(tmp_path, LISTING, site)
    first = discover(sources, None, tmp_path / "raw", resolver=test_dns)
    path = "/bai-viet/cong-ty-may-hoa-binh-tong-ket-2023.html"
    site.add(path, lambda r, n: send(r, 500, b"x", "text/plain"), "portal.example")
    second = discover(sources, first.state, tmp_path / "raw", resolver=test_dns)
    url = site.url(path, "portal.example")
    row = second.state[url]
    assert row["status"] == "failed" and "HTTP 500" in row["reason"]
    assert row["etag"] == first.state[url]["etag"]
    assert row["content_hash"] == first.state[url]["content_hash"]
    assert second.counts["portal"]["failed"] == 1
    (failure,) = second.failures
    assert failure.stage == "fetch" and failure.uri == url


def test_source_refusing_private_network_reaches_nothing(tmp_path, site):
    body = LISTING.replace("allow_private_network: true", "allow_private_network: false")
    result = discover(config(tmp_path, body, site), resolver=test_dns)
    assert result.raws == [] and site.hits == []
    (failure,) = result.failures
    assert failure.stage == "discover"
    assert "portal.example resolves to 127.0.0.1: loopback address refused" in failure.reason


def test_link_to_loopback_from_a_named_source_is_not_followed(tmp_path, site):
    """The source's own host may be private (it said so); a link to 127.0.0.1 may not."""
    site.add(
        "/tin-tuc/",
        f'<ul class="news-list"><li><h3><a href="{site.url("/noi-bo/quan-tri")}">x</a></h3></li>'
        f'<li><h3><a href="{site.url("/quan-tri", "localhost")}">y</a></h3></li>'
        '<li><h3><a href="/bai-viet/dang-uy-khoi-dn-tong-ket-2023.html">z</a></h3></li></ul>',
        "portal.example",
    )
    site.add("/noi-bo/quan-tri", "<p>admin</p>")
    site.add("/quan-tri", "<p>admin</p>")
    result = discover(config(tmp_path, LISTING, site), resolver=test_dns)
    assert len(result.raws) == 1
    assert site.count("/noi-bo/quan-tri") == 0 and site.count("/quan-tri") == 0
    assert len(result.skipped) == 2


def test_urls_source_and_identical_bytes_at_two_addresses(tmp_path, site):
    page = Path(__file__).parent / "fixtures/site/bai-viet/cong-ty-may-hoa-binh-tong-ket-2023.html"
    site.add_file("/tin/4", "bai-viet/cong-ty-may-hoa-binh-tong-ket-2023.html", "portal.example")
    assert page.exists()
    body = f"""
  - name: list
    kind: urls
    urls:
      - BASE/bai-viet/cong-ty-may-hoa-binh-tong-ket-2023.html
      - BASE/tin/4
      - BASE/khong-co.html
    allow_private_network: true
    {FAST_HTTP}
"""
    raws, failures = read_sources(config(tmp_path, body, site), resolver=test_dns)
    assert len(raws) == 1 and raws[0].meta["also_at"] == [site.url("/tin/4", "portal.example")]
    kinds = sorted((f.stage, f.reason) for f in failures)
    assert kinds[0] == ("fetch", "HTTP 404")
    assert kinds[1][0] == "skip" and kinds[1][1].startswith("identical bytes to")
    assert result_counts(tmp_path, body, site) == {
        "new": 1, "changed": 0, "unchanged": 0, "failed": 1, "skipped": 1,
    }  # fmt: skip


def result_counts(tmp_path, body, site):
    return discover(config(tmp_path, body, site), resolver=test_dns).counts["list"]


def test_folder_and_web_sources_together_keep_ids_unique(tmp_path, site):
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "bao-cao.txt").write_text("Báo cáo tổng kết", encoding="utf-8")
    body = "  - {name: files, kind: folder, path: pages}\n" + LISTING
    result = discover(config(tmp_path, body, site), resolver=test_dns)
    assert len(result.raws) == 5
    assert result.counts["files"]["read"] == 1
    assert len({r.doc_id for r in result.raws}) == 5


def test_max_articles_is_recorded_not_silent(tmp_path, site):
    body = LISTING.replace("max_pages: 5", "max_pages: 5\n    max_articles: 5")
    result = discover(config(tmp_path, body, site), resolver=test_dns)
    assert len(result.raws) == 3
    assert any("1 article links over max_articles=5" in f.reason for f in result.skipped)


def test_doc_ids_are_stable_and_safe():
    a = doc_id_for_url("https://Portal.example:443/bai-viet/Đảng-ủy-khối.html?utm_source=x#top")
    b = doc_id_for_url(
        "https://portal.example/bai-viet/%C4%90%E1%BA%A3ng-%E1%BB%A7y-kh%E1%BB%91i.html"
    )
    assert a == b and a.startswith("dang-uy-khoi_")
    assert doc_id_for_url("https://portal.example/").startswith("portal-example_")
    assert isinstance(Failure("x", "y", "skip", "z"), Failure)


def test_pdf_bytes_behind_an_html_content_type_are_skipped(tmp_path, site):
    site.add("/bai-viet/bao-cao.html", b"%PDF-1.7\n" + b"1" * 1000, "portal.example")
    body = f"""
  - name: list
    kind: urls
    urls: [BASE/bai-viet/bao-cao.html]
    allow_private_network: true
    {FAST_HTTP}
"""
    result = discover(config(tmp_path, body, site), resolver=test_dns)
    assert result.raws == []
    (skip,) = result.skipped
    assert skip.reason == "a PDF body served as text/html"
    assert result.counts["list"]["skipped"] == 1


def test_stored_pages_rebuild_the_fetched_documents_for_reprocessing(tmp_path, site):
    raw_root = tmp_path / "raw"
    result = discover(config(tmp_path, LISTING, site), None, raw_root, resolver=test_dns)
    site.stop()  # reprocessing must not need the site
    rebuilt = {p.doc_id: p.load() for p in rawstore.iter_pages(raw_root, source="portal")}
    assert set(rebuilt) == {r.doc_id for r in result.raws}
    for r in result.raws:
        again = rebuilt[r.doc_id]
        assert (again.uri, again.content, again.charset, again.kind, again.fetched_at) == (
            r.uri, r.content, r.charset, r.kind, r.fetched_at,
        )  # fmt: skip
