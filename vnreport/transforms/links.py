"""Finding article URLs: listing pages, RSS/Atom feeds, sitemaps.

Pure functions over bytes already fetched, so each format is tested without a
network. XML is parsed with entity expansion, DTD loading and network access
off: a feed is input from a stranger, and "billion laughs" or external-entity
tricks must not expand or read anything.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup
from lxml import etree

from vnreport.transforms.encoding import decode_bytes

# Query parameters that only track campaigns; the same article must not count
# as two URLs because a newsletter linked it.
TRACKING_PARAMS = re.compile(r"^(utm_[a-z]+|fbclid|gclid|zarsrc|zarsrc\w*)$", re.IGNORECASE)


def canonical_url(url: str) -> str:
    """Fragment dropped, scheme and host lower-cased, default port and tracking params removed."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    netloc = (
        host
        if port is None or (scheme, port) in (("http", 80), ("https", 443))
        else (f"{host}:{port}")
    )
    if ":" in host and not host.startswith("["):
        netloc = f"[{host}]" + ("" if netloc == host else netloc[len(host) :])
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not TRACKING_PARAMS.match(k)
        ]
    )
    return urlunsplit((scheme, netloc, _path(parts.path), query, ""))


def _path(path: str) -> str:
    """One spelling per path: non-ASCII letters percent-encoded (NFC first), escapes upper-cased."""
    path = quote(unicodedata.normalize("NFC", path or "/"), safe="/%:@!$&'()*+,;=-._~")
    return re.sub(r"%[0-9a-fA-F]{2}", lambda m: m.group(0).upper(), path)


def _soup(data: bytes, charset: str | None) -> BeautifulSoup:
    return BeautifulSoup(decode_bytes(data, charset).text, "lxml")


def _base(soup: BeautifulSoup, url: str) -> str:
    tag = soup.find("base", href=True)
    return urljoin(url, tag["href"]) if tag else url


def _http_link(base: str, href: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
        return None
    full = urljoin(base, href)
    return canonical_url(full) if urlsplit(full).scheme in ("http", "https") else None


def listing_links(
    data: bytes, url: str, link_selector: str, charset: str | None = None
) -> list[str]:
    """Article URLs matched by `link_selector` (CSS), absolute and in page order, once each."""
    soup = _soup(data, charset)
    base = _base(soup, url)
    out: list[str] = []
    for tag in soup.select(link_selector):
        a = tag if tag.name == "a" else tag.find("a", href=True)
        link = _http_link(base, a.get("href") if a else None)
        if link and link not in out:
            out.append(link)
    return out


def next_page_url(
    data: bytes, url: str, next_selector: str, charset: str | None = None
) -> str | None:
    """The "next page" link of a listing page, when `next_selector` matches one."""
    soup = _soup(data, charset)
    for tag in soup.select(next_selector):
        a = tag if tag.name == "a" else tag.find("a", href=True)
        link = _http_link(_base(soup, url), a.get("href") if a else None)
        if link:
            return link
    return None


def page_url(pattern: str, page: int) -> str:
    """Page `page` of a listing whose URLs follow a pattern like `.../tin-tuc?page={page}`."""
    return pattern.replace("{page}", str(page))


@dataclass(frozen=True)
class Entry:
    url: str
    title: str | None = None
    date: str | None = None  # as the feed or sitemap wrote it


def _xml_root(data: bytes) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
    )
    root = etree.fromstring(data.lstrip(), parser)
    if root is None:
        raise ValueError("not an XML document")
    return root


def _local(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _child_text(el: etree._Element, *names: str) -> str | None:
    for child in el:
        if _local(child.tag) in names and (child.text or "").strip():
            return child.text.strip()
    return None


def parse_feed(data: bytes, url: str) -> list[Entry]:
    """Entries of an RSS 2.0, RSS 1.0 (RDF) or Atom feed, links made absolute."""
    root = _xml_root(data)
    kind = _local(root.tag)
    if kind not in ("rss", "rdf", "feed"):
        raise ValueError(f"not a feed: root element <{kind}>")
    entries: list[Entry] = []
    for el in root.iter():
        name = _local(el.tag)
        if name == "item":
            link = _child_text(el, "link") or (
                _child_text(el, "guid") if _is_permalink(el) else None
            )
            date = _child_text(el, "pubdate", "date", "updated")
        elif name == "entry":
            link = _atom_link(el)
            date = _child_text(el, "published", "updated")
        else:
            continue
        full = _http_link(url, link)
        if full and all(e.url != full for e in entries):
            entries.append(Entry(full, _child_text(el, "title"), date))
    return entries


def _is_permalink(item: etree._Element) -> bool:
    for child in item:
        if _local(child.tag) == "guid":
            return child.get("isPermaLink", "true").lower() != "false"
    return False


def _atom_link(entry: etree._Element) -> str | None:
    fallback = None
    for child in entry:
        if _local(child.tag) == "link" and child.get("href"):
            rel = child.get("rel", "alternate")
            if rel == "alternate":
                return child.get("href")
            fallback = fallback or child.get("href")
    return fallback


def parse_sitemap(data: bytes, url: str) -> tuple[str, list[Entry]]:
    """('index', child sitemaps) or ('urlset', page URLs) with their `lastmod`."""
    root = _xml_root(data)
    kind = _local(root.tag)
    if kind not in ("sitemapindex", "urlset"):
        raise ValueError(f"not a sitemap: root element <{kind}>")
    child = "sitemap" if kind == "sitemapindex" else "url"
    entries: list[Entry] = []
    for el in root:
        if _local(el.tag) != child:
            continue
        full = _http_link(url, _child_text(el, "loc"))
        if full:
            entries.append(Entry(full, None, _child_text(el, "lastmod")))
    return ("index" if kind == "sitemapindex" else "urlset"), entries
