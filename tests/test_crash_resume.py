"""Exactly-once side effects: kill the process (SIGKILL) after approval, during the tool call,
and after it; resume from the checkpoint in another process; the sandbox holds exactly one
order / booking / application."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from agents import RunStatus
from crash_support import created, make_agent
from tests_support import cli_env

HERE = Path(__file__).parent


@pytest.mark.parametrize("point", ["before_call", "during_call", "after_act"])
@pytest.mark.parametrize("domain", ["shop", "travel", "gov"])
def test_sigkill_then_resume_creates_exactly_one_record(domain, point, errand_home):
    agent = make_agent(domain)
    parked = agent.run("do the errand")
    assert parked.status is RunStatus.WAITING
    child = subprocess.run([sys.executable, str(HERE / "crash_support.py"), domain, parked.run_id, point],
                           env=cli_env(errand_home, PYTHONPATH=f"{HERE.parent}:{HERE}"),
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr
    expected_before = 0 if point == "before_call" else 1
    assert len(created(domain)) == expected_before

    resumed = make_agent(domain).continue_run(parked.run_id)  # a fresh agent, as another process
    assert resumed.status is RunStatus.DONE, resumed
    records = created(domain)
    assert len(records) == 1
    (action,) = resumed.actions
    assert action.status.value == "executed" and action.result["output"]["id"] == records[0]["id"]
    assert make_agent(domain).continue_run(parked.run_id).status is RunStatus.DONE
    assert len(created(domain)) == 1
