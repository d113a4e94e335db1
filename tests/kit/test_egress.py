"""The SSRF guard: which addresses outbound requests may reach, and how they stay pinned."""

from __future__ import annotations

import ipaddress

import pytest

from runflow.kit.egress import EgressGuard, EgressRefused

BLOCKED = [
    "http://127.0.0.1/hook",
    "http://127.1.2.3:8080/hook",
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00:ec2::254]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "http://localhost:8000/hook",
]


@pytest.mark.parametrize("url", BLOCKED)
async def test_private_loopback_link_local_and_metadata_addresses_are_refused(url: str) -> None:
    with pytest.raises(EgressRefused) as refused:
        await EgressGuard().check(url)
    assert refused.value.reason == "ADDRESS_BLOCKED"


@pytest.mark.parametrize(
    "url", ["ftp://8.8.8.8/x", "file:///etc/passwd", "gopher://8.8.8.8/", "http://", "not a url"]
)
async def test_only_http_urls_with_a_host_are_accepted(url: str) -> None:
    with pytest.raises(EgressRefused) as refused:
        await EgressGuard().check(url)
    assert refused.value.reason == "INVALID_URL"


async def test_a_host_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(EgressRefused) as refused:
        await EgressGuard().check("https://no-such-host.invalid/hook")
    assert refused.value.reason == "DNS_FAILED"


async def test_public_addresses_pass_and_the_request_is_pinned_to_the_checked_address() -> None:
    target = await EgressGuard().check("https://93.184.215.14:8443/hooks?x=1")
    url, headers, extensions = target.pinned()
    assert str(url) == "https://93.184.215.14:8443/hooks?x=1"
    assert headers == {"Host": "93.184.215.14:8443"}
    assert extensions == {"sni_hostname": "93.184.215.14"}


async def test_a_resolved_name_is_pinned_with_its_name_kept_for_host_and_tls() -> None:
    target = await EgressGuard(["127.0.0.0/8"]).check("https://localhost/hook")
    url, headers, extensions = target.pinned()
    assert url.host == "127.0.0.1"
    assert headers == {"Host": "localhost"}
    assert extensions == {"sni_hostname": "localhost"}


async def test_allowed_ranges_open_loopback_but_never_metadata() -> None:
    everything = EgressGuard(["0.0.0.0/0", "::/0"])
    await everything.check("http://127.0.0.1:9/hook")
    await everything.check("http://10.1.2.3/hook")
    for metadata in (
        "http://169.254.169.254/",
        "http://[fd00:ec2::254]/",
        "http://100.100.100.200/",
    ):
        with pytest.raises(EgressRefused):
            await everything.check(metadata)


def test_an_ipv4_range_does_not_open_ipv6_loopback_or_mapped_metadata() -> None:
    guard = EgressGuard(["127.0.0.0/8"])
    assert guard.address_allowed(ipaddress.ip_address("127.0.0.1"))
    assert not guard.address_allowed(ipaddress.ip_address("::1"))
    assert not guard.address_allowed(ipaddress.ip_address("::ffff:169.254.169.254"))
