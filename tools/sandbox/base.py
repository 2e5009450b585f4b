"""What every sandbox service shares: SQLite state under ERRAND_HOME, a seeded world,
a clock, ``Idempotency-Key`` handling, and one error envelope.

A domain service subclasses :class:`SandboxService`, declares its SQL schema, seeds its
world deterministically from ``seed`` (plus an optional overlay of free-text fields),
adds its routes in :meth:`routes`, and lists what it has created in :meth:`state`.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import inspect
from abc import ABC, abstractmethod
from collections import OrderedDict
import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterator

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from tools.home import errand_home

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
DEFAULT_SEED = 20261201
SCHEMA_VERSION = 1

Clock = Callable[[], datetime]


_pinned_now: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("errand_sandbox_now", default=None)


def system_clock() -> datetime:
    """Now in China time, unless pinned — by :func:`pin_clock` for this context, or by the
    ``ERRAND_SANDBOX_NOW`` environment variable (ISO 8601) — for reproducible runs."""
    pinned = _pinned_now.get()
    if pinned is not None:
        return pinned
    env = os.environ.get("ERRAND_SANDBOX_NOW")
    if env:
        return parse_now(env)
    return datetime.now(CHINA_TZ)


@contextmanager
def pin_clock(moment: datetime | str) -> Iterator[datetime]:
    """Pin the sandbox clock for code running in this context (an eval trial, a test)."""
    pinned = parse_now(moment) if isinstance(moment, str) else moment
    token = _pinned_now.set(pinned)
    try:
        yield pinned
    finally:
        _pinned_now.reset(token)


def parse_now(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TZ)


def fixed_clock(moment: datetime | str) -> Clock:
    pinned = parse_now(moment) if isinstance(moment, str) else moment
    return lambda: pinned


class SandboxError(Exception):
    """An error the service reports to its caller as ``{"error": {"code", "message", "details"}}``."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def not_found(kind: str, ident: Any) -> SandboxError:
    return SandboxError(404, f"{kind}_not_found", f"no {kind.replace('_', ' ')} with id {ident!r}")


def bad_request(code: str, message: str, details: Any = None) -> SandboxError:
    return SandboxError(400, code, message, details)


def conflict(code: str, message: str, details: Any = None) -> SandboxError:
    return SandboxError(409, code, message, details)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


class SandboxService(ABC):
    """Base of the gov, shop and travel sandboxes. One SQLite file per service."""

    name: ClassVar[str]
    title: ClassVar[str]
    schema: ClassVar[str]  # CREATE TABLE statements for the domain

    def __init__(self, home: Path | None = None, *, clock: Clock | None = None,
                 seed: int = DEFAULT_SEED) -> None:
        self.home = Path(home) if home else errand_home()
        self.clock = clock or system_clock
        self.seed = seed
        self.path = self.home / "sandbox" / f"{self.name}.sqlite"
        self._init_lock = threading.Lock()
        self._ready = False

    # -- storage ------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.now().date()

    def _connect(self, path: Path | None = None) -> sqlite3.Connection:
        conn = sqlite3.connect(path or self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def ensure(self) -> None:
        """Create and seed the database on first use (idempotent, safe across processes)."""
        if not self._ready:
            self._initialise(overlay=None)

    def reset(self, overlay: dict[str, Any] | None = None) -> None:
        """Throw away all state and reseed; ``overlay`` replaces seeded free-text fields.

        The new world is built in a side file and swapped in only when complete, so a bad
        overlay leaves the current state untouched.
        """
        fresh = self.path.with_name(self.path.name + ".new")
        _remove_db(fresh)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._seed_into(fresh, overlay or {})
        except BaseException:
            _remove_db(fresh)
            raise
        with self._init_lock:
            _remove_db(self.path)
            os.replace(fresh, self.path)
            self._ready = True

    def _initialise(self, overlay: dict[str, Any] | None) -> None:
        with self._init_lock:
            if self._ready:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._seed_into(self.path, overlay or {})
            self._ready = True

    def _seed_into(self, path: Path, overlay: dict[str, Any]) -> None:
        """Create the schema and seed ``path`` in one transaction, unless it is seeded already."""
        conn = self._connect(path)
        try:
            with _immediate(conn):
                conn.execute("CREATE TABLE IF NOT EXISTS sandbox_meta (key TEXT PRIMARY KEY, value TEXT)")
                if conn.execute("SELECT 1 FROM sandbox_meta WHERE key='seeded_at'").fetchone():
                    return
                for statement in _split_sql(_IDEMPOTENCY_SCHEMA + self.schema):
                    conn.execute(statement)
                self.seed_world(conn)
                apply_overlay(conn, overlay, self.name)
                conn.executemany(
                    "INSERT OR REPLACE INTO sandbox_meta VALUES (?, ?)",
                    [("seeded_at", self.now().isoformat()), ("seed", str(self.seed)),
                     ("schema_version", str(SCHEMA_VERSION)), ("overlay", canonical_json(overlay))],
                )
        finally:
            conn.close()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection to this service's database, for the length of the block."""
        self.ensure()
        path = self.path
        try:
            inode = os.stat(path).st_ino
        except FileNotFoundError:  # nothing to pool: SQLite reports what is missing
            inode = None
        conn = (_POOL.take(path, inode) if inode is not None else None) or self._connect(path)
        try:
            yield conn
        finally:
            if inode is None:
                conn.close()
            else:
                _POOL.give(path, inode, conn)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A serialised write transaction (BEGIN IMMEDIATE), committed on success."""
        with self.read() as conn, _immediate(conn):
            yield conn

    def next_id(self, conn: sqlite3.Connection, prefix: str) -> str:
        """Sequential, human-readable ids (``ORD-000001``) that survive restarts."""
        row = conn.execute("SELECT value FROM sandbox_meta WHERE key=?", (f"seq:{prefix}",)).fetchone()
        n = int(row["value"]) + 1 if row else 1
        conn.execute("INSERT OR REPLACE INTO sandbox_meta VALUES (?, ?)", (f"seq:{prefix}", str(n)))
        return f"{prefix}-{n:06d}"

    def idempotent(self, request_key: str | None, operation: str, body: Any,
                   create: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``create`` once per Idempotency-Key, in the same transaction as its writes.

        The same key with the same body returns the first result and creates nothing; the
        same key with a different body is a 409, because silently returning the first result
        for a different request would hide a bug in the caller.
        """
        if not request_key:
            raise bad_request("idempotency_key_required",
                              "this operation changes state: send an Idempotency-Key header")
        body_hash = hashlib.sha256(canonical_json(body).encode()).hexdigest()
        with self.write() as conn:
            row = conn.execute("SELECT operation, body_hash, response FROM idempotency WHERE key=?",
                               (request_key,)).fetchone()
            if row:
                if row["operation"] != operation or row["body_hash"] != body_hash:
                    raise conflict("idempotency_key_reused",
                                   f"Idempotency-Key {request_key!r} was already used for a different "
                                   f"request ({row['operation']})")
                return json.loads(row["response"])
            result = create(conn)
            conn.execute("INSERT INTO idempotency VALUES (?, ?, ?, ?, ?)",
                         (request_key, operation, body_hash, canonical_json(result), self.now().isoformat()))
            return result

    # -- what each domain provides -----------------------------------------------------

    @abstractmethod
    def seed_world(self, conn: sqlite3.Connection) -> None:
        """Insert the deterministic world for ``self.seed`` (same seed, same world, every time)."""

    @abstractmethod
    def routes(self, router: APIRouter) -> None:
        """Add the service's endpoints to ``router``."""

    @abstractmethod
    def state(self) -> dict[str, list[dict[str, Any]]]:
        """Every record this service has created, for ``errand sandbox state``."""

    # -- the app ------------------------------------------------------------------------

    def app(self, *, inline: bool = False) -> FastAPI:
        """The service's HTTP app. ``inline``: run the (sync) endpoints on the event loop's own
        thread, not on a worker pool — for the in-process transport, whose loop belongs to the
        one caller waiting on it, so a pool only adds two thread hops to every request. A served
        app (``errand sandbox serve``) keeps the pool, so concurrent clients never queue behind
        one another's database work."""
        app = FastAPI(title=f"errand sandbox: {self.title}", version="1")
        install_error_handlers(app)
        router = _InlineRouter() if inline else APIRouter()
        self.routes(router)
        app.include_router(router)

        @app.get("/health", tags=["meta"])
        def health() -> dict[str, Any]:
            self.ensure()
            return {"service": self.name, "ok": True, "now": self.now().isoformat()}

        return app


class _InlineRouter(APIRouter):
    """A router whose sync endpoints FastAPI sees as async, so it calls them on the loop."""

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _on_loop(endpoint)
        super().add_api_route(path, endpoint, **kwargs)


def _on_loop(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)  # FastAPI reads the parameters through __wrapped__
    async def call(*args: Any, **kwargs: Any) -> Any:
        return endpoint(*args, **kwargs)
    return call


class _ConnectionPool:
    """Idle connections to sandbox databases, reused from request to request: opening one
    (the file, its WAL index, three pragmas) costs more than most requests' queries.

    Keyed by the database's path and checked against its inode, so a database replaced
    underneath (:meth:`SandboxService.reset`, in this process or another) is never read through
    a connection to the old file. Bounded — at most ``PER_DATABASE`` idle connections each, for
    the ``DATABASES`` databases used last — because an eval run uses new databases in every
    trial (and releases them with :func:`release_connections` when the trial ends). A forked
    child neither uses nor closes what it inherited: SQLite connections do not cross a fork."""

    PER_DATABASE = 4
    DATABASES = 64

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: OrderedDict[Path, list[tuple[int, sqlite3.Connection]]] = OrderedDict()
        self._pid = os.getpid()

    def _mine(self) -> None:
        if self._pid != os.getpid():
            _INHERITED.append(self._idle)
            self._idle, self._pid = OrderedDict(), os.getpid()

    def take(self, path: Path, inode: int) -> sqlite3.Connection | None:
        stale: list[sqlite3.Connection] = []
        found = None
        with self._lock:
            self._mine()
            idle = self._idle.get(path)
            while idle and found is None:
                held, conn = idle.pop()
                if held == inode:
                    found = conn
                else:
                    stale.append(conn)
        for conn in stale:
            conn.close()
        return found

    def give(self, path: Path, inode: int, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:  # never hand on an open transaction
            conn.rollback()
        evicted: list[sqlite3.Connection] = []
        with self._lock:
            self._mine()
            idle = self._idle.setdefault(path, [])
            self._idle.move_to_end(path)
            if len(idle) < self.PER_DATABASE:
                idle.append((inode, conn))
            else:
                evicted.append(conn)
            while len(self._idle) > self.DATABASES:
                evicted.extend(c for _, c in self._idle.popitem(last=False)[1])
        for old in evicted:
            old.close()

    def release_under(self, directory: Path) -> int:
        root = Path(directory)
        with self._lock:
            self._mine()
            gone = [p for p in self._idle if p.is_relative_to(root)]
            closing = [c for p in gone for _, c in self._idle.pop(p)]
        for conn in closing:
            conn.close()
        return len(closing)


_INHERITED: list[Any] = []  # connections a forked child inherited: kept out of reach, never closed
_POOL = _ConnectionPool()


def release_connections(under: str | Path) -> int:
    """Close the idle sandbox connections to databases under ``under`` (e.g. a finished eval
    trial's home, before it is deleted); returns how many."""
    return _POOL.release_under(Path(under))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SandboxError)
    async def _sandbox_error(_: Request, exc: SandboxError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content={
            "error": {"code": exc.code, "message": exc.message, "details": exc.details}})

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"field": ".".join(str(p) for p in e["loc"][1:]) or e["loc"][0], "message": e["msg"]}
                   for e in exc.errors()]
        message = "invalid request: " + "; ".join(f"{d['field']}: {d['message']}" for d in details)
        return JSONResponse(status_code=422, content={
            "error": {"code": "invalid_request", "message": message, "details": details}})


_IDEMPOTENCY_SCHEMA = """
CREATE TABLE idempotency (
    key TEXT PRIMARY KEY,
    operation TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""


@contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _split_sql(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


class OverlayFile(BaseModel):
    """An overlay file for ``errand sandbox reset --overlay``: per domain, {table: {row_id: {column: value}}}."""

    model_config = ConfigDict(extra="forbid")

    gov: dict[str, dict[str, dict[str, Any]]] | None = None
    shop: dict[str, dict[str, dict[str, Any]]] | None = None
    travel: dict[str, dict[str, dict[str, Any]]] | None = None


def apply_overlay(conn: sqlite3.Connection, overlay: dict[str, Any], service: str) -> None:
    """Overlay seeded rows: ``{table: {row_id: {column: value}}}``.

    An existing row is updated; a new id inserts a row (other columns take their defaults).
    This is how evals plant e.g. a prompt injection in a product description or a hotel
    review. Unknown tables or columns are errors, so a typo never silently does nothing.
    """
    if not isinstance(overlay, dict):
        raise ValueError(f"{service} overlay must be a mapping of table -> rows")
    for table, rows in overlay.items():
        columns = {r["name"] for r in conn.execute(f"PRAGMA table_info({_quote(table)})")}
        if not columns or table in ("idempotency", "sandbox_meta"):
            raise ValueError(f"{service} overlay: no table {table!r} to overlay")
        if not isinstance(rows, dict):
            raise ValueError(f"{service} overlay: {table} must map row ids to fields")
        for row_id, fields in rows.items():
            if not isinstance(fields, dict) or not fields:
                raise ValueError(f"{service} overlay: {table}.{row_id} must be a non-empty mapping of fields")
            unknown = set(fields) - columns
            if unknown:
                raise ValueError(f"{service} overlay: {table} has no column(s) {', '.join(sorted(unknown))}; "
                                 f"columns are {', '.join(sorted(columns))}")
            values = {k: canonical_json(v) if isinstance(v, (dict, list)) else v for k, v in fields.items()}
            exists = conn.execute(f"SELECT 1 FROM {_quote(table)} WHERE id=?", (row_id,)).fetchone()
            if exists:
                assignments = ", ".join(f"{_quote(c)}=?" for c in values)
                conn.execute(f"UPDATE {_quote(table)} SET {assignments} WHERE id=?", (*values.values(), row_id))
            else:
                cols = ["id", *values]
                conn.execute(f"INSERT INTO {_quote(table)} ({', '.join(map(_quote, cols))}) "
                             f"VALUES ({', '.join('?' for _ in cols)})", (row_id, *values.values()))


def _quote(identifier: str) -> str:
    if not identifier.replace("_", "").isalnum():
        raise ValueError(f"invalid SQL identifier {identifier!r}")
    return f'"{identifier}"'
