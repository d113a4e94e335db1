"""Run by `test_generated_client.py` in its own interpreter, beside the client that
openapi-python-client generated: a customer's program that knows only that client.

Usage: python generated_client_driver.py BASE_URL TOKEN CALLBACK_URL. Prints one JSON object
naming, for every call, its status and the class its parsed body came back as."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from runflow_api_client import AuthenticatedClient  # type: ignore[import-not-found]
from runflow_api_client.api.batches import (  # type: ignore[import-not-found]
    cancel_batch,
    create_batch,
    get_batch,
    get_batch_callback,
    list_batch_items,
    list_batches,
)
from runflow_api_client.api.webhooks import (  # type: ignore[import-not-found]
    redeliver_batch_callback,
)
from runflow_api_client.models import BatchCreate  # type: ignore[import-not-found]


def outcome(response: Any) -> dict[str, Any]:
    parsed = response.parsed
    kind = type(parsed).__name__
    if isinstance(parsed, list):
        kind = f"list[{type(parsed[0]).__name__ if parsed else ''}]"
    return {"status": int(response.status_code), "parsed": kind}


def main(base_url: str, token: str, callback_url: str) -> dict[str, Any]:
    client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)
    body = BatchCreate.from_dict(
        {
            "input": [{"message": "one", "client_ref": "a"}, {"message": "two"}],
            "metadata": {"from": "generated client"},
            "callback_url": callback_url,
        }
    )
    created = create_batch.sync_detailed(
        owner="runflow", slug="echo", client=client, body=body, idempotency_key="gen-client-1"
    )
    batch_id = created.parsed.id
    replayed = create_batch.sync_detailed(
        owner="runflow", slug="echo", client=client, body=body, idempotency_key="gen-client-1"
    )
    deadline = time.monotonic() + 60
    while (detail := get_batch.sync_detailed(id=batch_id, client=client)).parsed.status_code in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline, "the batch did not finish"
        time.sleep(0.05)
    projected = list_batch_items.sync_detailed(
        batch_id=batch_id, client=client, fields="id,status_code,client_ref"
    )
    embedded = list_batch_items.sync_detailed(batch_id=batch_id, client=client, embed="run")
    # The delivery is written when the batch ends; its first attempt is recorded a moment
    # later, once the sender has posted it.
    while True:
        history = get_batch_callback.sync_detailed(batch_id=batch_id, client=client)
        if any(delivery.attempts for delivery in history.parsed):
            break
        assert time.monotonic() < deadline, "no callback attempt was recorded"
        time.sleep(0.05)
    redelivered = redeliver_batch_callback.sync_detailed(batch_id=batch_id, client=client)
    slow = create_batch.sync_detailed(
        owner="runflow",
        slug="echo",
        client=client,
        body=BatchCreate.from_dict({"input": [{"message": "slow", "delay_ms": 60000}]}),
    )
    cancelled = cancel_batch.sync_detailed(id=slow.parsed.id, client=client)
    listed = list_batches.sync_detailed(client=client, fields="id,status_code", limit=1)
    return {
        "create": outcome(created),
        "create_replayed": outcome(replayed),
        "detail": outcome(detail) | {"status_code": detail.parsed.status_code},
        "items_projected": outcome(projected)
        | {
            "rows": [row.to_dict() for row in projected.parsed.items],
        },
        "items_embedded": outcome(embedded)
        | {"run_status": [row.run.status_code for row in embedded.parsed.items]},
        "callback": outcome(history)
        | {"attempts": [type(a).__name__ for d in history.parsed for a in d.attempts]},
        "redeliver": outcome(redelivered),
        "cancel": outcome(cancelled) | {"status_code": cancelled.parsed.status_code},
        "list": outcome(listed) | {"next": bool(listed.parsed.next_)},
    }


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
