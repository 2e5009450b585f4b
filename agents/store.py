"""Durable runs: the LangGraph checkpointer (SQLite by default) and the run index.

The checkpointer holds each run's full state, so a paused run can be resumed from any
process. The run index is a small table beside it — one row per run — so listing
thousands of runs never loads a checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import BaseModel

from agents.sqlite import SqliteStore
from agents.models import DEFAULT_APPROVAL_TTL_SECONDS, RunStatus, utcnow
from tools.home import errand_home


def open_checkpointer(target: BaseCheckpointSaver | str | Path | None = None) -> BaseCheckpointSaver:
    """A checkpointer object as given, a Postgres URL, a SQLite path, or ERRAND_HOME's SQLite file."""
    if isinstance(target, BaseCheckpointSaver):
        return target
    if isinstance(target, str) and target.startswith(("postgres://", "postgresql://")):
        try:
            from langgraph.checkpoint.postgres import PostgresSaver
            from psycopg import Connection
            from psycopg.rows import dict_row
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise RuntimeError("Postgres checkpoints need: pip install 'errand-agents[postgres]'") from exc
        conn = Connection.connect(target, autocommit=True, prepare_threshold=0, row_factory=dict_row)
        saver = PostgresSaver(conn)
        saver.setup()
        return saver
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = Path(target) if target else errand_home() / "checkpoints.sqlite"
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
    saver = SqliteSaver(conn)
    saver.setup()
    return saver


_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, agent TEXT NOT NULL, request TEXT NOT NULL,
    status TEXT NOT NULL, waiting_for TEXT, spec TEXT NOT NULL DEFAULT '{}',
    summary TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    touched INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS runs_status ON runs(status, touched);
CREATE INDEX IF NOT EXISTS runs_touched ON runs(touched);
CREATE TABLE IF NOT EXISTS inbox (
    item_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, agent TEXT NOT NULL,
    kind TEXT NOT NULL, action_id TEXT, args_hash TEXT, payload TEXT NOT NULL,
    created_at TEXT NOT NULL, expires_at TEXT, status TEXT NOT NULL,
    decided_at TEXT, decided_by TEXT, decision TEXT, outcome TEXT);
CREATE INDEX IF NOT EXISTS inbox_status ON inbox(status, created_at);
CREATE INDEX IF NOT EXISTS inbox_run ON inbox(run_id, status);
"""

# a monotonic change counter: timestamps tie when runs change within the same millisecond
_NEXT_TOUCH = "(SELECT COALESCE(MAX(touched), 0) + 1 FROM runs)"


class RunRecord(BaseModel):
    run_id: str
    agent: str
    request: str
    status: RunStatus
    waiting_for: dict[str, Any] | None = None
    spec: dict[str, Any] = {}
    summary: str = ""
    created_at: str
    updated_at: str
    parent_id: str | None = None  # the run this one is part of (a concierge plan's sub-errand), if any


class RunIndex(SqliteStore):
    """One row per run: id, agent, request, status, what it waits for, times, how to rebuild it.

    A run may be part of another (a sub-errand of a concierge plan): its spec names the
    parent under ``"parent"``, and :meth:`children` lists a parent's runs.
    """

    def __init__(self, path: Path | None = None) -> None:
        super().__init__(path or errand_home() / "runs.sqlite", _SCHEMA)
        with self._locked() as conn:
            if "parent_id" not in {row["name"] for row in conn.execute("PRAGMA table_info(runs)")}:
                conn.execute("ALTER TABLE runs ADD COLUMN parent_id TEXT")  # indexes written before links existed
            conn.execute("CREATE INDEX IF NOT EXISTS runs_parent ON runs(parent_id)")

    def create(self, run_id: str, agent: str, request: str, spec: dict[str, Any]) -> None:
        """Add a run; an id that exists already raises ``sqlite3.IntegrityError`` (so creating is
        also how one of several processes claims a derived run id). ``spec["parent"]`` links it."""
        now = utcnow()
        with self._locked() as conn:
            conn.execute("INSERT INTO runs (run_id, agent, request, status, waiting_for, spec, summary, created_at,"
                         " updated_at, touched, parent_id) VALUES (?, ?, ?, ?, NULL, ?, '', ?, ?, " + _NEXT_TOUCH
                         + ", ?)", (run_id, agent, request, RunStatus.RUNNING.value, json.dumps(spec), now, now,
                                    spec.get("parent")))


    def update(self, run_id: str, status: RunStatus, waiting_for: dict[str, Any] | None = None,
               summary: str = "", outcome: str | None = None, *, unless_settled: bool = False) -> bool:
        """Record where a run stands; a pause puts its items in the inbox, anything else closes them.

        ``unless_settled`` leaves a run that is already done, failed or rejected as it is (and
        returns False): a status derived from several runs (a concierge plan's, from its
        sub-errands) is written by whichever process saw them last, and a late writer that saw
        an earlier moment must not reopen a settled plan."""
        now = utcnow()
        with self.transaction() as conn:
            if unless_settled:
                row = conn.execute("SELECT status FROM runs WHERE run_id=?", (run_id,)).fetchone()
                if row is not None and row["status"] in _SETTLED:
                    return False
            conn.execute("UPDATE runs SET status=?, waiting_for=?, summary=?, updated_at=?, touched=" + _NEXT_TOUCH
                         + " WHERE run_id=?",
                         (status.value, json.dumps(waiting_for, ensure_ascii=False) if waiting_for else None,
                          summary, now, run_id))
            row = conn.execute("SELECT agent FROM runs WHERE run_id=?", (run_id,)).fetchone()
            current: list[str] = []
            if status is RunStatus.WAITING and waiting_for and row:
                for item in inbox_items(run_id, row["agent"], waiting_for):
                    current.append(item["item_id"])
                    conn.execute(
                        "INSERT OR IGNORE INTO inbox (item_id, run_id, agent, kind, action_id, args_hash, payload,"
                        " created_at, expires_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
                        (item["item_id"], run_id, row["agent"], item["kind"], item.get("action_id"),
                         item.get("args_hash"), json.dumps(item["payload"], ensure_ascii=False), now,
                         item.get("expires_at") or _default_expiry(now) if item["kind"] == "approval" else None))
            marks = ",".join("?" * len(current))
            closed = "superseded" if status is RunStatus.WAITING else "closed"
            conn.execute(f"UPDATE inbox SET status=?, outcome=? WHERE run_id=? AND status='pending'"
                         f"{f' AND item_id NOT IN ({marks})' if current else ''}",
                         (closed, outcome or status.value, run_id, *current))
            if outcome or status is not RunStatus.WAITING:
                # decided items learn what their decision led to (done, next approval, failed)
                conn.execute("UPDATE inbox SET outcome=? WHERE run_id=? AND status NOT IN ('pending') "
                             "AND decided_at IS NOT NULL AND outcome IS NULL",
                             (outcome or status.value, run_id))
        return True

    def claim(self, run_id: str, decided: dict[str, str] | None = None, *, by: str | None = None,
              decision: dict[str, Any] | None = None, now: str | None = None) -> None:
        """Atomically take a waiting run (and decide its inbox items) so exactly one decision wins.

        ``decided`` maps inbox item ids to their new status. Raises :class:`ClaimRefused` with a
        plain reason when the run is not waiting or an item is no longer pending or has expired.
        """
        now = now or utcnow()
        with self.transaction() as conn:
            row = conn.execute("SELECT status FROM runs WHERE run_id=?", (run_id,)).fetchone()
            if row is None:
                return  # a run started outside the index (a hand-built graph): nothing to guard
            if row["status"] != RunStatus.WAITING.value:
                raise ClaimRefused(f"run {run_id} is not waiting for a decision (status: {row['status']}); "
                                   "someone else may have decided it")
            for item_id, new_status in (decided or {}).items():
                item = conn.execute("SELECT status, expires_at FROM inbox WHERE item_id=? AND run_id=?",
                                    (item_id, run_id)).fetchone()
                if item is None:
                    continue  # items are bookkeeping; the graph itself checks ids and hashes
                if item["status"] != "pending":
                    raise ClaimRefused(f"item {item_id} is no longer pending (it is {item['status']})")
                if new_status != "expired" and item["expires_at"] and item["expires_at"] <= now:
                    raise ClaimRefused(f"item {item_id} expired at {item['expires_at']}; it counts as rejected")
                conn.execute("UPDATE inbox SET status=?, decided_at=?, decided_by=?, decision=? WHERE item_id=?",
                             (new_status, now, by, json.dumps(decision, ensure_ascii=False, default=str),
                              item_id))
            conn.execute("UPDATE runs SET status=?, updated_at=?, touched=" + _NEXT_TOUCH + " WHERE run_id=?",
                         (RunStatus.RUNNING.value, now, run_id))

    def items(self, *, status: str | None = "pending", run_id: str | None = None,
              limit: int | None = None) -> list[dict[str, Any]]:
        """Inbox items, newest first (pending ones by default)."""
        where, params = [], []
        if status is not None:
            where.append("status=?")
            params.append(status)
        if run_id is not None:
            where.append("run_id=?")
            params.append(run_id)
        sql = "SELECT * FROM inbox" + (f" WHERE {' AND '.join(where)}" if where else "")
        sql += " ORDER BY created_at DESC, run_id, action_id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._locked() as conn:
            return [_item(r) for r in conn.execute(sql, params)]

    def item(self, item_id: str) -> dict[str, Any] | None:
        with self._locked() as conn:
            row = conn.execute("SELECT * FROM inbox WHERE item_id=?", (item_id,)).fetchone()
            if row is None and len(item_id) >= 4:
                rows = conn.execute("SELECT * FROM inbox WHERE item_id LIKE ? LIMIT 2",
                                    (item_id.replace("%", "") + "%",)).fetchall()
                row = rows[0] if len(rows) == 1 else None
        return _item(row) if row else None

    def exists(self, run_id: str) -> bool:
        """Whether exactly this run id is in the index (no prefix matching)."""
        with self._locked() as conn:
            return conn.execute("SELECT 1 FROM runs WHERE run_id=?", (run_id,)).fetchone() is not None

    def get(self, run_id: str) -> RunRecord | None:
        with self._locked() as conn:
            row = conn.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
            if row is None and len(run_id) >= 4:  # accept an unambiguous prefix, like git
                rows = conn.execute("SELECT * FROM runs WHERE run_id LIKE ? LIMIT 2",
                                    (run_id.replace("%", "") + "%",)).fetchall()
                row = rows[0] if len(rows) == 1 else None
        return _record(row) if row else None

    def children(self, parent_id: str) -> list[RunRecord]:
        """The runs that are part of ``parent_id`` (a concierge plan's sub-errands), oldest first."""
        with self._locked() as conn:
            return [_record(r) for r in conn.execute("SELECT * FROM runs WHERE parent_id=? ORDER BY created_at, "
                                                     "run_id", (parent_id,))]

    def list(self, *, status: RunStatus | None = None, limit: int | None = None) -> list[RunRecord]:
        sql = "SELECT * FROM runs"
        params: list[Any] = []
        if status is not None:
            sql += " WHERE status=?"
            params.append(status.value)
        sql += " ORDER BY touched DESC"
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        with self._locked() as conn:
            return [_record(r) for r in conn.execute(sql, params)]


_SETTLED = frozenset({RunStatus.DONE.value, RunStatus.FAILED.value, RunStatus.REJECTED.value})


class ClaimRefused(Exception):
    """A decision arrived for a run or item that is no longer waiting for it."""


def _default_expiry(now: str) -> str:
    moment = datetime.fromisoformat(now) + timedelta(seconds=DEFAULT_APPROVAL_TTL_SECONDS)
    return moment.isoformat(timespec="milliseconds")


def item_id_for(run_id: str, kind: str, key: str) -> str:
    """Inbox item ids are derived, not random: the same pause always yields the same ids."""
    return ("a-" if kind == "approval" else "q-") + hashlib.sha256(f"{run_id}|{key}".encode()).hexdigest()[:10]


def inbox_items(run_id: str, agent: str, waiting_for: dict[str, Any]) -> list[dict[str, Any]]:
    """The inbox items of one pause: one per pending action, or one for a question."""
    if waiting_for.get("kind") == "question":
        key = f"q|{waiting_for.get('turn', 0)}|{waiting_for.get('question', '')}"
        return [{"item_id": item_id_for(run_id, "question", key), "kind": "question", "payload": waiting_for}]
    items = []
    for action in waiting_for.get("actions", []):
        items.append({"item_id": item_id_for(run_id, "approval", f"{action['action_id']}|{action['args_hash']}"),
                      "kind": "approval", "action_id": action["action_id"], "args_hash": action["args_hash"],
                      "expires_at": action.get("expires_at"), "payload": action})
    return items


def decided_items(run_id: str, pause: Any, value: Any) -> dict[str, str]:
    """Which inbox items a resume value decides, and how (approved, edited, rejected, answered)."""
    if getattr(value, "kind", None) == "answer":
        key = f"q|{getattr(pause, 'turn', 0)}|{getattr(pause, 'question', '')}"
        return {item_id_for(run_id, "question", key): "answered"}
    status = {"approve": "approved", "edit": "edited", "reject": "rejected"}
    by_id = {a.action_id: a for a in getattr(pause, "actions", [])}
    return {item_id_for(run_id, "approval", f"{action_id}|{by_id[action_id].args_hash}"):
            "expired" if getattr(decision, "reason", "") == EXPIRED_REASON else
            "dismissed" if getattr(decision, "dismiss", False) else status[decision.type]
            for action_id, decision in value.decisions.items() if action_id in by_id}


EXPIRED_REASON = "approval expired"


def _item(row: sqlite3.Row) -> dict[str, Any]:
    item = dict(row)
    item["payload"] = json.loads(item["payload"])
    item["decision"] = json.loads(item["decision"]) if item["decision"] else None
    return item


def _record(row: sqlite3.Row) -> RunRecord:
    return RunRecord(run_id=row["run_id"], agent=row["agent"], request=row["request"],
                     status=RunStatus(row["status"]),
                     waiting_for=json.loads(row["waiting_for"]) if row["waiting_for"] else None,
                     spec=json.loads(row["spec"]), summary=row["summary"],
                     created_at=row["created_at"], updated_at=row["updated_at"], parent_id=row["parent_id"])
