"""Which URLs the fetcher may touch.

A nightly job that follows links from pages other people control must not be
turned into a probe of the machine's own network: a listing page (or a
redirect, or a DNS answer) can point at 127.0.0.1, the cloud metadata address
or an office intranet. So only http and https are fetched, every host is
resolved and each address is checked, and the connection is made to the
address that was checked (not resolved a second time), which closes the
"DNS answer changes between check and connect" gap. Private addresses are
allowed only for the hosts a source declared itself, and only when the
source says `allow_private_network: true`.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpcore

# host -> IP address strings; tests inject one to give fake names real addresses.
Resolver = Callable[[str], list[str]]

ALLOWED_SCHEMES = ("http", "https")


class UnsafeURL(ValueError):
    """A URL the fetcher refuses to request; the message says why."""


def system_resolver(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeURL(f"{host}: cannot resolve ({exc.strerror or exc})") from exc
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0]).split("%", 1)[0]
        if addr not in seen:
            seen.append(addr)
    return seen


_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known prefix: last 32 bits are IPv4
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # local-use translation (RFC 8215)
_V4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible form


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries to (6to4, NAT64), which the gateway reaches."""
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(addr: str) -> str | None:
    """Why an address is off limits for a public fetch, or None when it is a public address.

    IPv6 forms that lead to an IPv4 host (mapped, 6to4, NAT64) are judged by that
    host, so `64:ff9b::a00:1` is as private as 10.0.0.1.
    """
    ip = ipaddress.ip_address(addr)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in _NAT64_LOCAL or ip.is_site_local:
            return "private"
        elif ip in _V4_COMPATIBLE and not (ip.is_loopback or ip.is_unspecified):
            return "reserved"
        elif (inner := _embedded_ipv4(ip)) is not None:
            return address_problem(str(inner))
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if not ip.is_global or ip.is_reserved:
        return "reserved"
    return None


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def domain_key(host: str) -> str:
    """A declared host as a domain: `www.` is dropped so www and bare host count as one site."""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def on_domains(url: str, domains: Iterable[str]) -> bool:
    """True when the URL's host is one of `domains` or a subdomain of one."""
    host = host_of(url)
    return any(host == d or host.endswith("." + d) for d in domains)


def check_syntax(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise UnsafeURL(f"{url}: only http and https are fetched, not {parts.scheme or 'no'!r}")
    if not parts.hostname:
        raise UnsafeURL(f"{url}: no host")
    if parts.username or parts.password:
        raise UnsafeURL(f"{url}: credentials in URLs are refused")
    try:
        _ = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"{url}: bad port ({exc})") from exc


@dataclass
class Guard:
    """The address policy of one source.

    `private_hosts`: domains whose addresses may be private (the source's own,
    when it allows the private network); empty means every host must be public.
    """

    private_hosts: frozenset[str] = frozenset()
    resolver: Resolver = system_resolver
    _cache: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def may_be_private(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return any(host == d or host.endswith("." + d) for d in self.private_hosts)

    def addresses(self, host: str) -> list[str]:
        """The checked addresses of `host`; raises UnsafeURL when any is forbidden.

        All answers are checked, not just the first: a name answering both a
        public and a private address is refused rather than raced.
        """
        host = host.lower().rstrip(".")
        if host in self._cache:
            return self._cache[host]
        try:
            addrs = [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            addrs = self.resolver(host)
        if not addrs:
            raise UnsafeURL(f"{host}: resolves to no address")
        if not self.may_be_private(host):
            for addr in addrs:
                problem = address_problem(addr)
                if problem:
                    shown = host if host == addr else f"{host} resolves to {addr}"
                    raise UnsafeURL(
                        f"{shown}: {problem} address refused "
                        "(set allow_private_network: true on a source that needs it)"
                    )
        self._cache[host] = addrs
        return addrs

    def check(self, url: str) -> str:
        """Raise UnsafeURL unless `url` may be requested; returns the URL."""
        check_syntax(url)
        self.addresses(host_of(url))
        return url


class GuardedBackend(httpcore.SyncBackend):
    """Connects only to addresses the guard checked, so a second DNS answer cannot differ."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            addrs = self.guard.addresses(host)
        except UnsafeURL as exc:
            raise httpcore.ConnectError(f"refused: {exc}") from exc
        last: Exception | None = None
        for addr in addrs:
            try:
                return super().connect_tcp(addr, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last
