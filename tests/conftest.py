"""Every test runs in its own ERRAND_HOME with a pinned sandbox clock; no network but loopback."""

from __future__ import annotations

import pytest

SANDBOX_NOW = "2026-11-28T10:00:00+08:00"


@pytest.fixture(autouse=True)
def errand_home(tmp_path, monkeypatch):
    home = tmp_path / "errand-home"
    monkeypatch.setenv("ERRAND_HOME", str(home))
    monkeypatch.setenv("ERRAND_SANDBOX_NOW", SANDBOX_NOW)
    for var in ("ERRAND_SANDBOX_URL", "ERRAND_GOV_URL", "ERRAND_SHOP_URL", "ERRAND_TRAVEL_URL"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def services(errand_home):
    """Embedded (in-process) sandbox services in this test's ERRAND_HOME."""
    from tools.services import Services

    svc = Services(home=errand_home)
    yield svc
    svc.close()
