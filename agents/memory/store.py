"""The memory store: ``ERRAND_HOME/memory.sqlite``, on this machine only.

Three tables:

- ``observations`` — one row per decision that says something about a preference (a rejected
  night departure, an approved order at a merchant, a dismissed proposal), with its evidence;
- ``entries`` — the preferences those observations support (recomputed after each learning
  pass; ``created_at`` survives recomputation);
- ``forgotten`` — the ids of observations behind entries the person deleted. Forgetting removes
  the entry and the evidence's content, and keeps only these ids, so the same past decisions
  never teach the same thing again; new decisions may.

``sources`` remembers which version of each run was read, so a learning pass only reads runs
that changed since the last one.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from agents.memory.model import Evidence, Kind, MemoryEntry, PlannerView, Statement
from agents.models import utcnow
from agents.sqlite import SqliteStore
from tools.home import errand_home

SCHEMA = """
CREATE TABLE IF NOT EXISTS observations (
    id TEXT PRIMARY KEY, run_id TEXT NOT NULL, action_id TEXT, kind TEXT NOT NULL, subject TEXT NOT NULL,
    polarity INTEGER NOT NULL, stated INTEGER NOT NULL DEFAULT 0, decision TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '', at TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS observations_subject ON observations(kind, subject);
CREATE TABLE IF NOT EXISTS entries (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL, statement TEXT NOT NULL,
    value TEXT NOT NULL, evidence TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS forgotten (id TEXT PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (run_id TEXT PRIMARY KEY, version TEXT NOT NULL);
"""


ObservationKind = Literal["departure", "merchant", "dismissal"]


class Observation(BaseModel):
    """A decision read as evidence about one subject: ``polarity`` +1 for it, -1 against it."""

    id: str
    run_id: str
    action_id: str | None
    kind: ObservationKind
    subject: str
    polarity: int
    stated: bool = False
    decision: str
    reason: str = ""
    detail: str = ""
    at: str = ""

    def evidence(self) -> Evidence:
        return Evidence(ref=self.id, run_id=self.run_id, action_id=self.action_id,
                        decision=self.decision,  # type: ignore[arg-type]
                        reason=self.reason, detail=self.detail, stated=self.stated, at=self.at)


class ForgetError(LookupError):
    """No memory entry with that id."""


class MemoryStore(SqliteStore):
    """Read and write the person's memory. One connection per store, shared by threads under a lock."""

    def __init__(self, path: Path | None = None) -> None:
        super().__init__(path or errand_home() / "memory.sqlite", SCHEMA)

    # -- what has been read --------------------------------------------------------------

    def versions(self) -> dict[str, str]:
        with self._lock:
            return {r["run_id"]: r["version"] for r in self._conn.execute("SELECT * FROM sources")}

    def record(self, run_id: str, version: str, observations: list[Observation]) -> int:
        """Store what one run (at ``version``) shows; forgotten observations stay forgotten.
        Returns how many observations were new."""
        added = 0
        with self.transaction() as conn:
            forgotten = {r["id"] for r in conn.execute(
                "SELECT id FROM forgotten WHERE id IN (%s)" % ",".join("?" * len(observations)),
                [o.id for o in observations])} if observations else set()
            for o in observations:
                if o.id in forgotten:
                    continue
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO observations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (o.id, o.run_id, o.action_id, o.kind, o.subject, o.polarity, int(o.stated), o.decision,
                     o.reason, o.detail, o.at))
                added += cursor.rowcount
            conn.execute("INSERT OR REPLACE INTO sources VALUES (?, ?)", (run_id, version))
        return added

    def observations(self) -> list[Observation]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM observations ORDER BY at, id").fetchall()
        return [Observation(**{**dict(r), "stated": bool(r["stated"])}) for r in rows]

    # -- entries -------------------------------------------------------------------------

    def replace_entries(self, entries: list[tuple[str, Kind, str, Statement, dict[str, Any], list[Evidence]]]) -> None:
        """Make the stored entries exactly ``entries`` (id, kind, subject, statement, value, evidence),
        keeping the creation time of those that already existed."""
        now = utcnow()
        with self.transaction() as conn:
            existing = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM entries")}
            keep = {e[0] for e in entries}
            for gone in set(existing) - keep:
                conn.execute("DELETE FROM entries WHERE id=?", (gone,))
            for entry_id, kind, subject, statement, value, evidence in entries:
                payload = (statement.model_dump_json(), json.dumps(value, ensure_ascii=False),
                           json.dumps([e.model_dump(mode="json") for e in evidence], ensure_ascii=False))
                old = existing.get(entry_id)
                if old is None:
                    conn.execute("INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                 (entry_id, kind, subject, *payload, now, now))
                elif (old["statement"], old["value"], old["evidence"]) != payload:
                    conn.execute("UPDATE entries SET statement=?, value=?, evidence=?, updated_at=? WHERE id=?",
                                 (*payload, now, entry_id))

    def entries(self) -> list[MemoryEntry]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM entries ORDER BY kind, id").fetchall()
        return [MemoryEntry(id=r["id"], kind=r["kind"], subject=r["subject"],
                            statement=Statement.model_validate_json(r["statement"]), value=json.loads(r["value"]),
                            evidence=[Evidence.model_validate(e) for e in json.loads(r["evidence"])],
                            created_at=r["created_at"], updated_at=r["updated_at"]) for r in rows]

    def get(self, entry_id: str) -> MemoryEntry | None:
        return next((e for e in self.entries() if e.id == entry_id), None)

    def forget(self, entry_id: str) -> MemoryEntry:
        """Delete one entry and the content of its evidence, for good."""
        entry = self.get(entry_id)
        if entry is None:
            known = ", ".join(e.id for e in self.entries()) or "none"
            raise ForgetError(f"no memory entry {entry_id!r} (entries: {known})")
        with self.transaction() as conn:
            self._tombstone(conn, [e.ref for e in entry.evidence])
            conn.execute("DELETE FROM entries WHERE id=?", (entry_id,))
        return entry

    def forget_all(self) -> int:
        """Delete every entry and every piece of evidence; past decisions never teach them again."""
        with self.transaction() as conn:
            count = conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
            self._tombstone(conn, [r["id"] for r in conn.execute("SELECT id FROM observations")])
            conn.execute("DELETE FROM entries")
        return int(count)

    @staticmethod
    def _tombstone(conn: sqlite3.Connection, ids: list[str]) -> None:
        now = utcnow()
        conn.executemany("INSERT OR IGNORE INTO forgotten VALUES (?, ?)", [(i, now) for i in ids])
        conn.executemany("DELETE FROM observations WHERE id=?", [(i,) for i in ids])

    # -- the planner's view --------------------------------------------------------------

    def view(self) -> PlannerView:
        """The facts planners and triggers act on, from the current entries."""
        from agents.memory.model import BANDS

        view = PlannerView()
        for entry in self.entries():
            if entry.kind == "avoid_departures" and entry.subject in BANDS:
                view.avoid_departures.append(BANDS[entry.subject])
            elif entry.kind == "prefer_merchant":
                view.preferred_merchants.append(entry.subject)
            elif entry.kind == "avoid_merchant":
                view.avoided_merchants.append(entry.subject)
            elif entry.kind == "mute_trigger":
                view.muted_triggers.append(entry.subject)
        return view


__all__ = ["ForgetError", "MemoryStore", "Observation"]
