"""Helpers shared by tests that start real subprocesses."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import SANDBOX_NOW

REPO = Path(__file__).resolve().parent.parent


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment for a child process: this test's ERRAND_HOME and clock, no proxies."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update({"ERRAND_HOME": str(home), "ERRAND_SANDBOX_NOW": SANDBOX_NOW, "PYTHONPATH": str(REPO),
                "NO_PROXY": "127.0.0.1,localhost", "OPENAI_API_KEY": "test-key"}, **extra)
    return env
