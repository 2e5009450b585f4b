"""Where errand keeps its state: ``ERRAND_HOME`` (default ``~/.errand``)."""

from __future__ import annotations

import os
from pathlib import Path


def errand_home() -> Path:
    """The state directory, created on first use. Tests point ``ERRAND_HOME`` at a temp dir."""
    home = Path(os.environ.get("ERRAND_HOME") or "~/.errand").expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home
