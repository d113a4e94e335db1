"""The sender of batch and run callbacks and of webhook endpoints' events: claims due
deliveries in chunks (callbacks first), runs each attempt as its own task over kept-alive
connections, and records the results in chunks. Endpoints' deliveries written in this process
need no claim: the outbox hands them over leased (`callbacks/outbox.py`), and they wait here
for a slot of their endpoint.

Every attempt is a separate task bounded by the callback timeout, so a receiver that hangs
holds one slot, never the others; an endpoint with `per_host` deliveries in flight gets no more
until half have ended, so it cannot take the slots of the rest. Nothing is held only in memory:
a sender that dies leaves leased deliveries whose lease runs out, and any sender then records
the lost attempt and tries again with the same `webhook-id`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

import aiohttp
import structlog

from runflow.callbacks.attempt import (
    AttemptResult,
    Outgoing,
    Verdict,
    attempt_delivery,
    delivery_session,
)
from runflow.callbacks.outbox import SENDERS_CHANNEL
from runflow.callbacks.policy import RetryPolicy
from runflow.callbacks.queue import any_due, claim_due_deliveries, record_attempts
from runflow.db import notifications
from runflow.db.engine import Database
from runflow.kit.clock import utcnow
from runflow.kit.egress import EgressGuard
from runflow.kit.loops import end_loop
from runflow.kit.write_behind import WriteBehind
from runflow.metrics import instruments as metrics
from runflow.webhooks import event_log
from runflow.webhooks.health import EndpointHealth

log = structlog.get_logger(__name__)

# How long a stopping sender's loops may take to reach the end of the transaction they are in.
LOOP_END_S = 5.0


@dataclass(frozen=True)
class SenderConfig:
    concurrency: int = 256
    # Connections to one receiving host, and deliveries in flight to one endpoint.
    per_host: int = 32
    claim_chunk: int = 100
    record_chunk: int = 500
    poll_interval_s: float = 0.5
    # Results gathered this long before they are recorded: fewer, larger transactions.
    record_delay_s: float = 0.05
    prune_interval_s: float = 3600.0


class CallbackSender:
    def __init__(
        self,
        database: Database,
        policy: RetryPolicy,
        guard: EgressGuard,
        config: SenderConfig | None = None,
        *,
        health: EndpointHealth | None = None,
    ) -> None:
        self.database = database
        self.policy = policy
        self.guard = guard
        self.config = config or SenderConfig()
        self.health = health
        # An attempt is bounded by the timeout; twice that plus a margin covers recording it.
        self.lease = timedelta(seconds=2 * policy.timeout_s + 5)
        self._session: aiohttp.ClientSession | None = None
        self._inflight: dict[asyncio.Task[None], Outgoing] = {}
        self._per_endpoint: Counter[uuid.UUID] = Counter()
        self._busy: set[uuid.UUID] = set()
        # Endpoints a claim of the endpoints' lane left out (busy, or with deliveries waiting
        # here): once they are neither, a claim takes up what it may have skipped.
        self._passed_over: set[uuid.UUID] = set()
        # Handed-over deliveries waiting for a slot of their endpoint, each with the monotonic
        # time by which it must start: its lease must outlast the attempt. Oldest first.
        self._waiting: dict[uuid.UUID, deque[tuple[Outgoing, float]]] = {}
        self._start_within_s = self.lease.total_seconds() - policy.timeout_s - 2
        # Each endpoint's typical attempt time here, which bounds how many it is handed.
        self._latency_s: dict[uuid.UUID, float] = {}
        self._results = WriteBehind(
            self._record,
            chunk=self.config.record_chunk,
            gather_s=self.config.record_delay_s,
            retry_after_s=self.config.poll_interval_s,
        )
        self._wake = asyncio.Event()
        self._events_written = False
        self._events_claimed_at = 0.0  # monotonic
        self._slot_freed = asyncio.Event()
        self._stopping = False
        self._loops: list[asyncio.Task[None]] = []
        self._pruner: asyncio.Task[None] | None = None
        self._listening = contextlib.AsyncExitStack()

    async def start(self) -> None:
        self._session = delivery_session(self.config.concurrency, self.config.per_host)
        # Deliveries other processes write wake this sender at once (PostgreSQL; elsewhere
        # they are all written here). Reconnected, it claims both lanes: a wake may be lost.
        url = self.database.engine.url.render_as_string(hide_password=False)
        await self._listening.enter_async_context(
            notifications.listening(
                url,
                SENDERS_CHANNEL,
                lambda lane: self.wake(events=lane == "events"),
                lambda: self.wake(events=True),
            )
        )
        self._loops = [
            asyncio.create_task(self._claim_loop(), name="runflow-callback-claim"),
            asyncio.create_task(self._results.run(), name="runflow-callback-record"),
        ]
        self._pruner = asyncio.create_task(self._prune_loop(), name="runflow-event-prune")

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop claiming, give attempts in flight `grace_s` (what is left of the process's
        `RUNFLOW_SHUTDOWN_GRACE_S`), record the rest as interrupted: due again at once, with
        the same `webhook-id`."""
        # Nothing starts once this is set, whatever the awaits below let run meanwhile.
        self._stopping = True
        self._wake.set()
        self._slot_freed.set()
        await self._listening.aclose()
        if self._inflight:
            await asyncio.wait(list(self._inflight), timeout=grace_s)
        if self._pruner is not None:
            self._pruner.cancel()
        claim_loop, record_loop = self._loops
        # Asked to stop, the loops end at their next turn, between transactions: the grace
        # is the attempts', and a loop is cancelled only if the database holds it up.
        await end_loop(claim_loop, LOOP_END_S)  # nothing is claimed after this
        interrupted = [
            _interrupted(outgoing) for task, outgoing in self._inflight.items() if not task.done()
        ]
        interrupted += [_unsent(outgoing) for outgoing, _ in self._take_waiting()]
        for task in list(self._inflight):
            task.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)
        self._results.stop()
        await end_loop(record_loop, LOOP_END_S)
        await self._results.drain(interrupted)
        if self._session is not None:
            await self._session.close()

    def wake(self, *, events: bool = True) -> None:
        """A delivery was just committed in this process: claim now, not at the next poll.
        Without `events` (only batch and run callbacks were written) that claim leaves the
        endpoints' lane to the next poll, as for deliveries other processes write."""
        self._events_written = self._events_written or events
        self._wake.set()

    def allowance(self, endpoint_id: uuid.UUID) -> int:
        """How many more of an endpoint's deliveries can wait here and still start within
        their lease, at the endpoint's pace so far: `per_host` at a time, each taking its
        typical time (the timeout, for an endpoint not yet tried here); half that, for margin."""
        if self._stopping:
            return 0
        latency_s = max(self._latency_s.get(endpoint_id, self.policy.timeout_s), 0.001)
        fits = int(self.config.per_host * self._start_within_s / latency_s / 2)
        return max(0, fits - len(self._waiting.get(endpoint_id, ())))

    def hand_off(self, outgoing: Sequence[Outgoing]) -> None:
        """Committed deliveries leased for their first attempt (`Outbox`): sent as their
        endpoints' slots free up, in order; given back unsent if that takes too long."""
        if self._stopping:
            for handed in outgoing:
                self._results.put(_unsent(handed))
            return
        start_by = time.monotonic() + self._start_within_s
        for handed in outgoing:
            assert handed.endpoint_id is not None
            self._waiting.setdefault(handed.endpoint_id, deque()).append((handed, start_by))
        self._start_waiting()

    def _start_waiting(self) -> None:
        """Start waiting deliveries while their endpoints and the sender have free slots;
        give back those that waited past their time. None start once stopping: `stop` gives
        back what still waits."""
        if self._stopping:
            return
        now = time.monotonic()
        for endpoint_id in list(self._waiting):
            waiting = self._waiting[endpoint_id]
            late = 0
            while waiting and waiting[0][1] < now:
                self._results.put(_unsent(waiting.popleft()[0]))
                late += 1
            if late:
                log.warning("handed_deliveries_given_back", endpoint_id=str(endpoint_id), n=late)
            while (
                waiting
                and self._per_endpoint[endpoint_id] < self.config.per_host
                and len(self._inflight) < self.config.concurrency
            ):
                self._launch(waiting.popleft()[0])
            if not waiting:
                del self._waiting[endpoint_id]
                self._claim_passed_over(endpoint_id)

    def _take_waiting(self) -> list[tuple[Outgoing, float]]:
        taken = [entry for waiting in self._waiting.values() for entry in waiting]
        self._waiting.clear()
        return taken

    def _launch(self, outgoing: Outgoing) -> None:
        task = asyncio.create_task(self._attempt(outgoing))
        self._inflight[task] = outgoing
        self._track(outgoing)
        task.add_done_callback(self._release)

    async def _claim_loop(self) -> None:
        while not self._stopping:
            self._start_waiting()  # also gives back, at least every poll, what waited too long
            free = self.config.concurrency - len(self._inflight)
            if free <= 0:
                self._slot_freed.clear()
                if not self._stopping:
                    await self._slot_freed.wait()
                continue
            wanted = min(free, self.config.claim_chunk)
            woken = self._wake.is_set()
            self._wake.clear()
            # Every batch that ends wakes the sender for its callback: the endpoints' lane
            # is claimed too when events were written here, or once per poll interval (so
            # other processes' events never wait longer than they would without wakes).
            now = time.monotonic()
            events = not woken or self._events_written
            if now - self._events_claimed_at >= self.config.poll_interval_s:
                events = True
            if events:
                self._events_written = False
                self._events_claimed_at = now
                self._passed_over |= self._left_out()
            try:
                claimed = await self._claim(wanted, surely_due=woken, events=events)
            except Exception:
                log.exception("callback_claim_failed")
                claimed = []
            for outgoing in claimed:
                # A stop that began during the claim waits for none of these: they go back
                # unsent, due at once, rather than start only to be cut off.
                if self._stopping:
                    self._results.put(_unsent(outgoing))
                else:
                    self._launch(outgoing)
            if len(claimed) < wanted:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.config.poll_interval_s)

    async def _claim(self, wanted: int, *, surely_due: bool, events: bool) -> list[Outgoing]:
        """`surely_due`: this process just wrote a delivery, so the cheap look for due ones
        that saves a poll from taking SQLite's write lock can be skipped."""
        now = utcnow()
        if not surely_due:
            async with self.database.transaction(write=False) as session:
                if not await any_due(session, now):
                    return []
        async with self.database.transaction() as session:
            return await claim_due_deliveries(
                session,
                limit=wanted,
                now=now,
                lease=self.lease,
                busy=self._left_out(),
                events=events,
            )

    def _left_out(self) -> set[uuid.UUID]:
        """Endpoints with `per_host` deliveries in flight here: claiming more of theirs would
        only queue them, holding slots an endpoint that answers could use. Once busy, an
        endpoint stays so until half of those have ended, so its next claim takes many.
        Endpoints with handed-over deliveries waiting here send those first."""
        self._busy |= {
            endpoint_id
            for endpoint_id, n in self._per_endpoint.items()
            if n >= self.config.per_host
        }
        return self._busy | self._waiting.keys()

    def _track(self, outgoing: Outgoing) -> None:
        if outgoing.endpoint_id is not None:
            self._per_endpoint[outgoing.endpoint_id] += 1

    def _release(self, task: asyncio.Task[None]) -> None:
        outgoing = self._inflight.pop(task, None)
        self._slot_freed.set()
        endpoint_id = outgoing.endpoint_id if outgoing is not None else None
        if endpoint_id is not None:
            self._per_endpoint[endpoint_id] -= 1
            if self._per_endpoint[endpoint_id] <= 0:
                del self._per_endpoint[endpoint_id]
        if self._waiting:
            self._start_waiting()
        if (
            endpoint_id in self._busy
            and self._per_endpoint[endpoint_id] <= self.config.per_host // 2
        ):
            self._busy.discard(endpoint_id)
            # Claimed in chunks larger than `per_host`, a busy endpoint mostly has more due:
            # claim now, whether or not a claim passed it over (waiting for one to do so
            # sent 10 % fewer events a second on SQLite, when it claimed every delivery).
            self._passed_over.discard(endpoint_id)
            self.wake(events=True)

    def _claim_passed_over(self, endpoint_id: uuid.UUID) -> None:
        """The endpoint's handed-over deliveries have all started: if a claim left it out
        meanwhile, claim now what that one skipped (written elsewhere, given back, due
        again). Otherwise nothing was skipped, and a claim would find nothing: a chunk's
        worth empties the endpoint's queue here every few milliseconds."""
        if endpoint_id in self._passed_over and endpoint_id not in self._left_out():
            self._passed_over.discard(endpoint_id)
            self.wake(events=True)

    async def _attempt(self, outgoing: Outgoing) -> None:
        assert self._session is not None
        result = await attempt_delivery(
            self._session, self.guard, outgoing, timeout_s=self.policy.timeout_s
        )
        if outgoing.endpoint_id is not None:
            self._observe_latency(outgoing.endpoint_id, result)
        # Delivered attempts at debug: at thousands a second the log line would cost a sixth
        # of the attempt, and the attempt history and `/metrics` record every one anyway.
        level = logging.DEBUG if result.verdict is Verdict.DELIVERED else logging.INFO
        if log.is_enabled_for(level):
            log.log(
                level,
                "callback_attempted",
                delivery_id=str(outgoing.delivery_id),
                attempt=outgoing.attempt_number,
                verdict=result.verdict,
                status_code=result.status_code,
                reason=result.reason_code,
            )
        outcome = result.verdict
        if outcome is Verdict.RETRY and outgoing.attempt_number >= outgoing.max_attempts:
            outcome = Verdict.GIVE_UP  # no retry left: the delivery fails for good
        metrics.delivery_attempted(
            "endpoint" if outgoing.endpoint_id is not None else "callback",
            outcome,
            None if result.response_time_ms is None else result.response_time_ms / 1000,
        )
        self._results.put(result)

    def _observe_latency(self, endpoint_id: uuid.UUID, result: AttemptResult) -> None:
        """A moving average of the endpoint's attempt times; one that failed without an
        answer counts as the whole timeout."""
        if result.status_code is None or result.response_time_ms is None:
            taken_s = self.policy.timeout_s
        else:
            taken_s = result.response_time_ms / 1000
        before = self._latency_s.get(endpoint_id)
        self._latency_s[endpoint_id] = taken_s if before is None else 0.8 * before + 0.2 * taken_s

    async def _record(self, chunk: list[AttemptResult]) -> bool:
        if not chunk:
            return True
        try:
            async with self.database.transaction() as session:
                await record_attempts(session, chunk, self.policy, utcnow(), self.health)
        except Exception:
            log.exception("callback_record_failed", attempts=len(chunk))
            return False
        if any(result.verdict is Verdict.UNSENT for result in chunk):
            self.wake(events=True)  # given back: due now
        return True

    async def _prune_loop(self) -> None:
        """Events past their retention go, with their deliveries; any sender may do it."""
        while True:
            try:
                async with self.database.transaction() as session:
                    pruned = await event_log.prune(session, utcnow())
                if pruned:
                    log.info("events_pruned", events=pruned)
            except Exception:
                log.exception("event_prune_failed")
            await asyncio.sleep(self.config.prune_interval_s)


def _interrupted(outgoing: Outgoing) -> AttemptResult:
    """An attempt cut off by shutdown: on record, and due again at once (same webhook-id)."""
    return replace(
        AttemptResult(outgoing.delivery_id, outgoing.attempt_number, utcnow(), Verdict.RETRY),
        reason_code="INTERRUPTED",
        error_message="The sender shut down before the receiver answered.",
        retry_after=timedelta(0),
        signing_secret_id=outgoing.secrets[0][0] if outgoing.secrets else None,
    )


def _unsent(outgoing: Outgoing) -> AttemptResult:
    """A delivery held here but never started (handed over, or claimed as the sender
    stopped): its lease given back, due again at once."""
    return AttemptResult(outgoing.delivery_id, outgoing.attempt_number, utcnow(), Verdict.UNSENT)
