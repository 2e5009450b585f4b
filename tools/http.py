"""The one HTTP client every errand tool uses to reach a service.

Timeouts, retries with exponential backoff and jitter on transient failures only
(connect errors, timeouts, 429 honouring ``Retry-After``, 502/503/504 — never other
4xx), an ``Idempotency-Key`` on every non-read request, and typed errors that carry
the service's own message.
"""

from __future__ import annotations

import contextvars
import email.utils
import random
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TRANSIENT_STATUS = frozenset({429, 502, 503, 504})
IDEMPOTENCY_HEADER = "Idempotency-Key"

_current_key: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "errand_idempotency_key", default=None
)


@contextmanager
def idempotency_key(key: str | None) -> Iterator[None]:
    """Make ``key`` the Idempotency-Key of every non-read request made inside the block.

    The runtime wraps each tool call in this with a key derived from (run id, step id),
    so a resumed or retried step replays the same key and the service creates nothing new.
    """
    token = _current_key.set(key)
    try:
        yield
    finally:
        _current_key.reset(token)


def current_idempotency_key() -> str | None:
    return _current_key.get()


class ServiceError(Exception):
    """Base of every error a service call can raise."""

    def __init__(self, message: str, *, service: str, status: int | None = None,
                 code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.service = service
        self.status = status
        self.code = code
        self.details = details

    @property
    def retryable(self) -> bool:
        return False

    def to_dict(self) -> dict[str, Any]:
        return {"service": self.service, "status": self.status, "code": self.code,
                "message": self.message, "details": self.details}


class ServiceUnavailable(ServiceError):
    """The service could not be reached or kept failing transiently (after retries)."""

    @property
    def retryable(self) -> bool:
        return True


class ClientRequestError(ServiceError):
    """The service refused the request (4xx): bad input, unknown id, conflict. Never retried."""


class NotFound(ClientRequestError):
    pass


class Conflict(ClientRequestError):
    """409: the request conflicts with the service's state (sold out, already cancelled, key reuse)."""


class ServerError(ServiceError):
    """A 5xx that is not transient (e.g. 500)."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    initial_wait: float = 0.2
    max_wait: float = 5.0
    jitter: float = 0.2
    max_retry_after: float = 30.0


class _Transient(Exception):
    """Internal: a response worth retrying; carries the response for the final error."""

    def __init__(self, response: httpx.Response | None, cause: Exception | None = None) -> None:
        super().__init__(str(cause) if cause else f"HTTP {response.status_code if response else '?'}")
        self.response = response
        self.cause = cause


def _retry_after_seconds(response: httpx.Response | None, cap: float) -> float | None:
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        if parsed is None:
            return None
        seconds = parsed.timestamp() - time.time()
    return max(0.0, min(seconds, cap))


def _service_message(response: httpx.Response) -> tuple[str, str | None, Any]:
    """Pull the human message out of an error body ({"error": {"message", "code"}} or FastAPI's {"detail"})."""
    try:
        body = response.json()
    except ValueError:
        return (response.text.strip() or response.reason_phrase or f"HTTP {response.status_code}", None, None)
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            return str(err.get("message", err)), err.get("code"), err.get("details")
        detail = body.get("detail")
        if isinstance(detail, list):  # FastAPI validation errors
            parts = [f"{'.'.join(str(p) for p in d.get('loc', [])[1:])}: {d.get('msg')}" for d in detail]
            return "invalid request: " + "; ".join(parts), "invalid_request", detail
        if detail is not None:
            return str(detail), None, None
    return str(body), None, None


class ServiceClient:
    """A client for one service (``name``) at ``base_url``, sync and async.

    ``transport``/``async_transport`` let tests and the embedded default talk to an
    in-process ASGI app instead of a port; everything else is identical.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self._timeout = httpx.Timeout(timeout)
        self._headers = dict(headers or {})
        self._transport = transport
        self._async_transport = async_transport
        self._client: httpx.Client | None = None
        self._aclient: httpx.AsyncClient | None = None

    # -- plumbing ---------------------------------------------------------------------

    def _sync_client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(base_url=self.base_url, timeout=self._timeout,
                                        headers=self._headers, transport=self._transport)
        return self._client

    def _async_client(self) -> httpx.AsyncClient:
        if self._aclient is None:
            self._aclient = httpx.AsyncClient(base_url=self.base_url, timeout=self._timeout,
                                              headers=self._headers, transport=self._async_transport)
        return self._aclient

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        if self._aclient is not None:
            await self._aclient.aclose()
            self._aclient = None

    def _prepare_headers(self, method: str, key: str | None) -> dict[str, str]:
        if method.upper() in READ_METHODS:
            return {}
        key = key or current_idempotency_key() or f"adhoc-{uuid.uuid4()}"
        return {IDEMPOTENCY_HEADER: key}

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        exponential = self.retry.initial_wait * 2 ** (state.attempt_number - 1)
        backoff = min(self.retry.max_wait, exponential) + random.uniform(0, self.retry.jitter)
        if isinstance(exc, _Transient):
            after = _retry_after_seconds(exc.response, self.retry.max_retry_after)
            if after is not None:
                return after
        return backoff

    def _retrying_kwargs(self) -> dict[str, Any]:
        return dict(
            retry=retry_if_exception(lambda e: isinstance(e, _Transient)),
            stop=stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            reraise=True,
        )

    def _check(self, response: httpx.Response) -> Any:
        if response.status_code in TRANSIENT_STATUS:
            raise _Transient(response)
        if response.status_code >= 400:
            raise self._error_for(response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return response.text

    def _error_for(self, response: httpx.Response) -> ServiceError:
        message, code, details = _service_message(response)
        status = response.status_code
        cls: type[ServiceError]
        if status == 404:
            cls = NotFound
        elif status == 409:
            cls = Conflict
        elif 400 <= status < 500:
            cls = ClientRequestError
        elif status in TRANSIENT_STATUS:
            cls = ServiceUnavailable
        else:
            cls = ServerError
        return cls(message, service=self.name, status=status, code=code, details=details)

    def _final(self, exc: _Transient) -> ServiceError:
        if exc.response is not None:
            return self._error_for(exc.response)
        return ServiceUnavailable(f"{self.name} unreachable: {exc.cause}", service=self.name)

    # -- public API -------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None, idempotency_key: str | None = None) -> Any:
        """Send a request and return the decoded JSON body; raise a :class:`ServiceError`."""
        headers = self._prepare_headers(method, idempotency_key)
        client = self._sync_client()
        try:
            for attempt in Retrying(**self._retrying_kwargs()):
                with attempt:
                    try:
                        response = client.request(method, path, params=_clean(params), json=json,
                                                  headers=headers)
                    except (httpx.TransportError, httpx.TimeoutException) as exc:
                        raise _Transient(None, exc) from exc
                    return self._check(response)
        except _Transient as exc:
            raise self._final(exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover - Retrying either returns or raises

    async def arequest(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                       json: Any = None, idempotency_key: str | None = None) -> Any:
        headers = self._prepare_headers(method, idempotency_key)
        client = self._async_client()
        try:
            async for attempt in AsyncRetrying(**self._retrying_kwargs()):
                with attempt:
                    try:
                        response = await client.request(method, path, params=_clean(params),
                                                        json=json, headers=headers)
                    except (httpx.TransportError, httpx.TimeoutException) as exc:
                        raise _Transient(None, exc) from exc
                    return self._check(response)
        except _Transient as exc:
            raise self._final(exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, json: Any = None, *, idempotency_key: str | None = None) -> Any:
        return self.request("POST", path, json=json, idempotency_key=idempotency_key)

    def delete(self, path: str, *, idempotency_key: str | None = None) -> Any:
        return self.request("DELETE", path, idempotency_key=idempotency_key)


def _clean(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    return {k: v for k, v in params.items() if v is not None}
