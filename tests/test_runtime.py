"""The agent runtime: pauses, typed decisions, binding of approvals to args, and resumption."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agents import Agent, ApprovalResume, Approve, Edit, Reject, RunError, RunStatus
from agents.brains.scripted import ScriptedChatModel
from agents.gate import DefaultGate
from agents.models import ActionStatus, Decision, GateVerdict
from tools import errand_tool

LEDGER: list[dict] = []


@errand_tool(effect="read", domain="shop")
def find_tea(query: str) -> dict:
    """Find tea."""
    return {"items": [{"id": "P7", "name": "Longjing tea", "price": "88.00", "merchant": "M004"}]}


@errand_tool(effect="payment", domain="shop", money="max_total", personal_data=["phone"],
             summary="Buy {quantity} x {product_id} for up to {max_total} CNY")
def buy_tea(product_id: str, quantity: int, max_total: Decimal, phone: str) -> dict:
    """Buy tea."""
    LEDGER.append({"product_id": product_id, "quantity": quantity, "max_total": str(max_total)})
    return {"order_id": f"ORD-{len(LEDGER)}", "product_id": product_id, "quantity": quantity}


@pytest.fixture(autouse=True)
def clean_ledger():
    LEDGER.clear()


def call(name: str, **args) -> dict:
    return {"name": name, "args": args}


BUY = call("buy_tea", product_id="P7", quantity=2, max_total="176.00", phone="$user.phone")


def agent_with(*replies, gate=None, name="shop") -> Agent:
    return Agent(name, tools=[find_tea, buy_tea], brain=ScriptedChatModel(script=list(replies)), gate=gate)


def test_read_runs_payment_waits_then_runs_exactly_once_after_approval():
    agent = agent_with({"tool_calls": [call("find_tea", query="longjing")]},
                       {"content": "Buying the cheapest.", "tool_calls": [BUY]}, "Bought 2 x P7: ORD-1.")
    result = agent.run("buy two boxes of longjing tea")
    assert result.status is RunStatus.WAITING
    pending = result.waiting_for.actions
    assert [p.tool for p in pending] == ["buy_tea"]
    assert pending[0].args["phone"] == "13800138000"  # $user.phone resolved before the gate
    assert pending[0].summary == "Buy 2 x P7 for up to 176.00 CNY"
    assert LEDGER == []
    done = agent.approve(result.run_id)
    assert done.status is RunStatus.DONE
    assert done.final.text == "Bought 2 x P7: ORD-1."
    assert LEDGER == [{"product_id": "P7", "quantity": 2, "max_total": "176.00"}]
    assert done.final.receipts[0]["output"]["order_id"] == "ORD-1"


def test_reject_executes_nothing_and_the_same_action_is_never_retried_unasked():
    agent = agent_with({"tool_calls": [BUY]}, {"tool_calls": [BUY]}, "ok")
    result = agent.run("buy tea")
    after = agent.reject(result.run_id, "too expensive")
    assert after.status is RunStatus.REJECTED
    assert LEDGER == []
    statuses = [a.status for a in after.actions]
    assert statuses == [ActionStatus.REJECTED, ActionStatus.SUPPRESSED]
    assert after.actions[0].human["reason"] == "too expensive"


def test_the_model_is_told_about_the_rejection_and_can_finish():
    model = ScriptedChatModel(script=[{"tool_calls": [BUY]}, "Understood, I bought nothing."])
    agent = Agent("shop", tools=[find_tea, buy_tea], brain=model)
    result = agent.reject(agent.run("buy tea").run_id, "not now")
    assert result.status is RunStatus.REJECTED
    assert result.final.text == "Understood, I bought nothing."
    transcript = agent.brain.messages(agent.nodes.context(agent.state(result.run_id)))
    assert "the person rejected this action (reason: not now)" in transcript[-1].content


def test_edit_executes_the_edited_args_and_never_the_original():
    agent = agent_with({"tool_calls": [BUY]}, "done")
    result = agent.run("buy tea")
    pending = result.waiting_for.actions[0]
    edited = {**pending.args, "quantity": 1, "max_total": "88.00"}
    again = agent.approve(result.run_id, edit=edited)
    # the edit went through the gate again: the person sees the new decision before anything runs
    assert again.status is RunStatus.WAITING and LEDGER == []
    (shown,) = again.waiting_for.actions
    assert shown.action_id == pending.action_id and shown.args["quantity"] == 1
    assert shown.args_hash != pending.args_hash and shown.summary == "Buy 1 x P7 for up to 88.00 CNY"
    done = agent.approve(result.run_id)
    assert LEDGER == [{"product_id": "P7", "quantity": 1, "max_total": "88.00"}]
    action = done.actions[0]
    assert action.human["type"] == "approve"
    (edit,) = action.human["history"]
    assert edit["type"] == "edit" and edit["previous_args"]["quantity"] == 2
    assert action.status is ActionStatus.EXECUTED


class DenyBigOrders(DefaultGate):
    def decide(self, request):
        if request.tool == "buy_tea" and int(request.args.get("quantity", 0)) > 5:
            return GateVerdict(decision=Decision.DENY, reasons=["more than 5 boxes"])
        return super().decide(request)


def test_an_edit_goes_through_the_gate_again():
    agent = agent_with({"tool_calls": [BUY]}, "ok", gate=DenyBigOrders())
    result = agent.run("buy tea")
    after = agent.approve(result.run_id, edit={**result.waiting_for.actions[0].args, "quantity": 50})
    assert LEDGER == []
    assert after.actions[0].status is ActionStatus.DENIED
    assert after.actions[0].verdict.reasons == ["more than 5 boxes"]


def test_invalid_edits_and_stale_or_unknown_decisions_are_refused_before_resuming():
    agent = agent_with({"tool_calls": [BUY]}, "ok")
    run_id = agent.run("buy tea").run_id
    with pytest.raises(RunError, match="quantity"):
        agent.approve(run_id, edit={"product_id": "P7", "quantity": "lots", "max_total": "1", "phone": "1"})
    with pytest.raises(RunError, match="changed since it was shown"):
        agent.resume(run_id, ApprovalResume(decisions={"1.1": Approve(args_hash="0" * 32)}))
    with pytest.raises(RunError, match="no pending action '9.9'"):
        agent.resume(run_id, ApprovalResume(decisions={"9.9": Approve(args_hash="x")}))
    with pytest.raises(RunError, match="waiting for approval, not an answer"):
        agent.answer(run_id, "yes")
    assert LEDGER == [] and agent.result(run_id).status is RunStatus.WAITING


def test_several_actions_in_one_step_decided_one_by_one_by_id():
    two = {"tool_calls": [call("buy_tea", product_id="P7", quantity=1, max_total="88", phone="1"),
                          call("buy_tea", product_id="P8", quantity=1, max_total="60", phone="1")]}
    agent = agent_with(two, "ok")
    result = agent.run("buy both teas")
    assert [a.action_id for a in result.waiting_for.actions] == ["1.1", "1.2"]
    second = result.waiting_for.actions[1]
    partial = agent.resume(result.run_id, ApprovalResume(decisions={"1.2": Approve(args_hash=second.args_hash)}))
    assert partial.status is RunStatus.WAITING
    assert [a.action_id for a in partial.waiting_for.actions] == ["1.1"]
    assert LEDGER == []  # nothing runs until every action of the step is decided
    done = agent.reject(result.run_id, "only the second", ["1.1"])
    assert done.status is RunStatus.DONE
    assert [e["product_id"] for e in LEDGER] == ["P8"]


def test_several_actions_approved_together():
    two = {"tool_calls": [call("buy_tea", product_id="P7", quantity=1, max_total="88", phone="1"),
                          call("buy_tea", product_id="P8", quantity=1, max_total="60", phone="1")]}
    agent = agent_with(two, "ok")
    done = agent.approve(agent.run("buy both").run_id)
    assert sorted(e["product_id"] for e in LEDGER) == ["P7", "P8"]
    assert done.status is RunStatus.DONE


def test_questions_pause_and_the_answer_reaches_the_model():
    agent = agent_with({"tool_calls": [call("ask_user", question="How many boxes?")]},
                       {"tool_calls": [BUY]}, "ok")
    result = agent.run("buy tea")
    assert result.status is RunStatus.WAITING and result.waiting_for.kind == "question"
    assert result.waiting_for.question == "How many boxes?"
    with pytest.raises(RunError, match="not waiting for an approval"):
        agent.approve(result.run_id)
    after = agent.answer(result.run_id, "two")
    assert after.waiting_for.kind == "approval"
    messages = agent.brain.messages(agent.nodes.context(agent.state(result.run_id)))
    assert any(getattr(m, "content", None) == "two" for m in messages)


def test_malformed_tool_calls_are_fed_back_and_corrected():
    agent = agent_with({"invalid_tool_calls": [{"name": "buy_tea", "args": "{quantity: 2"}]},
                       {"tool_calls": [call("sell_tea", product_id="P7")]},
                       {"tool_calls": [call("buy_tea", product_id="P7", quantity="two", max_total="1", phone="1")]},
                       {"tool_calls": [BUY]}, "ok")
    result = agent.run("buy tea")
    assert result.status is RunStatus.WAITING
    assert result.waiting_for.actions[0].args["quantity"] == 2
    notes = agent.state(result.run_id)["notes"]["llm_malformed"]
    assert len(notes) == 3
    feedback = [m["data"]["content"] for n in notes for m in n["messages"] if m["type"] == "tool"]
    assert any("not valid JSON" in f for f in feedback)
    assert any("unknown tool 'sell_tea'" in f for f in feedback)
    assert any("quantity" in f for f in feedback)


def test_a_model_that_never_corrects_itself_fails_the_run_clearly():
    bad = {"tool_calls": [call("sell_tea")]}
    agent = agent_with(bad, bad, bad, bad, bad)
    result = agent.run("buy tea")
    assert result.status is RunStatus.FAILED
    assert "unusable tool calls 4 times" in result.final.text and "sell_tea" in result.final.text


def test_a_paused_run_resumes_from_a_new_agent_object_sharing_only_the_checkpoint():
    replies = ({"tool_calls": [BUY]}, "done")
    run_id = agent_with(*replies).run("buy tea").run_id
    fresh = agent_with(*replies)  # as another process would build it
    assert fresh.result(run_id).status is RunStatus.WAITING
    assert fresh.approve(run_id).status is RunStatus.DONE
    assert len(LEDGER) == 1
    with pytest.raises(RunError, match="not waiting"):
        fresh.approve(run_id)


def test_args_changed_after_approval_are_not_executed():
    agent = agent_with({"tool_calls": [BUY]}, "ok")
    result = agent.run("buy tea")
    agent.resume(result.run_id, ApprovalResume(decisions={"1.1": Reject(reason="x")}))
    # tamper: rewrite state so an approved action carries other args than were approved
    run_id = agent.run("buy tea again").run_id
    pending = agent.result(run_id).waiting_for.actions[0]
    config = agent._config(run_id)
    state = agent.state(run_id)
    state["actions"][0]["approved_hash"] = pending.args_hash
    state["actions"][0]["status"] = "approved"
    state["actions"][0]["args"] = {**pending.args, "quantity": 99}
    agent.graph.update_state(config, {"actions": state["actions"]}, as_node="approve")
    final = agent.continue_run(run_id)
    assert LEDGER == []
    assert final.actions[0].status is ActionStatus.FAILED
    assert "differ from what was approved" in final.actions[0].result["error"]["message"]


def test_stream_yields_events_in_order():
    agent = agent_with({"tool_calls": [call("find_tea", query="tea")]}, {"tool_calls": [BUY]}, "ok")
    events = [e.type for e in agent.stream("buy tea")]
    assert events[:4] == ["action_proposed", "step_started", "gate_decided", "tool_result"]
    assert events[-1] == "approval_needed"


def test_untrusted_provenance_is_recorded():
    agent = agent_with({"tool_calls": [call("find_tea", query="longjing")]},
                       {"tool_calls": [call("buy_tea", product_id="P7", quantity=2, max_total="176.00",
                                            phone="$user.phone")]}, "ok")
    result = agent.run("buy longjing")
    action = result.actions[-1]
    assert action.provenance["product_id"] == "tool:find_tea"
    assert action.provenance["phone"] == "user"
    assert action.provenance["max_total"] == "model"
    assert result.actions[0].provenance["query"] == "request"


def test_the_graph_is_a_real_langgraph_graph():
    agent = agent_with("ok")
    mermaid = agent.graph.get_graph().draw_mermaid()
    for node in ("understand", "plan", "gate", "approve", "act", "respond"):
        assert node in mermaid


def test_the_run_index_lists_a_thousand_runs_without_checkpoints():
    from agents.store import RunIndex

    index = RunIndex()
    for i in range(1000):
        index.create(f"run{i:04d}", "shop", f"errand {i}", {"agent": "shop"})
    index.update("run0500", RunStatus.WAITING, {"kind": "question"}, "question: which?")
    records = index.list()
    assert len(records) == 1000
    assert records[0].run_id == "run0500" and records[0].status is RunStatus.WAITING
    assert len(index.list(status=RunStatus.WAITING)) == 1
    assert index.get("run0999").request == "errand 999"
    from agents.store import ClaimRefused

    index.claim("run0500")
    with pytest.raises(ClaimRefused, match="not waiting"):  # exactly one resumer wins
        index.claim("run0500")


def test_a_custom_graph_built_from_errands_nodes_as_in_the_readme():
    from langgraph.graph import END, START, StateGraph

    from agents import ErrandNodes, RunState
    from agents.brains.llm import LLMBrain
    from agents.store import open_checkpointer

    brain = LLMBrain(ScriptedChatModel(script=[{"tool_calls": [BUY]}, "bought"]))
    n = ErrandNodes(agent="shop", brain=brain, tools=[find_tea, buy_tea])
    g = StateGraph(RunState)
    for name in ("understand", "ask", "plan", "approve", "act", "respond"):
        g.add_node(name, getattr(n, name))
    g.add_node("gate", n.gate_actions)
    g.add_edge(START, "understand")
    for name in ("understand", "ask", "plan", "gate", "approve"):
        g.add_conditional_edges(name, getattr(n, f"after_{name}"))
    g.add_edge("act", "plan")
    g.add_edge("respond", END)
    graph = g.compile(checkpointer=open_checkpointer())

    from langgraph.types import Command

    config = {"configurable": {"thread_id": "custom-1"}}
    graph.invoke({"run_id": "custom-1", "request": "buy tea", "user": {"phone": "1"}}, config)
    pending = graph.get_state(config).interrupts[0].value
    assert pending["kind"] == "approval" and LEDGER == []
    action = pending["actions"][0]
    out = graph.invoke(Command(resume={"kind": "approval", "decisions": {
        action["action_id"]: {"type": "approve", "args_hash": action["args_hash"]}}}), config)
    assert out["final"]["status"] == "done" and len(LEDGER) == 1


def test_arun_from_async_code():
    import asyncio

    agent = agent_with({"tool_calls": [call("find_tea", query="tea")]}, "Found Longjing tea.")
    result = asyncio.run(agent.arun("find tea"))
    assert result.status is RunStatus.DONE and result.final.text == "Found Longjing tea."
    assert result.actions[0].result["output"]["items"][0]["id"] == "P7"


def test_a_dismissed_proposal_ends_the_run_whatever_the_brain_tries_next():
    other = call("buy_tea", product_id="P8", quantity=1, max_total="60", phone="1")
    agent = agent_with({"tool_calls": [BUY]}, {"tool_calls": [other]}, "ok")
    result = agent.run("buy tea")
    pending = result.waiting_for.actions[0]
    done = agent.resume(result.run_id, ApprovalResume(decisions={
        pending.action_id: Reject(reason="not interested", args_hash=pending.args_hash, dismiss=True)}))
    assert done.status is RunStatus.REJECTED and LEDGER == []
    assert [a.tool for a in done.actions] == ["buy_tea"]  # the brain's next proposal was never made
    assert "dismissed" in done.final.text


def test_run_with_an_existing_id_carries_it_on_instead_of_starting_twice():
    agent = agent_with({"tool_calls": [BUY]}, "ok")
    first = agent.run("buy tea", run_id="fixed-run-1")
    again = agent.run("buy tea", run_id="fixed-run-1")
    assert again.status is RunStatus.WAITING and again.waiting_for == first.waiting_for
    assert len(agent.index.list()) == 1
    # indexed but no checkpoint yet (the starter died right after claiming the id): start it now
    agent.index.create("fixed-run-2", "shop", "buy tea", {"agent": "shop"})
    started = agent.run("buy tea", run_id="fixed-run-2", notes={"seeded": True})
    assert started.status is RunStatus.WAITING and agent.state("fixed-run-2")["notes"]["seeded"] is True


def test_an_in_memory_agent_may_checkpoint_only_at_pauses_and_the_end():
    from langgraph.checkpoint.memory import InMemorySaver

    replies = ({"tool_calls": [call("find_tea", query="longjing")]}, {"tool_calls": [BUY]}, "Bought.")
    counts = {}
    for durability in ("sync", "exit"):
        LEDGER.clear()
        agent = Agent("shop", tools=[find_tea, buy_tea], brain=ScriptedChatModel(script=list(replies)),
                      checkpointer=InMemorySaver(), durability=durability)
        result = agent.run("buy tea")
        assert result.status is RunStatus.WAITING and LEDGER == []
        final = agent.approve(result.run_id)
        assert final.status is RunStatus.DONE and len(LEDGER) == 1
        counts[durability] = len(list(agent.graph.get_state_history(agent._config(result.run_id))))
    assert counts["exit"] < counts["sync"]  # same run, same outcome, far fewer checkpoints
