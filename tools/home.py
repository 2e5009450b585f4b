"""Where errand keeps its state: ``ERRAND_HOME`` (default ``~/.errand``).

``use_home(path)`` overrides it for the current context only (a thread, an asyncio task,
or a worker started with the context copied), so an evaluation can run many isolated
trials side by side in one process, each with its own state directory.
"""

from __future__ import annotations

import contextvars
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

_home_override: contextvars.ContextVar[Path | None] = contextvars.ContextVar("errand_home", default=None)


_resolved: dict[str, Path] = {}


def errand_home() -> Path:
    """The state directory, created on first use. Tests point ``ERRAND_HOME`` at a temp dir."""
    home = _home_override.get()
    if home is None:
        setting = os.environ.get("ERRAND_HOME") or "~/.errand"
        home = _resolved.get(setting)
        if home is None:  # on hot paths: resolve and create once per process, not at every call
            home = _resolved[setting] = Path(setting).expanduser()
            home.mkdir(parents=True, exist_ok=True)
    return home


@contextmanager
def use_home(path: str | Path) -> Iterator[Path]:
    """Make ``path`` the errand home for code running in this context (created now)."""
    Path(path).mkdir(parents=True, exist_ok=True)
    token = _home_override.set(Path(path))
    try:
        yield Path(path)
    finally:
        _home_override.reset(token)
