"""Talk HTTP to an in-process ASGI app: httpx's ASGI transport, plus a sync bridge.

httpx ships only an *async* ASGI transport; tools are usually called synchronously,
so :class:`SyncASGITransport` runs each request on a private event loop. Requests and
responses still go through real HTTP semantics (status codes, headers, JSON bodies).
"""

from __future__ import annotations

import asyncio
import concurrent.futures

import httpx


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

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            status, headers, content = asyncio.run(send())
        else:  # called from inside an event loop: run the request on a helper thread
            with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
                status, headers, content = pool.submit(asyncio.run, send()).result()
        return httpx.Response(status, headers=headers, content=content, request=request)
