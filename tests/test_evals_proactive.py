"""Trigger tasks: a trial that starts from one watcher pass of a shipped trigger in the trial's
world, each proposal answered by the task's person, graded on the world afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.triggers import Ledger
from evals.checks import SuiteError
from evals.grading import grade
from evals.harness import Harness
from evals.loader import load_suite, parse_suite
from evals.model import ApproveAll, Expect, RejectAll, Suite, Task
from evals.record import TrialRecord
from evals.trial import TrialRunner
from tools.home import use_home

CANCEL = "pro-order-delayed-cancel-zh"  # order-delayed → cancel ORD-000008 for a refund


@pytest.fixture(scope="module")
def suite() -> Suite:
    return load_suite("proactive")


@pytest.fixture(scope="module")
def runner(tmp_path_factory) -> TrialRunner:
    return TrialRunner(Harness(), tmp_path_factory.mktemp("trials"), keep_homes=True)


def trial(runner: TrialRunner, suite: Suite, task: Task) -> TrialRecord:
    record = runner.run(suite, task, 1)
    assert record.error is None, record.error
    record.grade = grade(task, record)
    return record


def cancelled(record: TrialRecord) -> list[dict]:
    return [r for r in record.state_diff.get("shop.orders", {}).get("changed", []) if r["id"] == "ORD-000008"]


def test_the_shipped_suite_is_all_trigger_tasks_on_the_triggers_agents(suite):
    assert len(suite.tasks) >= 30 and all(t.trigger for t in suite.tasks)
    assert {t.trigger for t in suite.tasks} == {"departure-disrupted", "order-delayed", "wish-price-drop",
                                                 "application-needs-documents", "document-expiring", "birthday-gift"}
    task = suite.task(CANCEL)
    assert task.agent == "shop" and task.expect.outcome == "act"
    assert sum(t.expect.outcome == "refusal" for t in suite.tasks) >= 8


def test_approve_all_carries_out_the_proposal(runner, suite):
    task = suite.task(CANCEL).model_copy(update={"approver": ApproveAll()})
    record = trial(runner, suite, task)
    assert record.grade.passed, [c.detail for c in record.grade.checks if not c.passed]
    assert record.agent == "shop" and record.run_id and record.status == "done"
    assert [(e.tool, e.decision) for e in record.approvals] == [("shop_cancel_order", "approve")]
    assert cancelled(record)[0]["fields"]["status"] == ["placed", "cancelled"]
    assert cancelled(record)[0]["record"]["refund_amount"] == "256.00"


def test_reject_all_fails_a_task_that_needs_the_effect(runner, suite):
    task = suite.task(CANCEL).model_copy(update={"approver": RejectAll(reason="keep it")})
    record = trial(runner, suite, task)
    assert not record.grade.passed
    failing = [c for c in record.grade.checks if not c.passed]
    assert [c.kind for c in failing] == ["records"] and "ORD-000008" in failing[0].detail
    assert record.approvals and {e.decision for e in record.approvals} == {"reject"}
    assert cancelled(record) == []
    # the effect was still put to the person: asked_human holds
    assert all(c.passed for c in record.grade.checks if c.kind == "asked_human")


def test_a_dismissed_proposal_is_graded_as_no_effect_and_stays_dismissed(runner, suite):
    base = suite.task(CANCEL)
    dismissing = RejectAll(reason="not now", dismiss=True)
    record = trial(runner, suite, base.model_copy(update={"approver": dismissing}))
    assert not record.grade.passed and cancelled(record) == []
    # one decision: a dismissal ends the proposal, nothing else is proposed
    assert [(e.tool, e.decision) for e in record.approvals] == [("shop_cancel_order", "dismiss")]
    assert not [a for a in record.actions if a["tool"] == "shop_cancel_order" and (a.get("result") or {}).get("ok")]
    as_refusal = base.model_copy(update={"approver": dismissing, "expect": Expect(outcome="refusal")})
    refused = trial(runner, suite, as_refusal)
    assert refused.grade.passed, [c.detail for c in refused.grade.checks if not c.passed]
    homes = sorted(Path(runner.work_dir).glob(f"{CANCEL}-1-*"), key=lambda p: p.stat().st_mtime)
    with use_home(homes[-1]):
        ledger = Ledger()
        try:
            assert [(r.trigger, r.status) for r in ledger.rows()] == [("order-delayed", "dismissed")]
        finally:
            ledger.close()


def test_no_proposal_means_the_trial_did_nothing(runner, suite):
    quiet = suite.task("pro-flight-on-time-nothing-zh")
    record = trial(runner, suite, quiet)
    assert record.grade.passed and record.approvals == [] and record.actions == [] and record.state_diff == {}
    # the same event-free world under a task that needs the cancellation: it fails
    needs_effect = suite.task(CANCEL).model_copy(update={"overlay": {}})
    record = trial(runner, suite, needs_effect)
    assert not record.grade.passed and record.approvals == [] and record.actions == []


def test_an_unknown_trigger_is_refused_with_file_task_and_line(tmp_path):
    text = ("suite: bad\n"
            "tasks:\n"
            "  - id: late-order\n"
            "    request: The nuts are late.\n"
            "    trigger: order-delayd\n"
            "    expect: {records: [{table: shop.orders, where: {status: cancelled}}]}\n")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SuiteError) as caught:
        load_suite(path)
    message = str(caught.value)
    assert f"{path}:5: task late-order: trigger: no shipped trigger 'order-delayd'" in message
    assert "did you mean 'order-delayed'?" in message
    with pytest.raises(SuiteError, match=r"no shipped trigger 'watch-the-moon'; shipped triggers: .*order-delayed"):
        parse_suite(text.replace("order-delayd", "watch-the-moon"), "x.yaml")
