"""HTTP fetching: one polite, bounded, retrying GET at a time.

Report portals are small government and enterprise sites; a nightly job must
not hammer them, must survive their bad days (timeouts, resets, 5xx) without
giving up on the whole run, and must never let one page cost unbounded time,
memory or disk. Everything here is bounded: connect/read timeouts plus a total
deadline per response (a server trickling one byte a second defeats a read
timeout alone), a cap on the body (checked while streaming, before reading
past it), a cap on the decompressed size (a 10 KB gzip can expand to 10 GB),
a redirect limit, and a limit on retries and on how long a Retry-After may ask
us to wait. 4xx answers are final: retrying a 404 only adds load.
"""

from __future__ import annotations

import contextlib
import email.utils
import random
import threading
import time
import urllib.robotparser
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from vnreport import __version__
from vnreport.transforms.guard import Guard, GuardedBackend, UnsafeURL, host_of
from vnreport.transforms.links import canonical_url

ARTICLE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
XML_TYPES = (
    "application/xml",
    "text/xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/x-gzip",
    "application/gzip",
    "application/octet-stream",
    "text/html",  # some portals serve their feeds as text/html
    "text/plain",
)
REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class FetchSettings:
    """Limits and politeness; sources.yaml may override any of them per source (`http:`)."""

    user_agent: str = (
        f"vnreport/{__version__} (report-article ETL; reads public report pages once a night)"
    )
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 120.0  # one response, headers to last byte
    retries: int = 3  # extra attempts after the first, for timeouts, resets, 5xx and 429
    backoff_base: float = 1.0  # seconds; attempt n waits up to base * 2**n, with full jitter
    backoff_max: float = 60.0
    retry_after_max: float = 300.0  # a longer Retry-After is a failure for tonight
    max_body_bytes: int = 10 * 1024 * 1024  # after decompression
    max_redirects: int = 5
    per_host_concurrency: int = 2
    per_host_delay: float = 1.0  # seconds between request starts on one host
    max_crawl_delay: float = 30.0  # robots.txt Crawl-delay is honoured up to this
    workers: int = 4  # article fetches in flight across hosts
    obey_robots: bool = True
    ca_file: str = ""  # extra CA bundle (PEM) for a portal with a private CA; "" = certifi's

    def with_overrides(self, overrides: dict | None) -> FetchSettings:
        return replace(self, **overrides) if overrides else self


SETTING_TYPES: dict[str, type] = {
    name: type(getattr(FetchSettings(), name)) for name in FetchSettings.__dataclass_fields__
}


@dataclass
class Fetched:
    """What one GET came to; `outcome` is ok | not_modified | skipped | failed."""

    url: str
    outcome: str
    final_url: str | None = None
    status: int | None = None
    content: bytes | None = None
    content_type: str | None = None
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    reason: str | None = None
    attempts: int = 0
    fetched_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


class _GiveUp(Exception):
    """A response we will not read further; the message is the recorded reason."""


class _Retryable(Exception):
    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


class HostLimiter:
    """At most `concurrency` requests in flight per host, starts spaced by `delay` seconds."""

    def __init__(self, concurrency: int = 2, delay: float = 1.0) -> None:
        self.concurrency = max(1, concurrency)
        self.delay = max(0.0, delay)
        self._lock = threading.Lock()
        self._sems: dict[str, threading.Semaphore] = {}
        self._next: dict[str, float] = {}
        self._delays: dict[str, float] = {}

    def set_delay(self, host: str, delay: float) -> None:
        """A host's own minimum spacing (robots.txt Crawl-delay)."""
        with self._lock:
            self._delays[host] = max(0.0, delay)

    @contextlib.contextmanager
    def slot(self, host: str, delay: float | None = None) -> Iterator[None]:
        """Wait for a free connection slot and for the host's spacing; `delay` is the
        caller's own politeness setting (sources sharing a host may differ)."""
        with self._lock:
            sem = self._sems.setdefault(host, threading.Semaphore(self.concurrency))
        with sem:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next.get(host, now))
                spacing = max(self.delay if delay is None else delay, self._delays.get(host, 0.0))
                self._next[host] = start + spacing
            if start > now:
                time.sleep(start - now)
            yield


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)], so retries from many
    workers do not arrive together."""
    return (rng or random).uniform(0, min(cap, base * (2**attempt)))


def media_type(content_type: str | None) -> tuple[str | None, str | None]:
    """(media type, charset) of a Content-Type header."""
    if not content_type:
        return None, None
    parts = [p.strip() for p in content_type.split(";")]
    charset = None
    for p in parts[1:]:
        k, _, v = p.partition("=")
        if k.strip().lower() == "charset" and v.strip():
            charset = v.strip().strip("\"'")
    return parts[0].lower() or None, charset


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport, its connection pool given the guard's network backend."""

    def __init__(self, guard: Guard, limits: httpx.Limits, ca_file: str = "") -> None:
        super().__init__(limits=limits, trust_env=False)
        ssl_context = httpx.create_ssl_context(trust_env=False)
        if ca_file:
            ssl_context.load_verify_locations(cafile=ca_file)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(guard),
        )


class Fetcher:
    """GETs for one source: its guard, shared politeness limits, robots.txt per origin."""

    def __init__(
        self,
        guard: Guard,
        settings: FetchSettings | None = None,
        *,
        limiter: HostLimiter | None = None,
        robots_loader: Callable[[str], Fetched] | None = None,
    ) -> None:
        self.settings = settings or FetchSettings()
        self.guard = guard
        s = self.settings
        self.limiter = limiter or HostLimiter(s.per_host_concurrency, s.per_host_delay)
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._robots_lock = threading.Lock()
        self._robots_loader = robots_loader
        self.requests = 0
        self._count_lock = threading.Lock()
        self.client = httpx.Client(
            transport=GuardedTransport(guard, httpx.Limits(max_connections=32), s.ca_file),
            timeout=httpx.Timeout(
                connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout, pool=None
            ),
            follow_redirects=False,
            trust_env=False,
            headers={
                "User-Agent": s.user_agent,
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5",
                "Accept-Language": "vi,en;q=0.5",
                "Accept-Encoding": "gzip, deflate",
            },
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # robots.txt -----------------------------------------------------------------
    def robots_allows(self, url: str) -> bool:
        """RFC 9309: a missing robots.txt (4xx) allows all; an unreachable one (5xx,
        network failure) disallows all for tonight, since the site may be struggling."""
        if not self.settings.obey_robots:
            return True
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._robots_lock:
            if origin not in self._robots:
                self._robots[origin] = self._load_robots(origin + "/robots.txt")
            rp = self._robots[origin]
        if rp is None:
            return False
        return rp.can_fetch(self.settings.user_agent, url)

    def _load_robots(self, robots_url: str) -> urllib.robotparser.RobotFileParser | None:
        loader = self._robots_loader or (
            lambda u: self.get(u, accept=None, robots=False, max_bytes=512 * 1024)
        )
        got = loader(robots_url)
        rp = urllib.robotparser.RobotFileParser(robots_url)
        if got.outcome in ("ok", "not_modified") and got.content is not None:
            rp.parse(got.content.decode("utf-8", "replace").splitlines())
        elif got.status is not None and 400 <= got.status < 500:
            rp.parse([])
        else:
            return None
        delay = rp.crawl_delay(self.settings.user_agent)
        if delay:
            self.limiter.set_delay(
                host_of(robots_url), min(float(delay), self.settings.max_crawl_delay)
            )
        return rp

    # one GET ----------------------------------------------------------------------
    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: tuple[str, ...] | None = ARTICLE_TYPES,
        robots: bool = True,
        max_bytes: int | None = None,
    ) -> Fetched:
        """GET `url`, following redirects (each hop re-checked), with conditional headers.

        Never raises for a network or HTTP problem: the outcome and reason say
        what happened, so one bad page is a recorded failure, not a dead run.
        """
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        seen: list[str] = []
        current = url
        attempts = 0
        for _hop in range(self.settings.max_redirects + 1):
            try:
                self.guard.check(current)
            except UnsafeURL as exc:
                return Fetched(url, "failed", current, reason=f"refused: {exc}", attempts=attempts)
            if robots and not self.robots_allows(current):
                return Fetched(
                    url, "skipped", current, reason="disallowed by robots.txt", attempts=attempts
                )
            seen.append(current)
            result = self._with_retries(url, current, headers, accept, max_bytes)
            attempts += result.attempts
            result.attempts = attempts
            if result.outcome != "redirect":
                return result
            target = canonical_url(urljoin(current, result.reason or ""))
            if target in seen:
                return Fetched(
                    url,
                    "failed",
                    current,
                    result.status,
                    reason=f"redirect loop: {' -> '.join(seen + [target])}",
                    attempts=attempts,
                )
            current = target
        return Fetched(
            url,
            "failed",
            current,
            reason=f"more than {self.settings.max_redirects} redirects",
            attempts=attempts,
        )

    def _with_retries(
        self,
        url: str,
        current: str,
        headers: dict,
        accept: tuple[str, ...] | None,
        max_bytes: int | None,
    ) -> Fetched:
        s = self.settings
        attempt = 0
        while True:
            attempt += 1
            try:
                with self.limiter.slot(host_of(current), s.per_host_delay):
                    with self._count_lock:
                        self.requests += 1
                    return self._once(url, current, headers, accept, max_bytes, attempt)
            except _GiveUp as exc:
                return Fetched(url, "failed", current, reason=str(exc), attempts=attempt)
            except _Retryable as exc:
                status_reason = str(exc)
                wait = exc.wait
            except httpx.TimeoutException as exc:
                status_reason, wait = f"timed out ({type(exc).__name__})", None
            except httpx.TransportError as exc:
                message = str(exc)
                if message.startswith("refused:") or "CERTIFICATE_VERIFY_FAILED" in message:
                    # a refused address or a bad certificate will not heal in a few seconds
                    return Fetched(url, "failed", current, reason=message, attempts=attempt)
                status_reason, wait = (
                    f"{type(exc).__name__}: {message or 'connection failed'}",
                    None,
                )
            if attempt > s.retries:
                return Fetched(
                    url,
                    "failed",
                    current,
                    reason=f"{status_reason} (gave up after {attempt} attempts)",
                    attempts=attempt,
                )
            if wait is not None and wait > s.retry_after_max:
                return Fetched(
                    url,
                    "failed",
                    current,
                    reason=(
                        f"{status_reason}; Retry-After {wait:.0f}s is over the "
                        f"{s.retry_after_max:.0f}s limit"
                    ),
                    attempts=attempt,
                )
            if wait is None:
                wait = backoff_delay(attempt - 1, s.backoff_base, s.backoff_max)
            time.sleep(wait)

    def _once(
        self,
        url: str,
        current: str,
        headers: dict,
        accept: tuple[str, ...] | None,
        max_bytes: int | None,
        attempt: int,
    ) -> Fetched:
        s = self.settings
        deadline = time.monotonic() + s.total_timeout
        with self.client.stream("GET", current, headers=headers) as resp:
            code = resp.status_code
            if code in REDIRECTS:
                location = resp.headers.get("location")
                if not location:
                    raise _GiveUp(f"HTTP {code} redirect without a Location header")
                return Fetched(url, "redirect", current, code, reason=location, attempts=attempt)
            if code >= 500 or code == 429:
                raise _Retryable(f"HTTP {code}", parse_retry_after(resp.headers.get("retry-after")))
            etag = resp.headers.get("etag")
            last_modified = resp.headers.get("last-modified")
            if code == 304:
                return Fetched(
                    url, "not_modified", current, code, etag=etag,
                    last_modified=last_modified, attempts=attempt,
                )  # fmt: skip
            if code >= 400:
                return Fetched(
                    url, "failed", current, code, reason=f"HTTP {code}", attempts=attempt
                )
            if code != 200:
                return Fetched(
                    url, "failed", current, code, reason=f"unexpected HTTP {code}", attempts=attempt
                )
            mtype, charset = media_type(resp.headers.get("content-type"))
            if accept is not None and mtype is not None and mtype not in accept:
                return Fetched(
                    url, "skipped", current, code, content_type=mtype,
                    reason=f"content type {mtype} is not HTML or text", attempts=attempt,
                )  # fmt: skip
            body = _read_capped(resp, max_bytes or s.max_body_bytes, deadline)
            return Fetched(
                url, "ok", current, code, content=body, content_type=mtype, charset=charset,
                etag=etag, last_modified=last_modified, attempts=attempt,
            )  # fmt: skip


def _decompressor(encoding: str):
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj(zlib.MAX_WBITS)
    raise _GiveUp(f"unsupported Content-Encoding {encoding!r}")


def _read_capped(resp: httpx.Response, cap: int, deadline: float) -> bytes:
    """The body, stopping as soon as either the wire bytes or the decoded bytes pass `cap`."""
    declared = resp.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise _GiveUp(f"body of {int(declared)} bytes is over the {cap}-byte limit")
    decoder = _decompressor(resp.headers.get("content-encoding", ""))
    out = bytearray()
    wire = 0
    try:
        for chunk in resp.iter_raw():
            if time.monotonic() > deadline:
                raise _Retryable("response too slow: total time limit passed")
            wire += len(chunk)
            if wire > cap:
                raise _GiveUp(f"body is over the {cap}-byte limit (stopped reading)")
            if decoder is None:
                out += chunk
                continue
            buf = chunk
            while buf:
                out += decoder.decompress(buf, cap + 1 - len(out))
                if len(out) > cap:
                    raise _GiveUp(f"decompressed body is over the {cap}-byte limit (stopped)")
                buf = decoder.unconsumed_tail
        if decoder is not None:
            out += decoder.flush()
    except zlib.error as exc:
        raise _GiveUp(f"corrupt compressed body: {exc}") from exc
    if len(out) > cap:
        raise _GiveUp(f"decompressed body is over the {cap}-byte limit")
    return bytes(out)


def gunzip_capped(data: bytes, cap: int) -> bytes:
    """Decompress a .gz file body (sitemap.xml.gz) without letting it grow past `cap`."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, cap + 1)
    except zlib.error as exc:
        raise ValueError(f"corrupt gzip data: {exc}") from exc
    if len(out) > cap or d.unconsumed_tail:
        raise ValueError(f"decompressed size is over the {cap}-byte limit")
    return out
