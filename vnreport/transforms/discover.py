"""Discover stage: every declared source, read or fetched into raw documents.

Document ids must be unique across sources because facts hang off them; a
second document with an id already taken is recorded as a failure rather than
silently overwriting the first.

Web sources (`urls`, `listing`, `feed`, `sitemap`) are fetched with
conditional requests: the per-URL state of the previous run (ETag,
Last-Modified, content hash) comes in, the updated state goes out, and a page
the site answers 304 for costs no download and no processing. Listing pages,
feeds and sitemaps are fetched conditionally too, their previous bodies read
back from the raw page store, so a night with nothing new sends only
conditional requests.

    result = discover(sources, state=load_state(db), raw_root=paths.output_dir(db) / "raw")
    result.raws        RawDoc for every new or changed page (and unchanged ones, see below)
    result.failures    Failure records (stage "discover" or "fetch")
    result.skipped     Failure records with stage "skip": robots.txt, content type, off-site...
    result.counts      {source: {"new", "changed", "unchanged", "failed", "skipped", ...}}
    result.state       the full updated per-URL state; result.updated_rows() only what changed
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from vnreport import progress
from vnreport.config import Source
from vnreport.records import Failure, RawDoc, content_hash
from vnreport.transforms.read import iter_folder

WEB_KINDS = ("urls", "listing", "feed", "sitemap")
DEFAULT_MAX_PAGES = 5
DEFAULT_MAX_ARTICLES = 2000
MAX_SITEMAPS = 50
RECHECK_SKIPPED_DAYS = 30
COUNT_KEYS = ("new", "changed", "unchanged", "failed", "skipped")


def doc_id_for_url(url: str) -> str:
    """A stable, file-name-safe id: the page's slug (readable) plus a hash of the full URL."""
    from vnreport.transforms.links import canonical_url

    canon = canonical_url(url)
    parts = urlsplit(canon)
    segments = [s for s in parts.path.split("/") if s]
    slug = unquote(segments[-1]) if segments else parts.hostname or "page"
    slug = re.sub(r"\.(html?|aspx?|php|jsp)$", "", slug, flags=re.IGNORECASE)
    slug = unicodedata.normalize("NFKD", slug.replace("đ", "d").replace("Đ", "D"))
    slug = re.sub(r"[^A-Za-z0-9]+", "-", slug.encode("ascii", "ignore").decode()).strip("-")
    digest = hashlib.sha256(canon.encode("utf-8")).hexdigest()[:16]
    return f"{slug[:48].lower() or 'page'}_{digest}"


@dataclass
class DiscoveryResult:
    raws: list[RawDoc] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    skipped: list[Failure] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    state: dict[str, dict] = field(default_factory=dict)
    updated: set[str] = field(default_factory=set)
    by_hash: dict[str, RawDoc] = field(default_factory=dict, repr=False)
    requests: int = 0

    def updated_rows(self) -> list[dict]:
        """State rows touched this run, for `fetch_state.save_state`."""
        return [self.state[u] for u in sorted(self.updated)]

    def count(self, source: str, key: str, n: int = 1) -> None:
        bucket = self.counts.setdefault(source, dict.fromkeys(COUNT_KEYS, 0))
        bucket[key] = bucket.get(key, 0) + n
        progress.counted(source, key, n)  # the live per-source bars, when a listener is attached


def iter_source(
    source: Source,
    result: DiscoveryResult | None = None,
    *,
    raw_root: Path | None = None,
    settings=None,
    resolver=None,
    reuse_unchanged: bool = True,
    limiter=None,
) -> Iterable[RawDoc | Failure]:
    """The documents (and failure / skip records) of one source, lazily.

    Web sources read their previous per-URL state from `result.state` and
    record their new state and counts there (a fresh result when none given).
    """
    if source.kind == "folder":
        return iter_folder(source.path, source.name)
    if source.kind in WEB_KINDS:
        crawl = _Crawl(
            source, result if result is not None else DiscoveryResult(), raw_root=raw_root,
            settings=settings, resolver=resolver, reuse_unchanged=reuse_unchanged,
            limiter=limiter,
        )  # fmt: skip
        return crawl.run()
    raise ValueError(f"source {source.name!r}: kind {source.kind!r} is not supported")


def taken_id(
    result: DiscoveryResult, owner: dict[str, str], item: RawDoc, source: Source, stage: str
) -> None:
    """A second document with an id already used is recorded, never written over the first."""
    reason = f"document id {item.doc_id!r} already used by {owner[item.doc_id]}"
    result.failures.append(Failure(item.doc_id, item.uri, stage, reason))
    result.count(source.name, "failed")


def discover(
    sources: Iterable[Source],
    state: dict[str, dict] | None = None,
    raw_root: Path | None = None,
    *,
    settings=None,
    resolver=None,
    reuse_unchanged: bool = True,
) -> DiscoveryResult:
    """Read folder sources and fetch web sources; never raises for one bad page or source.

    `state`: url -> row as `fetch_state.load_state` returns it (None: first run).
    `raw_root`: the raw page store; fetched articles are kept there and
    conditional requests for index pages need it. `reuse_unchanged`: a page
    answered 304 is returned from the store as a RawDoc (marked
    meta["not_modified"]) so the change check downstream can still re-extract
    it after an extractor upgrade; it is never cleaned when nothing changed.
    `settings`: FetchSettings defaults (per-source `http:` overrides apply);
    `resolver`: host -> addresses, for tests that give fake names real addresses.
    """
    result = DiscoveryResult(state=dict(state or {}))
    owner: dict[str, str] = {}
    limiter = None
    for source in sources:
        result.counts.setdefault(source.name, dict.fromkeys(COUNT_KEYS, 0))
        if source.kind in ("folder", *WEB_KINDS):
            if limiter is None and source.kind in WEB_KINDS:
                from vnreport.transforms.fetch import FetchSettings, HostLimiter

                s = (settings or FetchSettings()).with_overrides(source.options.get("http"))
                limiter = HostLimiter(s.per_host_concurrency, s.per_host_delay)
            # one politeness budget per host across all sources of the run
            items: Iterable[RawDoc | Failure] = iter_source(
                source, result, raw_root=raw_root, settings=settings, resolver=resolver,
                reuse_unchanged=reuse_unchanged, limiter=limiter,
            )  # fmt: skip
        else:
            result.failures.append(
                Failure(source.name, "", "discover", f"kind {source.kind!r} is not supported")
            )
            result.count(source.name, "failed")
            continue
        for item in items:
            if isinstance(item, Failure):
                (result.skipped if item.stage == "skip" else result.failures).append(item)
                if source.kind == "folder":
                    result.count(source.name, "failed")
                continue
            if item.doc_id in owner:
                taken_id(
                    result, owner, item, source, "read" if source.kind == "folder" else "discover"
                )
                continue
            owner[item.doc_id] = item.uri
            if source.kind == "folder":
                result.count(source.name, "read")
            result.raws.append(item)
    return result


def from_store(sources: Iterable[Source], raw_root: Path | None) -> DiscoveryResult:
    """Discovery without the network: folders as usual, web sources from the raw page store.

    This is what `vnreport reprocess` reads, so a new extractor version can be
    applied to every page ever fetched without asking any site again.
    """
    from vnreport.transforms import rawstore

    web = [s for s in sources if s.kind in WEB_KINDS]
    result = discover([s for s in sources if s.kind not in WEB_KINDS], None, raw_root)
    for source in web:
        result.counts.setdefault(source.name, dict.fromkeys(COUNT_KEYS, 0))
        for page in rawstore.iter_pages(raw_root, source=source.name) if raw_root else ():
            try:
                result.raws.append(page.load())
                result.count(source.name, "unchanged")
            except (OSError, rawstore.RawStoreError) as exc:
                result.failures.append(
                    Failure(page.doc_id, page.meta.get("uri", ""), "read", str(exc))
                )
                result.count(source.name, "failed")
    return result


def read_sources(
    sources: Iterable[Source],
    *,
    state: dict[str, dict] | None = None,
    raw_root: Path | None = None,
    **options,
) -> tuple[list[RawDoc], list[Failure]]:
    """Raw documents and every record of what could not be used (skips have stage "skip").

    Use `discover` to get the updated fetch state and the per-source counts too.
    """
    result = discover(sources, state, raw_root, **options)
    return result.raws, result.failures + result.skipped


def profiles(sources: Iterable[Source]) -> dict[str, dict]:
    """Per-source cleaning profiles (CSS selectors for a known portal), by source name."""
    return {
        s.name: s.options["profile"] for s in sources if isinstance(s.options.get("profile"), dict)
    }


class _Crawl:
    """One web source's run: find its article URLs, fetch them, keep state and counts."""

    def __init__(
        self, source: Source, result: DiscoveryResult, *, raw_root, settings, resolver,
        reuse_unchanged: bool, limiter,
    ) -> None:  # fmt: skip
        from vnreport.transforms.fetch import Fetcher, FetchSettings, HostLimiter
        from vnreport.transforms.guard import Guard, domain_key, host_of, system_resolver

        opts = source.options
        self.source = source
        self.result = result
        self._lock = threading.Lock()
        self.raw_root = Path(raw_root) if raw_root is not None else None
        self.reuse_unchanged = reuse_unchanged
        self.settings = (settings or FetchSettings()).with_overrides(opts.get("http"))
        self.domains = {domain_key(host_of(u)) for u in source.declared_urls()}
        self.domains |= {domain_key(d) for d in opts.get("allowed_domains", [])}
        private = frozenset(self.domains) if source.allow_private_network else frozenset()
        self.guard = Guard(private_hosts=private, resolver=resolver or system_resolver)
        s = self.settings
        self.limiter = limiter or HostLimiter(s.per_host_concurrency, s.per_host_delay)
        self.fetcher = Fetcher(self.guard, s, limiter=self.limiter, robots_loader=self._robots_body)

    # -- bookkeeping ------------------------------------------------------------------
    def _count(self, key: str, n: int = 1) -> None:
        self.result.count(self.source.name, key, n)

    def _record(self, url: str, got, *, kind: str, doc_id: str | None = None,
                body_hash: str | None = None) -> None:  # fmt: skip
        with self._lock:  # robots.txt may be first read from a worker thread
            self._record_locked(url, got, kind, doc_id, body_hash)

    def _record_locked(self, url: str, got, kind: str, doc_id: str | None,
                       body_hash: str | None) -> None:  # fmt: skip
        prev = self.result.state.get(url) or {}
        ok = got.outcome == "ok"
        keep = not ok  # a 304 or a failure keeps what the last good fetch learnt
        self.result.state[url] = {
            "url": url,
            "source": self.source.name,
            "doc_id": doc_id,
            "kind": kind,
            "status": got.outcome,
            "http_status": got.status,
            "etag": got.etag or (prev.get("etag") if keep else None),
            "last_modified": got.last_modified or (prev.get("last_modified") if keep else None),
            "content_hash": body_hash if ok else prev.get("content_hash"),
            "content_type": got.content_type or prev.get("content_type"),
            "charset": got.charset if ok else prev.get("charset"),
            "reason": got.reason,
            "fetched_at": got.fetched_at if ok else prev.get("fetched_at"),
            "checked_at": got.fetched_at,
        }
        self.result.updated.add(url)

    def _conditional(self, url: str, *, need_body: bool) -> dict:
        """If-None-Match / If-Modified-Since for `url`, when the last answer can be reused."""
        from vnreport.transforms import rawstore

        prev = self.result.state.get(url) or {}
        digest = prev.get("content_hash")
        if not digest or prev.get("status") not in ("ok", "not_modified"):
            return {}
        if need_body and (self.raw_root is None or not rawstore.has(self.raw_root, digest)):
            return {}
        return {"etag": prev.get("etag"), "last_modified": prev.get("last_modified")}

    # -- index pages (robots.txt, listings, feeds, sitemaps) ----------------------------
    def _index(self, url: str, accept, *, robots: bool = True, max_bytes: int | None = None):
        """(body, Fetched) for a page that is read for its links, conditionally when possible."""
        from vnreport.transforms import rawstore

        cond = self._conditional(url, need_body=True)
        got = self.fetcher.get(url, accept=accept, robots=robots, max_bytes=max_bytes, **cond)
        body = None
        digest = None
        if got.outcome == "ok":
            body = got.content
            digest = content_hash(body)
            if self.raw_root is not None:
                rawstore.put(self.raw_root, body)
        elif got.outcome == "not_modified" and not cond:
            got.outcome, got.reason = "failed", "HTTP 304 to a request that was not conditional"
        elif got.outcome == "not_modified":
            digest = self.result.state[url]["content_hash"]
            body = rawstore.get(self.raw_root, digest)
            got.content = body
            got.charset = self.result.state[url].get("charset")
        self._record(url, got, kind="index", body_hash=digest)
        return body, got

    def _robots_body(self, url: str):
        _, got = self._index(url, None, robots=False, max_bytes=512 * 1024)
        return got

    def _index_failure(self, url: str, got, what: str) -> Failure:
        self._count("failed")
        return Failure(f"{self.source.name}:{what}", url, "discover", f"{what}: {got.reason}")

    # -- finding article URLs -----------------------------------------------------------
    def run(self) -> Iterable[RawDoc | Failure]:
        try:
            found: list[tuple[str, dict]] = []
            yield from self._find(found)
            yield from self._fetch_articles(found)
        except Exception as exc:  # a broken source is a recorded failure, not a dead run
            self._count("failed")
            yield Failure(self.source.name, "", "discover", f"{type(exc).__name__}: {exc}")
        finally:
            self.fetcher.close()
            self.result.requests += self.fetcher.requests

    def _on_site(self, url: str) -> bool:
        from vnreport.transforms.guard import on_domains

        return on_domains(url, self.domains)

    def _off_site(self, url: str) -> Failure:
        self._count("skipped")
        return Failure(
            doc_id_for_url(url), url, "skip",
            "link leaves the source's domains (list its host in allowed_domains to follow it)",
        )  # fmt: skip

    def _find(self, found: list[tuple[str, dict]]) -> Iterable[Failure]:
        from vnreport.transforms.links import canonical_url

        kind = self.source.kind
        if kind == "urls":
            found += [(canonical_url(u), {}) for u in self.source.options["urls"]]
        elif kind == "listing":
            yield from self._find_listing(found)
        elif kind == "feed":
            yield from self._find_feed(found)
        elif kind == "sitemap":
            yield from self._find_sitemap(found)

    def _add(self, found: list[tuple[str, dict]], url: str, meta: dict) -> Failure | None:
        if not self._on_site(url):
            return self._off_site(url)
        if all(u != url for u, _ in found):
            found.append((url, meta))
        return None

    def _find_listing(self, found: list[tuple[str, dict]]) -> Iterable[Failure]:
        from vnreport.transforms import links
        from vnreport.transforms.fetch import ARTICLE_TYPES

        o = self.source.options
        max_pages = o.get("max_pages", DEFAULT_MAX_PAGES)
        for start in o["start_urls"]:
            url: str | None = links.canonical_url(start)
            seen: set[str] = set()
            page = 1
            while url and page <= max_pages and url not in seen:
                seen.add(url)
                body, got = self._index(url, ARTICLE_TYPES)
                if body is None:
                    if page > 1 and o.get("next_pattern") and got.status == 404:
                        break  # past the last page of a numbered listing
                    yield self._index_failure(url, got, "listing page")
                    break
                before = len(found)
                for link in links.listing_links(body, got.final_url or url, o["link_selector"],
                                                got.charset):  # fmt: skip
                    skip = self._add(found, link, {"listing": url})
                    if skip:
                        yield skip
                if len(found) == before:
                    break  # a page with no new articles: the listing is exhausted
                page += 1
                if o.get("next_selector"):
                    url = links.next_page_url(
                        body, got.final_url or url, o["next_selector"], got.charset
                    )
                elif o.get("next_pattern"):
                    url = links.canonical_url(links.page_url(o["next_pattern"], page))
                else:
                    url = None
                if url and not self._on_site(url):
                    yield self._off_site(url)
                    url = None

    def _find_feed(self, found: list[tuple[str, dict]]) -> Iterable[Failure]:
        from vnreport.transforms import links
        from vnreport.transforms.fetch import XML_TYPES

        o = self.source.options
        for feed_url in [o["url"]] if o.get("url") else o["urls"]:
            feed_url = links.canonical_url(feed_url)
            body, got = self._index(feed_url, XML_TYPES)
            if body is None:
                yield self._index_failure(feed_url, got, "feed")
                continue
            try:
                entries = links.parse_feed(body, got.final_url or feed_url)
            except Exception as exc:
                self._count("failed")
                yield Failure(f"{self.source.name}:feed", feed_url, "discover", f"feed: {exc}")
                continue
            for e in entries:
                skip = self._add(found, e.url, {"feed": feed_url, "feed_title": e.title,
                                                "feed_date": e.date})  # fmt: skip
                if skip:
                    yield skip

    def _find_sitemap(self, found: list[tuple[str, dict]]) -> Iterable[Failure]:
        from vnreport.transforms import links
        from vnreport.transforms.fetch import XML_TYPES, gunzip_capped

        o = self.source.options
        pattern = re.compile(o["url_filter"]) if o.get("url_filter") else None
        queue = [links.canonical_url(o["url"])]
        seen: set[str] = set()
        while queue:
            url = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            if len(seen) > MAX_SITEMAPS:
                self._count("skipped", len(queue) + 1)
                yield Failure(f"{self.source.name}:sitemap", url, "skip",
                              f"more than {MAX_SITEMAPS} sitemaps; the rest not read")  # fmt: skip
                return
            body, got = self._index(url, XML_TYPES)
            if body is None:
                yield self._index_failure(url, got, "sitemap")
                continue
            try:
                if body[:2] == b"\x1f\x8b":
                    body = gunzip_capped(body, self.settings.max_body_bytes)
                kind, entries = links.parse_sitemap(body, got.final_url or url)
            except Exception as exc:
                self._count("failed")
                yield Failure(f"{self.source.name}:sitemap", url, "discover", f"sitemap: {exc}")
                continue
            for e in entries:
                if kind == "index":
                    if self._on_site(e.url):
                        queue.append(e.url)
                    else:
                        yield self._off_site(e.url)
                elif pattern is None or pattern.search(e.url):
                    skip = self._add(found, e.url, {"sitemap": url, "lastmod": e.date})
                    if skip:
                        yield skip

    # -- fetching articles --------------------------------------------------------------
    def _fetch_articles(self, found: list[tuple[str, dict]]) -> Iterable[RawDoc | Failure]:
        from concurrent.futures import ThreadPoolExecutor

        limit = self.source.options.get("max_articles", DEFAULT_MAX_ARTICLES)
        if len(found) > limit:
            extra = len(found) - limit
            self._count("skipped", extra)
            yield Failure(self.source.name, "", "skip",
                          f"{extra} article links over max_articles={limit} not fetched")  # fmt: skip
            found = found[:limit]

        def one(url: str):
            known = self._known_unusable(url)
            if known is not None:
                return known
            return self.fetcher.get(url, **self._conditional(url, need_body=False))

        with ThreadPoolExecutor(max_workers=max(1, self.settings.workers)) as pool:
            for (url, meta), got in zip(found, pool.map(one, [u for u, _ in found]), strict=True):
                yield from self._article(url, meta, got)

    def _known_unusable(self, url: str):
        """A link whose last answer was a PDF or other non-HTML type is not asked again
        every night; it is re-checked once the remembered answer is a month old."""
        from datetime import UTC, datetime, timedelta

        from vnreport.transforms.fetch import ARTICLE_TYPES, Fetched

        prev = self.result.state.get(url) or {}
        ctype = prev.get("content_type")
        if prev.get("status") != "skipped" or not ctype or ctype in ARTICLE_TYPES:
            return None
        try:
            checked = datetime.fromisoformat(prev["checked_at"])
        except (KeyError, TypeError, ValueError):
            return None
        if datetime.now(UTC) - checked > timedelta(days=RECHECK_SKIPPED_DAYS):
            return None
        return Fetched(
            url, "skipped", url, prev.get("http_status"), content_type=ctype,
            reason=prev.get("reason"), fetched_at=prev["checked_at"],
        )  # fmt: skip

    def _article(self, url: str, meta: dict, got) -> Iterable[RawDoc | Failure]:
        from vnreport.transforms import rawstore

        doc_id = doc_id_for_url(url)
        prev = self.result.state.get(url) or {}
        if got.outcome == "ok" and got.content[:5] == b"%PDF-":
            got.outcome, got.reason = "skipped", f"a PDF body served as {got.content_type}"
            got.content = None
        if got.outcome == "ok":
            digest = content_hash(got.content)
            kind = "text" if got.content_type == "text/plain" else "html"
            info = {
                "url": url, "final_url": got.final_url, "http_status": got.status,
                "content_type": got.content_type, "etag": got.etag,
                "last_modified": got.last_modified,
                **{k: v for k, v in meta.items() if v is not None},
            }  # fmt: skip
            raw = RawDoc(doc_id, self.source.name, url, kind, got.content, digest,
                         got.charset, got.fetched_at, info)  # fmt: skip
            if self.raw_root is not None:
                rawstore.put_page(self.raw_root, raw)
            self._record(url, got, kind="article", doc_id=doc_id, body_hash=digest)
            old = prev.get("content_hash")
            yield self._emit(raw, "new" if not old else "unchanged" if old == digest else "changed")
        elif got.outcome == "not_modified":
            self._record(url, got, kind="article", doc_id=doc_id)
            raw = self._stored(doc_id, prev.get("content_hash"))
            if raw is None:
                self._count("unchanged")
            else:
                raw.meta["not_modified"] = True
                yield self._emit(raw, "unchanged")
        elif got.outcome == "skipped":
            self._record(url, got, kind="article", doc_id=doc_id)
            self._count("skipped")
            yield Failure(doc_id, url, "skip", got.reason or "skipped")
        else:
            self._record(url, got, kind="article", doc_id=doc_id)
            self._count("failed")
            yield Failure(doc_id, url, "fetch", got.reason or "fetch failed")

    def _emit(self, raw: RawDoc, key: str) -> RawDoc | Failure:
        """The same bytes at a second URL (any source) become an address of the first document."""
        with self._lock:
            first = self.result.by_hash.get(raw.content_hash)
            if first is None or first.doc_id == raw.doc_id:
                self.result.by_hash[raw.content_hash] = raw
                self._count(key)
                return raw
            first.meta.setdefault("also_at", []).append(raw.uri)
            self._count("skipped")
        return Failure(raw.doc_id, raw.uri, "skip", f"identical bytes to {first.doc_id}")

    def _stored(self, doc_id: str, digest: str | None) -> RawDoc | None:
        from vnreport.transforms import rawstore

        if not self.reuse_unchanged or self.raw_root is None or not digest:
            return None
        page = rawstore.page(self.raw_root, doc_id)
        if page is None or page.content_hash != digest:
            return None
        try:
            return page.load()
        except rawstore.RawStoreError:
            return None
