"""The eval runner: every task k times, each trial in its own world, many at once.

Trials are I/O bound (model calls), so they run on a thread pool as wide as the requested
concurrency, driven by asyncio. Before the first trial, everything that can be wrong with
the setup is checked once (every task's world can be built, the agent can be built), so a
typo fails fast with exit code 2 instead of as a hundred failed trials.

Finished trials are appended to the JSONL log as they end. ``resume`` reads the log of the
same configuration (same run key) and runs only the trials it lacks — including trials that
ended in an infrastructure error, which are retried (with backoff) and never graded.
"""

from __future__ import annotations

import asyncio
import fnmatch
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from evals.checks import SuiteError
from evals.gold import GoldCache, gold_runner
from evals.grading import grade
from evals.harness import Harness, HarnessError
from evals.log import LogError, RunHeader, RunLog, header_for, read_log
from evals.model import Suite, Task
from evals.record import TrialRecord
from evals.trial import TrialRunner
from evals.usage import PriceTable
from evals.world import TrialWorld, WorldError, scratch_dir


class EvalConfig(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    k: int = Field(1, ge=1, le=100, description="Trials per task")
    concurrency: int = Field(4, ge=1, le=512, description="Trials at once")
    retries: int = Field(2, ge=0, le=10, description="Retries of a trial after an infrastructure error")
    backoff: float = Field(1.0, ge=0, description="Seconds before the first retry (doubling after)")
    resume: bool = False
    log: Path | None = Field(None, description="JSONL log path (default: out_dir/<suites>-<key>.jsonl)")
    out_dir: Path = Path("eval-results")
    work_dir: Path | None = Field(None, description="Where trial homes live (default: a temp dir)")
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

    def _trial(self, runner: TrialRunner, gold: GoldCache, log: RunLog, suite: Suite, task: Task,
               index: int) -> TrialRecord:
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
        log.append(record)  # here, on the worker: serialising and syncing never block the event loop
        return record

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
        work = Path(tempfile.mkdtemp(prefix="errand-eval-", dir=self.config.work_dir))
        runner = TrialRunner(self.harness, work, prices=self.config.prices, keep_homes=self.config.keep_homes)
        gold = GoldCache(gold_runner(self.harness, work))
        log = RunLog(path)
        executor = ThreadPoolExecutor(max_workers=self.config.concurrency, thread_name_prefix="errand-eval")
        loop = asyncio.get_running_loop()
        finished: list[TrialRecord] = []
        interrupted = False
        try:
            await loop.run_in_executor(executor, preflight, self.suites, runner)
            log.start(header, append=resuming)
            self.observer.started(len(plan) + len(kept), len(kept))

            async def one(suite: Suite, task: Task, index: int) -> None:
                record = await loop.run_in_executor(executor, self._trial, runner, gold, log, suite, task, index)
                finished.append(record)
                self.observer.finished(record)

            jobs = [asyncio.ensure_future(one(*item)) for item in plan]
            try:
                await asyncio.gather(*jobs)
            except asyncio.CancelledError:
                interrupted = True
                for job in jobs:
                    job.cancel()
        finally:
            executor.shutdown(wait=not interrupted, cancel_futures=True)
            log.close()
            if not self.config.keep_homes and not interrupted:
                shutil.rmtree(work, ignore_errors=True)
        records = sorted([*kept.values(), *finished], key=lambda r: (r.suite, r.task_id, r.trial))
        return EvalRun(header=header, suites=self.suites, records=records, log=path, interrupted=interrupted,
                       ran=len(finished), reused=len(kept), seconds=time.perf_counter() - began)


def run_eval(suites: list[Suite], harness: Harness, config: EvalConfig | None = None,
             observer: Observer | None = None) -> EvalRun:
    """Run ``suites`` against ``harness`` (blocking); see :class:`Evaluator`."""
    return asyncio.run(Evaluator(suites, harness, config or EvalConfig(), observer).run())
