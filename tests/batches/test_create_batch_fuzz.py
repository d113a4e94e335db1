"""Property: whatever JSON a client sends to create a batch, the answer is a 201 or an error in
the envelope — never a 500, and a rejected request writes nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import RowCounts

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
echo_names = st.sampled_from(["message", "delay_ms", "fail", "fail_message", "client_ref", "x"])
items = st.one_of(
    json_values,
    st.dictionaries(echo_names, json_values, max_size=5),
)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"input": st.lists(items, max_size=6)},
        optional={
            "metadata": json_values,
            "callback_url": st.one_of(st.text(max_size=30), st.just("http://127.0.0.1:9/cb")),
        },
    ),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies)
async def test_any_json_body_gets_a_created_batch_or_an_enveloped_error(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts, body: Any
) -> None:
    before = await row_counts()
    response = await client.post(
        "/v1/models/runflow/echo/batches",
        content=json.dumps(body),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert response.status_code in (201, 400, 422), response.text
    if response.status_code == 201:
        assert response.json()["items_total"] == len(body["input"])
        return
    error = response.json()
    assert set(error) == {"code", "message", "errors"}
    assert error["code"] in ("BAD_REQUEST", "VALIDATION_ERROR")
    assert await row_counts() == before
