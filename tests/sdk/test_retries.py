"""Retries, timeouts and resumption, against real servers: `runflow serve` behind a relay that
loses answers or cuts streams, a restarted `runflow serve`, and a scripted HTTP server for the
statuses Runflow itself does not send on demand (429, 5xx)."""

from __future__ import annotations

import json
import re
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from runflow_sdk import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    InternalServerError,
    RateLimitError,
    Runflow,
    _retries,
)

from tests.callbacks.receiver import Receiver, Reply
from tests.sdk.relay import Relay
from tests.served import (
    BOOTSTRAP_KEY,
    Server,
    restart_server,
    start_server,
    stop_server,
    wait_until_ready,
)

ECHO = "runflow/echo"


@pytest.fixture
def relay(server: Server) -> Iterator[Relay]:
    port = int(server.base_url.rsplit(":", 1)[1])
    relaying = Relay(port)
    yield relaying
    relaying.close()


def _idempotency_key(request: bytes | bytearray) -> str:
    for line in request.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.lower() == b"idempotency-key":
            return value.strip().decode()
    raise AssertionError("no Idempotency-Key header")


def _runs_with_prefix(client: Runflow, prefix: str) -> int:
    return sum(1 for _ in client.runs.list(q=f'client_ref = "{prefix}*"'))


def test_a_create_whose_answer_was_lost_is_retried_and_not_duplicated(
    relay: Relay, client: Runflow
) -> None:
    marker = uuid.uuid4().hex
    relay.lose_answers = 1
    with Runflow(api_key=BOOTSTRAP_KEY, base_url=relay.base_url, max_retries=3) as through:
        created = through.batches.create(
            ECHO, input=[{"message": "x", "client_ref": f"{marker}-{i}"} for i in range(3)]
        )
    posts = [request for request in relay.requests if request.startswith(b"POST")]
    assert len(posts) == 2  # the first reached the server; its answer did not come back
    assert _idempotency_key(posts[0]) == _idempotency_key(posts[1])
    assert created.items_total == 3
    assert _runs_with_prefix(client, marker) == 3  # one batch, not two


def test_a_post_without_an_idempotency_key_is_not_repeated_after_a_lost_answer(
    relay: Relay,
) -> None:
    relay.lose_answers = 1
    with (
        Runflow(api_key=BOOTSTRAP_KEY, base_url=relay.base_url, max_retries=3) as through,
        pytest.raises(APIConnectionError),
    ):
        through.webhooks.rotate_signing_secret()  # rotating twice is not the same as once
    assert len(relay.requests) == 1


def test_a_cut_event_stream_resumes_from_the_last_event(relay: Relay, client: Runflow) -> None:
    created = client.batches.create(
        ECHO, input=[{"message": f"m{i}", "delay_ms": 300 + 100 * i} for i in range(6)]
    )
    relay.cut_stream_after_first_event = True
    with Runflow(api_key=BOOTSTRAP_KEY, base_url=relay.base_url, max_retries=3) as through:
        events = list(through.batches.events(created.id))

    assert events[0].event == "snapshot"
    assert events[-1].terminal
    assert events[-1].event == "batch.succeeded"
    streams = [request for request in relay.requests if b"/events" in request]
    assert len(streams) == 2
    resumed_from = f"last-event-id: {events[0].id}".encode()
    assert resumed_from in bytes(streams[1]).lower()
    ended_in_snapshot = {
        item["sequence_index"]
        for item in events[0].data["items"]
        if item["status_code"] in {"succeeded", "failed", "cancelled"}
    }
    sent = [event.data["sequence_index"] for event in events if event.event == "item"]
    assert len(sent) == len(set(sent))  # nothing twice
    assert ended_in_snapshot.isdisjoint(sent)
    assert ended_in_snapshot | set(sent) == set(range(6))  # nothing lost


def test_a_create_sent_while_the_server_restarts_lands_once(tmp_path: Path) -> None:
    data_dir, logs_dir = tmp_path / "data", tmp_path / "logs"
    logs_dir.mkdir()
    first = start_server(data_dir, logs_dir)
    wait_until_ready(first)
    stop_server(first)
    marker = uuid.uuid4().hex
    outcome: list[object] = []

    def create() -> None:
        with Runflow(api_key=BOOTSTRAP_KEY, base_url=first.base_url, max_retries=12) as client:
            try:
                outcome.append(
                    client.batches.create(ECHO, input=[{"message": "x", "client_ref": marker}])
                )
            except Exception as exc:
                outcome.append(exc)

    caller = threading.Thread(target=create)
    caller.start()  # refused while the server is down: backs off and tries again
    second = restart_server(first)
    try:
        wait_until_ready(second)
        caller.join(timeout=120)
        assert not caller.is_alive()
        with Runflow(api_key=BOOTSTRAP_KEY, base_url=second.base_url) as client:
            assert _runs_with_prefix(client, marker) == 1
    finally:
        stop_server(second)
    assert len(outcome) == 1
    assert not isinstance(outcome[0], Exception), outcome


# Statuses and failures Runflow does not produce on demand, from a scripted HTTP server.


def _envelope(code: str) -> bytes:
    return json.dumps({"code": code, "message": f"scripted {code}", "errors": None}).encode()


async def test_429_is_retried_after_retry_after_then_succeeds() -> None:
    async with Receiver(
        default=Reply(200, {"content-type": "application/json"}, b'{"status": "ok"}')
    ) as server:
        server.script(
            Reply(
                429,
                {"retry-after": "0", "content-type": "application/json"},
                _envelope("RATE_LIMITED"),
            )
        )
        with Runflow(api_key="rf_k", base_url=f"http://127.0.0.1:{server.port}") as client:
            health = client.status.health()
    assert health.status == "ok"
    assert len(server.received) == 2


async def test_retries_run_out_into_the_status_error() -> None:
    async with Receiver(
        default=Reply(429, {"retry-after": "0"}, _envelope("RATE_LIMITED"))
    ) as server:
        with (
            Runflow(
                api_key="rf_k", base_url=f"http://127.0.0.1:{server.port}", max_retries=2
            ) as client,
            pytest.raises(RateLimitError) as raised,
        ):
            client.account.get()
    assert raised.value.code == "RATE_LIMITED"
    assert len(server.received) == 3  # the call and two retries


async def test_5xx_is_retried_for_reads_and_keyed_creates_only() -> None:
    async with Receiver(default=Reply(500, {}, _envelope("INTERNAL_ERROR"))) as server:
        base_url = f"http://127.0.0.1:{server.port}"
        with Runflow(api_key="rf_k", base_url=base_url, max_retries=1) as client:
            with pytest.raises(InternalServerError):
                client.batches.create(ECHO, input=[{"message": "x"}])
            assert len(server.received) == 2
            keys = {request.headers["idempotency-key"] for request in server.received}
            assert len(keys) == 1  # one key for the call and its retry
            with pytest.raises(InternalServerError):
                client.webhooks.rotate_signing_secret()
            assert len(server.received) == 3  # a POST without a key is not repeated


async def test_an_authentication_error_is_not_retried() -> None:
    async with Receiver(default=Reply(401, {}, _envelope("UNAUTHORIZED"))) as server:
        with (
            Runflow(
                api_key="rf_k", base_url=f"http://127.0.0.1:{server.port}", max_retries=5
            ) as client,
            pytest.raises(AuthenticationError),
        ):
            client.account.get()
    assert len(server.received) == 1


async def test_a_hanging_server_is_a_timeout_after_the_retries() -> None:
    async with Receiver(default=Reply(200, {}, b"{}", delay_s=600)) as server:
        base_url = f"http://127.0.0.1:{server.port}"
        with (
            Runflow(api_key="rf_k", base_url=base_url, timeout=0.3, max_retries=1) as client,
            pytest.raises(APITimeoutError),
        ):
            client.account.get()
    assert len(server.received) == 2


def test_an_unreachable_server_is_a_connection_error_after_the_retries() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []

    def hang_up() -> None:  # accepts and closes at once: a server that is not there
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            connection.close()

    threading.Thread(target=hang_up, daemon=True).start()
    base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        with (
            Runflow(api_key="rf_k", base_url=base_url, max_retries=2) as client,
            pytest.raises(APIConnectionError),
        ):
            client.account.get()
    finally:
        listener.close()
    assert len(accepted) == 3


def test_backoff_is_bounded_and_honours_retry_after() -> None:
    def answer(retry_after: str) -> httpx.Response:
        return httpx.Response(429, headers={"retry-after": retry_after})

    assert _retries.delay_s(0, answer("3")) == 3.0
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    assert 15 < _retries.delay_s(0, answer(soon)) <= 20
    for attempt in range(20):  # a Retry-After too long or unreadable falls back to backoff
        for response in (None, answer("3600"), answer("soon")):
            assert 0 < _retries.delay_s(attempt, response) <= _retries.MAX_DELAY_S


def test_wait_polls_when_the_stream_cannot_be_read(relay: Relay, client: Runflow) -> None:
    # Slow enough to be running when wait() starts, however loaded the machine.
    created = client.batches.create(
        ECHO, input=[{"message": f"m{i}", "delay_ms": 3000} for i in range(3)]
    )
    relay.cut_stream_after_first_event = True
    with Runflow(api_key=BOOTSTRAP_KEY, base_url=relay.base_url, max_retries=0) as through:
        ended = through.batches.wait(created.id, poll_interval=0.1)

    assert ended.status_code == "succeeded"
    # Requests in the order sent (a connection may carry several, kept alive).
    asked = [path for request in relay.requests for path in re.findall(rb"GET (\S+) HTTP", request)]
    stream_at = asked.index(f"/v1/batches/{created.id}/events".encode())
    polled = asked[stream_at + 1 :]
    assert polled  # after the cut stream, the batch was read by polling
    assert set(polled) == {f"/v1/batches/{created.id}".encode()}
