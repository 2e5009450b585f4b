"""The shared HTTP client: retries only what is transient, keys every write, types its errors."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tools.http import (
    ClientRequestError,
    Conflict,
    NotFound,
    RetryPolicy,
    ServerError,
    ServiceClient,
    ServiceUnavailable,
    idempotency_key,
)

FAST = RetryPolicy(attempts=4, initial_wait=0, max_wait=0, jitter=0)


class Script:
    """A fake service answering with a scripted sequence of responses; records every request."""

    def __init__(self, *responses):
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(item, Exception):
            raise item
        return item


def client_for(script: Script, **kw) -> ServiceClient:
    return ServiceClient("shop", "http://shop.test", retry=kw.pop("retry", FAST),
                         transport=httpx.MockTransport(script),
                         async_transport=httpx.MockTransport(script), **kw)


def err(status: int, message: str, code: str = "x", headers=None) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}}, headers=headers)


def test_two_503_then_success_is_called_three_times():
    script = Script(err(503, "busy"), err(503, "busy"), httpx.Response(200, json={"ok": 1}))
    assert client_for(script).get("/products") == {"ok": 1}
    assert len(script.requests) == 3


def test_400_is_not_retried_and_carries_the_service_message():
    script = Script(err(400, "quantity must be at least 1", code="bad_quantity"))
    with pytest.raises(ClientRequestError) as info:
        client_for(script).post("/orders", json={"quantity": 0})
    assert len(script.requests) == 1
    assert info.value.status == 400
    assert info.value.code == "bad_quantity"
    assert "quantity must be at least 1" in str(info.value)


@pytest.mark.parametrize("status,cls", [(404, NotFound), (409, Conflict), (422, ClientRequestError),
                                        (500, ServerError)])
def test_errors_are_typed_and_not_retried(status, cls):
    script = Script(err(status, "nope"))
    with pytest.raises(cls):
        client_for(script).get("/x")
    assert len(script.requests) == 1


def test_429_honours_retry_after_and_502_504_are_transient():
    waits = []
    script = Script(err(429, "slow down", headers={"Retry-After": "0"}), err(502, "bad gw"),
                    err(504, "timeout"), httpx.Response(200, json=[]))
    client = client_for(script)
    original = client._wait
    client._wait = lambda state: waits.append(original(state)) or 0
    assert client.get("/x") == []
    assert len(script.requests) == 4
    assert waits[0] == 0.0  # Retry-After: 0 was used instead of backoff


def test_retry_after_is_read_and_capped():
    policy = RetryPolicy(attempts=2, initial_wait=0, max_wait=0, jitter=0, max_retry_after=1.5)
    script = Script(err(429, "slow", headers={"Retry-After": "120"}), httpx.Response(200, json={}))
    client = client_for(script, retry=policy)
    seen = []
    original = client._wait
    client._wait = lambda state: seen.append(original(state)) or 0
    client.get("/x")
    assert seen == [1.5]


def test_gives_up_after_attempts_with_service_unavailable():
    script = Script(err(503, "maintenance"))
    with pytest.raises(ServiceUnavailable) as info:
        client_for(script).get("/x")
    assert len(script.requests) == FAST.attempts
    assert info.value.retryable and "maintenance" in info.value.message


def test_connect_errors_are_retried_then_surface_as_unavailable():
    script = Script(httpx.ConnectError("refused"), httpx.Response(200, json={"ok": True}))
    assert client_for(script).get("/x") == {"ok": True}
    script = Script(httpx.ConnectError("refused"))
    with pytest.raises(ServiceUnavailable, match="unreachable"):
        client_for(script).get("/x")


def test_writes_carry_an_idempotency_key_reads_do_not_and_retries_reuse_it():
    script = Script(err(503, "busy"), httpx.Response(201, json={"id": "ORD-1"}))
    client = client_for(script)
    client.post("/orders", json={}, idempotency_key="run-1:step-3")
    keys = [r.headers.get("Idempotency-Key") for r in script.requests]
    assert keys == ["run-1:step-3", "run-1:step-3"]
    client.get("/orders")
    assert "Idempotency-Key" not in script.requests[-1].headers


def test_the_runtime_key_comes_from_the_context_and_adhoc_keys_differ():
    script = Script(httpx.Response(200, json={}))
    client = client_for(script)
    with idempotency_key("run-9:step-1"):
        client.post("/a", json={})
    client.post("/a", json={})
    client.post("/a", json={})
    keys = [r.headers["Idempotency-Key"] for r in script.requests]
    assert keys[0] == "run-9:step-1"
    assert keys[1].startswith("adhoc-") and keys[1] != keys[2]


def test_async_client_retries_the_same_way():
    script = Script(err(503, "busy"), err(503, "busy"), httpx.Response(200, json={"ok": 1}))
    client = client_for(script)

    async def go():
        try:
            return await client.arequest("GET", "/x")
        finally:
            await client.aclose()

    assert asyncio.run(go()) == {"ok": 1}
    assert len(script.requests) == 3


def test_fastapi_validation_detail_is_readable():
    body = {"detail": [{"loc": ["body", "quantity"], "msg": "Input should be greater than 0"}]}
    script = Script(httpx.Response(422, json=body))
    with pytest.raises(ClientRequestError, match="quantity: Input should be greater than 0"):
        client_for(script).post("/orders", json={})
