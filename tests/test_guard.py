"""URL and address safety: schemes, private addresses, redirects, the resolver hook."""

from __future__ import annotations

import pytest
from fixtures.site.server import Site, send

from vnreport.transforms.fetch import Fetcher, FetchSettings
from vnreport.transforms.guard import (
    Guard,
    UnsafeURL,
    address_problem,
    check_syntax,
    on_domains,
    system_resolver,
)

FAST = FetchSettings(retries=0, per_host_delay=0.0, connect_timeout=2.0, read_timeout=2.0)


@pytest.fixture
def site():
    s = Site().start()
    yield s
    s.stop()


def fake_dns(table: dict[str, list[str]]):
    """Names the tests invent, answered without touching the system resolver."""

    def resolve(host: str) -> list[str]:
        if host in table:
            return table[host]
        raise UnsafeURL(f"{host}: cannot resolve (test DNS)")

    return resolve


@pytest.mark.parametrize(
    "addr, problem",
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("0.0.0.0", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("100.64.0.1", "reserved"),  # carrier-grade NAT
        ("224.0.0.1", "multicast"),
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_address_classes(addr, problem):
    assert address_problem(addr) == problem


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://portal.example/a", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("gopher://portal.example/", "only http and https"),
        ("http:///path-only", "no host"),
        ("http://user:pw@portal.example/", "credentials"),
        ("http://portal.example:99999/", "bad port"),
    ],
)
def test_url_syntax_refusals(url, message):
    with pytest.raises(UnsafeURL, match=message):
        check_syntax(url)


def test_every_answer_is_checked_not_just_the_first():
    guard = Guard(resolver=fake_dns({"mixed.example": ["93.184.216.34", "10.0.0.7"]}))
    with pytest.raises(UnsafeURL, match="mixed.example resolves to 10.0.0.7: private"):
        guard.check("https://mixed.example/bai-viet")


def test_private_allowance_is_scoped_to_the_declared_domains():
    dns = fake_dns({"noibo.example": ["10.0.0.7"], "cdn.noibo.example": ["10.0.0.8"],
                    "khac.example": ["10.0.0.9"]})  # fmt: skip
    guard = Guard(private_hosts=frozenset({"noibo.example"}), resolver=dns)
    assert guard.check("http://noibo.example/a")
    assert guard.check("http://cdn.noibo.example/a")
    with pytest.raises(UnsafeURL, match="khac.example resolves to 10.0.0.9"):
        guard.check("http://khac.example/a")


def test_localhost_by_name_is_refused_by_default():
    with pytest.raises(UnsafeURL, match="localhost resolves to .*loopback"):
        Guard(resolver=system_resolver).check("http://localhost/")
    with pytest.raises(UnsafeURL, match="127.0.0.1: loopback"):
        Guard().check("http://127.0.0.1:8080/")


def test_on_domains_matches_subdomains_only():
    assert on_domains("http://www.portal.example/a", {"portal.example"})
    assert not on_domains("http://evilportal.example/a", {"portal.example"})
    assert not on_domains("http://portal.example.evil.test/a", {"portal.example"})


def test_public_only_fetcher_never_reaches_loopback(site):
    site.add("/a", "<p>x</p>")
    with Fetcher(Guard(), FAST) as f:
        got = f.get(site.url("/a"))
        by_name = f.get(site.url("/a", host="localhost"))
    assert got.outcome == "failed" and got.reason.startswith("refused:")
    assert by_name.outcome == "failed" and "loopback" in by_name.reason
    assert site.hits == []


def test_resolver_hook_connects_to_the_checked_address(site):
    """A made-up name reaches the loopback server only through the injected answer."""
    site.add("/a", "<p>cổng tin</p>", host="portal.example")
    dns = fake_dns({"portal.example": ["127.0.0.1"]})
    guard = Guard(private_hosts=frozenset({"portal.example"}), resolver=dns)
    with Fetcher(guard, FAST) as f:
        got = f.get(site.url("/a", host="portal.example"))
    assert got.outcome == "ok" and got.content == "<p>cổng tin</p>".encode()
    assert site.hits[-1].host == "portal.example"


def test_redirect_to_a_forbidden_address_is_refused_at_the_hop(site):
    dns = fake_dns({"portal.example": ["127.0.0.1"], "localhost": ["127.0.0.1"]})
    guard = Guard(private_hosts=frozenset({"portal.example"}), resolver=dns)
    site.add("/a", lambda r, n: send(r, 302, b"", None, {"Location": site.url("/secret", "localhost")}),
             host="portal.example")  # fmt: skip
    site.add("/b", lambda r, n: send(r, 302, b"", None, {"Location": "file:///etc/passwd"}),
             host="portal.example")  # fmt: skip
    site.add("/secret", "<p>internal</p>")
    with Fetcher(guard, FAST) as f:
        to_localhost = f.get(site.url("/a", host="portal.example"))
        to_file = f.get(site.url("/b", host="portal.example"))
    assert to_localhost.outcome == "failed" and "localhost resolves to 127.0.0.1" in (
        to_localhost.reason
    )
    assert to_file.outcome == "failed" and "only http and https" in to_file.reason
    assert site.count("/secret") == 0


@pytest.mark.parametrize("host", ["127.1", "0x7f000001", "2130706433", "[::1]", "[::ffff:7f00:1]"])
def test_other_spellings_of_loopback_are_refused(host):
    with pytest.raises(UnsafeURL, match="loopback"):
        Guard().check(f"http://{host}/bai-viet")


@pytest.fixture
def tls_site(tmp_path):
    """The loopback server behind TLS, with a certificate for portal.example only."""
    import shutil
    import ssl
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=portal.example",
         "-addext", "subjectAltName=DNS:portal.example"],
        check=True, capture_output=True,
    )  # fmt: skip
    s = Site().start()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    s.httpd.socket = ctx.wrap_socket(s.httpd.socket, server_side=True)
    yield s, cert
    s.stop()


def test_https_to_a_pinned_address_still_verifies_the_host_name(tls_site):
    site, cert = tls_site
    site.add("/a", "<p>trang bảo mật</p>", host="portal.example")
    dns = fake_dns({"portal.example": ["127.0.0.1"], "other.example": ["127.0.0.1"]})
    guard = Guard(private_hosts=frozenset({"portal.example", "other.example"}), resolver=dns)
    url = f"https://portal.example:{site.port}/a"
    with Fetcher(guard, FAST.with_overrides({"ca_file": str(cert)})) as f:
        ok = f.get(url, robots=False)
        wrong_name = f.get(url.replace("portal.example", "other.example"), robots=False)
    with Fetcher(guard, FAST.with_overrides({"retries": 3})) as f:
        untrusted = f.get(url, robots=False)
    assert ok.outcome == "ok" and ok.content == "<p>trang bảo mật</p>".encode()
    assert wrong_name.outcome == "failed" and "CERTIFICATE_VERIFY_FAILED" in wrong_name.reason
    assert untrusted.outcome == "failed" and "CERTIFICATE_VERIFY_FAILED" in untrusted.reason
    assert untrusted.attempts == 1  # not retried: a bad certificate does not heal
