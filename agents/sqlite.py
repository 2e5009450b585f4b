"""One way to keep a small SQLite store: one connection per store, shared by threads under a
lock, WAL so other processes read while one writes, serialised write transactions, and
synchronous=NORMAL (no sync to disk at every commit)."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def one_transaction(script: str) -> str:
    """A schema script as one transaction: one commit (one sync to disk) for a new database
    instead of one per statement."""
    return f"BEGIN IMMEDIATE;\n{script}\nCOMMIT;"


class SqliteStore:
    """Base of the run index, the trigger ledger and the memory store."""

    def __init__(self, path: Path, schema: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        # as the audit log: a commit survives the process dying; a power cut may roll back the
        # last commits but never corrupts the store (checkpoints, the runs' truth, keep FULL)
        self._conn.execute("PRAGMA synchronous=NORMAL")
        with self._locked() as conn:
            conn.executescript(one_transaction(schema))

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def _locked(self) -> Iterator[sqlite3.Connection]:
        """The connection, for autocommit statements."""
        with self._lock:
            yield self._conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE … COMMIT), rolled back on any error."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
