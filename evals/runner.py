"""The eval runner: every task k times, each trial in its own world, many at once.

A trial is mostly waiting for the model (I/O), plus some tens of milliseconds of pure-Python
work (building the agent and its world, the gate, grading) that holds the GIL. Trials run on
threads, as many at once as the requested ``concurrency``, in one or more processes:

- **One process** (``workers`` = 1): a thread pool as wide as the concurrency, driven by
  asyncio. Model calls overlap, but the Python work of all trials shares one core, which
  caps the speed-up at about (latency + work) / work however wide the pool.
- **Worker processes** (``workers`` > 1): after the preflight below, the runner *forks* the
  workers (multiprocessing context "fork": the suites, the harness — whose brain factories
  may be lambdas — and the warm template databases are inherited, never pickled). The
  concurrency is split across them (``concurrency // workers`` threads each, the first
  ``concurrency % workers`` one more; never more in all than the concurrency, nor than the
  trials to run), so the Python work of concurrent trials runs on as many cores as workers.
  The parent hands out work — indices into the plan — one per free thread as trials end
  (dynamic balancing: a slow trial never holds a queue behind it), over a pipe per worker
  rather than one shared queue, so a worker that dies cannot take a shared lock with it.
  A worker runs a trial exactly as the in-process pool does (retries, grading, its own gold
  cache) and sends the finished record back; only the parent appends to the log and tells
  the observer. A worker that dies (killed, out of memory, a crash in native code) is seen
  through its process sentinel: the trials it was running are recorded as infrastructure
  errors (never graded; ``--resume`` runs them again), and the other workers carry on with
  the rest — if none is left, the trials not yet started are recorded the same way. An
  exception escaping a trial in a worker is raised in the parent, as it is in-process.
  ``workers`` None picks ``min(CPUs, concurrency)`` when fork exists and at least four
  trials can run at once, else one process.

Before the first trial, everything that can be wrong with the setup is checked once (every
task's world can be built, the agent can be built), so a typo fails fast with exit code 2
instead of as a hundred failed trials; with workers, this also warms what they inherit.

Finished trials are appended to the JSONL log as they end. ``resume`` reads the log of the
same configuration (same run key) and runs only the trials it lacks — including trials that
ended in an infrastructure error, which are retried (with backoff) and never graded. An
interrupted run (Ctrl-C, cancellation) keeps what is logged; its workers are terminated.
"""

from __future__ import annotations

import asyncio
import fnmatch
import gc
import multiprocessing
import os
import random
import shutil
import signal
import tempfile
import threading
import time
import traceback
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Callable, Protocol

from pydantic import BaseModel, ConfigDict, Field

from evals.checks import SuiteError
from evals.gold import GoldCache, gold_runner
from evals.grading import grade
from evals.harness import Harness, HarnessError
from evals.log import LogError, RunHeader, RunLog, header_for, read_log
from evals.model import Suite, Task
from evals.record import TrialError, TrialRecord
from evals.trial import TrialRunner
from evals.usage import PriceTable
from evals.world import TrialWorld, WorldError, scratch_dir
from policies.audit import AuditLog


class EvalConfig(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    k: int = Field(1, ge=1, le=100, description="Trials per task")
    concurrency: int = Field(4, ge=1, le=512, description="Trials at once")
    workers: int | None = Field(None, ge=1, le=512,
                                description="Worker processes sharing the concurrency (None: one per CPU, "
                                            "up to the concurrency, when at least 4 trials run at once; 1: "
                                            "threads in this process only)")
    retries: int = Field(2, ge=0, le=10, description="Retries of a trial after an infrastructure error")
    backoff: float = Field(1.0, ge=0, description="Seconds before the first retry (doubling after)")
    resume: bool = False
    log: Path | None = Field(None, description="JSONL log path (default: out_dir/<suites>-<key>.jsonl)")
    out_dir: Path = Path("eval-results")
    work_dir: Path | None = Field(None, description="Where trial homes and their template databases live (default: a temp "
                                                  "dir, with the trial homes in RAM — /dev/shm — when it has room)")
    keep_homes: bool = False
    prices: PriceTable = Field(default_factory=lambda: PriceTable({}))
    tasks: list[str] = Field(default_factory=list, description="Only task ids matching these globs")
    tags: list[str] = Field(default_factory=list, description="Only tasks with one of these tags")


class Observer(Protocol):
    """Progress: told the plan, then each trial as it finishes."""

    def started(self, total: int, done: int) -> None: ...

    def finished(self, record: TrialRecord) -> None: ...


class _Silent:
    def started(self, total: int, done: int) -> None:
        return None

    def finished(self, record: TrialRecord) -> None:
        return None


@dataclass
class EvalRun:
    header: RunHeader
    suites: list[Suite]
    records: list[TrialRecord]
    log: Path
    interrupted: bool = False
    ran: int = 0
    reused: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    workers: int = 1


class EvalWorkerError(RuntimeError):
    """An exception escaped a trial in a worker process (a bug, not a failed trial); carries
    the worker's traceback."""


def select(suites: list[Suite], tasks: list[str], tags: list[str]) -> list[Suite]:
    """The suites restricted to tasks whose id matches a glob in ``tasks`` / that have a tag in ``tags``."""
    if not tasks and not tags:
        return suites
    chosen = []
    for suite in suites:
        kept = [t for t in suite.tasks if (not tasks or any(fnmatch.fnmatchcase(t.id, g) for g in tasks))
                and (not tags or set(tags) & set(t.tags))]
        if kept:
            chosen.append(suite.model_copy(update={"tasks": kept}))
    if not chosen:
        raise SuiteError("selection", [(None, "no task matches the given --task/--tag filters")])
    return chosen


def default_log_path(config: EvalConfig, suites: list[Suite], key: str) -> Path:
    names = "+".join(s.suite for s in suites)
    return config.log or config.out_dir / f"{names[:80]}-{key}.jsonl"


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def cpu_count() -> int:
    """The CPUs this process may run on (its affinity mask, where the platform has one)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def worker_count(config: EvalConfig, trials: int) -> int:
    """The worker processes a run of ``trials`` trials uses: ``config.workers`` (None: one per
    CPU when at least 4 trials can run at once), never more than the trials that can run at
    once, and 1 (threads in this process) where fork is unavailable."""
    slots = min(config.concurrency, trials)
    if not can_fork() or slots < 2:
        return 1
    wanted = config.workers if config.workers is not None else cpu_count() if slots >= 4 else 1
    return max(1, min(wanted, slots))


RAM_DIR = Path("/dev/shm")
RAM_NEEDED = 512 * 2**20


def ram_dir() -> Path | None:
    """A RAM-backed directory for trial homes, if this machine has one with room to spare.

    Every trial copies in, writes and deletes a handful of SQLite databases. On a journaling
    disk that file churn costs kernel time — and, with many trials at once, waits — out of
    all proportion to the data (measured: about half of a concurrent eval's CPU was the
    kernel's, and the first and last steps of a trial took 5 times longer than on tmpfs).
    Homes are thrown away after each trial, so they need no disk; the template databases
    they are copied from stay in the work directory."""
    try:
        if RAM_DIR.is_dir() and os.access(RAM_DIR, os.W_OK) and shutil.disk_usage(RAM_DIR).free >= RAM_NEEDED:
            return RAM_DIR
    except OSError:
        pass
    return None


HOMES_PREFIX = "errand-eval-homes-"
STALE_AFTER = 3600.0  # seconds


def ram_homes(ram: Path) -> Path:
    """A fresh directory for this run's trial homes in ``ram``, named after this process.

    A run killed outright (SIGKILL, out of memory) cannot tidy up, and RAM is only given back
    at reboot: so first, the directories of runs whose process is gone are removed — if also
    untouched for an hour (a running run adds and removes a home there with every trial), in
    case /dev/shm is shared with another pid namespace, where a live run's pid means nothing."""
    for stale in ram.glob(f"{HOMES_PREFIX}*"):
        pid = stale.name[len(HOMES_PREFIX):].partition("-")[0]
        try:
            idle = time.time() - stale.stat().st_mtime
        except OSError:
            continue
        if pid.isdigit() and idle > STALE_AFTER and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{HOMES_PREFIX}{os.getpid()}-", dir=ram))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process
        return True
    return True


def _remove_when_idle(executor: ThreadPoolExecutor, paths: list[Path]) -> None:
    executor.shutdown(wait=True)
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


def split_slots(slots: int, workers: int) -> list[int]:
    """``slots`` threads over ``workers`` processes, as evenly as possible (sums to ``slots``)."""
    return [slots // workers + (1 if n < slots % workers else 0) for n in range(workers)]


def preflight(suites: list[Suite], runner: TrialRunner) -> None:
    """Build every task's world and one agent per agent name, before any trial runs."""
    problems: list[tuple[int | None, str]] = []
    first: dict[str, tuple[Suite, Task]] = {}
    for suite in suites:
        for task in suite.tasks:
            try:
                runner.templates.prepare(task.world_overlay(), task.clock)
            except WorldError as exc:
                problems.append((None, f"{suite.source or suite.suite}: task {task.id}: overlay: {exc}"))
            try:
                first.setdefault(runner.harness.agent_name(task), (suite, task))
            except HarnessError as exc:
                problems.append((None, f"{suite.source or suite.suite}: {exc}"))
    if problems:
        raise SuiteError("suites", problems)
    for name, (suite, task) in first.items():
        with scratch_dir(runner.work_dir, "preflight-") as home:
            world = TrialWorld(home, task.clock, task.world_overlay(), runner.templates)
            world.seed()
            with world.active():
                try:
                    runner.harness.build(task, Path(suite.source).parent if suite.source else None)
                except (KeyError, ValueError, RuntimeError, ImportError) as exc:
                    raise HarnessError(f"cannot build agent {name!r}: {exc}") from None


class Evaluator:
    """Runs suites against a harness with a config; one instance per eval run."""

    def __init__(self, suites: list[Suite], harness: Harness, config: EvalConfig,
                 observer: Observer | None = None) -> None:
        self.suites = select(suites, config.tasks, config.tags)
        self.harness = harness
        self.config = config
        self.observer = observer or _Silent()

    def _attempt(self, runner: TrialRunner, gold: GoldCache, suite: Suite, task: Task, index: int) -> TrialRecord:
        """One trial, run again after infrastructure errors (with backoff), then graded."""
        attempt = 1
        while True:
            record = runner.run(suite, task, index, attempt)
            if record.status != "infra_error" or attempt > self.config.retries:
                break
            time.sleep(self.config.backoff * 2 ** (attempt - 1))
            attempt += 1
        if record.status != "infra_error":
            gold_hash = gold.state_hash(suite, task) if task.expect.state_hash else None
            record.grade = grade(task, record, gold_hash)
        return record

    def _trial(self, runner: TrialRunner, gold: GoldCache, log: RunLog, suite: Suite, task: Task,
               index: int) -> TrialRecord:
        record = self._attempt(runner, gold, suite, task, index)
        log.append(record)  # here, on the pool thread: serialising and syncing never block the event loop
        return record

    def lost(self, suite: Suite, task: Task, index: int, why: str) -> TrialRecord:
        """The record of a trial whose worker process died: an infrastructure error, never graded."""
        return TrialRecord(suite=suite.suite, task_id=task.id, trial=index, task_hash=task.fingerprint(),
                           status="infra_error", request=task.request, lang=task.lang or "",
                           agent=self.harness.agent_name(task), policy=self.harness.policy_label(task),
                           started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                           error=TrialError(kind="infra", message=why))

    async def run(self) -> EvalRun:
        began = time.perf_counter()
        header = header_for(self.suites, self.harness.describe(), self.config.k)
        path = default_log_path(self.config, self.suites, header.key)
        kept: dict[tuple[str, str, int], TrialRecord] = {}
        resuming = self.config.resume and path.exists()
        if resuming:
            previous, records = read_log(path)
            if previous.key != header.key:
                raise LogError(f"{path} is the log of a different run (key {previous.key}, this run {header.key}): "
                               "the suites, agent, model or policy changed; run without --resume")
            kept = {r.key: r for r in records if r.status != "infra_error"}
        plan = [(s, t, i) for s in self.suites for t in s.tasks for i in range(self.config.k)
                if (s.suite, t.id, i) not in kept]
        workers = worker_count(self.config, len(plan))
        work = Path(tempfile.mkdtemp(prefix="errand-eval-", dir=self.config.work_dir))
        ram = None if self.config.work_dir or self.config.keep_homes else ram_dir()
        homes = ram_homes(ram) if ram else None
        runner = TrialRunner(self.harness, work, prices=self.config.prices, keep_homes=self.config.keep_homes,
                             homes=homes)
        replay = gold_runner(self.harness, work)
        replay.templates = runner.templates  # one set of template databases, built once (by the preflight)
        gold = GoldCache(replay)
        log = RunLog(path)
        # with workers, a single thread for the preflight, joined before forking
        executor = ThreadPoolExecutor(max_workers=self.config.concurrency if workers == 1 else 1,
                                      thread_name_prefix="errand-eval")
        loop = asyncio.get_running_loop()
        finished: list[TrialRecord] = []
        pool: _WorkerPool | None = None
        interrupted = False

        def done(record: TrialRecord) -> None:
            finished.append(record)
            self.observer.finished(record)

        try:
            await loop.run_in_executor(executor, preflight, self.suites, runner)
            log.start(header, append=resuming)
            if workers > 1:
                executor.shutdown(wait=True)  # no thread of this run is running when the workers fork
                pool = _WorkerPool(self, runner, gold, plan, split_slots(min(self.config.concurrency, len(plan)),
                                                                          workers))
            self.observer.started(len(plan) + len(kept), len(kept))
            if pool is not None:
                def arrived(record: TrialRecord) -> None:
                    log.append(record)  # the parent alone writes the log
                    done(record)

                try:
                    await pool.drive(arrived)
                except asyncio.CancelledError:
                    interrupted = True
            else:
                async def one(suite: Suite, task: Task, index: int) -> None:
                    done(await loop.run_in_executor(executor, self._trial, runner, gold, log, suite, task, index))

                jobs = [asyncio.ensure_future(one(*item)) for item in plan]
                try:
                    await asyncio.gather(*jobs)
                except asyncio.CancelledError:
                    interrupted = True
                    for job in jobs:
                        job.cancel()
        finally:
            if pool is not None:
                pool.close(now=interrupted or not pool.drained)
            executor.shutdown(wait=not interrupted, cancel_futures=True)
            log.close()
            scratch = [d for d in (None if self.config.keep_homes else work, homes) if d is not None]
            if interrupted and pool is None:  # in-process trials may still run in there: tidy once they end
                threading.Thread(target=_remove_when_idle, args=(executor, scratch), name="errand-eval-tidy",
                                 daemon=True).start()
            else:  # (workers are gone by now)
                for directory in scratch:
                    shutil.rmtree(directory, ignore_errors=True)
        records = sorted([*kept.values(), *finished], key=lambda r: (r.suite, r.task_id, r.trial))
        return EvalRun(header=header, suites=self.suites, records=records, log=path, interrupted=interrupted,
                       ran=len(finished), reused=len(kept), seconds=time.perf_counter() - began, workers=workers)


# -- worker processes ---------------------------------------------------------------------------------

_INHERITED: list[Any] = []  # what a worker inherited and must neither use nor close (see _forget_parent)


@dataclass
class _Worker:
    process: Any  # multiprocessing's ForkProcess
    tasks: Connection  # parent → worker: a plan index, or None to stop
    results: Connection  # worker → parent: ("done", index, record as JSON) | ("error", index, traceback)
    slots: int
    running: set[int] = field(default_factory=set)
    alive: bool = True


class _WorkerPool:
    """The parent's side of the worker processes: forks them, hands out plan indices as threads
    free up, collects records, and notices workers that die."""

    def __init__(self, evaluator: Evaluator, runner: TrialRunner, gold: GoldCache,
                 plan: list[tuple[Suite, Task, int]], slots: list[int]) -> None:
        context = multiprocessing.get_context("fork")
        self.evaluator = evaluator
        self.plan = plan
        self.waiting = deque(range(len(plan)))
        self.drained = False
        pipes = [(context.Pipe(duplex=False), context.Pipe(duplex=False)) for _ in slots]
        ends = [end for (task_r, task_w), (result_r, result_w) in pipes for end in (task_r, task_w, result_r, result_w)]
        self.workers: list[_Worker] = []
        gc.freeze()  # what the workers inherit stays out of their collections (and shared, copy-on-write)
        try:
            for n, (size, ((task_r, task_w), (result_r, result_w))) in enumerate(zip(slots, pipes)):
                foreign = [end for end in ends if end is not task_r and end is not result_w]
                process = context.Process(target=_serve, name=f"errand-eval-{n + 1}", daemon=True,
                                          args=(evaluator, runner, gold, plan, size, task_r, result_w, foreign))
                process.start()
                self.workers.append(_Worker(process, task_w, result_r, size))
        except BaseException:
            self.close(now=True)
            for (_, task_w), (result_r, _) in pipes[len(self.workers):]:
                task_w.close()
                result_r.close()
            raise
        finally:
            gc.unfreeze()
            for (task_r, _), (_, result_w) in pipes:  # the workers' ends are theirs alone (EOF when one dies)
                task_r.close()
                result_w.close()

    @property
    def pending(self) -> int:
        return len(self.waiting) + sum(len(w.running) for w in self.workers)

    async def drive(self, emit: Callable[[TrialRecord], Any]) -> None:
        """Run the plan to its end, calling ``emit`` with every record as it arrives."""
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        for worker in self.workers:
            loop.add_reader(worker.results.fileno(), wake.set)
            loop.add_reader(worker.process.sentinel, wake.set)
        try:
            self._hand_out()
            while self.pending:
                await wake.wait()
                wake.clear()
                for worker in self.workers:
                    if worker.alive:
                        self._collect(worker, emit)
                if self.waiting and not any(w.alive for w in self.workers):
                    while self.waiting:
                        suite, task, index = self.plan[self.waiting.popleft()]
                        emit(self.evaluator.lost(suite, task, index, "not run: every eval worker process died"))
                self._hand_out()
            self.drained = True
        finally:
            for worker in self.workers:
                self._unwatch(worker)

    def _hand_out(self) -> None:
        for worker in self.workers:
            while worker.alive and self.waiting and len(worker.running) < worker.slots:
                index = self.waiting.popleft()
                try:
                    worker.tasks.send(index)
                except OSError:  # it died; its sentinel says so next
                    self.waiting.appendleft(index)
                    break
                worker.running.add(index)

    def _collect(self, worker: _Worker, emit: Callable[[TrialRecord], Any]) -> None:
        exited = not worker.process.is_alive()  # before reading: all it ever wrote is in the pipe by now
        while True:
            try:
                if not worker.results.poll():
                    break
                kind, index, payload = worker.results.recv()
            except Exception:  # noqa: BLE001 - end of file or a message torn by the worker's death
                exited = True
                break
            worker.running.discard(index)
            suite, task, trial = self.plan[index]
            if kind == "error":
                raise EvalWorkerError(f"trial {suite.suite}/{task.id}#{trial} raised in eval worker "
                                      f"{worker.process.pid}:\n{payload}")
            emit(TrialRecord.model_validate(payload))
        if exited:
            self._bury(worker, emit)

    def _bury(self, worker: _Worker, emit: Callable[[TrialRecord], Any]) -> None:
        worker.alive = False
        self._unwatch(worker)
        worker.process.join(timeout=2)
        if worker.process.exitcode is None:
            worker.process.kill()
            worker.process.join(timeout=2)
        how = _exit_status(worker.process.exitcode)
        for index in sorted(worker.running):
            suite, task, trial = self.plan[index]
            emit(self.evaluator.lost(suite, task, trial, f"the eval worker process {worker.process.pid} died "
                                                          f"({how}) while running this trial"))
        worker.running.clear()

    def _unwatch(self, worker: _Worker) -> None:
        loop = asyncio.get_running_loop()
        for fd in (worker.results, worker.process.sentinel):
            try:
                loop.remove_reader(fd.fileno() if isinstance(fd, Connection) else fd)
            except (OSError, ValueError):
                pass

    def close(self, *, now: bool) -> None:
        """Stop the workers: after the last trial, let them finish; interrupted, terminate them."""
        for worker in self.workers:
            if worker.process.exitcode is None and not now:
                try:
                    worker.tasks.send(None)
                except OSError:
                    pass
        deadline = time.monotonic() + (0 if now else 10)
        for worker in self.workers:
            worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if worker.process.exitcode is None:
                worker.process.terminate()
                worker.process.join(timeout=5)
            if worker.process.exitcode is None:
                worker.process.kill()
                worker.process.join(timeout=5)
            worker.tasks.close()
            worker.results.close()
            if worker.process.exitcode is not None:
                worker.process.close()


def _exit_status(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _forget_parent(foreign: list[Connection]) -> None:
    """In a fresh worker: let go of what belongs to the parent. Its pipe ends to the other
    workers are closed (so each pipe has one reader and one writer); the audit log's cached
    SQLite connections, opened in the parent, are never used here — nor closed (closing
    would run SQLite's close on the parent's files), only kept out of reach; Ctrl-C is the
    parent's to handle (it terminates the workers); and the random generator is reseeded
    so that workers do not draw the same numbers."""
    for end in foreign:
        end.close()
    with AuditLog._registry_lock:
        _INHERITED.append(AuditLog._connections)
        AuditLog._connections = {}
    AuditLog._registry_lock = threading.Lock()
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread (cannot happen right after fork, but never fail a worker on it)
        pass
    random.seed()


def _serve(evaluator: Evaluator, runner: TrialRunner, gold: GoldCache, plan: list[tuple[Suite, Task, int]],
           slots: int, tasks: Connection, results: Connection, foreign: list[Connection]) -> None:
    """A worker process: run the trials the parent sends, ``slots`` at once, and send each
    record back; stop on None, or at once when the parent is gone."""
    _forget_parent(foreign)
    sending = threading.Lock()

    def one(index: int) -> None:
        suite, task, trial = plan[index]
        try:
            message = ("done", index, evaluator._attempt(runner, gold, suite, task, trial).model_dump(mode="json"))
        except BaseException as exc:  # noqa: BLE001 - the parent raises it; never a silent hang
            message = ("error", index, "".join(traceback.format_exception(exc))[-8000:])
        with sending:
            results.send(message)

    pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="errand-eval")
    while True:
        try:
            index = tasks.recv()
        except (EOFError, OSError):  # the parent died: nobody would read what we send
            os._exit(0)
        if index is None:
            break
        pool.submit(one, index)
    pool.shutdown(wait=True)


def run_eval(suites: list[Suite], harness: Harness, config: EvalConfig | None = None,
             observer: Observer | None = None) -> EvalRun:
    """Run ``suites`` against ``harness`` (blocking); see :class:`Evaluator`."""
    return asyncio.run(Evaluator(suites, harness, config or EvalConfig(), observer).run())
