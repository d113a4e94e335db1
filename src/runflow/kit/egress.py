"""Outbound HTTP to addresses customers choose (callback URLs, input image URLs): the SSRF guard.

A URL is allowed when its scheme is http(s) and *every* address its host resolves to is public —
not loopback, private, link-local, shared, multicast, reserved or unspecified — unless an
operator opened its range (`RUNFLOW_CALLBACK_ALLOW_CIDRS`). Cloud metadata endpoints stay closed
whatever is opened. The request then connects to the address that was checked (`pinned`), so a
DNS answer that changes between the check and the connection (rebinding) cannot redirect it.

IPv4 inside IPv6. A translator, tunnel or the kernel turns these IPv6 addresses into a packet to
the IPv4 address they carry, so each is judged by that IPv4 address alone — public, or in an
opened IPv4 range, and never a metadata address. An opened IPv6 range (even `::/0`) does not
open them; only the IPv4 they carry counts:

- `::ffff:0:0/96` IPv4-mapped (RFC 4291 §2.5.5.2): the last 32 bits.
- `::/96` IPv4-compatible, deprecated (RFC 4291 §2.5.5.1): the last 32 bits; `::` and `::1`
  are the unspecified and loopback addresses and are judged as themselves.
- `::ffff:0:0:0/96` IPv4-translated (RFC 2765 §2.1, SIIT): the last 32 bits.
- `64:ff9b::/96` the NAT64 well-known prefix (RFC 6052 §2.1): the last 32 bits.
- `2002::/16` 6to4 (RFC 3056 §2): bits 16–47.
- `2001::/32` Teredo (RFC 4380 §4): the server (bits 32–63) and the client (the last 32 bits
  XOR 0xffffffff); both must pass.

`64:ff9b:1::/48`, local-use NAT64 (RFC 8215), is refused whatever is opened: the operator of the
translator picks the prefix length inside it (/48, /56, /64 or /96, RFC 6052 §2.2), so the
address alone does not say which IPv4 address it reaches — it could be a metadata endpoint.

An ISATAP interface identifier (`…:0:5efe:a.b.c.d`, or `…:200:5efe:…`, RFC 5214 §6.1) may follow
any prefix, so such an address must pass both as itself and by the IPv4 address it carries.

What the address cannot show is not caught here: a NAT64 network-specific prefix (RFC 6052
§2.2) or a 6rd prefix (RFC 5969) is the operator's choice, and an address under it looks like
any other public IPv6 address. On such networks, keep them out of the opened ranges and block
their IPv4 destinations at the translator.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Instance metadata services of the common clouds (AWS, GCP, Azure, OpenStack, ECS, Alibaba,
# Oracle): reachable from inside a VM and full of credentials.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",
        "169.254.170.2",
        "169.254.169.123",
        "100.100.100.200",
        "192.0.0.192",
        "fd00:ec2::254",
    )
)

# Prefixes whose addresses carry an IPv4 address (see the module docstring for the RFCs).
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
# Bits 64–95 of an ISATAP address once the universal/local and group bits (0x0300_0000) are
# masked off: the IEEE OUI 00-00-5E, then 0xFE.
_ISATAP_IDENTIFIER = 0x0000_5EFE
_ISATAP_MASK = 0xFCFF_FFFF

_DEFAULT_PORTS = {"http": 80, "https": 443}


def translated_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses a translation prefix makes `address` stand for; empty when none.

    Teredo gives two (server, client); the others one.
    """
    if address.ipv4_mapped is not None:
        return (address.ipv4_mapped,)
    last_32 = ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    if address in _NAT64_WELL_KNOWN or address in _IPV4_TRANSLATED:
        return (last_32,)
    if address in _IPV4_COMPATIBLE and int(address) > 1:  # `::` and `::1` are themselves
        return (last_32,)
    if address.sixtofour is not None:
        return (address.sixtofour,)
    if address.teredo is not None:
        return address.teredo
    return ()


def isatap_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address in an ISATAP interface identifier, if `address` has one."""
    identifier_high = (int(address) >> 32) & 0xFFFF_FFFF
    if identifier_high & _ISATAP_MASK != _ISATAP_IDENTIFIER:
        return None
    return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)


def embedded_ipv4(address: IPAddress) -> tuple[ipaddress.IPv4Address, ...]:
    """Every IPv4 address `address` carries, however it is wrapped; empty for plain ones."""
    if isinstance(address, ipaddress.IPv4Address):
        return ()
    translated = translated_ipv4(address)
    if translated:
        return translated
    isatap = isatap_ipv4(address)
    return () if isatap is None else (isatap,)


class EgressRefused(Exception):
    """The URL may not be fetched; `reason` is a short UPPER_SNAKE code, the message says why."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Target:
    """A URL whose address passed the guard; `pinned` requests go to exactly `address`."""

    url: httpx.URL
    address: IPAddress

    def pinned(self) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
        """URL with the checked address as host, the headers and extensions that keep the
        original name for the server (`Host`) and for TLS (SNI and certificate check)."""
        url, host_header, sni = _pinned(self.url, self.address)
        return url, {"Host": host_header}, {} if sni is None else {"sni_hostname": sni}


@functools.lru_cache(maxsize=4096)  # the same endpoint at the same address, delivery after delivery
def _pinned(url: httpx.URL, address: IPAddress) -> tuple[httpx.URL, str, str | None]:
    host = url.host
    port = url.port
    host_header = host if port is None else f"{host}:{port}"
    return url.copy_with(host=str(address)), host_header, host if url.scheme == "https" else None


@functools.lru_cache(maxsize=4096)  # an endpoint's URL is checked at every delivery
def _parse(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise EgressRefused("INVALID_URL", "is not a valid URL") from None
    if parsed.scheme not in _DEFAULT_PORTS:
        raise EgressRefused("INVALID_URL", "must be an http or https URL")
    if not parsed.host:
        raise EgressRefused("INVALID_URL", "must name a host")
    return parsed


@functools.lru_cache(maxsize=4096)
def _literal_address(host: str) -> IPAddress | None:
    """The address a host names literally (`203.0.113.7`, `[2001:db8::1]`), else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


class EgressGuard:
    def __init__(self, allow: Iterable[str] = (), *, resolve_timeout_s: float = 5.0) -> None:
        self.allow: tuple[IPNetwork, ...] = tuple(
            ipaddress.ip_network(cidr, strict=False) for cidr in allow
        )
        self.resolve_timeout_s = resolve_timeout_s

    def address_allowed(self, address: IPAddress) -> bool:
        """Whether Runflow may connect to `address`, by the rules of the module docstring."""
        if address in METADATA_ADDRESSES:
            return False
        if isinstance(address, ipaddress.IPv6Address):
            if address in NAT64_LOCAL_USE:
                return False
            translated = translated_ipv4(address)
            if translated:
                return all(self.address_allowed(carried) for carried in translated)
            isatap = isatap_ipv4(address)
            if isatap is not None and not self.address_allowed(isatap):
                return False
        if any(address in network for network in self.allow):
            return True
        return address.is_global and not address.is_multicast

    def parse(self, url: str) -> httpx.URL:
        """Syntax only: http(s), a host, no fragments of other schemes."""
        return _parse(url)

    async def check(self, url: str) -> Target:
        """Resolve and vet the host; raise `EgressRefused` unless every address is allowed."""
        parsed = self.parse(url)
        return Target(parsed, (await self._vetted_addresses(parsed.host))[0])

    async def check_all(self, urls: Iterable[str]) -> dict[str, Target | EgressRefused]:
        """Each distinct URL vetted as `check` would, the outcome instead of a raise.

        Each distinct host is resolved once, all of them at the same time: a request naming
        a hundred URLs waits about as long as for its slowest host, not for their sum.
        """
        parsed: dict[str, httpx.URL | EgressRefused] = {}
        for url in urls:
            if url not in parsed:
                try:
                    parsed[url] = self.parse(url)
                except EgressRefused as refused:
                    parsed[url] = refused
        hosts = list({url.host for url in parsed.values() if isinstance(url, httpx.URL)})
        answers = await asyncio.gather(*(self._host_outcome(host) for host in hosts))
        by_host = dict(zip(hosts, answers, strict=True))
        outcomes: dict[str, Target | EgressRefused] = {}
        for url, parsed_url in parsed.items():
            if isinstance(parsed_url, EgressRefused):
                outcomes[url] = parsed_url
                continue
            answer = by_host[parsed_url.host]
            outcomes[url] = (
                answer if isinstance(answer, EgressRefused) else Target(parsed_url, answer[0])
            )
        return outcomes

    async def _host_outcome(self, host: str) -> list[IPAddress] | EgressRefused:
        try:
            return await self._vetted_addresses(host)
        except EgressRefused as refused:
            return refused

    async def _vetted_addresses(self, host: str) -> list[IPAddress]:
        addresses = await self._resolve(host)
        for address in addresses:
            if not self.address_allowed(address):
                carried = ", ".join(str(ipv4) for ipv4 in embedded_ipv4(address))
                inside = f" (carrying IPv4 {carried})" if carried else ""
                raise EgressRefused(
                    "ADDRESS_BLOCKED",
                    f"resolves to {address}{inside}, a private, loopback, link-local or "
                    "metadata address that Runflow does not call",
                )
        return addresses

    async def _resolve(self, host: str) -> list[IPAddress]:
        literal = _literal_address(host)
        if literal is not None:
            return [literal]
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.resolve_timeout_s):
                # The answer does not depend on the port: no service lookup.
                infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (OSError, TimeoutError, UnicodeError):
            raise EgressRefused("DNS_FAILED", f"host {host!r} does not resolve") from None
        addresses: list[IPAddress] = []
        for *_, sockaddr in infos:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise EgressRefused("DNS_FAILED", f"host {host!r} does not resolve")
        return addresses
