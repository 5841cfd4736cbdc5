"""The fetch guard against DNS names that answer forbidden addresses, on a real loopback server.

The test resolver gives invented names the answers an attacker's DNS would give;
the server on 127.0.0.1 records every request, so "refused" also means "never
connected": the request log stays empty for what was refused.
"""

from __future__ import annotations

import pytest
from fixtures.site.server import Site, send

from vnreport.transforms.fetch import Fetcher, FetchSettings
from vnreport.transforms.guard import Guard, UnsafeURL

FAST = FetchSettings(
    connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0, retries=1,
    backoff_base=0.01, backoff_max=0.05, retry_after_max=1.0, per_host_delay=0.0,
)  # fmt: skip

# name -> what an attacker's DNS answers, and the class the guard must name
FORBIDDEN = {
    "loopback.evil.test": (["127.0.0.1"], "loopback"),
    "loopback-other.evil.test": (["127.53.0.1"], "loopback"),
    "v6-loopback.evil.test": (["::1"], "loopback"),
    "mapped.evil.test": (["::ffff:127.0.0.1"], "loopback"),
    "mapped-metadata.evil.test": (["::ffff:169.254.169.254"], "link-local"),
    "metadata.evil.test": (["169.254.169.254"], "link-local"),
    "ecs-metadata.evil.test": (["169.254.170.2"], "link-local"),
    "aws-v6-metadata.evil.test": (["fd00:ec2::254"], "private"),
    "intranet.evil.test": (["10.20.30.40"], "private"),
    "router.evil.test": (["192.168.0.1"], "private"),
    "docker.evil.test": (["172.17.0.1"], "private"),
    "cgnat.evil.test": (["100.64.1.1"], "reserved"),
    "zero.evil.test": (["0.0.0.0"], "unspecified"),
    "v6-zero.evil.test": (["::"], "unspecified"),
    "ula.evil.test": (["fd12:3456::1"], "private"),
    "site-local.evil.test": (["fec0::1"], "private"),
    "link-local6.evil.test": (["fe80::1"], "link-local"),
    "multicast.evil.test": (["224.0.0.251"], "multicast"),
    "nat64-loopback.evil.test": (["64:ff9b::7f00:1"], "loopback"),
    "nat64-private.evil.test": (["64:ff9b::a00:1"], "private"),
    "nat64-local.evil.test": (["64:ff9b:1::a00:1"], "private"),
    "6to4-loopback.evil.test": (["2002:7f00:1::1"], "loopback"),
    "6to4-metadata.evil.test": (["2002:a9fe:a9fe::1"], "link-local"),
    "v4-compatible.evil.test": (["::7f00:1"], "reserved"),
    "benchmark.evil.test": (["198.18.0.1"], "private"),
    "public-and-private.evil.test": (["93.184.216.34", "10.0.0.7"], "private"),
    "private-first.evil.test": (["127.0.0.1", "93.184.216.34"], "loopback"),
}
PUBLIC = {"public.example": ["93.184.216.34"], "nat64-public.example": ["64:ff9b::5db8:d822"]}


def dns(extra: dict[str, list[str]] | None = None):
    table = {name: addrs for name, (addrs, _) in FORBIDDEN.items()} | PUBLIC | (extra or {})

    def resolve(host: str) -> list[str]:
        if host in table:
            return table[host]
        raise UnsafeURL(f"{host}: cannot resolve (test DNS)")

    return resolve


@pytest.fixture
def site():
    s = Site().start()
    yield s
    s.stop()


@pytest.mark.timeout(10)
@pytest.mark.parametrize("name", sorted(FORBIDDEN))
def test_names_answering_forbidden_addresses_are_refused(name):
    _, problem = FORBIDDEN[name]
    with pytest.raises(UnsafeURL, match=problem):
        Guard(resolver=dns()).check(f"http://{name}/tin-tuc/bai-1.html")
    with pytest.raises(UnsafeURL, match=problem):  # the trailing-dot and case spellings too
        Guard(resolver=dns()).check(f"https://{name.upper()}./")


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_answers_pass(name):
    assert Guard(resolver=dns()).check(f"https://{name}/a") == f"https://{name}/a"


@pytest.mark.timeout(30)
def test_fetching_a_forbidden_name_never_connects(site):
    """The names really point at the loopback server here; nothing may reach it."""
    site.add("/a", "<p>nội bộ</p>")
    names = [n for n, (addrs, _) in FORBIDDEN.items() if addrs == ["127.0.0.1"]]
    names.append("private-first.evil.test")
    with Fetcher(Guard(resolver=dns()), FAST) as f:
        got = [f.get(site.url("/a", host=n), robots=False) for n in names]
    assert all(g.outcome == "failed" and g.reason.startswith("refused:") for g in got)
    assert site.hits == []


@pytest.mark.timeout(30)
def test_every_redirect_hop_is_checked_again(site):
    """An allowed portal redirects to names that resolve inward, through a chain of hops."""
    allowed = {"portal.example": ["127.0.0.1"], "mirror.example": ["127.0.0.1"]}
    guard = Guard(private_hosts=frozenset({"portal.example"}), resolver=dns(allowed))
    port = site.port

    def to(url: str):
        return lambda r, n: send(r, 302, b"", None, {"Location": url})

    site.add("/nat64", to(f"http://nat64-loopback.evil.test:{port}/x"), host="portal.example")
    site.add("/meta", to("http://metadata.evil.test/latest/meta-data/"), host="portal.example")
    site.add("/hop1", to(f"http://portal.example:{port}/hop2"), host="portal.example")
    site.add("/hop2", to(f"http://mirror.example:{port}/x"), host="portal.example")
    site.add("/scheme", to("gopher://portal.example/x"), host="portal.example")
    site.add("/x", "<p>không được tới</p>", host="mirror.example")
    with Fetcher(guard, FAST) as f:
        nat64 = f.get(site.url("/nat64", host="portal.example"), robots=False)
        meta = f.get(site.url("/meta", host="portal.example"), robots=False)
        chain = f.get(site.url("/hop1", host="portal.example"), robots=False)
        scheme = f.get(site.url("/scheme", host="portal.example"), robots=False)
    assert nat64.outcome == "failed" and "loopback" in nat64.reason
    assert meta.outcome == "failed" and "link-local" in meta.reason
    # the private allowance is the declared portal's, not every host it sends us to
    assert chain.outcome == "failed" and "mirror.example resolves to 127.0.0.1" in chain.reason
    assert scheme.outcome == "failed" and "only http and https" in scheme.reason
    assert site.count("/x") == 0 and {h.host for h in site.hits} == {"portal.example"}


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://public.example/a",
        "gopher://public.example:70/_x",
        "data:text/html,<p>1</p>",
        "javascript:alert(1)",
        "http://user:pass@public.example/",
        "http://public.example:99999/",
        "http:///nohost",
        "//public.example/no-scheme",
    ],
)
def test_urls_refused_before_any_lookup(url):
    looked_up: list[str] = []

    def recording(host: str) -> list[str]:
        looked_up.append(host)
        return ["93.184.216.34"]

    with pytest.raises(UnsafeURL):
        Guard(resolver=recording).check(url)
    assert looked_up == []
