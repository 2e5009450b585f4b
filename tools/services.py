"""Where the tool packs find their services: a base URL per domain, or embedded in-process.

Configuration, most specific first:
  ``ERRAND_GOV_URL`` / ``ERRAND_SHOP_URL`` / ``ERRAND_TRAVEL_URL``  one service
  ``ERRAND_SANDBOX_URL``  a server from ``errand sandbox serve`` (services under /gov, /shop, /travel)
  nothing  the embedded default: the sandbox apps run in-process over httpx's ASGI transport,
           with their state in ``ERRAND_HOME`` — no port, no network.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import httpx

from tools.http import RetryPolicy, ServiceClient
from tools.sandbox import Clock, open_service
from tools.sandbox.embedded import SyncASGITransport


class Services:
    def __init__(self, urls: dict[str, str | None] | None = None, *, home: Path | None = None,
                 clock: Clock | None = None, timeout: float = 10.0,
                 retry: RetryPolicy | None = None) -> None:
        self.urls = dict(urls or {})
        self.home = home
        self.clock = clock
        self.timeout = timeout
        self.retry = retry
        self._clients: dict[str, ServiceClient] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, **kwargs) -> "Services":  # noqa: ANN003 - forwarded to __init__
        combined = os.environ.get("ERRAND_SANDBOX_URL")
        urls: dict[str, str | None] = {}
        for domain in ("gov", "shop", "travel"):
            specific = os.environ.get(f"ERRAND_{domain.upper()}_URL")
            urls[domain] = specific or (f"{combined.rstrip('/')}/{domain}" if combined else None)
        return cls(urls, **kwargs)

    def is_embedded(self, domain: str) -> bool:
        return not self.urls.get(domain)

    def client(self, domain: str) -> ServiceClient:
        with self._lock:
            if domain not in self._clients:
                self._clients[domain] = self._make(domain)
            return self._clients[domain]

    def _make(self, domain: str) -> ServiceClient:
        url = self.urls.get(domain)
        if url:
            return ServiceClient(domain, url, timeout=self.timeout, retry=self.retry)
        app = open_service(domain, self.home, clock=self.clock).app(inline=True)
        return ServiceClient(domain, f"http://{domain}.sandbox.local", timeout=self.timeout,
                             retry=self.retry, transport=SyncASGITransport(app),
                             async_transport=httpx.ASGITransport(app=app))

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
