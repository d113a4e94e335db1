"""The dispatcher: claims due runs in chunks, executes them through a provider, and writes
their completions back in chunks.

One dispatcher runs inside `runflow serve` (SQLite or PostgreSQL) and one inside each
`runflow worker` process (PostgreSQL). Its loops:

- claim: fill free slots with a fair chunk of due runs (one transaction per chunk);
- flush: apply finished executions, a chunk per transaction (`apply_completions`);
- heartbeat: renew this worker's leases, publish progress, pick up cancel requests;
- reap: re-queue runs whose worker died (lease expired), or fail them after too many losses;
  fail runs no worker took within their model's `queue_timeout_s` (`NO_WORKER`);
- presence: keep this worker's row in the `workers` table alive and the catalog it knows fresh.

A worker claims only the models its `--models` patterns serve, and no more runs of a model
with a per-worker `concurrency` than that allows (`ClaimScope`).

Nothing is held only in memory: a crash at any point leaves runs `running` with a lease that
expires, and the reaper of any surviving worker puts them back in the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import uuid
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.callbacks.outbox import Outbox
from runflow.catalog.pricing import MissingUsage, price_run
from runflow.db.engine import Database
from runflow.engine.completion import Completion, apply_completions
from runflow.engine.providers import (
    Failed,
    Finished,
    Job,
    Log,
    NodeEvent,
    Progress,
    Provider,
    ProviderEvent,
)
from runflow.engine.queue import (
    EVERY_MODEL,
    ClaimedRun,
    ClaimScope,
    expired_leases,
    lease_runs,
    renew_leases,
    start_batches,
    take_due_runs,
    take_overdue_runs,
)
from runflow.engine.retry import retry_delay
from runflow.engine.runtime import ModelRuntime, load_runtimes
from runflow.kit.clock import utcnow
from runflow.kit.loops import end_loop
from runflow.kit.write_behind import WriteBehind
from runflow.live.changes import announce
from runflow.metrics import instruments as metrics
from runflow.runs.models import FailureStage, Run, RunStatus
from runflow.workers import registry as workers
from runflow.workers.patterns import ModelPatterns

log = structlog.get_logger(__name__)

CLAIM_CHUNK = 500
FLUSH_CHUNK = 500
RUN_NOW_SLICE = 50
# A run whose worker vanished this many times is failed instead of re-queued: it is probably
# what kills the workers.
MAX_LOST_LEASES = 3


@dataclass(frozen=True)
class DispatcherConfig:
    concurrency: int
    lease: timedelta = timedelta(seconds=30)
    poll_interval_s: float = 0.05
    heartbeat_interval_s: float = 1.0
    reap_interval_s: float = 2.0
    presence_interval_s: float = 10.0
    flush_delay_s: float = 0.002
    claim_gather_s: float = 0.01
    retry_base_s: float = 2.0


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Dispatcher:
    def __init__(
        self,
        database: Database,
        provider: Provider,
        config: DispatcherConfig,
        outbox: Outbox,
        *,
        worker_id: str | None = None,
        providers: Mapping[str, Provider] | None = None,
        models: ModelPatterns = ModelPatterns(),
    ) -> None:
        """`provider` runs the built-in models; `providers` the others, by `provider_code`;
        `models` says which models' runs this worker claims."""
        self.database = database
        self.provider = provider
        self._providers: dict[str, Provider] = {"builtin": provider, **(providers or {})}
        self.config = config
        self.outbox = outbox
        self.worker_id = worker_id or new_worker_id()
        self.models = models
        self._runtimes: dict[uuid.UUID, ModelRuntime] = {}
        self._inflight: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._inflight_models: dict[uuid.UUID, uuid.UUID] = {}  # run id → model id
        self._waiting: deque[ClaimedRun] = deque()  # claimed, for the next free slot
        self._claims_ran_now = False  # the last claim with runs had only runs done on the spot
        # Runs done on the spot are written in their claim's transaction (`_claim`).
        self._run_at_claim = True
        self._attempts: dict[uuid.UUID, int] = {}
        self._progress: dict[uuid.UUID, Progress] = {}
        self._completions = WriteBehind(
            self._flush,
            chunk=FLUSH_CHUNK,
            gather_s=config.flush_delay_s,
            retry_after_s=config.poll_interval_s * 10,
        )
        self._wake = asyncio.Event()
        self._slot_freed = asyncio.Event()
        self._stopping = False
        self._stop_requested = asyncio.Event()
        self._loops: list[asyncio.Task[None]] = []
        self._after_org: uuid.UUID | None = None
        # Claim again once half the slots are free (or `claim_gather_s` after the first is).
        self._refill_at = max(1, config.concurrency // 2)
        self._gather_deadline: float | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        async with self.database.transaction(write=False) as session:
            self._runtimes = await load_runtimes(session)
        async with self.database.transaction() as session:
            await workers.register_worker(
                session, self.worker_id, self.models, self.config.concurrency, utcnow()
            )
        self._loops = [
            asyncio.create_task(self._claim_loop(), name="runflow-claim"),
            asyncio.create_task(self._completions.run(), name="runflow-flush"),
            asyncio.create_task(self._heartbeat_loop(), name="runflow-heartbeat"),
            asyncio.create_task(self._reap_loop(), name="runflow-reap"),
            asyncio.create_task(self._presence_loop(), name="runflow-presence"),
        ]
        log.info(
            "dispatcher_started",
            worker_id=self.worker_id,
            concurrency=self.config.concurrency,
            models=",".join(self.models.patterns),
        )

    def stop_claiming(self) -> None:
        """Claim nothing more; what runs goes on (the first step of `stop`)."""
        self._stopping = True
        self._stop_requested.set()
        self._wake.set()
        self._slot_freed.set()

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop claiming, let running work finish for `grace_s`, hand the rest straight back
        to the queue (due at once: no lease to wait out). The loops end between their
        transactions (`end_loop`)."""
        self.stop_claiming()
        if self._inflight:
            await asyncio.wait(list(self._inflight.values()), timeout=grace_s)
        claim_loop, *others = self._loops
        await end_loop(claim_loop, grace_s)  # no run is claimed after this
        now = utcnow()
        handed_back: list[Completion] = []
        for run_id, task in list(self._inflight.items()):
            task.cancel()
            attempt = self._attempts.get(run_id)
            if attempt is not None:
                handed_back.append(Completion(run_id, attempt, RunStatus.QUEUED, now, retry_at=now))
        handed_back.extend(
            Completion(run.id, run.attempt, RunStatus.QUEUED, now, retry_at=now)
            for run in self._waiting
        )
        self._waiting.clear()
        await asyncio.gather(*self._inflight.values(), return_exceptions=True)
        self._completions.stop()
        for loop_task in others:
            await end_loop(loop_task, grace_s)
        await self._completions.drain(handed_back)
        for provider in self._providers.values():
            await provider.close()
        try:
            async with self.database.transaction() as session:
                await workers.deregister_worker(session, self.worker_id)
        except Exception:  # its row is forgotten a day after its last heartbeat anyway
            log.exception("worker_deregister_failed", worker_id=self.worker_id)
        log.info("dispatcher_stopped", worker_id=self.worker_id)

    def wake(self) -> None:
        """New work was queued in this process: claim now instead of at the next poll."""
        self._wake.set()

    # -- claiming and executing --------------------------------------------------------------

    async def _claim_loop(self) -> None:
        while not self._stopping:
            self._start_waiting()
            free = self.config.concurrency - len(self._inflight)
            if free <= 0:
                self._slot_freed.clear()
                if not self._stopping:
                    await self._slot_freed.wait()
                continue
            if free < self._refill_at and await self._more_slots_soon():
                continue
            self._gather_deadline = None
            # Runs done on the spot take no slot: while claims bring only those, claim full
            # chunks. Should such a chunk bring runs that need a slot after all, only as many
            # as there are free slots are leased (`_claim`).
            wanted = CLAIM_CHUNK if self._claims_ran_now else min(free, CLAIM_CHUNK)
            try:
                claimed, waiting, exhausted = await self._claim(wanted)
            except Exception:
                log.exception("claim_failed", worker_id=self.worker_id)
                claimed, waiting, exhausted = [], [], True
                await asyncio.sleep(self.config.poll_interval_s * 10)
            if claimed:
                self._waiting.extend(waiting)
                self._claims_ran_now = not waiting
                self._after_org = claimed[-1].org_id
                self._start_waiting()  # now, not after the wait for more work below
            if exhausted:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.config.poll_interval_s)

    async def _claim(self, wanted: int) -> tuple[list[ClaimedRun], list[ClaimedRun], bool]:
        """Take due runs, do those that can be done on the spot and write their endings, and
        lease as many of the rest as there are free slots, in one transaction; returns the
        runs started, those of them that wait for a slot, and whether the queue ran out (fewer
        due than `wanted`). A run done on the spot is written once, from `queued` to its
        ending.

        The runs taken beyond the free slots are left as they were, queued: leased, they would
        wait here, counted as running, while other workers idle and other orgs' runs queue
        behind them (DESIGN §5), and a stop would have to hand them back (§20).

        Should that transaction fail, the next claim leases the runs it takes (as far as
        there are free slots) and does them after it commits, their endings written as any
        others (`_flush`): a run whose ending cannot be written then fails alone, as it would
        in a slot, and blocks no claim."""
        at_claim = self._run_at_claim
        self._run_at_claim = True
        now = utcnow()
        done: list[Completion] = []
        async with self.database.transaction() as session:
            taken = await take_due_runs(
                session, limit=wanted, now=now, after_org=self._after_org, scope=self._scope()
            )
            exhausted = len(taken) < wanted
            waiting = taken
            if at_claim and taken:
                self._run_at_claim = False  # until this transaction commits
                done, waiting = await self._run_now_or_wait(taken)
            slots = max(0, self.config.concurrency - len(self._inflight) - len(self._waiting))
            if len(waiting) > slots:
                passed = {run.id for run in waiting[slots:]}
                waiting = waiting[:slots]
                taken = [run for run in taken if run.id not in passed]
            await lease_runs(
                session, waiting, worker_id=self.worker_id, lease=self.config.lease, now=now
            )
            await start_batches(session, taken, now)
            if done:
                done = await apply_completions(session, done, self.outbox, at_claim=True)
            await announce(session, _changed_by(waiting))
        self._run_at_claim = True
        if taken:
            metrics.runs_started((self._model_name(run.model_id), run.waited_s) for run in taken)
        if done:
            self.outbox.notify_sender()
            self._count_finished(done)
        if not at_claim:
            completions, waiting = await self._run_now_or_wait(waiting)
            for completion in completions:
                self._completions.put(completion)
        return taken, waiting, exhausted

    def _scope(self) -> ClaimScope:
        """The models this worker may claim now: those it serves, and for those with a
        per-worker concurrency, their free slots."""
        served = None
        if not self.models.serves_everything:
            served = frozenset(
                model_id
                for model_id, runtime in self._runtimes.items()
                if self.models.serves(runtime.name)
            )
        caps = {
            model_id: runtime.concurrency
            for model_id, runtime in self._runtimes.items()
            if runtime.concurrency is not None
        }
        if served is None and not caps:
            return EVERY_MODEL
        held = Counter(self._inflight_models.values())
        held.update(run.model_id for run in self._waiting)
        return ClaimScope(served, {model: max(0, cap - held[model]) for model, cap in caps.items()})

    def _start_waiting(self) -> None:
        while self._waiting and len(self._inflight) < self.config.concurrency:
            run = self._waiting.popleft()
            self._attempts[run.id] = run.attempt
            self._inflight_models[run.id] = run.model_id
            self._inflight[run.id] = asyncio.create_task(self._execute(run))

    def _cancel_waiting(self, run_id: uuid.UUID) -> None:
        """A claimed run that never started ends cancelled as if it had been signalled."""
        for run in self._waiting:
            if run.id == run_id:
                self._waiting.remove(run)
                self._finish(run, _cancelled(run))
                return

    async def _more_slots_soon(self) -> bool:
        """Wait (briefly) for a slot to free: True when one did, so the loop looks again.

        Claiming the moment one slot frees makes chunks of one run, each a transaction and,
        on SQLite, a turn of the one writer; short runs then finish one by one too, and every
        completion chunk is a handful. Waiting up to `claim_gather_s` for half the slots
        keeps both chunks large, and costs long runs at most that delay."""
        if self._gather_deadline is None:
            self._gather_deadline = asyncio.get_running_loop().time() + self.config.claim_gather_s
        remaining = self._gather_deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            self._gather_deadline = None
            return False
        self._slot_freed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._slot_freed.wait(), remaining)
        return True

    async def _runtime(self, model_id: uuid.UUID) -> ModelRuntime:
        if model_id not in self._runtimes:
            async with self.database.transaction(write=False) as session:
                self._runtimes = await load_runtimes(session)
        return self._runtimes[model_id]

    async def _run_now_or_wait(
        self, claimed: list[ClaimedRun]
    ) -> tuple[list[Completion], list[ClaimedRun]]:
        """Runs done on the spot are done here, their endings returned; the rest are returned
        to wait for a slot.

        A whole chunk in one go would hold the event loop for tens of milliseconds: requests
        and the transaction in progress (on SQLite, holding the one writer) would wait that
        long. The loop gets its turn every `RUN_NOW_SLICE` runs."""
        done: list[Completion] = []
        waiting: list[ClaimedRun] = []
        for count, run in enumerate(claimed, start=1):
            completion = self._run_now(run)
            if completion is None:
                waiting.append(run)
            else:
                done.append(completion)
            if count % RUN_NOW_SLICE == 0:
                await asyncio.sleep(0)
        return done, waiting

    def _run_now(self, run: ClaimedRun) -> Completion | None:
        """Done on the spot when the provider can (`Provider.run_now`): its ending if it was."""
        runtime = self._runtimes.get(run.model_id)
        if runtime is None:
            return None  # a model this process has not loaded yet: the task path loads it
        provider = self._providers.get(runtime.provider_code)
        if provider is None:
            return None  # the task path fails it, with the reason
        try:
            events = provider.run_now(self._job(run, runtime))
            if events is None:
                return None
            self._log_started(run)
            completion = self._completion(run, runtime, _Recorded.of(events))
        except Exception as exc:
            completion = self._crashed(run, exc)
        return self._ended(run, completion)

    def _log_started(self, run: ClaimedRun) -> None:
        # Its arguments cost more than the call that drops them: at debug only, as is usual.
        if log.is_enabled_for(logging.DEBUG):
            log.debug(
                "run_started", run_id=str(run.id), attempt=run.attempt, worker_id=self.worker_id
            )

    async def _execute(self, run: ClaimedRun) -> None:
        self._log_started(run)
        try:
            completion = await self._drive(run)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            completion = self._crashed(run, exc)
        finally:
            self._inflight.pop(run.id, None)
            self._inflight_models.pop(run.id, None)
            self._progress.pop(run.id, None)
            self._slot_freed.set()
            runtime = self._runtimes.get(run.model_id)
            if runtime is not None and runtime.concurrency is not None:
                # Its model's next run may start now: claim without waiting for the poll.
                self._wake.set()
        self._attempts.pop(run.id, None)
        self._finish(run, completion)

    def _crashed(self, run: ClaimedRun, exc: Exception) -> Completion:
        log.error("run_crashed", run_id=str(run.id), exc_info=exc)
        return Completion(
            run.id,
            run.attempt,
            RunStatus.FAILED,
            utcnow(),
            failure_code="INTERNAL_ERROR",
            failure_message=f"The worker failed to execute the run ({type(exc).__name__}).",
            failure_stage_code=FailureStage.EXECUTION,
        )

    def _finish(self, run: ClaimedRun, completion: Completion) -> None:
        self._completions.put(self._ended(run, completion))

    @staticmethod
    def _ended(run: ClaimedRun, completion: Completion) -> Completion:
        completion.started_at = run.started_at
        completion.model_id = run.model_id
        return completion

    @staticmethod
    def _job(run: ClaimedRun, runtime: ModelRuntime) -> Job:
        return Job(
            run.id,
            run.attempt,
            run.org_id,
            runtime.name,
            run.input,
            runtime.media_inputs,
            runtime.provider_settings,
        )

    async def _drive(self, run: ClaimedRun) -> Completion:
        runtime = await self._runtime(run.model_id)
        recorded = _Recorded()
        provider = self._providers.get(runtime.provider_code)
        if provider is None:
            recorded.outcome = Failed(
                "MODEL_UNAVAILABLE",
                f"This worker has no {runtime.provider_code!r} provider for {runtime.name}.",
                "dispatch",
            )
            return self._completion(run, runtime, recorded)
        try:
            async with asyncio.timeout(runtime.timeout_s):
                await provider.submit(self._job(run, runtime))
                async for event in provider.events(run.id):
                    if isinstance(event, Progress):
                        self._progress[run.id] = event
                    recorded.add(event)
        except TimeoutError:
            await provider.cancel(run.id)
            recorded.outcome = Failed(
                "TIMEOUT", f"The run exceeded its {runtime.timeout_s:g} s limit."
            )
        return self._completion(run, runtime, recorded)

    def _completion(
        self, run: ClaimedRun, runtime: ModelRuntime, recorded: _Recorded
    ) -> Completion:
        completion = self._outcome(run, runtime, recorded.outcome)
        if completion.failure_message and completion.retry_at is None:
            recorded.logs.append(
                _log_row("error", completion.failure_message, {"code": completion.failure_code})
            )
        completion.logs = recorded.logs
        completion.node_runs = recorded.node_runs
        return completion

    def _outcome(
        self, run: ClaimedRun, runtime: ModelRuntime, outcome: Finished | Failed | None
    ) -> Completion:
        now = utcnow()
        if outcome is None:
            outcome = Failed("INTERNAL_ERROR", "The provider ended the run without an outcome.")
        if isinstance(outcome, Finished):
            try:
                cost, breakdown = price_run(runtime.price_rules, outcome.usage)
            except MissingUsage as exc:
                return Completion(
                    run.id,
                    run.attempt,
                    RunStatus.FAILED,
                    now,
                    failure_code="PRICING_ERROR",
                    failure_message=str(exc),
                    failure_stage_code=FailureStage.OUTPUT,
                )
            return Completion(
                run.id,
                run.attempt,
                RunStatus.SUCCEEDED,
                now,
                output=outcome.output,
                cost=cost,
                cost_breakdown=breakdown,
                nodes_total=outcome.nodes_total,
                nodes_completed=outcome.nodes_completed,
            )
        status = RunStatus.CANCELLED if outcome.code == "CANCELLED" else RunStatus.FAILED
        retry_at = None
        if outcome.retryable and run.attempt <= runtime.max_retries:
            retry_at = now + retry_delay(run.attempt, self.config.retry_base_s)
        return Completion(
            run.id,
            run.attempt,
            status,
            now,
            failure_code=outcome.code,
            failure_message=outcome.message,
            failure_stage_code=outcome.stage,
            nodes_total=outcome.nodes_total,
            nodes_completed=outcome.nodes_completed,
            retry_at=retry_at,
        )

    # -- writing back ------------------------------------------------------------------------

    async def _flush(self, chunk: list[Completion]) -> bool:
        if not chunk:
            return True
        try:
            async with self.database.transaction() as session:
                taken = await apply_completions(session, chunk, self.outbox)
        except Exception:
            log.exception("completion_flush_failed", runs=len(chunk))
            return False
        self.outbox.notify_sender()
        self._count_finished(taken)
        return True

    def _model_name(self, model_id: uuid.UUID | None) -> str:
        runtime = self._runtimes.get(model_id) if model_id is not None else None
        return runtime.name if runtime is not None else "unknown"

    def _count_finished(self, taken: list[Completion]) -> None:
        metrics.runs_finished(
            (
                self._model_name(c.model_id),
                c.status,
                None if c.started_at is None else (c.completed_at - c.started_at).total_seconds(),
            )
            for c in taken
            if c.retry_at is None
        )

    async def _every(self, interval_s: float) -> bool:
        """Wait `interval_s`; False when the dispatcher is stopping instead."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_requested.wait(), interval_s)
        return not self._stopping

    async def _heartbeat_loop(self) -> None:
        while await self._every(self.config.heartbeat_interval_s):
            try:
                await self._heartbeat()
            except Exception:
                log.exception("heartbeat_failed", worker_id=self.worker_id)

    async def _heartbeat(self) -> None:
        if not self._inflight and not self._waiting:
            return  # no leases to renew, no runs to cancel
        progress = [
            {"r_id": run_id, "context": {"progress": round(p.fraction, 4), "message": p.message}}
            for run_id, p in self._progress.items()
        ]
        async with self.database.transaction() as session:
            cancel_requested = await renew_leases(
                session, worker_id=self.worker_id, lease=self.config.lease, now=utcnow()
            )
            if progress:
                await session.execute(_PROGRESS, progress)
                await announce(session, list(self._progress))
        for run_id in cancel_requested:
            if run_id in self._inflight:
                # Cancels are rare: asking every provider spares tracking which one runs it.
                for provider in self._providers.values():
                    await provider.cancel(run_id)
            else:
                self._cancel_waiting(run_id)

    async def _reap_loop(self) -> None:
        while await self._every(self.config.reap_interval_s):
            try:
                await self._reap()
            except Exception:
                log.exception("reap_failed", worker_id=self.worker_id)

    async def _reap(self) -> None:
        now = utcnow()
        async with self.database.transaction() as session:
            expired = await expired_leases(session, now)
            completions = [
                Completion(
                    lease.run_id,
                    lease.attempt,
                    RunStatus.QUEUED,
                    now,
                    retry_at=now,
                    model_id=lease.model_id,
                    logs=[
                        _log_row(
                            "warning",
                            "The worker running this attempt stopped "
                            "responding; the run was re-queued.",
                            None,
                        )
                    ],
                )
                if lease.attempt < MAX_LOST_LEASES
                else Completion(
                    lease.run_id,
                    lease.attempt,
                    RunStatus.FAILED,
                    now,
                    failure_code="WORKER_LOST",
                    failure_message=f"The worker stopped responding {lease.attempt} times.",
                    failure_stage_code=FailureStage.EXECUTION,
                    started_at=lease.started_at,
                    model_id=lease.model_id,
                )
                for lease in expired
            ]
            if completions:
                log.warning("leases_reaped", runs=len(completions), worker_id=self.worker_id)
            overdue = await self._overdue(session, now)
            taken = []
            if completions or overdue:
                taken = await apply_completions(session, completions + overdue, self.outbox)
        self.outbox.notify_sender()
        self._count_finished(taken)

    async def _overdue(self, session: AsyncSession, now: datetime) -> list[Completion]:
        """Runs of models with a `queue_timeout_s` that no worker took in time."""
        timeouts = {
            model_id: runtime.queue_timeout_s
            for model_id, runtime in self._runtimes.items()
            if runtime.queue_timeout_s is not None
        }
        if not timeouts:
            return []
        taken = await take_overdue_runs(
            session,
            worker_id=self.worker_id,
            queue_timeouts=timeouts,
            lease=self.config.lease,
            now=now,
        )
        if taken:
            log.warning("runs_unclaimed", runs=len(taken), worker_id=self.worker_id)
        completions = []
        for run_id, attempt, model_id in taken:
            message = "No worker serving this model took the run within its queue timeout."
            completions.append(
                Completion(
                    run_id,
                    attempt,
                    RunStatus.FAILED,
                    now,
                    failure_code="NO_WORKER",
                    failure_message=message,
                    failure_stage_code=FailureStage.DISPATCH,
                    model_id=model_id,
                    logs=[_log_row("error", message, {"code": "NO_WORKER"})],
                )
            )
        return completions

    async def _presence_loop(self) -> None:
        while await self._every(self.config.presence_interval_s):
            try:
                await self._presence()
            except Exception:
                log.exception("presence_failed", worker_id=self.worker_id)

    async def _presence(self) -> None:
        """Heartbeat this worker's row (again, if it went missing), and reload the catalog:
        models another process registered since, and their caps and queue timeouts."""
        now = utcnow()
        async with self.database.transaction() as session:
            if not await workers.heartbeat_worker(
                session, self.worker_id, len(self._inflight), now
            ):
                await workers.register_worker(
                    session, self.worker_id, self.models, self.config.concurrency, now
                )
            await workers.forget_gone_workers(session, now)
        async with self.database.transaction(write=False) as session:
            self._runtimes = await load_runtimes(session)


_runs_table = Run.__table__
_PROGRESS = (
    update(_runs_table)  # type: ignore[arg-type]
    .where(_runs_table.c.id == bindparam("r_id"), _runs_table.c.status_code == RunStatus.RUNNING)
    .values(context=bindparam("context"))
)


@dataclass
class _Recorded:
    """What a run's events left behind, for its completion."""

    logs: list[dict[str, Any]] = field(default_factory=list)
    node_runs: list[dict[str, Any]] = field(default_factory=list)
    outcome: Finished | Failed | None = None

    @classmethod
    def of(cls, events: list[ProviderEvent]) -> _Recorded:
        recorded = cls()
        for event in events:
            recorded.add(event)
        return recorded

    def add(self, event: ProviderEvent) -> None:
        if isinstance(event, Log):
            self.logs.append(_log_row(event.level, event.message, event.meta))
        elif isinstance(event, NodeEvent):
            self.node_runs.append(event.values)
        elif isinstance(event, Finished | Failed):
            self.outcome = event
        # Progress only matters while a run is in flight: the heartbeat publishes it.


def _changed_by(claimed: list[ClaimedRun]) -> list[uuid.UUID]:
    """The runs a claim started, and their batches."""
    batches = {run.batch_id for run in claimed if run.batch_id is not None}
    return [run.id for run in claimed] + list(batches)


def _cancelled(run: ClaimedRun) -> Completion:
    return Completion(
        run.id,
        run.attempt,
        RunStatus.CANCELLED,
        utcnow(),
        failure_code="CANCELLED",
        failure_message="The run was cancelled.",
        failure_stage_code=FailureStage.EXECUTION,
        logs=[_log_row("error", "The run was cancelled.", {"code": "CANCELLED"})],
    )


def _log_row(level: str, message: str, meta: dict[str, Any] | None) -> dict[str, Any]:
    return {"level_code": level, "message": message, "meta": meta, "timestamp": utcnow()}
