"""The sandbox services: government, shop and travel, as real HTTP apps with seeded data."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from tools.sandbox.base import (
    CHINA_TZ,
    Clock,
    SandboxError,
    SandboxService,
    fixed_clock,
    system_clock,
)

DOMAINS = ("gov", "shop", "travel")
_CLASSES = {"gov": "tools.sandbox.gov:GovService",
            "shop": "tools.sandbox.shop:ShopService",
            "travel": "tools.sandbox.travel:TravelService"}


def service_class(domain: str) -> type[SandboxService]:
    if domain not in _CLASSES:
        raise KeyError(f"unknown sandbox {domain!r}; known: {', '.join(DOMAINS)}")
    module, _, attr = _CLASSES[domain].partition(":")
    return getattr(import_module(module), attr)


def open_service(domain: str, home: Path | None = None, *, clock: Clock | None = None) -> SandboxService:
    return service_class(domain)(home, clock=clock)


def sandbox_state(home: Path | None = None) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Everything the sandboxes have created, keyed by domain (the `errand sandbox state` JSON)."""
    return {domain: open_service(domain, home).state() for domain in DOMAINS}


def reset_all(home: Path | None = None, overlay: dict[str, Any] | None = None) -> None:
    """Reseed every sandbox. ``overlay`` is ``{domain: {...}}`` of free-text overrides."""
    overlay = overlay or {}
    for domain in DOMAINS:
        open_service(domain, home).reset(overlay.get(domain))


def combined_app(home: Path | None = None, *, clock: Clock | None = None) -> FastAPI:
    """All three services on one server, under /gov, /shop and /travel."""
    app = FastAPI(title="errand sandbox services", version="1")
    for domain in DOMAINS:
        app.mount(f"/{domain}", open_service(domain, home, clock=clock).app())

    @app.get("/")
    def index() -> dict[str, Any]:
        return {"services": {d: f"/{d}" for d in DOMAINS}}

    return app


__all__ = ["CHINA_TZ", "DOMAINS", "SandboxError", "SandboxService", "combined_app", "fixed_clock",
           "open_service", "reset_all", "sandbox_state", "service_class", "system_clock"]
