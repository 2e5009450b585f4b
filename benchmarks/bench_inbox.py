"""Listing the inbox: 10,000 pending items, and errand's table against scanning checkpoints.

LangGraph has no cross-thread "what is waiting" query outside its hosted server; the
do-it-yourself way is to open every thread's latest checkpoint and look for interrupts.
This prints the time to list 10,000 pending items from errand's inbox table, and the
per-item cost of both ways side by side (the checkpoint scan over real parked runs).

    python benchmarks/bench_inbox.py [--items 10000] [--runs 300]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=300, help="real parked runs for the checkpoint scan")
    opts = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="errand-bench-inbox-"))
    os.environ["ERRAND_HOME"] = str(home)

    from agents import Agent, RunStatus
    from agents.brains.scripted import ScriptedChatModel
    from agents.inbox import Inbox
    from agents.store import RunIndex
    from tools import errand_tool

    index = RunIndex()
    for n in range(opts.items // 2):
        run_id = f"bench{n:06d}"
        index.create(run_id, "shop", f"errand {n}", {"agent": "shop"})
        actions = [{"action_id": f"1.{k}", "tool": "shop_place_order", "args": {"product_id": f"P{n % 300:04d}"},
                    "args_hash": f"{n:010d}{k:022d}", "effect": "payment", "summary": f"Buy item {n}",
                    "reasons": ["payment"], "risk": "high"} for k in (1, 2)]
        index.update(run_id, RunStatus.WAITING, {"kind": "approval", "run_id": run_id, "step": 1,
                                                 "actions": actions})
    inbox = Inbox(index)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        items = inbox.pending()
        times.append(time.perf_counter() - start)
    assert len(items) == opts.items
    table_total = statistics.median(times)

    @errand_tool(effect="payment", domain="bench")
    def pay(amount: int) -> dict:
        """Pay."""
        return {"paid": amount}

    agent = Agent("bench", tools=[pay], brain=ScriptedChatModel(script=[
        {"tool_calls": [{"name": "pay", "args": {"amount": 1}}]}]))
    run_ids = [agent.run("pay").run_id for _ in range(opts.runs)]
    start = time.perf_counter()
    found = 0
    for run_id in run_ids:
        snapshot = agent.graph.get_state({"configurable": {"thread_id": run_id}})
        found += len(snapshot.interrupts)
    scan_total = time.perf_counter() - start
    assert found == opts.runs

    per_item_table = table_total / opts.items * 1e6
    per_item_scan = scan_total / opts.runs * 1e6
    print(f"inbox table: {opts.items} pending items listed in {table_total * 1000:.1f} ms "
          f"({per_item_table:.1f} µs/item, median of 5)")
    print(f"checkpoint scan: {opts.runs} parked runs in {scan_total * 1000:.1f} ms ({per_item_scan:.1f} µs/run)")
    print(f"ratio scan / table per item: {per_item_scan / per_item_table:.0f}x")
    print(json.dumps({"items": opts.items, "list_ms": round(table_total * 1000, 1)}))


if __name__ == "__main__":
    main()
