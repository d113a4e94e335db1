"""Callback URLs pointing at private, loopback or metadata addresses are refused when given,
and again at every attempt."""

from __future__ import annotations

import uuid

import httpx
import pytest

from runflow.callbacks.attempt import Outgoing, Verdict, attempt_delivery, delivery_session
from runflow.kit.egress import EgressGuard
from tests.callbacks.receiver import Receiver
from tests.conftest import RowCounts
from tests.kit.wrapped_addresses import EMBEDDED_LOOPBACK, EMBEDDED_METADATA, LOCAL_USE_NAT64

# The test settings open 127.0.0.0/8; these run with the guard fully closed.
closed = pytest.mark.engine(worker_concurrency=0, callback_allow_cidrs=())

REFUSED = [
    "http://127.0.0.1:8080/hook",
    "http://localhost/hook",
    "http://10.0.0.8/hook",
    "http://192.168.0.10/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "https://no-such-host.invalid/hook",
    # IPv4 inside IPv6 (issue 14): IPv4-compatible, NAT64 well-known prefix, 6to4, Teredo,
    # local-use NAT64.
    "http://[::127.0.0.1]/hook",
    "http://[64:ff9b::7f00:1]/hook",
    "http://[64:ff9b::a9fe:a9fe]/hook",
    "http://[2002:7f00:1::]/hook",
    "http://[2001:0:808:808::80ff:fffe]/hook",
    "http://[64:ff9b:1::7f00:1]/hook",
]


@closed
@pytest.mark.parametrize("url", REFUSED)
async def test_batches_with_a_private_callback_url_are_refused_and_nothing_is_written(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts, url: str
) -> None:
    before = await row_counts()
    response = await client.post(
        "/v1/models/runflow/echo/batches",
        json={"input": [{}], "callback_url": url},
        headers=auth,
    )
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "VALIDATION_ERROR"
    assert [e["loc"] for e in error["errors"]] == [["body", "callback_url"]]
    assert await row_counts() == before


@closed
async def test_runs_with_a_metadata_callback_url_are_refused(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    before = await row_counts()
    response = await client.post(
        "/v1/models/runflow/echo/runs",
        json={"input": {}, "callback_url": "http://169.254.169.254/"},
        headers=auth,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "callback_url"]
    assert await row_counts() == before


@pytest.mark.engine(worker_concurrency=0, callback_allow_cidrs=("0.0.0.0/0", "::/0"))
async def test_metadata_addresses_stay_refused_whatever_is_allowed(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    for url in ("http://169.254.169.254/", "http://[fd00:ec2::254]/"):
        response = await client.post(
            "/v1/models/runflow/echo/batches",
            json={"input": [{}], "callback_url": url},
            headers=auth,
        )
        assert response.status_code == 422, url


async def test_metadata_inside_ipv6_is_refused_while_loopback_is_opened(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    """The test settings open 127.0.0.0/8; no wrapping reaches the metadata service."""
    before = await row_counts()
    for address in [*EMBEDDED_METADATA, *LOCAL_USE_NAT64]:
        response = await client.post(
            "/v1/models/runflow/echo/runs",
            json={"input": {}, "callback_url": f"http://[{address}]/latest/meta-data/"},
            headers=auth,
        )
        assert response.status_code == 422, address
        assert response.json()["errors"][0]["loc"] == ["body", "callback_url"]
    assert await row_counts() == before


@pytest.mark.parametrize("address", [*EMBEDDED_LOOPBACK, *EMBEDDED_METADATA, *LOCAL_USE_NAT64])
async def test_an_attempt_to_ipv4_inside_ipv6_is_refused_before_it_connects(
    address: str,
) -> None:
    async with Receiver() as receiver, delivery_session(4, 4) as session:
        url = f"http://[{address}]:{receiver.port}/hook"
        outgoing = Outgoing(uuid.uuid4(), 1, url, b"{}", (), max_attempts=1)
        result = await attempt_delivery(session, EgressGuard(), outgoing, timeout_s=2)

    assert result.verdict is Verdict.GIVE_UP
    assert result.reason_code == "ADDRESS_BLOCKED"
    assert result.status_code is None
    assert receiver.received == []


async def test_every_attempt_checks_the_address_again() -> None:
    """A URL accepted once (loopback allowed then) is refused at the attempt when the guard
    no longer allows it: no request leaves, the refusal is final."""
    async with Receiver() as receiver, delivery_session(4, 4) as session:
        outgoing = Outgoing(uuid.uuid4(), 1, receiver.url(), b"{}", (), max_attempts=1)
        result = await attempt_delivery(session, EgressGuard(), outgoing, timeout_s=2)
        # Generous: the receiver answers at once, but a loaded machine may be slow to run it.
        allowed = await attempt_delivery(
            session, EgressGuard(["127.0.0.0/8"]), outgoing, timeout_s=60
        )

    assert result.verdict is Verdict.GIVE_UP
    assert result.reason_code == "ADDRESS_BLOCKED"
    assert result.status_code is None
    assert allowed.verdict is Verdict.DELIVERED
    assert len(receiver.received) == 1
