"""The ledger: which events each trigger has acted on, durably, in ``ERRAND_HOME/triggers.sqlite``.

One row per (trigger, event key). A watcher **claims** a key before it starts the proposal's run
(one transaction: exactly one of several watchers wins, in one process or many), then
**settles** it with what happened. A key once settled is never proposed again — across
restarts, and whatever the person did with the proposal; a dismissal is recorded on the row.

Statuses: ``claimed`` (a watcher is preparing the proposal), ``proposed`` (parked in the inbox),
``finished`` (the run ended without needing the person, e.g. no alternative was found),
``failed`` (the run could not be prepared: retried on later passes, up to
:data:`MAX_ATTEMPTS` times), ``dismissed`` (the person dismissed the proposal).

A claim whose watcher died (older than the lease) may be taken over; the proposal's run id is
derived from (trigger, key), so the new watcher carries on the same run instead of starting a
second one.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from agents.models import utcnow
from agents.sqlite import SqliteStore
from tools.home import errand_home

MAX_ATTEMPTS = 3
DEFAULT_LEASE_SECONDS = 600

Status = Literal["claimed", "proposed", "finished", "failed", "dismissed"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    trigger TEXT NOT NULL, key TEXT NOT NULL, status TEXT NOT NULL, run_id TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1, summary TEXT NOT NULL DEFAULT '', error TEXT,
    claimed_by TEXT NOT NULL, claimed_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (trigger, key));
CREATE INDEX IF NOT EXISTS events_run ON events(run_id);
"""


def proposal_run_id(trigger_id: str, key: str) -> str:
    """The run id of the proposal for one event: the same event always maps to the same run."""
    return hashlib.sha256(f"proposal|{trigger_id}|{key}".encode()).hexdigest()[:16]


class LedgerRow(BaseModel):
    trigger: str
    key: str
    status: Status
    run_id: str
    attempts: int
    summary: str
    error: str | None
    claimed_by: str
    claimed_at: str
    updated_at: str


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class Ledger(SqliteStore):
    def __init__(self, path: Path | None = None, *, lease_seconds: int = DEFAULT_LEASE_SECONDS) -> None:
        super().__init__(path or errand_home() / "triggers.sqlite", SCHEMA)
        self.lease = timedelta(seconds=lease_seconds)

    def get(self, trigger: str, key: str) -> LedgerRow | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM events WHERE trigger=? AND key=?", (trigger, key)).fetchone()
        return LedgerRow(**dict(row)) if row else None

    def by_run(self, run_id: str) -> LedgerRow | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM events WHERE run_id=?", (run_id,)).fetchone()
        return LedgerRow(**dict(row)) if row else None

    def rows(self, *, trigger: str | None = None) -> list[LedgerRow]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM events WHERE ? IS NULL OR trigger=? ORDER BY updated_at DESC",
                                      (trigger, trigger)).fetchall()
        return [LedgerRow(**dict(r)) for r in rows]

    def claim(self, trigger: str, key: str, *, now: datetime | None = None) -> LedgerRow | None:
        """Take (trigger, key) for this watcher; None when it is settled or another watcher holds it.

        A new key is claimed at once. A claim older than the lease (its watcher died) and a
        failed attempt (below :data:`MAX_ATTEMPTS`) may be taken over; the row keeps its run id.
        """
        moment = now or datetime.now(timezone.utc)
        stamp = moment.isoformat(timespec="milliseconds")
        stale = (moment - self.lease).isoformat(timespec="milliseconds")
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM events WHERE trigger=? AND key=?", (trigger, key)).fetchone()
            if row is None:
                conn.execute("INSERT INTO events (trigger, key, status, run_id, claimed_by, claimed_at, updated_at) "
                             "VALUES (?, ?, 'claimed', ?, ?, ?, ?)",
                             (trigger, key, proposal_run_id(trigger, key), _me(), stamp, stamp))
            elif (row["status"] == "claimed" and row["claimed_at"] < stale) or \
                    (row["status"] == "failed" and row["attempts"] < MAX_ATTEMPTS):
                conn.execute("UPDATE events SET status='claimed', attempts=attempts + 1, claimed_by=?, claimed_at=?, "
                             "updated_at=? WHERE trigger=? AND key=?", (_me(), stamp, stamp, trigger, key))
            else:
                return None
            return LedgerRow(**dict(conn.execute("SELECT * FROM events WHERE trigger=? AND key=?",
                                                 (trigger, key)).fetchone()))

    def settle(self, trigger: str, key: str, status: Status, *, summary: str = "", error: str | None = None) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE events SET status=?, summary=?, error=?, updated_at=? WHERE trigger=? AND key=?",
                         (status, summary[:500], error, utcnow(), trigger, key))

    def dismissed(self, run_id: str, reason: str = "") -> LedgerRow | None:
        """Record that the person dismissed the proposal of ``run_id``; the row, or None when the
        run is not a trigger's proposal."""
        with self.transaction() as conn:
            updated = conn.execute("UPDATE events SET status='dismissed', summary=?, updated_at=? WHERE run_id=?",
                                   (f"dismissed{': ' + reason if reason else ''}"[:500], utcnow(), run_id))
            if not updated.rowcount:
                return None
            row: Any = conn.execute("SELECT * FROM events WHERE run_id=?", (run_id,)).fetchone()
        return LedgerRow(**dict(row))


__all__ = ["DEFAULT_LEASE_SECONDS", "MAX_ATTEMPTS", "Ledger", "LedgerRow", "proposal_run_id"]
