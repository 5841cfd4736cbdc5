"""One GET against a real loopback server: retries, limits, redirects, types, charsets."""

from __future__ import annotations

import gzip
import threading
import time

import pytest
from fixtures.site.server import Site, send, to_cp1258

from vnreport.transforms.encoding import decode_bytes
from vnreport.transforms.fetch import (
    Fetcher,
    FetchSettings,
    HostLimiter,
    backoff_delay,
    gunzip_capped,
    parse_retry_after,
)
from vnreport.transforms.guard import Guard

FAST = FetchSettings(
    connect_timeout=2.0,
    read_timeout=2.0,
    total_timeout=5.0,
    retries=2,
    backoff_base=0.01,
    backoff_max=0.05,
    retry_after_max=5.0,
    per_host_delay=0.0,
)
LOOPBACK = Guard(private_hosts=frozenset({"127.0.0.1", "localhost"}))

ARTICLE = (
    "<html><head><title>Tổng kết năm 2023</title></head><body><p>Đảng bộ Khối có 1.840 đảng "
    "viên, kết nạp 69/48 đảng viên mới; thu nhập bình quân 8,12 triệu đồng/người/tháng.</p>"
    "</body></html>"
)


@pytest.fixture
def site():
    s = Site().start()
    yield s
    s.stop()


def fetcher(**overrides) -> Fetcher:
    return Fetcher(LOOPBACK, FAST.with_overrides(overrides))


def test_ok_page_keeps_bytes_headers_and_identifies_itself(site):
    site.add("/a", ARTICLE)
    with fetcher() as f:
        got = f.get(site.url("/a"))
    assert got.outcome == "ok" and got.status == 200
    assert got.content == ARTICLE.encode("utf-8")
    assert got.content_type == "text/html" and got.charset == "utf-8"
    assert got.etag and got.last_modified
    ua = site.hits[-1].headers["user-agent"]
    assert ua.startswith("vnreport/") and "report-article" in ua


def test_conditional_get_gets_304_and_no_body(site):
    site.add("/a", ARTICLE)
    with fetcher() as f:
        first = f.get(site.url("/a"))
        again = f.get(site.url("/a"), etag=first.etag, last_modified=first.last_modified)
    assert again.outcome == "not_modified" and again.status == 304 and again.content is None
    assert site.hits[-1].headers["if-none-match"] == first.etag


def test_500_then_200_is_retried(site):
    def flaky(req, n):
        if n < 3:
            send(req, 500, b"loi may chu", "text/plain")
        else:
            send(req, 200, ARTICLE.encode(), "text/html; charset=utf-8")

    site.add("/flaky", flaky)
    with fetcher() as f:
        got = f.get(site.url("/flaky"))
    assert got.outcome == "ok" and got.attempts == 3
    assert site.count("/flaky") == 3


def test_5xx_gives_up_after_the_retry_budget(site):
    site.add("/down", lambda req, n: send(req, 502, b"bad gateway", "text/plain"))
    with fetcher(retries=1) as f:
        got = f.get(site.url("/down"))
    assert got.outcome == "failed" and "HTTP 502" in got.reason and "2 attempts" in got.reason
    assert site.count("/down") == 2


@pytest.mark.parametrize("status", [403, 404, 410])
def test_4xx_is_final(site, status):
    site.add("/gone", lambda req, n: send(req, status, b"no", "text/plain"))
    with fetcher() as f:
        got = f.get(site.url("/gone"))
    assert got.outcome == "failed" and got.status == status
    assert site.count("/gone") == 1


def test_retry_after_is_honoured(site):
    def busy(req, n):
        if n == 1:
            send(req, 503, b"busy", "text/plain", {"Retry-After": "1"})
        else:
            send(req, 200, ARTICLE.encode(), "text/html; charset=utf-8")

    site.add("/busy", busy)
    with fetcher(backoff_base=0.0) as f:
        t0 = time.monotonic()
        got = f.get(site.url("/busy"))
        waited = time.monotonic() - t0
    assert got.outcome == "ok" and site.count("/busy") == 2
    assert waited >= 0.95  # the server's 1 s, not our 0 s backoff


def test_retry_after_beyond_the_limit_fails_without_waiting(site):
    site.add("/later", lambda req, n: send(req, 503, b"x", "text/plain", {"Retry-After": "3600"}))
    with fetcher() as f:
        t0 = time.monotonic()
        got = f.get(site.url("/later"))
    assert time.monotonic() - t0 < 1.0
    assert got.outcome == "failed" and "Retry-After 3600s" in got.reason
    assert site.count("/later") == 1


def test_retry_after_http_date():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("soon") is None


def test_backoff_grows_and_is_capped_with_jitter():
    import random

    rng = random.Random(7)
    waits = [backoff_delay(a, 1.0, 8.0, rng) for a in range(6) for _ in range(50)]
    assert max(waits) <= 8.0 and min(waits) >= 0.0
    assert len({round(w, 6) for w in waits}) > 100  # jittered, not a fixed schedule


def test_slow_headers_time_out_and_are_retried(site):
    def slow(req, n):
        time.sleep(1.0)
        send(req, 200, b"late", "text/plain")

    site.add("/slow", slow)
    with fetcher(read_timeout=0.2, retries=1) as f:
        t0 = time.monotonic()
        got = f.get(site.url("/slow"))
    assert got.outcome == "failed" and "timed out" in got.reason
    assert site.count("/slow") == 2
    assert time.monotonic() - t0 < 2.0


def test_trickling_body_hits_the_total_deadline(site):
    def trickle(req, n):
        req.send_response(200)
        req.send_header("Content-Type", "text/html")
        req.send_header("Content-Length", "100000")
        req.end_headers()
        try:
            for _ in range(200):
                req.wfile.write(b"x" * 10)
                req.wfile.flush()
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass

    site.add("/trickle", trickle)
    with fetcher(read_timeout=1.0, total_timeout=0.4, retries=0) as f:
        t0 = time.monotonic()
        got = f.get(site.url("/trickle"))
    assert got.outcome == "failed" and "too slow" in got.reason
    assert time.monotonic() - t0 < 1.5


def test_redirects_are_followed_and_loops_stopped(site):
    site.add("/moved", lambda r, n: send(r, 301, b"", None, {"Location": "/a"}))
    site.add("/a", ARTICLE)
    site.add("/loop1", lambda r, n: send(r, 302, b"", None, {"Location": "/loop2"}))
    site.add("/loop2", lambda r, n: send(r, 302, b"", None, {"Location": "/loop1"}))
    for i in range(10):
        site.add(
            f"/hop{i}", lambda r, n, i=i: send(r, 302, b"", None, {"Location": f"/hop{i + 1}"})
        )
    with fetcher(max_redirects=3) as f:
        ok = f.get(site.url("/moved"))
        loop = f.get(site.url("/loop1"))
        far = f.get(site.url("/hop0"))
    assert ok.outcome == "ok" and ok.final_url == site.url("/a")
    assert loop.outcome == "failed" and "redirect loop" in loop.reason
    assert site.count("/loop1") == 1 and site.count("/loop2") == 1
    assert far.outcome == "failed" and "more than 3 redirects" in far.reason
    assert site.count("/hop4") == 0


def test_oversize_body_is_refused_by_length_and_while_streaming(site):
    big = b"<p>" + b"a" * 300_000 + b"</p>"
    site.add("/big", big)

    def unannounced(req, n):
        req.send_response(200)
        req.send_header("Content-Type", "text/html")
        req.send_header("Connection", "close")
        req.end_headers()
        try:
            for _ in range(100):  # 6.4 MB if we kept reading
                req.wfile.write(b"b" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            pass
        req.close_connection = True

    site.add("/endless", unannounced)
    with fetcher(max_body_bytes=100_000) as f:
        by_length = f.get(site.url("/big"))
        streamed = f.get(site.url("/endless"))
    assert by_length.outcome == "failed" and "over the 100000-byte limit" in by_length.reason
    assert streamed.outcome == "failed" and "stopped reading" in streamed.reason


def test_gzip_is_decoded_and_gzip_bombs_are_capped(site):
    page = ARTICLE.encode("utf-8")
    site.add("/gz", gzip.compress(page), headers={"Content-Encoding": "gzip"})
    bomb = gzip.compress(b"\0" * 30_000_000)
    assert len(bomb) < 100_000
    site.add("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    with fetcher(max_body_bytes=1_000_000) as f:
        ok = f.get(site.url("/gz"))
        boom = f.get(site.url("/bomb"))
    assert ok.outcome == "ok" and ok.content == page
    assert boom.outcome == "failed" and "decompressed body is over" in boom.reason
    with pytest.raises(ValueError, match="over the 1000-byte limit"):
        gunzip_capped(gzip.compress(b"x" * 5000), 1000)


def test_pdf_is_skipped_with_a_reason_and_not_downloaded(site):
    site.add("/bao-cao.pdf", b"%PDF-1.4" + b"0" * 2_000_000, content_type="application/pdf")
    with fetcher() as f:
        got = f.get(site.url("/bao-cao.pdf"))
    assert got.outcome == "skipped" and got.content is None
    assert got.reason == "content type application/pdf is not HTML or text"


def test_windows_1258_page_decodes_to_nfc(site):
    text = "Đảng ủy Khối kết nạp 186 đảng viên mới; thu nhập bình quân 9,4 triệu đồng"
    body = to_cp1258(f"<html><body><p>{text}</p></body></html>")
    site.add("/cp1258", body, content_type="text/html; charset=windows-1258")
    site.add("/cp1258-meta", b'<meta charset="windows-1258">' + body, content_type="text/html")
    with fetcher() as f:
        declared = f.get(site.url("/cp1258"))
        meta = f.get(site.url("/cp1258-meta"))
    assert declared.charset == "windows-1258"
    assert text in decode_bytes(declared.content, declared.charset).text
    assert meta.charset is None
    assert text in decode_bytes(meta.content, meta.charset).text


def test_misdeclared_utf8_decodes_correctly(site):
    site.add("/wrong", ARTICLE, content_type="text/html; charset=iso-8859-1")
    with fetcher() as f:
        got = f.get(site.url("/wrong"))
    assert got.charset == "iso-8859-1"
    decoded = decode_bytes(got.content, got.charset)
    assert "kết nạp 69/48 đảng viên mới" in decoded.text


def test_robots_disallow_is_honoured_and_cached(site):
    site.add("/robots.txt", "User-agent: *\nDisallow: /noi-bo/\n", content_type="text/plain")
    site.add("/noi-bo/x.html", ARTICLE)
    site.add("/a", ARTICLE)
    with fetcher() as f:
        blocked = f.get(site.url("/noi-bo/x.html"))
        ok = f.get(site.url("/a"))
    assert blocked.outcome == "skipped" and blocked.reason == "disallowed by robots.txt"
    assert ok.outcome == "ok"
    assert site.count("/noi-bo/x.html") == 0 and site.count("/robots.txt") == 1


def test_robots_5xx_means_stay_away_4xx_means_allowed(site):
    site.add("/robots.txt", lambda r, n: send(r, 500, b"x", "text/plain"))
    site.add("/a", ARTICLE)
    with fetcher(retries=0) as f:
        got = f.get(site.url("/a"))
    assert got.outcome == "skipped" and site.count("/a") == 0
    other = Site().start()
    try:
        other.add("/a", ARTICLE)  # no robots.txt at all: 404
        with fetcher() as f:
            assert f.get(other.url("/a")).outcome == "ok"
    finally:
        other.stop()


def test_crawl_delay_spaces_requests(site):
    site.add("/robots.txt", "User-agent: *\nCrawl-delay: 1\n", content_type="text/plain")
    site.add("/a", ARTICLE)
    with fetcher() as f:
        assert f.get(site.url("/a")).outcome == "ok"
        t0 = time.monotonic()
        assert f.get(site.url("/a")).outcome == "ok"
    assert time.monotonic() - t0 >= 0.9


def test_host_limiter_bounds_concurrency_per_host():
    limiter = HostLimiter(concurrency=2, delay=0.0)
    active = {"n": 0, "max": 0}
    lock = threading.Lock()

    def work():
        with limiter.slot("portal.example"):
            with lock:
                active["n"] += 1
                active["max"] = max(active["max"], active["n"])
            time.sleep(0.05)
            with lock:
                active["n"] -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert active["max"] == 2


def test_refused_connection_is_retried_then_reported():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens here now
    with fetcher(retries=1) as f:
        got = f.get(f"http://127.0.0.1:{port}/a", robots=False)
    assert got.outcome == "failed" and got.attempts == 2 and "ConnectError" in got.reason


def test_per_host_delay_spaces_request_starts(site):
    site.add("/a", ARTICLE)
    with fetcher(per_host_delay=0.25) as f:
        t0 = time.monotonic()
        for _ in range(3):
            assert f.get(site.url("/a"), robots=False).outcome == "ok"
    assert time.monotonic() - t0 >= 0.45
