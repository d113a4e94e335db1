"""SQLite's writer, shared in two lanes: requests first, background work never starved."""

from __future__ import annotations

import asyncio

import pytest

from runflow.db.sqlite_writer import WriterQueue


async def _queue_up(writer: WriterQueue, lanes: str, order: list[str]) -> list[asyncio.Task[None]]:
    """One waiter per letter (`r` request, `b` background), each holding the writer briefly."""

    async def turn(name: str, for_request: bool) -> None:
        await writer.acquire(for_request=for_request)
        order.append(name)
        await asyncio.sleep(0)
        writer.release()

    tasks = []
    for number, lane in enumerate(lanes):
        tasks.append(asyncio.create_task(turn(f"{lane}{number}", lane == "r")))
        await asyncio.sleep(0)  # queued in this order
    return tasks


async def test_requests_go_before_background_work() -> None:
    writer = WriterQueue(background_every=3)
    order: list[str] = []
    await writer.acquire(for_request=False)  # busy: everyone below queues

    tasks = await _queue_up(writer, "bbrr", order)
    writer.release()
    await asyncio.gather(*tasks)

    assert order == ["r2", "r3", "b0", "b1"]


async def test_background_work_gets_every_third_turn_while_requests_queue() -> None:
    writer = WriterQueue(background_every=3)
    order: list[str] = []
    await writer.acquire(for_request=True)

    tasks = await _queue_up(writer, "bbrrrrrrr", order)
    writer.release()
    await asyncio.gather(*tasks)

    assert order == ["r2", "r3", "r4", "b0", "r5", "r6", "r7", "b1", "r8"]


async def test_a_waiter_cancelled_before_its_turn_is_skipped() -> None:
    writer = WriterQueue()
    order: list[str] = []
    await writer.acquire(for_request=True)
    tasks = await _queue_up(writer, "rr", order)

    tasks[0].cancel()
    await asyncio.sleep(0)
    writer.release()
    await tasks[1]

    assert order == ["r1"]
    with pytest.raises(asyncio.CancelledError):
        await tasks[0]


async def test_a_turn_handed_to_a_cancelled_waiter_is_passed_on() -> None:
    writer = WriterQueue()
    order: list[str] = []
    await writer.acquire(for_request=True)
    tasks = await _queue_up(writer, "rr", order)

    writer.release()  # the first waiter is handed the writer ...
    tasks[0].cancel()  # ... and cancelled before it could run
    await asyncio.wait_for(tasks[1], 5)

    assert order == ["r1"]
    await writer.acquire(for_request=False)  # free again: taken at once
    writer.release()
