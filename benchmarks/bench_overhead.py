"""errand's orchestration overhead per step, against a bare LangGraph graph.

Both sides run the same work per step — a zero-latency scripted chat model proposes one
tool call, the tool runs, the result goes back to the model — through graphs with the
same nodes (understand, ask, plan, gate, approve, act, respond), the same SQLite
checkpointer on disk and the same durability. The bare graph keeps a message list and
nothing else; errand adds typed actions, the gate, provenance, idempotency keys, the run
index and the rest. Printed: per-step times and the ratio, measured in one run.

    python benchmarks/bench_overhead.py [--steps 10] [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Annotated, TypedDict

from langchain_core.messages import AnyMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages


def scripted_replies(steps: int) -> list[dict]:
    return [{"tool_calls": [{"name": "lookup", "args": {"key": f"k{i}"}}]} for i in range(steps)] + ["done"]


def make_tool():
    from tools import errand_tool

    @errand_tool(effect="read", domain="bench")
    def lookup(key: str) -> dict:
        """Look a key up."""
        return {"key": key, "value": len(key)}

    return lookup


def bare_graph(model, tool, checkpointer):
    class S(TypedDict):
        messages: Annotated[list[AnyMessage], add_messages]

    bound = model.bind_tools([tool])

    def plan(state: S) -> dict:
        return {"messages": [bound.invoke(state["messages"])]}

    def act(state: S) -> dict:
        call = state["messages"][-1].tool_calls[0]
        return {"messages": [ToolMessage(str(tool.invoke(call["args"])), tool_call_id=call["id"])]}

    def passthrough(state: S) -> dict:
        return {}

    g = StateGraph(S)
    for name, fn in [("understand", passthrough), ("ask", passthrough), ("plan", plan), ("gate", passthrough),
                     ("approve", passthrough), ("act", act), ("respond", passthrough)]:
        g.add_node(name, fn)
    g.add_edge(START, "understand")
    g.add_conditional_edges("understand", lambda s: "plan", ["plan", "ask"])
    g.add_edge("ask", "understand")
    g.add_conditional_edges("plan", lambda s: "gate" if s["messages"][-1].tool_calls else "respond",
                            ["gate", "respond"])
    g.add_conditional_edges("gate", lambda s: "act", ["act", "approve"])
    g.add_edge("approve", "act")
    g.add_edge("act", "plan")
    g.add_edge("respond", END)
    return g.compile(checkpointer=checkpointer)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10, help="tool steps per run")
    parser.add_argument("--runs", type=int, default=30, help="runs per side (interleaved)")
    opts = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="errand-bench-"))
    os.environ["ERRAND_HOME"] = str(home)
    import sqlite3

    from agents import Agent
    from agents.brains.scripted import ScriptedChatModel

    tool = make_tool()
    model = ScriptedChatModel(script=scripted_replies(opts.steps))
    bare_saver = SqliteSaver(sqlite3.connect(home / "bare.sqlite", check_same_thread=False))
    bare = bare_graph(model, tool, bare_saver)
    agent = Agent("bench", tools=[tool], brain=model, checkpointer=home / "errand.sqlite")  # default policy
    from agents.gate import DefaultGate

    plain_gate = Agent("bench", tools=[tool], brain=model, checkpointer=home / "errand-gate.sqlite",
                       gate=DefaultGate())

    def run_bare(i: int) -> None:
        out = bare.invoke({"messages": [HumanMessage("go")]}, {"configurable": {"thread_id": f"b{i}"}},
                          durability="sync")
        assert len(out["messages"]) == 2 * opts.steps + 2

    def run_errand(which: Agent) -> None:
        result = which.run("go")
        assert result.status.value == "done" and len(result.actions) == opts.steps

    run_bare(-1), run_errand(agent), run_errand(plain_gate)  # warm up imports and tables
    times: dict[str, list[float]] = {"bare": [], "gate": [], "policy": []}
    for i in range(opts.runs):  # interleaved, so drift affects every side alike
        t = time.perf_counter(); run_bare(i); times["bare"].append(time.perf_counter() - t)
        t = time.perf_counter(); run_errand(plain_gate); times["gate"].append(time.perf_counter() - t)
        t = time.perf_counter(); run_errand(agent); times["policy"].append(time.perf_counter() - t)

    b, g, p = (statistics.median(times[k]) for k in ("bare", "gate", "policy"))
    print(f"steps per run: {opts.steps}, runs per side: {opts.runs}, checkpointer: SQLite file, durability=sync")
    print(f"bare LangGraph                  : {b * 1000:8.2f} ms/run  {b / opts.steps * 1000:6.2f} ms/step")
    print(f"errand, baseline gate + audit   : {g * 1000:8.2f} ms/run  {g / opts.steps * 1000:6.2f} ms/step")
    print(f"errand, default policy + audit  : {p * 1000:8.2f} ms/run  {p / opts.steps * 1000:6.2f} ms/step")
    print(f"ratio errand (baseline gate) / bare: {g / b:.2f}x   (target <= 1.30x)")
    print(f"ratio errand (default policy) / bare: {p / b:.2f}x")


if __name__ == "__main__":
    main()
