"""Page metadata: title, published date, site name, author.

Sources in order of trust: structured data the publisher wrote for machines
(Open Graph / article:* meta tags, JSON-LD), then what the page shows a reader
(the headline element, a visible stamp such as `Ngày đăng 10/03/2023 | 14:49`
or `Cập nhật lúc 08:15, Thứ Ba, 14/05/2024`), then the <title> element and
the URL. A page's header often prints today's date, so a date is only taken
from visible text when a label (Ngày đăng, Cập nhật, ...) or the article body
vouches for it.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import urlparse

from bs4 import BeautifulSoup, Tag

from vnreport.transforms import clean_rules as R

DATE_META = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "date.issued",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "dc.date",
    "pubdate",
    "publishdate",
    "publish_date",
    "publish-date",
    "sailthru.date",
    "article.published",
    "date",
    "created",
    "article:modified_time",
    "og:updated_time",
    "dateModified",
    "last-modified",
)
TITLE_META = ("og:title", "twitter:title", "dc.title", "title")
SITE_META = ("og:site_name", "application-name", "al:android:app_name", "twitter:site")
AUTHOR_META = ("author", "article:author", "dc.creator", "byl", "sailthru.author", "parsely-author")

_LABELLED_DATE = re.compile(
    r"(?:ngày\s+đăng|đăng\s+ngày|ngày\s+xuất\s+bản|thời\s+gian\s+đăng|đăng\s+lúc|cập\s+nhật(?:\s+lúc)?|"
    r"posted\s+on|published(?:\s+on)?)"
    r"((?:\s|&nbsp;|<[^>]{0,200}>|[:：,|\-–]|thứ\s+\w+|chủ\s+nhật|\d{1,2}\s*[:h]\s*\d{2}){0,20}"
    r"(?:\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*(?:19|20)\d{2}|(?:19|20)\d{2}-\d{1,2}-\d{1,2}))",
    re.I,
)
# Literal label spellings, found with str.find (fast) before the regex runs.
_LABELS = (
    "Ngày đăng",
    "ngày đăng",
    "NGÀY ĐĂNG",
    "Đăng ngày",
    "đăng ngày",
    "Ngày xuất bản",
    "ngày xuất bản",
    "Thời gian đăng",
    "thời gian đăng",
    "Đăng lúc",
    "đăng lúc",
    "Cập nhật",
    "cập nhật",
    "CẬP NHẬT",
    "Posted on",
    "posted on",
    "Published",
    "published",
)


def labelled_date(markup: str, *, updates: bool) -> tuple[str | None, str | None]:
    """A date printed after a visible label ("Ngày đăng: 10/03/2023") anywhere on the page."""
    hits: list[int] = []
    window = markup[:400_000]
    for label in _LABELS:
        pos = window.find(label)
        while pos >= 0 and len(hits) < 50:
            hits.append(pos)
            pos = window.find(label, pos + 1)
    for pos in sorted(hits):
        m = _LABELLED_DATE.match(window, pos)
        if not m:
            continue
        label = m.group(0)[: m.start(1) - m.start(0)]
        if R.stamp_is_update(label) != updates:
            continue
        date = R.parse_date(re.sub(r"<[^>]*>", " ", m.group(1)))
        if date:
            return date, "visible-label-updated" if updates else "visible-label"
    return None, None


_TIME_TAG = re.compile(r"<time\b[^>]*\bdatetime\s*=\s*[\"']([^\"']+)[\"']", re.I)
_TITLE_SEP = re.compile(r"\s+(?:[|–—»:]|-{1,2})\s+")


_META_TAG = re.compile(r"<meta\b([^>]*)>", re.I)
_TITLE_TAG = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.I | re.S)
_ATTR = re.compile(r"""([\w:.\-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


def parse_head(head: str) -> dict[str, str]:
    """Meta tags of a <head> given as source text (it was cut before parsing)."""
    out: dict[str, str] = {}
    for m in _META_TAG.finditer(head):
        attrs = {
            a.lower(): html.unescape(b or c or d or "") for a, b, c, d in _ATTR.findall(m.group(1))
        }
        content = attrs.get("content", "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = attrs.get(attr)
            if key:
                out.setdefault(key.strip().lower(), " ".join(content.split()))
    t = _TITLE_TAG.search(head)
    if t:
        title = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", t.group(1))).split())
        if title:
            out.setdefault("<title>", title)
    return out


def meta_tags(soup: BeautifulSoup) -> dict[str, str]:
    """name/property/itemprop -> content (first occurrence, lower-cased keys)."""
    out: dict[str, str] = {}
    scope = soup.head if isinstance(soup.head, Tag) else soup
    for tag in scope.find_all("meta", limit=400):
        content = tag.get("content")
        if not isinstance(content, str) or not content.strip():
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = tag.get(attr)
            if isinstance(key, str) and key:
                out.setdefault(key.strip().lower(), " ".join(content.split()))
    if soup.title is not None and soup.title.string:
        out.setdefault("<title>", " ".join(soup.title.string.split()))
    return out


def _walk_jsonld(obj: Any, out: list[dict[str, Any]], depth: int = 0) -> None:
    if depth > 6:
        return
    if isinstance(obj, list):
        for x in obj:
            _walk_jsonld(x, out, depth + 1)
    elif isinstance(obj, dict):
        out.append(obj)
        if "@graph" in obj:
            _walk_jsonld(obj["@graph"], out, depth + 1)


def jsonld_objects(blocks: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for raw in blocks[:20]:
        try:
            data = json.loads(raw.strip().rstrip(";"))
        except (ValueError, RecursionError):
            continue
        _walk_jsonld(data, out)
    return out


def _name_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        return _name_of(value.get("name"))
    if isinstance(value, list) and value:
        names = [n for n in (_name_of(v) for v in value) if n]
        return ", ".join(names) or None
    return None


def _article_objects(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def is_article(o: dict[str, Any]) -> bool:
        t = o.get("@type")
        types = t if isinstance(t, list) else [t]
        return any(
            isinstance(x, str) and ("Article" in x or x in ("BlogPosting", "Report", "WebPage"))
            for x in types
        )

    arts = [o for o in objs if is_article(o)]
    return arts or objs


def clean_title(raw: str | None, site: str | None) -> str | None:
    """<title> without the site name portals append ("Headline - Site")."""
    if not raw:
        return None
    parts = _TITLE_SEP.split(raw)
    if len(parts) > 1:
        if site:
            keep = [p for p in parts if p.strip().lower() != site.strip().lower()]
            if keep:
                parts = keep
        parts = sorted(parts, key=len, reverse=True)
        return parts[0].strip()
    return raw.strip()


def title_site(raw: str | None, title: str | None) -> str | None:
    """The site name a <title> carries beside the headline ("Headline - Site")."""
    if not raw or not title:
        return None
    parts = [p.strip() for p in _TITLE_SEP.split(raw) if p.strip()]
    rest = [p for p in parts if p != title and not _similar(p, title)]
    return rest[-1] if len(parts) > 1 and rest else None


def _similar(a: str, b: str) -> bool:
    a, b = a.casefold(), b.casefold()
    return a == b or (len(a) > 10 and len(b) > 10 and (a in b or b in a))


def page_metadata(
    soup: BeautifulSoup,
    markup: str,
    head: str,
    jsonld: list[str],
    h1: list[str],
    stamps: list[tuple[str, str]],
    uri: str | None,
) -> dict[str, Any]:
    metas = parse_head(head) if head else meta_tags(soup)
    objs = _article_objects(jsonld_objects(jsonld))
    found: dict[str, Any] = {}

    # site
    site = next((metas[k] for k in SITE_META if metas.get(k)), None)
    if not site:
        for o in objs:
            site = _name_of(o.get("publisher"))
            if site:
                break
    url = metas.get("og:url") or uri or ""
    host = urlparse(url).hostname if re.match(r"https?://", url) else None
    if site and site.startswith("@"):
        site = site[1:]
    found["site"] = site

    # title
    og = next((metas[k] for k in TITLE_META if metas.get(k)), None)
    ld_title = next((o["headline"] for o in objs if isinstance(o.get("headline"), str)), None)
    html_title = clean_title(metas.get("<title>"), found["site"])
    if html_title and found["site"] and html_title.casefold() == found["site"].casefold():
        html_title = None  # a <title> that is only the site's name says nothing of the article
    title = None
    ref = og or ld_title or html_title
    for h in h1:
        if h and ref and _similar(h, ref):
            title = h
            break
    if title is None:
        title = clean_title(og, found["site"]) if og else None
    if title is None:
        title = ld_title or html_title or (h1[0] if len(h1) == 1 and h1[0] else None)
    found["title"] = title
    if not found["site"]:
        found["site"] = title_site(metas.get("<title>"), title) or host

    # published date
    date = None
    how = None
    for key in DATE_META[:-4]:
        date = R.parse_date(metas.get(key.lower()))
        if date:
            how = f"meta:{key}"
            break
    if not date:
        for o in objs:
            date = R.parse_date(
                o.get("datePublished") if isinstance(o.get("datePublished"), str) else None
            )
            if date:
                how = "jsonld:datePublished"
                break
    if not date:
        pub = [d for line, d in stamps if not R.stamp_is_update(line)]
        if pub:
            date, how = pub[0], "stamp"
    if not date:
        date, how = labelled_date(markup, updates=False)
    if not date:
        m = _TIME_TAG.search(markup[:400_000])
        if m:
            date = R.parse_date(m.group(1))
            how = "time-element" if date else None
    if not date:
        upd = [d for _line, d in stamps]
        if upd:
            date, how = upd[0], "stamp-updated"
        else:
            for key in DATE_META[-4:]:
                date = R.parse_date(metas.get(key.lower()))
                if date:
                    how = f"meta:{key}"
                    break
            if not date:
                date, how = labelled_date(markup, updates=True)
    found["published_date"] = date
    found["date_source"] = how

    # author
    author = None
    for k in AUTHOR_META:
        v = metas.get(k)
        if v and not v.startswith("http"):
            author = v
            break
    if not author:
        for o in objs:
            author = _name_of(o.get("author"))
            if author:
                break
    found["author"] = author
    return found
