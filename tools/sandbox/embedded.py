"""Talk HTTP to an in-process ASGI app: httpx's ASGI transport, plus a sync bridge.

httpx ships only an *async* ASGI transport; tools are usually called synchronously, so
:class:`SyncASGITransport` runs each request to completion on an event loop owned by the
*calling* thread (one per thread, kept for the thread's life). The request never leaves the
caller's thread: no hand-off to a loop thread and back, which under load — many eval trials
on threads of one process — costs a wait for the GIL at every hop. Only a caller that is
itself inside a running event loop (an app calling an app, a sync client used from async
code) gets a short-lived helper thread, since a loop cannot be re-entered.

Requests and responses still go through real HTTP semantics (status codes, headers, JSON
bodies), and the request runs in a copy of the caller's context, so context variables (the
current ERRAND_HOME, a pinned sandbox clock) reach the app exactly as if it ran in the caller.
Apps built with ``inline=True`` (see :meth:`tools.sandbox.base.SandboxService.app`) also run
their sync endpoints on that same thread rather than on a worker pool.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import os
import threading
from typing import Any, Coroutine

import httpx


class _OwnLoop:
    """An event loop belonging to one thread, closed when the thread lets go of it — but
    never in a forked child. The child shares the parent's epoll instance, and closing the
    loop unregisters its wake-up pipe from it: the parent's loop would then sleep through
    every wake-up from another thread. A child keeps such loops, unused, until it exits."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.pid = os.getpid()

    def __del__(self) -> None:
        if self.pid == os.getpid():
            self.loop.close()
        else:
            _INHERITED.append(self.loop)  # kept alive: a loop's own __del__ would close it


_INHERITED: list[asyncio.AbstractEventLoop] = []


class _PerThread(threading.local):
    own: _OwnLoop | None = None


_THREAD = _PerThread()


def _in_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def run_here(coro: Coroutine[Any, Any, Any], context: contextvars.Context) -> Any:
    """Run ``coro`` to completion in ``context``, on this thread's own loop if it can."""
    if _in_running_loop():
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(context.run, asyncio.run, coro).result()
    own = _THREAD.own
    if own is None or own.pid != os.getpid():  # first use on this thread, or inherited over fork
        own = _THREAD.own = _OwnLoop()
    return own.loop.run_until_complete(own.loop.create_task(coro, context=context))


class SyncASGITransport(httpx.BaseTransport):
    def __init__(self, app) -> None:  # noqa: ANN001 - any ASGI app
        self._transport = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def send() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            forwarded = httpx.Request(request.method, request.url, headers=request.headers, content=body)
            response = await self._transport.handle_async_request(forwarded)
            content = await response.aread()
            return response.status_code, response.headers.raw, content

        status, headers, content = run_here(send(), contextvars.copy_context())
        return httpx.Response(status, headers=headers, content=content, request=request)
