"""The SSRF guard: which addresses outbound requests may reach, and how they stay pinned."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

import pytest

from runflow.kit.egress import EgressGuard, EgressRefused, Target, embedded_ipv4
from tests.kit.wrapped_addresses import EMBEDDED_LOOPBACK, EMBEDDED_METADATA, LOCAL_USE_NAT64

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
    *(f"http://[{address}]/hook" for address in (EMBEDDED_LOOPBACK + EMBEDDED_METADATA)),
    "http://[::ffff:0:a00:1]/hook",  # IPv4-translated 10.0.0.1
    "http://[2002:c0a8:101::1]/hook",  # 6to4 of 192.168.1.1
    "http://[64:ff9b:1:808:8:808:808:808]/hook",  # local-use NAT64, 8.8.8.8 at every length
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


@pytest.mark.parametrize("address", EMBEDDED_LOOPBACK)
def test_ipv6_carrying_loopback_is_judged_as_loopback(address: str) -> None:
    carrying = ipaddress.ip_address(address)
    assert ipaddress.ip_address("127.0.0.1") in embedded_ipv4(carrying)
    assert not EgressGuard().address_allowed(carrying)
    assert EgressGuard(["127.0.0.0/8"]).address_allowed(carrying)


@pytest.mark.parametrize("address", EMBEDDED_METADATA)
def test_ipv6_carrying_a_metadata_address_stays_refused_whatever_is_allowed(address: str) -> None:
    carrying = ipaddress.ip_address(address)
    assert ipaddress.ip_address("169.254.169.254") in embedded_ipv4(carrying)
    for allow in ([], ["127.0.0.0/8"], ["169.254.0.0/16"], ["0.0.0.0/0", "::/0"]):
        assert not EgressGuard(allow).address_allowed(carrying), allow


@pytest.mark.parametrize("address", LOCAL_USE_NAT64)
def test_local_use_nat64_is_refused_whatever_is_allowed(address: str) -> None:
    """The translator's prefix length decides which IPv4 address it reaches: not knowable."""
    for allow in ([], ["127.0.0.0/8"], ["0.0.0.0/0", "::/0"], ["64:ff9b:1::/48"]):
        assert not EgressGuard(allow).address_allowed(ipaddress.ip_address(address)), allow


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:8.8.8.8",
        "::8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
        "2001:0:808:808::f7f7:f7f7",  # Teredo: server and client 8.8.8.8
        "2a00:1450::200:5efe:808:808",
    ],
)
def test_ipv6_carrying_a_public_ipv4_address_passes(address: str) -> None:
    assert EgressGuard().address_allowed(ipaddress.ip_address(address))


def test_teredo_is_judged_by_its_server_and_its_client() -> None:
    guard = EgressGuard()
    private_server = ipaddress.ip_address("2001:0:a00:1::f7f7:f7f7")  # server 10.0.0.1
    private_client = ipaddress.ip_address("2001:0:808:808::f5ff:fffe")  # client 10.0.0.1
    assert not guard.address_allowed(private_server)
    assert not guard.address_allowed(private_client)


def test_an_opened_ipv6_range_does_not_open_the_ipv4_an_address_carries() -> None:
    guard = EgressGuard(["::/0"])
    assert guard.address_allowed(ipaddress.ip_address("fd12::1"))
    for address in EMBEDDED_LOOPBACK:
        assert not guard.address_allowed(ipaddress.ip_address(address)), address


def test_an_isatap_identifier_does_not_open_a_link_local_address() -> None:
    """ISATAP may follow any prefix: the address must pass as itself too."""
    assert not EgressGuard().address_allowed(ipaddress.ip_address("fe80::5efe:808:808"))


def test_unspecified_and_loopback_ipv6_are_judged_as_themselves() -> None:
    v4_this_network = EgressGuard(["0.0.0.0/8"])
    v6_loopback = EgressGuard(["::1/128"])
    assert not v4_this_network.address_allowed(ipaddress.ip_address("::1"))
    assert not v4_this_network.address_allowed(ipaddress.ip_address("::"))
    assert v6_loopback.address_allowed(ipaddress.ip_address("::1"))
    assert embedded_ipv4(ipaddress.ip_address("::1")) == ()


async def test_the_refusal_names_the_ipv4_address_inside() -> None:
    with pytest.raises(EgressRefused) as refused:
        await EgressGuard().check("http://[64:ff9b::a9fe:a9fe]/")
    assert "64:ff9b::a9fe:a9fe (carrying IPv4 169.254.169.254)" in str(refused.value)


async def test_check_all_gives_each_url_its_own_outcome() -> None:
    urls = [
        "https://93.184.215.14/a.png",
        "https://[64:ff9b::7f00:1]/b.png",
        "ftp://93.184.215.14/c.png",
        "https://no-such-host.invalid/d.png",
        "https://93.184.215.14/a.png",
    ]

    outcomes = await EgressGuard().check_all(urls)

    assert list(outcomes) == urls[:4]
    assert isinstance(outcomes[urls[0]], Target)
    assert [getattr(outcomes[url], "reason", None) for url in urls[1:4]] == [
        "ADDRESS_BLOCKED",
        "INVALID_URL",
        "DNS_FAILED",
    ]


async def test_check_all_resolves_each_distinct_host_once_and_literals_not_at_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real resolver answers; only the questions it is asked are counted."""
    loop = asyncio.get_running_loop()
    real_getaddrinfo = loop.getaddrinfo
    asked: list[str] = []

    async def counted(host: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(host)
        return await real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(loop, "getaddrinfo", counted)
    urls = [f"https://localhost:{8000 + n}/item/{n}.png" for n in range(100)]
    urls += ["https://127.0.0.1/x.png", "https://[::1]/y.png", "http://localhost/hook"]

    outcomes = await EgressGuard(["127.0.0.0/8", "::1/128"]).check_all(urls)

    assert asked == ["localhost"]
    assert all(isinstance(outcome, Target) for outcome in outcomes.values())
