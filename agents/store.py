"""Durable runs: the LangGraph checkpointer (SQLite by default) and the run index.

The checkpointer holds each run's full state, so a paused run can be resumed from any
process. The run index is a small table beside it — one row per run — so listing
thousands of runs never loads a checkpoint.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import BaseModel

from agents.models import RunStatus, utcnow
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


class RunIndex:
    """One row per run: id, agent, request, status, what it waits for, times, how to rebuild it."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or errand_home() / "runs.sqlite"
        self._conn = self._connect()
        self._lock = threading.Lock()
        with self._locked() as conn:
            conn.executescript("""
                CREATE TABLE IF NOT EXISTS runs (
                    run_id TEXT PRIMARY KEY, agent TEXT NOT NULL, request TEXT NOT NULL,
                    status TEXT NOT NULL, waiting_for TEXT, spec TEXT NOT NULL DEFAULT '{}',
                    summary TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
                    touched INTEGER NOT NULL DEFAULT 0);
                CREATE INDEX IF NOT EXISTS runs_status ON runs(status, touched);
                CREATE INDEX IF NOT EXISTS runs_touched ON runs(touched);
            """)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    @contextmanager
    def _locked(self) -> Iterator[sqlite3.Connection]:
        # one connection per index, shared by threads under a lock; autocommit statements
        with self._lock:
            yield self._conn

    def close(self) -> None:
        self._conn.close()

    def create(self, run_id: str, agent: str, request: str, spec: dict[str, Any]) -> None:
        now = utcnow()
        with self._locked() as conn:
            conn.execute("INSERT INTO runs VALUES (?, ?, ?, ?, NULL, ?, '', ?, ?, " + _NEXT_TOUCH + ")",
                         (run_id, agent, request, RunStatus.RUNNING.value, json.dumps(spec), now, now))

    def update(self, run_id: str, status: RunStatus, waiting_for: dict[str, Any] | None = None,
               summary: str = "") -> None:
        with self._locked() as conn:
            conn.execute("UPDATE runs SET status=?, waiting_for=?, summary=?, updated_at=?, touched=" + _NEXT_TOUCH
                         + " WHERE run_id=?",
                         (status.value, json.dumps(waiting_for, ensure_ascii=False) if waiting_for else None,
                          summary, utcnow(), run_id))

    def claim(self, run_id: str) -> bool:
        """Atomically move a waiting run to running; False if someone else already did."""
        with self._locked() as conn:
            cur = conn.execute("UPDATE runs SET status=?, updated_at=?, touched=" + _NEXT_TOUCH
                               + " WHERE run_id=? AND status=?",
                               (RunStatus.RUNNING.value, utcnow(), run_id, RunStatus.WAITING.value))
            if cur.rowcount == 1:
                return True
            return conn.execute("SELECT 1 FROM runs WHERE run_id=?", (run_id,)).fetchone() is None

    def get(self, run_id: str) -> RunRecord | None:
        with self._locked() as conn:
            row = conn.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
            if row is None and len(run_id) >= 4:  # accept an unambiguous prefix, like git
                rows = conn.execute("SELECT * FROM runs WHERE run_id LIKE ? LIMIT 2",
                                    (run_id.replace("%", "") + "%",)).fetchall()
                row = rows[0] if len(rows) == 1 else None
        return _record(row) if row else None

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


def _record(row: sqlite3.Row) -> RunRecord:
    return RunRecord(run_id=row["run_id"], agent=row["agent"], request=row["request"],
                     status=RunStatus(row["status"]),
                     waiting_for=json.loads(row["waiting_for"]) if row["waiting_for"] else None,
                     spec=json.loads(row["spec"]), summary=row["summary"],
                     created_at=row["created_at"], updated_at=row["updated_at"])
