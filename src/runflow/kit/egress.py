"""Outbound HTTP to addresses customers choose (callback URLs, input image URLs): the SSRF guard.

A URL is allowed when its scheme is http(s) and *every* address its host resolves to is public —
not loopback, private, link-local, shared, multicast, reserved or unspecified — unless an
operator opened its range (`RUNFLOW_CALLBACK_ALLOW_CIDRS`). Cloud metadata endpoints stay closed
whatever is opened. The request then connects to the address that was checked (`pinned`), so a
DNS answer that changes between the check and the connection (rebinding) cannot redirect it.
"""

from __future__ import annotations

import asyncio
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

_DEFAULT_PORTS = {"http": 80, "https": 443}


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
        host = self.url.host
        port = self.url.port
        url = self.url.copy_with(host=str(self.address))
        host_header = host if port is None else f"{host}:{port}"
        extensions: dict[str, Any] = {}
        if self.url.scheme == "https":
            extensions["sni_hostname"] = host
        return url, {"Host": host_header}, extensions


class EgressGuard:
    def __init__(self, allow: Iterable[str] = (), *, resolve_timeout_s: float = 5.0) -> None:
        self.allow: tuple[IPNetwork, ...] = tuple(
            ipaddress.ip_network(cidr, strict=False) for cidr in allow
        )
        self.resolve_timeout_s = resolve_timeout_s

    def address_allowed(self, address: IPAddress) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if address in METADATA_ADDRESSES:
            return False
        if any(address in network for network in self.allow):
            return True
        return address.is_global and not address.is_multicast

    def parse(self, url: str) -> httpx.URL:
        """Syntax only: http(s), a host, no fragments of other schemes."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            raise EgressRefused("INVALID_URL", "is not a valid URL") from None
        if parsed.scheme not in _DEFAULT_PORTS:
            raise EgressRefused("INVALID_URL", "must be an http or https URL")
        if not parsed.host:
            raise EgressRefused("INVALID_URL", "must name a host")
        return parsed

    async def check(self, url: str) -> Target:
        """Resolve and vet the host; raise `EgressRefused` unless every address is allowed."""
        parsed = self.parse(url)
        port = parsed.port or _DEFAULT_PORTS[parsed.scheme]
        addresses = await self._resolve(parsed.host, port)
        for address in addresses:
            if not self.address_allowed(address):
                raise EgressRefused(
                    "ADDRESS_BLOCKED",
                    f"resolves to {address}, a private, loopback, link-local or metadata "
                    "address that Runflow does not call",
                )
        return Target(parsed, addresses[0])

    async def _resolve(self, host: str, port: int) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.resolve_timeout_s):
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
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
