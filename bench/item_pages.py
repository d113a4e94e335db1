"""Latency of `GET /v1/batches/{id}/items`: page 1 against page 10,000 (limit 100) of a batch of
1,000,000 items, on SQLite and on PostgreSQL (issue 5: deep page ≤ 1.5× the first page).

Each backend gets a fresh database, migrated and seeded the way `runflow migrate` does it, an
org/user/API key made by `auth.service.issue_key` (as `runflow keys create` and the tests do),
one batch of the built-in `echo` model and N items with their runs, bulk-loaded under the API
(asyncpg COPY on PostgreSQL, sqlite3 executemany of values encoded by SQLAlchemy's own bind
processors on SQLite), then ANALYZEd. About 1% of the runs failed with `TIMEOUT`, the rest
succeeded with a cost, timestamps and small JSON input/output. The batch row keeps the input
of its first `MAX_ITEMS` items only: the API caps a batch at that, and the list reads that row.

`runflow serve` (uvicorn, engine off) then answers on loopback; one keep-alive client times,
after a warm-up, `REQUESTS` requests of page 1 and of the deep page in alternation, for: no `q`
(page 10,000 starts at sequence_index 999,900); `q=status_code = failed` (~1% of the items) with
its deep page starting at the first failed item past 99.9% of the batch, and again with its last
full page; and `embed=run`. Deep cursors are made with the app's `CursorCodec` and its stored
secret; one is checked against the `next` cursor the server itself returns for the page before
it, and every timed page's first item is checked.

    .venv/bin/python -m bench.item_pages --items 20000            # quick try
    .venv/bin/python -m bench.item_pages                          # 1,000,000, both backends
    .venv/bin/python -m bench.item_pages --backend sqlite --explain

`--explain` prints each page statement as the endpoint issues it (captured from a call of
`list_items`), its plan (EXPLAIN ANALYZE / EXPLAIN QUERY PLAN) and its time in the database;
variants that miss the target get this automatically.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import Table, event
from sqlalchemy.engine import Dialect

from bench.processes import free_port, start, stop, wait_ready
from runflow.auth import service as auth_service
from runflow.auth.dependencies import Principal
from runflow.auth.roles import Role
from runflow.batches.items import ITEMS, list_items
from runflow.batches.models import Batch, BatchItem, BatchStatus
from runflow.batches.schemas import MAX_ITEMS
from runflow.bootstrap import prepare_database
from runflow.catalog import repository as catalog
from runflow.catalog.builtin import BUILTIN_OWNER
from runflow.config import Settings
from runflow.db.engine import Database
from runflow.engine.models import RunLog
from runflow.keyring.service import CURSOR_SECRET, service_secret
from runflow.kit.ids import new_id
from runflow.kit.money import to_nanos
from runflow.query.cursor import CursorCodec
from runflow.query.listing import ListParams
from runflow.runs.models import FailureStage, Run, RunStatus

LIMIT = 100
DEEP_PAGE = 10_000
REQUESTS = 30
WARMUP = 3
FAILED_SHARE = 0.01
TARGET = 1.5
CHUNK = 50_000
SEED = 5
PRICE = Decimal("0.0001")
TIMEOUT_S = 900
Q_FAILED = "status_code = failed"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "runflow_bench_pages"

RUNS: Table = Run.__table__  # type: ignore[assignment]
ITEMS_TABLE: Table = BatchItem.__table__  # type: ignore[assignment]
LOGS: Table = RunLog.__table__  # type: ignore[assignment]

RUN_COLUMNS = (
    "id",
    "org_id",
    "model_id",
    "batch_id",
    "target_type",
    "target_version",
    "status_code",
    "source_code",
    "input",
    "output",
    "duration_ms",
    "cost",
    "cost_breakdown",
    "client_ref",
    "failure_code",
    "failure_message",
    "failure_stage_code",
    "created_by",
    "started_at",
    "completed_at",
    "attempt",
    "available_at",
    "created_at",
)
ITEM_COLUMNS = ("id", "batch_id", "sequence_index", "run_id", "client_ref", "created_at")
LOG_COLUMNS = ("id", "run_id", "level_code", "message", "timestamp", "meta")


# ---------------------------------------------------------------------------------------------
# The data


@dataclass
class Fixture:
    """What the load made, and what the measurements need to know about it."""

    org_id: uuid.UUID
    user_id: uuid.UUID
    api_key_id: uuid.UUID
    token: str
    model_id: uuid.UUID
    model_version: str | None
    batch_id: uuid.UUID
    cursor_secret: str
    created_at: datetime
    failed: list[int] = field(default_factory=list)  # sequence indexes of the failed items


Rows = list[tuple[Any, ...]]


def generate(fixture: Fixture, n: int) -> Iterator[tuple[Rows, Rows, Rows]]:
    """(runs, items, logs) in chunks, as Python values in `*_COLUMNS` order; deterministic."""
    rng = random.Random(SEED)
    breakdown = {
        "currency_code": "USD",
        "lines": [
            {
                "rule_id": "per_run",
                "description": "Flat price per successful run.",
                "quantity": "1",
                "unit_code": "run",
                "unit_price": "0.0001",
                "amount": "0.0001",
            }
        ],
        "total": "0.0001",
    }
    timeout_message = f"The run exceeded its {TIMEOUT_S} s limit."
    t0 = fixture.created_at
    for first in range(0, n, CHUNK):
        runs: Rows = []
        items: Rows = []
        logs: Rows = []
        for i in range(first, min(first + CHUNK, n)):
            run_id = new_id()
            message = f"item {i}"
            started = t0 + timedelta(milliseconds=2 * i + rng.randint(1, 50))
            if rng.random() < FAILED_SHARE:
                fixture.failed.append(i)
                completed = started + timedelta(seconds=TIMEOUT_S)
                status, output, cost, cost_breakdown = RunStatus.FAILED, None, None, None
                failure: tuple[str | None, ...] = (
                    "TIMEOUT",
                    timeout_message,
                    str(FailureStage.EXECUTION),
                )
                logs.append(
                    (new_id(), run_id, "error", timeout_message, completed, {"code": "TIMEOUT"})
                )
            else:
                completed = started + timedelta(milliseconds=rng.randint(5, 400))
                status, output, cost = RunStatus.SUCCEEDED, {"message": message}, PRICE
                cost_breakdown = breakdown
                failure = (None, None, None)
            duration = int((completed - started).total_seconds() * 1000)
            client_ref = f"row-{i:07d}"
            runs.append(
                (
                    run_id,
                    fixture.org_id,
                    fixture.model_id,
                    fixture.batch_id,
                    "model",
                    fixture.model_version,
                    str(status),
                    "api",
                    {"message": message, "delay_ms": 0, "fail": False},
                    output,
                    duration,
                    cost,
                    cost_breakdown,
                    client_ref,
                    *failure,
                    fixture.user_id,
                    started,
                    completed,
                    1,
                    t0,
                    t0,
                )
            )
            items.append((new_id(), fixture.batch_id, i, run_id, client_ref, t0))
        yield runs, items, logs


async def prepare(database: Database, settings: Settings, n: int) -> Fixture:
    """Migrate + catalog (as `runflow migrate`), an API key, the cursor secret, the batch row."""
    await prepare_database(database, settings, migrate=True)
    async with database.transaction() as session:
        issued = await auth_service.issue_key(
            session, org_slug="bench", email="bench@runflow.local", role=Role.OWNER, name="bench"
        )
        model = await catalog.get_model(session, issued.org.id, BUILTIN_OWNER, "echo", full=False)
        assert model is not None
        secret = await service_secret(session, CURSOR_SECRET)
        created = datetime.now(UTC) - timedelta(hours=3)
        batch = Batch(
            id=new_id(),
            org_id=issued.org.id,
            target_type_code="model",
            target_id=model.id,
            status_code=BatchStatus.PARTIALLY_SUCCEEDED,
            source_code="api",
            items_total=n,
            items_succeeded=0,
            items_failed=0,
            items_cancelled=0,
            cost=Decimal(0),
            input=[{"message": f"item {i}"} for i in range(min(n, MAX_ITEMS))],
            created_by=issued.user.id,
            created_at=created,
            started_at=created,
        )
        session.add(batch)
    return Fixture(
        org_id=issued.org.id,
        user_id=issued.user.id,
        api_key_id=issued.api_key.id,
        token=issued.token,
        model_id=model.id,
        model_version=model.version,
        batch_id=batch.id,
        cursor_secret=secret,
        created_at=created,
    )


async def finish_batch(database: Database, fixture: Fixture, n: int) -> None:
    failed = len(fixture.failed)
    async with database.transaction() as session:
        batch = await session.get(Batch, fixture.batch_id)
        assert batch is not None
        batch.items_succeeded = n - failed
        batch.items_failed = failed
        batch.cost = PRICE * (n - failed)
        batch.completed_at = fixture.created_at + timedelta(milliseconds=2 * n + TIMEOUT_S * 1000)
        batch.duration_ms = 2 * n + TIMEOUT_S * 1000


def _sqlite_encoder(table: Table, columns: Sequence[str], dialect: Dialect) -> Callable[..., Any]:
    """Rows of Python values → rows as SQLAlchemy would bind them on SQLite (same processors)."""
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    ]
    active = [(i, p) for i, p in enumerate(processors) if p is not None]

    def encode(row: tuple[Any, ...]) -> tuple[Any, ...]:
        values = list(row)
        for i, processor in active:
            if values[i] is not None:
                values[i] = processor(values[i])
        return tuple(values)

    return encode


def _pg_encoder(table: Table, columns: Sequence[str]) -> Callable[..., Any]:
    """Rows of Python values → asyncpg COPY records: JSON as text, money as integer nanos."""
    json_columns = {i for i, name in enumerate(columns) if "JSON" in repr(table.c[name].type)}
    money_columns = {i for i, name in enumerate(columns) if name == "cost"}

    def encode(row: tuple[Any, ...]) -> tuple[Any, ...]:
        values = list(row)
        for i in json_columns:
            if values[i] is not None:
                values[i] = json.dumps(values[i], separators=(",", ":"))
        for i in money_columns:
            if values[i] is not None:
                values[i] = to_nanos(values[i])
        return tuple(values)

    return encode


def load_sqlite(path: Path, dialect: Dialect, fixture: Fixture, n: int) -> None:
    plan = [(RUNS, RUN_COLUMNS), (ITEMS_TABLE, ITEM_COLUMNS), (LOGS, LOG_COLUMNS)]
    encoders = [_sqlite_encoder(table, columns, dialect) for table, columns in plan]
    statements = [
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        for table, columns in plan
    ]
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("BEGIN")
        for chunks in generate(fixture, n):
            for rows, statement, encode in zip(chunks, statements, encoders, strict=True):
                connection.executemany(statement, map(encode, rows))
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


async def load_postgres(dsn: str, fixture: Fixture, n: int) -> None:
    plan = [(RUNS, RUN_COLUMNS), (ITEMS_TABLE, ITEM_COLUMNS), (LOGS, LOG_COLUMNS)]
    encoders = [_pg_encoder(table, columns) for table, columns in plan]
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            for chunks in generate(fixture, n):
                for rows, (table, columns), encode in zip(chunks, plan, encoders, strict=True):
                    if rows:
                        await connection.copy_records_to_table(
                            table.name, records=map(encode, rows), columns=list(columns)
                        )
        # As autovacuum would soon after a load this size: statistics and the visibility map.
        await connection.execute("VACUUM (ANALYZE) runs, batch_items, run_logs, batches")
    finally:
        await connection.close()


# ---------------------------------------------------------------------------------------------
# The measurements


@dataclass(frozen=True)
class Variant:
    name: str
    params: dict[str, str]  # besides limit and pq
    q: str
    deep_boundary: int  # sequence_index of the row before the deep page
    expect_first: int  # sequence_index of the first item on page 1
    expect_deep: int  # ... and on the deep page


@dataclass
class Timing:
    first: list[float] = field(default_factory=list)
    deep: list[float] = field(default_factory=list)
    first_rows: int = 0
    deep_rows: int = 0
    first_bytes: int = 0
    deep_bytes: int = 0


def variants(fixture: Fixture, n: int) -> list[Variant]:
    deep_page = min(DEEP_PAGE, n // LIMIT)
    start_index = (deep_page - 1) * LIMIT
    failed = fixture.failed
    # The filtered list's deep page starts near the end of the batch (sequence_index ~999,000).
    near_end = n - n // 1000
    deep = next((k for k, i in enumerate(failed) if i >= near_end), len(failed) - 1)
    return [
        Variant("no q", {}, "", start_index - 1, 0, start_index),
        Variant(
            "q, deep page at 99.9%",
            {"q": Q_FAILED},
            Q_FAILED,
            failed[deep - 1],
            failed[0],
            failed[deep],
        ),
        # The same filter's last full page: as many rows as its page 1.
        Variant(
            "q, its last full page",
            {"q": Q_FAILED},
            Q_FAILED,
            failed[-LIMIT - 1],
            failed[0],
            failed[-LIMIT],
        ),
        Variant("embed=run", {"embed": "run"}, "", start_index - 1, 0, start_index),
    ]


def cursor(codec: CursorCodec, fixture: Fixture, q: str, boundary: int) -> str:
    scope = {
        "list": ITEMS.name,
        "parent": str(fixture.batch_id),
        "q": q.strip(),
        "sort": ITEMS.default_sort,
    }
    token: str = codec.encode(scope=scope, key=[boundary])
    return token


def check_page(body: dict[str, Any], variant: Variant, first_index: int, what: str) -> None:
    items = body["items"]
    if not items or items[0]["sequence_index"] != first_index:
        got = items[0]["sequence_index"] if items else None
        raise RuntimeError(f"{variant.name} {what}: first item {got}, expected {first_index}")
    if variant.q and any(item["status_code"] != RunStatus.FAILED for item in items):
        raise RuntimeError(f"{variant.name} {what}: the filter let other statuses through")
    if "embed" in variant.params and any(item["run"]["id"] != item["run_id"] for item in items):
        raise RuntimeError(f"{variant.name} {what}: embedded runs do not match their items")


def measure(
    base_url: str, fixture: Fixture, codec: CursorCodec, n: int, runs: int
) -> dict[str, Timing]:
    url = f"/v1/batches/{fixture.batch_id}/items"
    headers = {"Authorization": f"Bearer {fixture.token}"}
    results: dict[str, Timing] = {}
    with httpx.Client(base_url=base_url, headers=headers, timeout=120) as client:

        def get(params: dict[str, str]) -> tuple[float, httpx.Response]:
            started = time.perf_counter()
            response = client.get(url, params={"limit": str(LIMIT), **params})
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            return elapsed, response

        # A deep cursor made here is the one walking would give: it equals the `next` the
        # server returns for the page before it, and its page starts where it should.
        plain = variants(fixture, n)[0]
        deep_page = plain.expect_deep // LIMIT + 1
        deep = cursor(codec, fixture, "", plain.deep_boundary)
        _, previous = get({"pq": cursor(codec, fixture, "", plain.deep_boundary - LIMIT)})
        if previous.json()["next"] != deep:
            raise RuntimeError("the deep cursor differs from the server's own next cursor")
        check_page(get({"pq": deep})[1].json(), plain, plain.expect_deep, "deep page")
        print(
            f"  deep cursor checked: equals the server's `next` of page {deep_page - 1:,}; "
            f"page starts at sequence_index {plain.expect_deep:,}"
        )

        for variant in variants(fixture, n):
            first_params = dict(variant.params)
            deep_params = {
                **variant.params,
                "pq": cursor(codec, fixture, variant.q, variant.deep_boundary),
            }
            timing = Timing()
            for params, expect, what in (
                (first_params, variant.expect_first, "page 1"),
                (deep_params, variant.expect_deep, "deep page"),
            ):
                for _ in range(WARMUP):
                    _, response = get(params)
                check_page(response.json(), variant, expect, what)
                rows, size = len(response.json()["items"]), len(response.content)
                if what == "page 1":
                    timing.first_rows, timing.first_bytes = rows, size
                else:
                    timing.deep_rows, timing.deep_bytes = rows, size
            for _ in range(runs):  # alternate, so drift hits both pages alike
                timing.first.append(get(first_params)[0])
                timing.deep.append(get(deep_params)[0])
            results[variant.name] = timing
    return results


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


# ---------------------------------------------------------------------------------------------
# Plans: the statement the endpoint issues, captured from `list_items` itself


async def explain(
    database: Database, fixture: Fixture, codec: CursorCodec, n: int, names: set[str]
) -> None:
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.append((statement, parameters))

    principal = Principal(
        user_id=fixture.user_id,
        email="bench@runflow.local",
        org_id=fixture.org_id,
        org_slug="bench",
        org_name="bench",
        role=Role.OWNER,
        api_key_id=fixture.api_key_id,
        credit_balance=Decimal(0),
    )
    engine = database.engine.sync_engine
    for variant in variants(fixture, n):
        if variant.name not in names:
            continue
        pages = (("page 1", None), ("deep page", variant.deep_boundary))
        for what, boundary in pages:
            pq = None if boundary is None else cursor(codec, fixture, variant.q, boundary)
            params = ListParams(
                variant.params.get("q"), LIMIT, None, None, variant.params.get("embed"), pq, False
            )
            captured.clear()
            event.listen(engine, "before_cursor_execute", capture)
            try:
                async with database.transaction(write=False) as session:
                    await list_items(session, principal, fixture.batch_id, params, codec)
            finally:
                event.remove(engine, "before_cursor_execute", capture)
            page_sql = [(s, p) for s, p in captured if "FROM batch_items JOIN runs" in s]
            statement, parameters = page_sql[0]
            print(f"\n--- {variant.name}, {what}: the page statement")
            print(statement)
            print(f"parameters: {parameters}")
            async with database.transaction(write=False) as session:
                connection = await session.connection()
                prefix = (
                    "EXPLAIN QUERY PLAN " if database.is_sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
                )
                result = await connection.exec_driver_sql(prefix + statement, parameters)
                plan: list[tuple[Any, ...]] = [tuple(row) for row in result]
                for row in plan:
                    print("  " + (f"{row[1]:>3} {row[3]}" if database.is_sqlite else row[0]))
                times = []
                for _ in range(10):
                    started = time.perf_counter()
                    (await connection.exec_driver_sql(statement, parameters)).all()
                    times.append(time.perf_counter() - started)
            median_ms = statistics.median(times) * 1e3
            print(f"  via the driver (round trip + row decoding, median of 10): {median_ms:.2f} ms")
            if len(captured) > 2:
                print(f"  + {len(captured) - 2} more statements for the embedded runs")


# ---------------------------------------------------------------------------------------------
# Per backend


@dataclass
class Outcome:
    backend: str
    load_s: float
    timings: dict[str, Timing]


def serve(url: str, data_dir: Path) -> tuple[str, Any]:
    port = free_port()
    env = {
        "RUNFLOW_DATABASE_URL": url,
        "RUNFLOW_DATA_DIR": str(data_dir),
        "RUNFLOW_PORT": str(port),
        "RUNFLOW_WORKER_CONCURRENCY": "0",
        "RUNFLOW_LOG_LEVEL": "WARNING",
    }
    process = start(["serve"], env, data_dir / "serve.log")
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base_url)
    except RuntimeError:
        stop(process)
        raise
    return base_url, process


async def setup(backend: str, url: str, data_dir: Path, n: int) -> tuple[Fixture, float]:
    database = Database(url)
    try:
        started = time.perf_counter()
        fixture = await prepare(database, Settings(database_url=url, data_dir=data_dir), n)
        print(f"  migrated and seeded in {time.perf_counter() - started:.1f} s")
        dialect = database.engine.dialect
        started = time.perf_counter()
        if backend == "sqlite":
            await database.engine.dispose()  # the loader is the only connection
            await asyncio.to_thread(load_sqlite, data_dir / "runflow.db", dialect, fixture, n)
        else:
            await load_postgres(url.replace("postgresql+asyncpg", "postgresql"), fixture, n)
        load_s = time.perf_counter() - started
        await finish_batch(database, fixture, n)
        print(
            f"  loaded {n:,} items + {n:,} runs + {len(fixture.failed):,} logs "
            f"({len(fixture.failed):,} failed) and analyzed in {load_s:.1f} s"
        )
        return fixture, load_s
    finally:
        await database.dispose()


async def _postgres_admin(statement: str) -> None:
    connection = await asyncpg.connect(PG_SERVER)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def run_backend(backend: str, n: int, runs: int, explain_all: bool) -> Outcome:
    print(f"\n{backend}: {n:,} items")
    data_dir = Path(tempfile.mkdtemp(prefix="runflow-bench-pages-"))
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{data_dir / 'runflow.db'}"
    else:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DATABASE}"
        asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        asyncio.run(_postgres_admin(f'CREATE DATABASE "{PG_DATABASE}"'))
    try:
        fixture, load_s = asyncio.run(setup(backend, url, data_dir, n))
        codec = CursorCodec(fixture.cursor_secret)
        base_url, process = serve(url, data_dir)
        try:
            timings = measure(base_url, fixture, codec, n, runs)
        finally:
            stop(process)
        missed = {
            name
            for name, timing in timings.items()
            if statistics.median(timing.deep) > TARGET * statistics.median(timing.first)
        }
        names = set(timings) if explain_all else missed
        if names:

            async def plans() -> None:
                database = Database(url)
                try:
                    await explain(database, fixture, codec, n, names)
                finally:
                    await database.dispose()

            asyncio.run(plans())
        return Outcome(backend, load_s, timings)
    finally:
        if backend == "postgresql":
            asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        shutil.rmtree(data_dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Report


def machine() -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor() or "unknown",
    )
    memory = ""
    if Path("/proc/meminfo").exists():
        total_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {total_kb / 2**20:.0f} GiB"
    lines = [
        f"Machine: {os.cpu_count()} CPUs, {model}{memory}",
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
    ]
    try:

        async def version() -> str:
            connection = await asyncpg.connect(PG_SERVER)
            try:
                return str(await connection.fetchval("SHOW server_version"))
            finally:
                await connection.close()

        lines[-1] += f", PostgreSQL {asyncio.run(version())}"
    except (OSError, asyncpg.PostgresError):
        lines[-1] += ", PostgreSQL not reachable"
    return lines


def report(outcomes: list[Outcome], n: int, runs: int) -> None:
    deep_page = min(DEEP_PAGE, n // LIMIT)
    print()
    for line in machine():
        print(line)
    print(
        f"{n:,} items in one batch; limit {LIMIT}; median and p95 of {runs} requests per page "
        f"after {WARMUP} warm-up; `runflow serve` (uvicorn) on loopback, engine off"
    )
    print(f"q = `{Q_FAILED}` (~{FAILED_SHARE:.0%} of the items)")
    for outcome in outcomes:
        print(f"Load {outcome.backend}: {outcome.load_s:.1f} s")
    header = (
        f"{'backend':<11}{'variant':<27}{'page 1 med/p95 ms':>19}"
        f"{f'page {deep_page:,} med/p95 ms':>25}{'deep/first':>12}  target ≤ {TARGET}×"
    )
    print()
    print(header)
    print("-" * len(header))
    for outcome in outcomes:
        for name, timing in outcome.timings.items():
            first = statistics.median(timing.first) * 1e3
            deep = statistics.median(timing.deep) * 1e3
            ratio = deep / first
            print(
                f"{outcome.backend:<11}{name:<27}"
                f"{f'{first:.1f} / {p95(timing.first) * 1e3:.1f}':>19}"
                f"{f'{deep:.1f} / {p95(timing.deep) * 1e3:.1f}':>25}"
                f"{ratio:>11.2f}×  {'met' if ratio <= TARGET else 'MISSED'}"
            )
    print()
    print("Rows and bytes per response (page 1 / deep page):")
    for outcome in outcomes:
        for name, timing in outcome.timings.items():
            print(
                f"  {outcome.backend:<11}{name:<27}"
                f"{timing.first_rows} rows {timing.first_bytes:,} B"
                f" / {timing.deep_rows} rows {timing.deep_bytes:,} B"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--explain", action="store_true", help="plans for every variant")
    args = parser.parse_args()
    if args.items < 2 * LIMIT:
        parser.error(f"--items must be at least {2 * LIMIT}")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    outcomes = [run_backend(b, args.items, args.requests, args.explain) for b in backends]
    report(outcomes, args.items, args.requests)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
