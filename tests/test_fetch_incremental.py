"""A 500-article loopback portal: the first run fetches each page once, the second only asks
conditionally (requests counted on the server side)."""

from __future__ import annotations

import pytest
from fixtures.site.server import Site, large_site

from vnreport.config import load_sources
from vnreport.transforms.discover import discover
from vnreport.transforms.fetch import FetchSettings
from vnreport.transforms.guard import UnsafeURL

N = 500
SETTINGS = FetchSettings(per_host_delay=0.0, per_host_concurrency=4, workers=4, retries=1,
                         backoff_base=0.01)  # fmt: skip


def dns(host: str) -> list[str]:
    if host.endswith(".example"):
        return ["127.0.0.1"]
    raise UnsafeURL(f"{host}: cannot resolve (test DNS)")


@pytest.fixture
def portal(tmp_path):
    site = Site().start()
    start = large_site(site, N, host="portal.example")
    cfg = tmp_path / "sources.yaml"
    cfg.write_text(
        f"sources:\n  - name: portal\n    kind: listing\n    start_urls: [{start}]\n"
        f'    link_selector: "a.tieu-de"\n    next_selector: "a.sau"\n    max_pages: 40\n'
        "    allow_private_network: true\n",
        encoding="utf-8",
    )
    yield site, load_sources(cfg)
    site.stop()


def test_500_articles_fetched_once_then_only_conditionally(tmp_path, portal):
    site, sources = portal
    raw_root = tmp_path / "raw"
    first = discover(sources, None, raw_root, settings=SETTINGS, resolver=dns)
    assert len(first.raws) == N and first.failures == []
    article_hits = [h for h in site.hits if h.path.startswith("/tin/")]
    assert len(article_hits) == N and len({h.path for h in article_hits}) == N
    assert not any(h.conditional for h in site.hits)
    assert first.counts["portal"]["new"] == N

    site.reset_log()
    second = discover(sources, first.state, raw_root, settings=SETTINGS, resolver=dns)
    unconditional = [h.path for h in site.hits if not h.conditional]
    assert site.hits and unconditional == []
    assert len([h for h in site.hits if h.path.startswith("/tin/")]) == N
    assert second.counts["portal"] == {
        "new": 0, "changed": 0, "unchanged": N, "failed": 0, "skipped": 0,
    }  # fmt: skip
    assert all(r.meta.get("not_modified") for r in second.raws)
