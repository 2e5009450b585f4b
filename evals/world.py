"""Each trial's own world: a fresh ERRAND_HOME, a pinned clock, sandboxes seeded with the
task's overlay, and the state before and after.

Seeding is done once per (domain, overlay, clock) into a template database and *copied* into
every trial's home, so a thousand trials do not seed a thousand times. Tool packs and the
in-process sandbox apps are built once and shared by all trials through
:class:`TrialServices`, whose services keep their state in the *current context's*
ERRAND_HOME: the costly parts (tool schemas, app routes) are shared, the state (sandboxes,
checkpoints, audit log) never is.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import httpx

from evals.model import DOMAINS, Overlay, fingerprint
from policies.audit import AuditLog
from tools.home import errand_home, use_home
from tools.http import ServiceClient
from tools.sandbox import SandboxService, open_service, sandbox_state, service_class
from tools.sandbox.base import fixed_clock, pin_clock, release_connections
from tools.sandbox.embedded import SyncASGITransport
from tools.services import Services

class WorldError(ValueError):
    """A world the task describes cannot be built (e.g. an overlay names an unknown column)."""


class Templates:
    """Seeded sandbox databases, and a home's empty stores (run index, audit log, memory),
    built on first use and reused by every trial that needs them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}
        self._ready: dict[str, Path] = {}
        self._states: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self._stores: list[Path] | None = None

    def home_stores(self) -> list[Path]:
        """Empty databases of a new home, made by the stores themselves (so the schema is
        theirs): copying a file is a fraction of creating a database and its tables."""
        with self._lock:
            if self._stores is None:
                from agents.memory.store import MemoryStore
                from agents.store import RunIndex

                home = self.root / "home"
                home.mkdir(parents=True, exist_ok=True)
                for store in (RunIndex(home / "runs.sqlite"), MemoryStore(home / "memory.sqlite")):
                    store.close()
                AuditLog(home / "audit.sqlite").entries()  # creates it
                AuditLog.release_under(home)
                self._stores = sorted(home.glob("*.sqlite"))
            return self._stores

    def database(self, domain: str, overlay: dict[str, Any] | None, clock: str) -> Path:
        key = fingerprint([domain, overlay or {}, clock])
        with self._lock:
            if key in self._ready:
                return self._ready[key]
            lock = self._building.setdefault(key, threading.Lock())
        with lock:
            if key not in self._ready:
                home = self.root / key
                service = open_service(domain, home, clock=fixed_clock(clock))
                try:
                    service.reset(overlay or None)
                except ValueError as exc:
                    raise WorldError(str(exc)) from None
                with self._lock:
                    self._ready[key] = service.path
        return self._ready[key]

    def initial_state(self, world: "TrialWorld") -> dict[str, list[dict[str, Any]]]:
        """The state every world of this overlay and clock starts from (read once)."""
        key = fingerprint([world.overlay, world.clock])
        with self._lock:
            if key in self._states:
                return self._states[key]
        state = world.state()
        with self._lock:
            self._states[key] = state
        return state

    def prepare(self, overlay: Overlay, clock: str) -> None:
        """Build (or find) the templates for one task's world, raising :class:`WorldError` early."""
        self.home_stores()
        for domain in DOMAINS:
            self.database(domain, overlay.get(domain), clock)


def flatten_state(state: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, list[dict[str, Any]]]:
    return {f"{domain}.{table}": rows for domain, tables in state.items() for table, rows in tables.items()}


def diff_states(before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per table: records created, records changed (with the changed fields), ids removed."""
    diff: dict[str, Any] = {}
    for table in sorted(set(before) | set(after)):
        old = {r.get("id"): r for r in before.get(table, [])}
        new = {r.get("id"): r for r in after.get(table, [])}
        created = [r for i, r in new.items() if i not in old]
        changed = []
        for i, r in new.items():
            if i in old and r != old[i]:
                fields = {k: [old[i].get(k), r.get(k)] for k in sorted(set(r) | set(old[i])) if r.get(k) != old[i].get(k)}
                changed.append({"id": i, "fields": fields, "record": r})
        removed = [i for i in old if i not in new]
        if created or changed or removed:
            diff[table] = {"created": created, "changed": changed, "removed": removed}
    return diff


class TrialWorld:
    """One trial's home directory and sandboxes, usable only inside :meth:`active`."""

    def __init__(self, home: Path, clock: str, overlay: Overlay, templates: Templates) -> None:
        self.home = home
        self.clock = clock
        self.overlay = overlay
        self.templates = templates
        self._seeded: dict[str, tuple[int, int, int]] = {}

    def seed(self) -> None:
        for store in self.templates.home_stores():
            shutil.copyfile(store, self.home / store.name)
        for domain in DOMAINS:
            source = self.templates.database(domain, self.overlay.get(domain), self.clock)
            target = open_service(domain, self.home).path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            self._seeded[domain] = _written(target)

    @contextmanager
    def active(self) -> Iterator["TrialWorld"]:
        """This world is ERRAND_HOME and the sandbox clock for code running in this context
        (and the worker threads and tasks started from it, which copy the context)."""
        with use_home(self.home), pin_clock(self.clock):
            yield self

    def state(self, before: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, list[dict[str, Any]]]:
        """The sandboxes' state; a domain whose database nobody wrote since :meth:`seed` is
        taken from ``before`` (the state it was seeded with) instead of being read again."""
        seeded = self._seeded
        state: dict[str, list[dict[str, Any]]] = {}
        for domain in DOMAINS:
            service = open_service(domain, self.home)
            if before is not None and domain in seeded and seeded[domain] == _written(service.path):
                state.update((k, v) for k, v in before.items() if k.startswith(f"{domain}."))
            else:
                state.update(flatten_state({domain: service.state()}))
        return state


def _written(path: Path) -> tuple[int, int, int]:
    """What changes when a SQLite database in WAL mode is written: frames in its ``-wal`` file,
    or — once they are checkpointed back — the database file itself."""
    info = path.stat()
    wal = path.with_name(path.name + "-wal")
    return info.st_mtime_ns, info.st_size, wal.stat().st_size if wal.exists() else 0


@contextmanager
def scratch_dir(base: Path | None, prefix: str, keep: bool = False) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    try:
        yield path
    finally:
        AuditLog.release_under(path)
        release_connections(path)
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


def _context_homed(domain: str) -> SandboxService:
    """The sandbox service of ``domain`` whose state lives in the *current context's*
    ERRAND_HOME, so one app serves every trial (each request sees its own trial's world).

    Its databases are never created here: every trial's home is seeded from a template
    before the trial starts, so the lazy first-use seeding is switched off."""
    base = service_class(domain)

    class ContextHomed(base):  # type: ignore[valid-type, misc]
        home = property(lambda self: errand_home(), lambda self, value: None)
        path = property(lambda self: errand_home() / "sandbox" / f"{self.name}.sqlite", lambda self, value: None)

        def ensure(self) -> None:
            return None

    ContextHomed.__name__ = ContextHomed.__qualname__ = f"ContextHomed{base.__name__}"
    return ContextHomed(None)


class TrialServices(Services):
    """The services of tools shared by all trials: one in-process app and client per domain,
    answering from whichever trial's world the calling context is in (see :meth:`TrialWorld.active`)."""

    def __init__(self) -> None:
        super().__init__({})

    def _make(self, domain: str) -> ServiceClient:
        app = _context_homed(domain).app(inline=True)
        return ServiceClient(domain, f"http://{domain}.sandbox.local", timeout=self.timeout,
                             transport=SyncASGITransport(app), async_transport=httpx.ASGITransport(app=app))
