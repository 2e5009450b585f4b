"""Evals on forked worker processes: the same grades as one process, the parent alone writes the
log, cancellation and --resume, a worker killed mid-trial, and ``--workers`` on the command line."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import pytest
from typer.testing import CliRunner

from agents.brains.scripted import ScriptedChatModel
from evals.cli import app
from evals.harness import Harness
from evals.log import read_log
from evals.model import Suite
from evals.results import evaluate
from evals.runner import EvalConfig, Evaluator, cpu_count, run_eval, split_slots, worker_count
from test_evals_run import BUY, BUY_EXPECT, CLI_SUITE, ORDER, SCRIPTS, SUITE

PARENT = os.getpid()


def trial_lines(log: Path) -> Counter:
    """How many times each trial appears in the raw log (not de-duplicated as read_log does)."""
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    return Counter((d["suite"], d["task_id"], d["trial"]) for d in lines if d.get("type") == "trial")


def bounded(call: Callable[[], Any], seconds: float = 60) -> Any:
    """``call()`` on a thread, failing (instead of hanging the test run) if it takes too long."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the run did not finish within {seconds}s"
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_workers_grade_exactly_like_one_process_and_the_parent_alone_logs(tmp_path):
    pids = tmp_path / "pids"

    def brain(name: str, task: Any) -> ScriptedChatModel:
        with pids.open("a", encoding="utf-8") as out:  # one short O_APPEND write per trial
            out.write(f"{os.getpid()}\n")
        return ScriptedChatModel(script=SCRIPTS[task.id])

    # "buy" is also graded against the state its gold trajectory leaves (replayed once per worker process)
    gold = [{"tool": "shop_search_products", "args": {"query": "Redmi Buds 6"}},
            {"tool": "shop_place_order", "args": ORDER}]
    buy = {**SUITE["tasks"][0], "expect": {**BUY_EXPECT, "state_hash": True}, "gold": gold}
    suite = Suite.model_validate({**SUITE, "tasks": [buy, *SUITE["tasks"][1:]]})
    runs = {}
    for workers in (1, 2):
        pids.write_text("", encoding="utf-8")
        config = EvalConfig(k=2, concurrency=4, workers=workers, out_dir=tmp_path / f"w{workers}",
                            work_dir=tmp_path)
        runs[workers] = run = run_eval([suite], Harness(brain=brain, label="scripted"), config)
        assert (run.workers, run.ran, run.reused, run.interrupted) == (workers, 10, 0, False)
        ran_in = Counter(int(p) for p in pids.read_text(encoding="utf-8").split())
        ran_in[PARENT] -= 1  # the preflight builds one agent in the parent
        trial_pids = {pid for pid, n in ran_in.items() if n > 0}
        assert sum(ran_in.values()) == 10
        if workers == 1:
            assert trial_pids == {PARENT}
        else:  # the trials ran in two other processes: the worker processes
            assert len(trial_pids) == 2 and PARENT not in trial_pids
        assert set(trial_lines(run.log).values()) == {1} and len(trial_lines(run.log)) == 10
        assert [r.key for r in run.records] == sorted(r.key for r in run.records)
    one, two = runs[1], runs[2]
    assert one.header.key == two.header.key
    assert [(r.key, r.status, r.passed) for r in one.records] == [(r.key, r.status, r.passed) for r in two.records]
    assert all(r.passed for r in two.records)
    hashed = [c for r in two.records if r.task_id == "buy" for c in r.grade.checks if c.kind == "state_hash"]
    assert len(hashed) == 2 and all(c.passed for c in hashed)
    assert [r.grade.checks for r in one.records] == [r.grade.checks for r in two.records]
    assert [r.state_diff for r in one.records] == [r.state_diff for r in two.records]
    assert [p.name for p in tmp_path.glob("errand-eval-*")] == []  # both work dirs were cleaned up


def test_a_cancelled_run_on_workers_keeps_its_log_and_resumes(tmp_path):
    class Slow(ScriptedChatModel):
        def _generate(self, messages, stop=None, run_manager=None, **kw):  # noqa: ANN001, ANN202
            time.sleep(0.1)
            return super()._generate(messages, stop, run_manager, **kw)

    suite = Suite.model_validate({**SUITE, "tasks": [{**SUITE["tasks"][0], "id": f"buy-{n}"} for n in range(6)]})
    harness = Harness(brain=lambda name, task: Slow(script=BUY), label="slow")
    config = EvalConfig(k=2, concurrency=4, workers=2, log=tmp_path / "run.jsonl", work_dir=tmp_path)

    class CancelAfterThree:
        task: asyncio.Task | None = None
        seen = 0

        def started(self, total: int, done: int) -> None:
            assert (total, done) == (12, 0)

        def finished(self, record: Any) -> None:
            self.seen += 1
            if self.seen == 3:
                self.task.cancel()  # as Ctrl-C does to asyncio.run's main task

    async def interrupted():
        observer = CancelAfterThree()
        observer.task = asyncio.ensure_future(Evaluator([suite], harness, config, observer).run())
        return await observer.task

    first = bounded(lambda: asyncio.run(interrupted()))
    assert first.interrupted and 3 <= first.ran < 12 and first.workers == 2
    assert multiprocessing.active_children() == []  # the workers were terminated and reaped
    assert [p.name for p in tmp_path.glob("errand-eval-*")] == []
    logged = trial_lines(config.log)
    assert set(logged.values()) == {1} and set(logged) == {r.key for r in first.records}
    kept = {r.key: r.run_id for r in first.records}

    second = bounded(lambda: run_eval([suite], harness, config.model_copy(update={"resume": True})))
    assert (second.interrupted, second.ran, second.reused) == (False, 12 - first.ran, first.ran)
    _, records = read_log(config.log)
    assert len(records) == 12 and all(r.passed for r in records)
    assert all(r.run_id == kept[r.key] for r in records if r.key in kept)  # never run twice
    assert set(trial_lines(config.log).values()) == {1}


def test_a_worker_killed_mid_trial_is_an_infra_error_and_never_a_hang(tmp_path):
    def brain(name: str, task: Any) -> ScriptedChatModel:
        if task.id == "doomed" and os.getpid() != PARENT:
            os.kill(os.getpid(), signal.SIGKILL)  # the trial takes its worker down with it
        return ScriptedChatModel(script=BUY)

    harness = Harness(brain=brain, label="doomed")
    buy = SUITE["tasks"][0]
    survivors = Suite.model_validate({**SUITE, "tasks": [buy, {**buy, "id": "doomed"},
                                                         *({**buy, "id": f"buy-{n}"} for n in range(3))]})
    run = bounded(lambda: run_eval([survivors], harness, EvalConfig(concurrency=2, workers=2, out_dir=tmp_path / "a")))
    status = {r.task_id: r.status for r in run.records}
    assert status.pop("doomed") == "infra_error" and set(status.values()) == {"done"}
    (doomed,) = [r for r in run.records if r.task_id == "doomed"]
    assert "died (killed by SIGKILL) while running this trial" in doomed.error.message and doomed.grade is None
    assert set(trial_lines(run.log).values()) == {1} and len(trial_lines(run.log)) == 5
    assert all(r.passed for r in run.records if r.task_id != "doomed")

    # both workers die: what never started is recorded too, and --resume runs exactly those
    everyone = Suite.model_validate({**SUITE, "tasks": [{**buy, "id": "doomed"}, buy]})
    config = EvalConfig(k=2, concurrency=2, workers=2, out_dir=tmp_path / "b")
    run = bounded(lambda: run_eval([everyone], harness, config))
    messages = {t: {r.error.message.split(" process ")[0] for r in run.records if r.task_id == t}
                for t in ("doomed", "buy")}
    assert messages == {"doomed": {"the eval worker"}, "buy": {"not run: every eval worker"}}
    assert all(r.status == "infra_error" and r.grade is None for r in run.records)
    stats = evaluate(run.header, run.suites, run.records, log=run.log).summary.suites[0]
    assert (stats.infra_errors, stats.trials) == (4, 0)
    harness.brain_factory = lambda name, task: ScriptedChatModel(script=BUY)  # same run key: the label
    again = bounded(lambda: run_eval([everyone], harness, config.model_copy(update={"resume": True})))
    assert (again.ran, again.reused) == (4, 0) and all(r.passed for r in again.records)


def test_cli_workers_option(tmp_path):
    suite = tmp_path / "cli.yaml"
    suite.write_text(CLI_SUITE, encoding="utf-8")
    script = tmp_path / "script.json"
    script.write_text(json.dumps(BUY), encoding="utf-8")
    runner = CliRunner()
    common = ["run", str(suite), "--model", f"scripted:{script}", "--out", str(tmp_path / "out"), "--k", "2"]
    for bad in ("0", "-3", "many"):
        result = runner.invoke(app, [*common, "--workers", bad])
        assert result.exit_code == 2 and "--workers" in result.output, result.output
    result = runner.invoke(app, [*common, "--workers", "2", "--concurrency", "4"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "4 trial(s) run, 0 reused from the log" in result.output and "by 2 worker processes" in result.output
    (log,) = (tmp_path / "out").glob("*.jsonl")
    assert json.loads(log.with_suffix(".json").read_text(encoding="utf-8"))["suites"][0]["rate"] == 0.5


@pytest.mark.parametrize(("concurrency", "workers", "trials", "expected"), [
    (32, 2, 100, 2), (32, 64, 100, 32), (8, 4, 3, 3), (1, 4, 100, 1), (32, 2, 0, 1)])
def test_worker_count_and_split(concurrency, workers, trials, expected):
    assert worker_count(EvalConfig(concurrency=concurrency, workers=workers), trials) == expected
    assert worker_count(EvalConfig(concurrency=3), 100) == 1  # auto: few trials at once, one process
    assert worker_count(EvalConfig(concurrency=32), 100) == min(cpu_count(), 32)
    assert split_slots(32, 2) == [16, 16] and split_slots(5, 3) == [2, 2, 1] and sum(split_slots(7, 4)) == 7


def test_trial_homes_live_in_ram_when_there_is_room_and_are_gone_after_the_run(tmp_path, monkeypatch):
    from evals import runner
    from tools.home import errand_home

    ram = tmp_path / "ram"
    ram.mkdir()
    monkeypatch.setattr(runner, "RAM_DIR", ram)
    homes: list[Path] = []

    def brain(name: str, task: Any) -> ScriptedChatModel:
        homes.append(errand_home())  # built inside the trial's world
        return ScriptedChatModel(script=SCRIPTS[task.id])

    suite = Suite.model_validate(SUITE)
    harness = Harness(brain=brain, label="scripted")
    run = run_eval([suite], harness, EvalConfig(concurrency=2, workers=1, out_dir=tmp_path / "out"))
    assert all(r.passed for r in run.records)
    trial_homes = homes[1:]  # the first is the preflight's, in the work dir
    assert len(trial_homes) == len(run.records) and all(ram in h.parents for h in trial_homes)
    assert list(ram.iterdir()) == []

    homes.clear()  # kept homes are for looking at later: never in RAM
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    kept = run_eval([suite], harness, EvalConfig(concurrency=2, workers=1, out_dir=tmp_path / "kept", keep_homes=True))
    assert all(r.passed for r in kept.records) and not any(ram in h.parents for h in homes)

    monkeypatch.setattr(runner, "RAM_NEEDED", 2**62)  # no room: the work dir, as before
    assert runner.ram_dir() is None
    monkeypatch.setattr(runner, "RAM_NEEDED", 1)
    assert runner.ram_dir() == ram
    monkeypatch.setattr(runner, "RAM_DIR", tmp_path / "missing")
    assert runner.ram_dir() is None


def test_a_new_run_sweeps_the_ram_homes_of_runs_that_were_killed(tmp_path):
    from evals.runner import HOMES_PREFIX, ram_homes

    dead = subprocess_pid_that_exited()
    stale = tmp_path / f"{HOMES_PREFIX}{dead}-abc"
    (stale / "t01-0-xyz" / "sandbox").mkdir(parents=True)
    recent = tmp_path / f"{HOMES_PREFIX}{dead}-ghi"  # its pid looks dead, but it was touched a minute ago
    recent.mkdir()
    hours_ago = time.time() - 2 * 3600
    os.utime(stale, (hours_ago, hours_ago))
    os.utime(recent, (time.time() - 60,) * 2)
    living = tmp_path / f"{HOMES_PREFIX}{os.getpid()}-def"  # a run still going (this process)
    living.mkdir()
    foreign = tmp_path / f"{HOMES_PREFIX}notapid"
    foreign.mkdir()
    fresh = ram_homes(tmp_path)
    assert fresh.name.startswith(f"{HOMES_PREFIX}{os.getpid()}-") and fresh.is_dir()
    assert not stale.exists() and living.exists() and foreign.exists() and recent.exists()


def subprocess_pid_that_exited() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid
