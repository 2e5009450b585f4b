"""The audit log: every gate decision, human decision and executed action, hash-chained.

Stored in SQLite (``ERRAND_HOME/audit.sqlite``) rather than JSONL because appends come
from several processes at once (a terminal approving, a worker executing) and the chain
needs "read the last hash, append the next entry" to be one atomic step — SQLite's
``BEGIN IMMEDIATE`` gives exactly that, where a JSONL file would need its own locking.
SQLite also answers the spend-window queries (one user's payments since a moment) from an
index instead of a scan, and its UNIQUE key makes appends idempotent: LangGraph re-runs
a node from its top after a resume or crash, and the same decision must not be logged —
or counted against a spending cap — twice.

Each entry's hash covers the previous entry's hash and its own canonical JSON, so:

- an **edited** entry no longer matches its hash;
- a **removed** entry leaves a gap in the sequence and breaks the next entry's link;
- a **reordered** entry's link points at an entry other than the one before it;
- entries **removed from the end** are caught by the head record (the ``head`` table, written
  in the same transaction as every append), which holds the last sequence number and hash.

Someone who can rewrite the whole database can forge a consistent history; to detect that
too, keep the head hash somewhere else (``errand audit verify --json`` prints it) and pass
it back with ``--expect-head``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Literal

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from tools.home import errand_home

if TYPE_CHECKING:
    from tools.model import ToolMeta

GENESIS = "0" * 64
Kind = Literal["decision", "human", "executed", "remembered"]


def now() -> datetime:
    """errand's clock: real time, unless ``ERRAND_SANDBOX_NOW`` pins it for reproducible runs."""
    pinned = os.environ.get("ERRAND_SANDBOX_NOW")
    if pinned:
        moment = datetime.fromisoformat(pinned)
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc)


def _stamp(moment: datetime) -> str:
    """A fixed-width UTC timestamp, so that text order is time order in SQL."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


class AuditEntry(BaseModel):
    seq: int
    at: datetime
    kind: str
    key: str
    run_id: str | None = None
    action_id: str | None = None
    user_id: str | None = None
    tool: str | None = None
    args_hash: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    prev: str
    hash: str

    def where(self) -> str:
        """'entry 12 (decision, run 3f2a…, action 1.1, shop_place_order)'."""
        parts = [self.kind]
        if self.run_id:
            parts.append(f"run {self.run_id}")
        if self.action_id:
            parts.append(f"action {self.action_id}")
        if self.tool:
            parts.append(self.tool)
        return f"entry {self.seq} ({', '.join(parts)}, {_stamp(self.at)})"


def entry_hash(prev: str, at: str, kind: str, key: str, run_id: str | None, action_id: str | None,
               user_id: str | None, tool: str | None, args_hash: str | None, data: Any) -> str:
    """sha256 over the previous hash and the entry's canonical JSON.

    ``data`` is the stored canonical body (a string) or the object it came from. The body is
    spliced into the envelope as stored — the same bytes ``_canonical`` of the whole entry gives,
    without encoding the data twice — so a body altered in any way no longer verifies.
    """
    body = data if isinstance(data, str) else _canonical(data)
    envelope = _canonical({"action_id": action_id, "args_hash": args_hash, "at": at})[:-1]
    tail = _canonical({"key": key, "kind": kind, "run_id": run_id, "tool": tool, "user_id": user_id})[1:]
    return hashlib.sha256(f"{prev}\n{envelope},\"data\":{body},{tail}".encode()).hexdigest()


class AuditProblem(BaseModel):
    seq: int | None
    problem: Literal["edited", "removed", "reordered", "head"]
    message: str


class VerifyReport(BaseModel):
    ok: bool
    path: str
    entries: int
    head: str | None = Field(description="The last entry's hash: keep it elsewhere to detect rewrites")
    problems: list[AuditProblem] = Field(default_factory=list)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL UNIQUE,
    run_id TEXT, action_id TEXT, user_id TEXT, tool TEXT, args_hash TEXT,
    data TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS entries_user ON entries(user_id, kind, at);
CREATE INDEX IF NOT EXISTS entries_run ON entries(run_id, action_id);
CREATE INDEX IF NOT EXISTS entries_args ON entries(user_id, args_hash, kind);
CREATE TABLE IF NOT EXISTS head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
"""
_COLUMNS = "seq, at, kind, key, run_id, action_id, user_id, tool, args_hash, data, prev, hash"


class AuditLog:
    """The append-only, hash-chained log. ``path`` defaults to ``ERRAND_HOME/audit.sqlite`` at use time."""

    _connections: dict[str, tuple[sqlite3.Connection, threading.Lock]] = {}
    _registry_lock = threading.Lock()

    def __init__(self, path: str | Path | None = None) -> None:
        self._path = Path(path) if path else None

    @property
    def path(self) -> Path:
        return self._path or errand_home() / "audit.sqlite"

    def _conn(self) -> tuple[sqlite3.Connection, threading.Lock]:
        key = str(self.path)
        with AuditLog._registry_lock:
            if key not in AuditLog._connections or not self.path.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(f"BEGIN IMMEDIATE;\n{_SCHEMA}\nCOMMIT;")  # one commit for a new log
                AuditLog._connections[key] = (conn, threading.Lock())
            return AuditLog._connections[key]

    @classmethod
    def release_under(cls, directory: str | Path) -> int:
        """Close the cached connections of every log under ``directory`` (e.g. a finished eval
        trial's home), so long runs do not keep one open file per home; returns how many."""
        root = str(Path(directory).resolve())
        closed = 0
        with cls._registry_lock:
            for key in [k for k in cls._connections if str(Path(k).resolve()).startswith(root)]:
                conn, lock = cls._connections.pop(key)
                with lock:
                    conn.close()
                closed += 1
        return closed

    # -- writing ------------------------------------------------------------------------

    def append(self, kind: str, key: str, *, data: dict[str, Any], run_id: str | None = None,
               action_id: str | None = None, user_id: str | None = None, tool: str | None = None,
               args_hash: str | None = None, at: datetime | None = None) -> AuditEntry:
        """Append one entry, or return the existing one with the same ``key`` (idempotent)."""
        return self.append_all([Pending(kind=kind, key=key, data=data, run_id=run_id, action_id=action_id,
                                        user_id=user_id, tool=tool, args_hash=args_hash, at=at)])[0]

    def append_all(self, entries: "list[Pending]") -> list[AuditEntry]:
        """Append several entries in one transaction, in order (each idempotent by its key).

        One transaction is one commit: a tool call's decision and execution written together
        cost the log one write instead of two."""
        conn, lock = self._conn()
        written: list[AuditEntry] = []
        with lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                last = conn.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
                seq, prev = (last["seq"], last["hash"]) if last else (0, GENESIS)
                for entry in entries:
                    stamp = _stamp(entry.at or now())
                    body = _canonical(entry.data)
                    digest = entry_hash(prev, stamp, entry.kind, entry.key, entry.run_id, entry.action_id,
                                        entry.user_id, entry.tool, entry.args_hash, body)
                    inserted = conn.execute(
                        f"INSERT INTO entries ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT(key) DO NOTHING",
                        (seq + 1, stamp, entry.kind, entry.key, entry.run_id, entry.action_id, entry.user_id,
                         entry.tool, entry.args_hash, body, prev, digest)).rowcount
                    if not inserted:  # logged before (a node re-run after a resume or crash)
                        written.append(_entry(conn.execute(f"SELECT {_COLUMNS} FROM entries WHERE key=?",
                                                           (entry.key,)).fetchone()))
                        continue
                    # built from values just written: no need to validate them again
                    written.append(AuditEntry.model_construct(
                        seq=seq + 1, at=datetime.fromisoformat(stamp.replace("Z", "+00:00")), kind=entry.kind,
                        key=entry.key, run_id=entry.run_id, action_id=entry.action_id, user_id=entry.user_id,
                        tool=entry.tool, args_hash=entry.args_hash, data=entry.data, prev=prev, hash=digest))
                    seq, prev = seq + 1, digest
                if last is None or seq != last["seq"]:
                    conn.execute("INSERT INTO head (id, seq, hash) VALUES (1, ?, ?) "
                                 "ON CONFLICT(id) DO UPDATE SET seq=excluded.seq, hash=excluded.hash", (seq, prev))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return written

    def _read_head(self, conn: sqlite3.Connection) -> dict[str, Any] | None:
        row = conn.execute("SELECT seq, hash FROM head WHERE id=1").fetchone()
        return {"seq": row["seq"], "hash": row["hash"]} if row else None

    def record_decision(self, **fields: Any) -> AuditEntry:
        """A gate decision (idempotent per run, action and args); see :func:`decision_entry`."""
        return self.append_all([decision_entry(**fields)])[0]

    def record_human(self, *, run_id: str, action_id: str, tool: str, args_hash: str, user_id: str | None,
                     decision: dict[str, Any], at: datetime | None = None) -> AuditEntry:
        """A person's approve / edit / reject of one action as shown (idempotent per decision)."""
        kind = decision.get("type", "?")
        return self.append("human", f"{run_id}:{action_id}:human:{kind}:{args_hash}", run_id=run_id,
                           action_id=action_id, user_id=user_id, tool=tool, args_hash=args_hash, at=at,
                           data=decision)

    def record_execution(self, **fields: Any) -> AuditEntry:
        """What ran and how it went (idempotent per run, action and args); see :func:`execution_entry`."""
        return self.append_all([execution_entry(**fields)])[0]

    # -- reading ------------------------------------------------------------------------

    def entries(self, *, kinds: Iterable[str] | None = None, run_ids: Iterable[str] | None = None,
                user_id: str | None = None, args_hash: str | None = None, since: datetime | None = None,
                until: datetime | None = None) -> list[AuditEntry]:
        """Entries in sequence order, filtered."""
        sql, params = f"SELECT {_COLUMNS} FROM entries WHERE 1=1", []
        for column, values in (("kind", kinds), ("run_id", run_ids)):
            if values is not None:
                values = list(values)
                sql += f" AND {column} IN ({','.join('?' * len(values))})"
                params += values
        if user_id is not None:
            sql += " AND user_id=?"
            params.append(user_id)
        if args_hash is not None:
            sql += " AND args_hash=?"
            params.append(args_hash)
        if since is not None:
            sql += " AND at>=?"
            params.append(_stamp(since))
        if until is not None:
            sql += " AND at<?"
            params.append(_stamp(until))
        conn, lock = self._conn()
        with lock:
            rows = conn.execute(sql + " ORDER BY seq", params).fetchall()
        return [_entry(r) for r in rows]

    def spent(self, user_id: str | None, currency: str, *, since: datetime, until: datetime,
              payment_method: str | None = None, by_method: bool = False, run_id: str | None = None,
              exclude_action: str | None = None) -> Decimal:
        """Money this user committed in [since, until): executed payments, plus this run's actions
        that were allowed or approved and have not finished yet (so two payments in one step
        cannot each squeeze under a cap). ``by_method`` restricts to ``payment_method``."""
        total = Decimal(0)
        for entry in self.entries(kinds=["executed"], user_id=user_id, since=since, until=until):
            if entry.data.get("ok") and _counts(entry.data, currency, payment_method, by_method):
                total += _amount(entry.data)
        if run_id is None:
            return total
        finished: set[str] = set()
        committed: dict[str, dict[str, Any]] = {}
        for entry in self.entries(run_ids=[run_id]):
            action = entry.action_id or ""
            if entry.kind == "executed":
                finished.add(action)
            elif entry.kind == "decision":
                decision = (entry.data.get("verdict") or {}).get("decision")
                committed.pop(action, None)
                if decision == "allow":
                    committed[action] = entry.data
            elif entry.kind == "human" and entry.data.get("type") == "approve":
                last = self._last_decision(run_id, action)
                if last is not None:
                    committed[action] = last
        for action, data in committed.items():
            if action not in finished and action != exclude_action and _counts(data, currency, payment_method,
                                                                                by_method):
                total += _amount(data)
        return total

    def _last_decision(self, run_id: str, action_id: str) -> dict[str, Any] | None:
        decisions = [e for e in self.entries(kinds=["decision"], run_ids=[run_id]) if e.action_id == action_id]
        return decisions[-1].data if decisions else None

    def payments_to(self, user_id: str | None, payee: str, *, until: datetime) -> int:
        """How many successful payments this user made to ``payee`` before ``until``."""
        return sum(1 for e in self.entries(kinds=["executed"], user_id=user_id, until=until)
                   if e.data.get("ok") and e.data.get("amount") and payee in (e.data.get("payees") or []))

    def first_proposed(self, user_id: str | None, args_hash: str) -> datetime | None:
        """When this exact action (tool + args) was first put to the gate for this user."""
        found = self.entries(kinds=["decision"], user_id=user_id, args_hash=args_hash)
        return min((e.at for e in found), default=None)

    # -- verifying ----------------------------------------------------------------------

    def verify(self, expect_head: str | None = None) -> VerifyReport:
        """Walk the chain; report every edited, removed or reordered entry by sequence number."""
        if not self.path.exists():
            return VerifyReport(ok=True, path=str(self.path), entries=0, head=None)
        conn, lock = self._conn()
        with lock:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM entries ORDER BY seq").fetchall()
            head = self._read_head(conn)
        problems: list[AuditProblem] = []
        by_hash = {r["hash"]: r["seq"] for r in rows}
        prev_hash, expected = GENESIS, 1
        for row in rows:
            seq = row["seq"]
            entry = _entry(row)
            recomputed = entry_hash(row["prev"], row["at"], row["kind"], row["key"], row["run_id"], row["action_id"],
                                    row["user_id"], row["tool"], row["args_hash"], row["data"])
            if recomputed != row["hash"]:
                problems.append(AuditProblem(seq=seq, problem="edited", message=(
                    f"{entry.where()} was changed after it was written (its hash no longer matches its content)")))
            if seq != expected:
                missing = f"entry {expected}" if seq == expected + 1 else f"entries {expected}–{seq - 1}"
                problems.append(AuditProblem(seq=expected, problem="removed", message=(
                    f"{missing} {'is' if seq == expected + 1 else 'are'} missing: the sequence jumps to {seq}")))
            elif row["prev"] != prev_hash:
                origin = by_hash.get(row["prev"])
                where = (f"it was written after entry {origin}" if origin is not None else
                         "the entry it was written after is gone or was changed")
                problems.append(AuditProblem(seq=seq, problem="reordered", message=(
                    f"{entry.where()} does not follow entry {seq - 1}: {where}")))
            prev_hash, expected = row["hash"], seq + 1
        last_seq = rows[-1]["seq"] if rows else 0
        if head is not None:
            if head.get("seq", 0) > last_seq:
                problems.append(AuditProblem(seq=last_seq + 1, problem="removed", message=(
                    f"entries {last_seq + 1}–{head['seq']} were removed from the end (the head records "
                    f"{head['seq']} entries, the log has {last_seq})")))
            else:
                at_head = next((r for r in rows if r["seq"] == head.get("seq")), None)
                if at_head is None or at_head["hash"] != head.get("hash"):
                    problems.append(AuditProblem(seq=head.get("seq"), problem="head", message=(
                        f"entry {head.get('seq')} is not the entry the head record names (replaced or rewritten)")))
        elif rows:
            problems.append(AuditProblem(seq=None, problem="head", message="the head record is missing"))
        if expect_head is not None and (not rows or rows[-1]["hash"] != expect_head):
            problems.append(AuditProblem(seq=last_seq or None, problem="head", message=(
                f"the last entry's hash is not the expected head {expect_head[:16]}… (history was rewritten)")))
        return VerifyReport(ok=not problems, path=str(self.path), entries=len(rows),
                            head=rows[-1]["hash"] if rows else None, problems=problems)



@dataclass(frozen=True)
class Pending:
    """An entry about to be appended (its place in the chain is given when it is written)."""

    kind: str
    key: str
    data: dict[str, Any]
    run_id: str | None = None
    action_id: str | None = None
    user_id: str | None = None
    tool: str | None = None
    args_hash: str | None = None
    at: datetime | None = None


def decision_entry(*, run_id: str, action_id: str, agent: str, tool: str, args: dict[str, Any], args_hash: str,
                   user_id: str | None, meta: "ToolMeta | None", verdict: dict[str, Any],
                   at: datetime | None = None) -> Pending:
    """The entry of a gate decision."""
    amount, method = money_fields(meta, args)
    return Pending(kind="decision", key=f"{run_id}:{action_id}:decision:{args_hash}", run_id=run_id,
                   action_id=action_id, user_id=user_id, tool=tool, args_hash=args_hash, at=at,
                   data={"agent": agent, "args": args, "effect": meta.effect.value if meta else None,
                         "verdict": verdict, "amount": amount, "payment_method": method})


def execution_entry(*, run_id: str, action_id: str, tool: str, args: dict[str, Any], args_hash: str,
                    user_id: str | None, meta: "ToolMeta | None", result: dict[str, Any],
                    at: datetime | None = None) -> Pending:
    """The entry of an executed action.

    Spending caps count the *authorised* amount (the tool's money argument): it is what the
    person agreed to and at least what was charged, and every tool states it the same way.
    """
    from policies.detectors.fraud import payees_of
    from policies.detectors.pii import leaves
    from policies.model import DEFAULT_PAYEE_ARGS

    amount, payment_method = money_fields(meta, args)
    effect = meta.effect.value if meta else None
    output = result.get("output")
    payees = [*payees_of(args, DEFAULT_PAYEE_ARGS),
              *(v for p, v in leaves(output) if p.rsplit(".", 1)[-1] == "merchant_id" and isinstance(v, str))]
    ids = {k: v for k, v in output.items() if isinstance(v, (str, int)) and (k == "status" or k.endswith("id"))} \
        if isinstance(output, dict) else {}
    error = result.get("error") or None
    return Pending(kind="executed", key=f"{run_id}:{action_id}:executed:{args_hash}", run_id=run_id,
                   action_id=action_id, user_id=user_id, tool=tool, args_hash=args_hash, at=at,
                   data={"args": args, "effect": effect, "ok": bool(result.get("ok")), "amount": amount,
                         "payment_method": payment_method, "payees": sorted(set(payees)),
                         "output_ids": ids, "output_digest": hashlib.sha256(_canonical(output).encode()).hexdigest(),
                         "error": {"kind": error.get("kind"), "message": error.get("message")}
                         if isinstance(error, dict) else None})


def money_fields(meta: "ToolMeta | None", args: dict[str, Any]) -> tuple[str | None, str | None]:
    """The money an action moves ("176.00 CNY") and the payment method it names, if any."""
    from decimal import InvalidOperation

    amount = None
    if meta is not None and meta.money is not None:
        try:
            found = meta.money.amount(args)
        except (InvalidOperation, ValueError, TypeError):
            found = None
        if found is not None:
            amount = f"{found[0]} {found[1]}"
    method = args.get("payment_method")
    return amount, method if isinstance(method, str) else None


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(seq=row["seq"], at=datetime.fromisoformat(row["at"].replace("Z", "+00:00")), kind=row["kind"],
                      key=row["key"], run_id=row["run_id"], action_id=row["action_id"], user_id=row["user_id"],
                      tool=row["tool"], args_hash=row["args_hash"], data=json.loads(row["data"]),
                      prev=row["prev"], hash=row["hash"])


def _amount(data: dict[str, Any]) -> Decimal:
    from policies.money import Money

    return Money.parse(data["amount"]).amount


def _counts(data: dict[str, Any], currency: str, payment_method: str | None, by_method: bool) -> bool:
    from policies.money import Money

    if not data.get("amount"):
        return False
    if Money.parse(data["amount"]).currency != currency:
        return False
    return not by_method or data.get("payment_method") == payment_method
