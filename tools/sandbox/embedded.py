"""Talk HTTP to an in-process ASGI app: httpx's ASGI transport, plus a sync bridge.

httpx ships only an *async* ASGI transport; tools are usually called synchronously, so
:class:`SyncASGITransport` runs each request on one long-lived event loop in a background
thread, shared by every transport of the process. A loop per request would cost a new loop
and — because the apps' sync endpoints run on the loop's worker threads — new threads on
every call. Requests and responses still go through real HTTP semantics (status codes,
headers, JSON bodies).

The request runs in a copy of the *caller's* context, so context variables (the current
ERRAND_HOME, a pinned sandbox clock) reach the app exactly as if it ran in the caller.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import os
import threading
from typing import Any, Coroutine

import httpx


class _BackgroundLoop:
    """One event loop on a daemon thread, started on first use (again after a fork)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0

    def _ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="errand-asgi", daemon=True)
                thread.start()
                self._loop, self._thread, self._pid = loop, thread, os.getpid()
            return self._loop

    def on_loop_thread(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    def run(self, coro: Coroutine[Any, Any, Any], context: contextvars.Context) -> Any:
        loop = self._ensure()
        done: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def start() -> None:
            task = loop.create_task(coro, context=context)

            def finish(task: asyncio.Task[Any]) -> None:
                if task.cancelled():
                    done.cancel()
                elif task.exception() is not None:
                    done.set_exception(task.exception())
                else:
                    done.set_result(task.result())
            task.add_done_callback(finish)

        loop.call_soon_threadsafe(start)
        return done.result()


_LOOP = _BackgroundLoop()


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

        if _LOOP.on_loop_thread():  # an app calling an app from the shared loop itself: never block it
            with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
                context = contextvars.copy_context()
                status, headers, content = pool.submit(context.run, asyncio.run, send()).result()
        else:
            status, headers, content = _LOOP.run(send(), contextvars.copy_context())
        return httpx.Response(status, headers=headers, content=content, request=request)
