"""sources.yaml validation for web sources: every error names the source and the field."""

from __future__ import annotations

import pytest

from vnreport.config import ConfigError, load_sources

GOOD = {
    "urls": "urls: [https://portal.example/a.html, http://portal.example/b]",
    "listing": 'start_urls: [https://portal.example/tin-tuc/]\n    link_selector: "h3 a"\n'
    '    next_selector: "a.next"\n    max_pages: 3',
    "feed": "url: https://portal.example/rss",
    "sitemap": 'url: https://portal.example/sitemap.xml\n    url_filter: "/bai-viet/"',
}


def load(tmp_path, kind: str, body: str):
    cfg = tmp_path / "sources.yaml"
    cfg.write_text(f"sources:\n  - name: web\n    kind: {kind}\n    {body}\n", encoding="utf-8")
    return cfg, load_sources(cfg)


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_each_web_kind_loads(tmp_path, kind):
    _, (src,) = load(tmp_path, kind, GOOD[kind] + "\n    allow_private_network: true")
    assert src.kind == kind and src.allow_private_network
    assert all(u.startswith("http") for u in src.declared_urls())


def test_listing_pattern_counts_as_a_declared_url(tmp_path):
    _, (src,) = load(
        tmp_path, "listing",
        'start_urls: [https://portal.example/tin-tuc]\n    link_selector: "a"\n'
        "    next_pattern: https://portal.example/tin-tuc?page={page}",
    )  # fmt: skip
    assert src.declared_urls()[-1] == "https://portal.example/tin-tuc?page=2"


@pytest.mark.parametrize(
    "kind, body, message",
    [
        ("urls", "urls: []", "field `urls` must be a non-empty list"),
        ("urls", "urls: [ftp://portal.example/a]", "field `urls[0]` must be an http(s) URL"),
        ("urls", "urls: [https://portal.example/a, portal.example/b]", "field `urls[1]`"),
        ("listing", 'link_selector: "a"', "field `start_urls` must be a non-empty list"),
        ("listing", "start_urls: [https://p.example/]", "field `link_selector` must be a CSS"),
        ("listing", 'start_urls: [https://p.example/]\n    link_selector: "a[href"',
         "field `link_selector` is not a valid CSS selector"),
        ("listing", 'start_urls: [https://p.example/]\n    link_selector: "a"\n'
         "    next_pattern: https://p.example/page/2", "field `next_pattern` must be an http(s) "
         "URL containing {page}"),
        ("listing", 'start_urls: [https://p.example/]\n    link_selector: "a"\n    max_pages: 0',
         "field `max_pages` must be a whole number"),
        ("listing", 'start_urls: [https://p.example/]\n    link_selctor: "a"',
         "field `link_selctor` is not known for a listing source"),
        ("feed", "urls: [https://p.example/rss]\n    url: https://p.example/rss",
         "give the feed address as field `url`"),
        ("feed", "url: file:///etc/passwd", "field `url` must be an http(s) URL"),
        ("sitemap", "url: https://p.example/s.xml\n    url_filter: '(['",
         "field `url_filter` is not a valid regular expression"),
        ("sitemap", "url: https://p.example/s.xml\n    allow_private_network: yes please",
         "field `allow_private_network` must be true or false"),
        ("sitemap", "url: https://p.example/s.xml\n    allowed_domains: [https://x.example/]",
         "field `allowed_domains` must be a list of host names"),
        ("sitemap", "url: https://p.example/s.xml\n    max_articles: -5",
         "field `max_articles` must be a whole number"),
        ("sitemap", "url: https://p.example/s.xml\n    profile: [main]",
         "field `profile` must be a mapping"),
        ("sitemap", "url: https://p.example/s.xml\n    http: {read_timout: 3}",
         "field `http.read_timout` is not a fetch setting"),
        ("sitemap", "url: https://p.example/s.xml\n    http: {retries: many}",
         "field `http.retries` must be a non-negative int"),
        ("sitemap", "url: https://p.example/s.xml\n    http: {per_host_delay: -1}",
         "field `http.per_host_delay` must be a non-negative float"),
    ],
)  # fmt: skip
def test_misdeclared_web_sources(tmp_path, kind, body, message):
    cfg = tmp_path / "sources.yaml"
    cfg.write_text(f"sources:\n  - name: web\n    kind: {kind}\n    {body}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_sources(cfg)
    assert message in str(err.value)
    assert f"{cfg}: source 'web'" in str(err.value)


def test_http_overrides_reach_the_fetch_settings(tmp_path):
    from vnreport.transforms.fetch import FetchSettings

    _, (src,) = load(tmp_path, "feed", GOOD["feed"] + "\n    http: {read_timeout: 5, retries: 1}")
    s = FetchSettings().with_overrides(src.options["http"])
    assert (s.read_timeout, s.retries, s.max_redirects) == (5, 1, 5)
