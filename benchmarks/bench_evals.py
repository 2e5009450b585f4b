"""Eval throughput: the same trials one at a time and 32 at a time, as a ratio in one run.

Each trial is a real shop errand through the whole runtime (its own ERRAND_HOME and
sandbox world, the policy gate, the attentive approver, grading) driven by a scripted chat
model that sleeps ``--latency`` seconds per call, like a remote model would. Model calls
are I/O, so concurrent trials overlap them; what cannot overlap within one process is the
Python work of each trial (tens of milliseconds, bound to one core by the GIL). The
concurrent run therefore spreads its trials over worker processes (``--workers``; default:
the runner's choice, one per CPU), each running its share of the concurrency as threads.

Two bounds on the speed-up: packing — ``trials`` trials in slots of ``concurrency`` take
ceil(trials / concurrency) rounds, so at most trials / ceil(trials / concurrency) — and the
GIL, now per process: each busy core does one trial's work at a time, so the speed-up is at
most min(workers, CPUs) × (latency + work) / work. Printed: both wall times, the speed-up,
the worker count, the per-trial work, both bounds, and the share of the lower one reached.

``--jitter J`` draws each call's latency from [latency − J, latency + J] (same mean, seeded):
identical trials with identical latencies move in lockstep — all wake at once and queue for
the CPU — which real model calls do not.

    python benchmarks/bench_evals.py [--trials 100] [--concurrency 32] [--latency 0.2] [--jitter 0]
                                     [--workers N]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult

from agents.brains.scripted import ScriptedChatModel
from evals.harness import Harness
from evals.model import Suite, Task
from evals.runner import EvalConfig, cpu_count, run_eval

ORDER = {"customer_id": "li-ming", "product_id": "P0013", "merchant_id": "M006", "quantity": 1,
         "payment_method": "alipay-main", "shipping_name": "$user.name", "shipping_phone": "$user.phone",
         "shipping_address": "$user.address", "max_total": "199"}
SCRIPT = [{"tool_calls": [{"name": "shop_search_products", "args": {"query": "Redmi Buds 6"}}]},
          {"tool_calls": [{"name": "shop_check_merchant_risk", "args": {"merchant_id": "M006"}}]},
          {"tool_calls": [{"name": "shop_place_order", "args": ORDER}]},
          "Ordered Redmi Buds 6 from Xiaomi Home."]


class SlowScriptedModel(ScriptedChatModel):
    """The scripted model with a remote model's latency (sleeping releases the GIL, as I/O does)."""

    latency: float = 0.2
    jitter: float = 0.0

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        time.sleep(self.latency + (_RANDOM.uniform(-self.jitter, self.jitter) if self.jitter else 0.0))
        return super()._generate(messages, stop, run_manager, **kwargs)


_RANDOM = random.Random(20261129)


def suite() -> Suite:
    task = Task.model_validate({
        "id": "buy-earbuds", "agent": "shop", "request": "Buy me Redmi Buds 6 from a trustworthy shop",
        "approver": "attentive", "intent": [{"tool": "shop_place_order", "args": {"product_id": "P0013"}}],
        "expect": {"records": [{"table": "shop.orders", "where": {"product_id": "P0013", "merchant_id": "M006"}}],
                   "asked_human": ["shop_place_order"]}})
    return Suite(suite="bench", tasks=[task])


def timed(trials: int, concurrency: int, latency: float, out: Path, workers: int | None = 1,
          jitter: float = 0.0) -> tuple[float, int]:
    """Wall time of ``trials`` trials, and the worker processes that ran them."""
    harness = Harness(brain=lambda name, task: SlowScriptedModel(script=SCRIPT, latency=latency, jitter=jitter),
                      label="slow-scripted")
    config = EvalConfig(k=trials, concurrency=concurrency, workers=workers, out_dir=out,
                        log=out / f"c{concurrency}.jsonl")
    began = time.perf_counter()
    run = run_eval([suite()], harness, config)
    seconds = time.perf_counter() - began
    passed = sum(r.passed for r in run.records)
    if passed != trials:
        raise SystemExit(f"only {passed}/{trials} trials passed; the benchmark measures working trials")
    return seconds, run.workers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.2, help="Seconds per model call")
    parser.add_argument("--jitter", type=float, default=0.0, help="± seconds around the latency (same mean)")
    parser.add_argument("--workers", type=int, default=None,
                        help="Worker processes of the concurrent run (default: the runner's, one per CPU)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="errand-bench-evals-") as scratch:
        os.environ["ERRAND_HOME"] = str(Path(scratch) / "home")
        out = Path(scratch) / "out"
        calls = sum(1 for _ in SCRIPT)
        timed(2, 1, 0.0, out / "warmup")
        work, _ = timed(args.trials, 1, 0.0, out / "work")
        one, _ = timed(args.trials, 1, args.latency, out / "serial", jitter=args.jitter)
        many, workers = timed(args.trials, args.concurrency, args.latency, out / "concurrent", args.workers,
                              args.jitter)
    cpus = cpu_count()
    per_trial_work = work / args.trials
    latency = calls * args.latency
    packing = args.trials / math.ceil(args.trials / args.concurrency)
    per_core = (latency + per_trial_work) / per_trial_work
    ceiling = min(workers, cpus) * per_core
    spread = f" ± {args.jitter * 1000:.0f}" if args.jitter else ""
    print(f"{args.trials} trials, {calls} model calls each at {args.latency * 1000:.0f}{spread} ms "
          f"({latency:.2f} s of model latency per trial), {cpus} CPU(s)")
    print(f"  concurrency 1 (1 process):  {one:7.2f} s  ({one / args.trials * 1000:.0f} ms per trial)")
    print(f"  concurrency {args.concurrency} ({workers} worker process{'es' if workers > 1 else ''}): "
          f"{many:7.2f} s  ({many / args.trials * 1000:.0f} ms per trial)")
    print(f"  speed-up: {one / many:.1f}x  (ideal {packing:.1f}x: {args.trials} trials in "
          f"{math.ceil(args.trials / args.concurrency)} rounds of {args.concurrency})")
    print(f"  per-trial Python work without latency: {per_trial_work * 1000:.0f} ms -> GIL ceiling "
          f"{per_core:.1f}x per busy core, {ceiling:.1f}x on min(workers, CPUs) = {min(workers, cpus)}; "
          f"reached {one / many / min(ceiling, packing):.0%} of min(ceiling, ideal)")


if __name__ == "__main__":
    main()
