"""Policy evaluation cost per action, with 1,000 rules against 10 rules, measured side by side.

Two policies of each size over the shipped default (its guards, caps and rules included):

- **by tool**: most rules name the tools they are about (what per-tool rules, user rules and
  remembered approvals look like); the engine's tool index skips the rules of other tools;
- **generic**: no rule names a tool, so every rule's conditions are tested for every action
  (the worst case: conditions on merchant lists, amounts, argument patterns and signals).

Printed per size: the rule evaluation alone (facts + guards + caps + rules + combining, from
a prepared observation — what ``errand policy replay`` pays per recorded action), the whole
gate decision (observing the action offline: provenance, personal data, injection scan of a
read search result, audit-log spend queries), and the 1,000/10 ratios from the same run.

    python benchmarks/bench_policy.py [--repeat 2000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable


def rules_yaml(count: int, *, by_tool: bool) -> str:
    lines = ["policy: bench", "extends: default", "rules:"]
    for i in range(count):
        if by_tool:
            tool = "shop_place_order" if i % 100 == 0 else f"tool_{i}"
            lines.append(f"  - {{id: r{i}, decision: ask, when: {{tool: {tool}, args.quantity: {{gt: {i % 50 + 3}}}}}}}")
        else:
            kind = i % 4
            if kind == 0:
                when = f"{{payees: {{any_of: [X{i}, Y{i}]}}}}"
            elif kind == 1:
                when = f"{{amount: {{gt: {100000 + i} CNY}}, effect: {{ge: payment}}}}"
            elif kind == 2:
                when = f"{{args.shipping_address: {{matches: '^Nowhere {i} '}}}}"
            else:
                when = f"{{signals: {{any_of: [fraud.risk_list]}}, time.hour: {{ge: {i % 24}}}, domain: gov}}"
            lines.append(f"  - {{id: g{i}, decision: deny, when: {when}}}")
    return "\n".join(lines) + "\n"


def median_us(fn: Callable[[], object], repeat: int) -> float:
    """Median of five timed batches, after an untimed warm-up batch (caches, lazy imports)."""
    for _ in range(repeat // 5):
        fn()
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        samples.append((time.perf_counter() - start) / repeat * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2000)
    opts = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="errand-bench-policy-"))
    os.environ["ERRAND_HOME"] = str(home)
    os.environ.setdefault("ERRAND_SANDBOX_NOW", "2026-11-28T10:00:00+08:00")

    from agents.gate import GateRequest
    from policies.audit import AuditLog
    from policies.detectors.fraud import ShopMarket
    from policies.engine import PolicyEngine
    from policies.facts import Facts
    from policies.engine import evaluate
    from policies.loader import load_policy
    from tools.model import tool_meta
    from tools.profile import load_profile
    from tools.registry import default_registry

    class OfflineShop:
        def get(self, path: str, **_: object) -> dict:
            if path == "/risk/merchants":
                return {"merchants": [{"merchant_id": "M013", "reason": "fakes"}]}
            return {"offers": [{"merchant_id": m, "price": p, "shipping_fee": "0.00"}
                               for m, p in (("M013", "167.00"), ("M006", "233.00"), ("M004", "259.00"))]}

    user = load_profile().model_dump(mode="json")
    meta = tool_meta(default_registry().get("shop_place_order"))
    args = {"customer_id": user["id"], "product_id": "P0001", "merchant_id": "M004", "quantity": 1,
            "payment_method": "alipay-main", "shipping_name": "李明", "shipping_phone": user["phone"],
            "shipping_address": user["address"], "max_total": "259.00"}
    history = [{"tool": "shop_search_products", "id": "1.1", "args": {"query": "headphones"}, "result": {
        "ok": True, "output": {"results": [{"id": "P0001", "offers": [{"merchant_id": "M004", "price": "259.00"}],
                                            "description": "Noise cancelling headphones with 30 hours of battery. "
                                                           "降噪耳机，续航30小时。"}]}}}]
    request = GateRequest(run_id="bench", agent="bench", action_id="2.1", tool="shop_place_order", args=args,
                          meta=meta, user=user, provenance={"merchant_id": "tool:shop_search_products"},
                          history=history)

    results: dict[tuple[str, int], tuple[float, float, float]] = {}
    for mix in ("by tool", "generic"):
        for count in (10, 1000):
            path = home / f"bench-{mix.replace(' ', '-')}-{count}.yaml"
            path.write_text(rules_yaml(count, by_tool=mix == "by tool"), encoding="utf-8")
            start = time.perf_counter()
            policy = load_policy(path)
            load_ms = (time.perf_counter() - start) * 1e3
            engine = PolicyEngine(policy, audit=AuditLog(home / "audit.sqlite"),
                                  market=ShopMarket(lambda: OfflineShop()), user_policies=False)
            observation = engine.observer.observe(request, policy)
            verdict = engine.decide(request)
            assert verdict.decision.value == "ask", verdict.reasons
            rules_us = median_us(lambda: evaluate(policy, Facts(observation, policy), lambda *_: 0), opts.repeat)
            gate_us = median_us(lambda: engine.decide(request), max(opts.repeat // 10, 50))
            results[(mix, count)] = (rules_us, gate_us, load_ms)

    print("policy evaluation per action (shop_place_order; default policy's guards, caps and rules included)")
    print(f"{'rules':>24} {'rule evaluation':>16} {'whole gate decision':>20} {'load':>9}")
    for (mix, count), (rules_us, gate_us, load_ms) in results.items():
        total = len(load_policy(home / f"bench-{mix.replace(' ', '-')}-{count}.yaml").rules)
        print(f"{f'{count} {mix} (+ default) = {total}':>24} {rules_us:>13.1f} µs {gate_us:>17.1f} µs "
              f"{load_ms:>6.0f} ms")
    for mix in ("by tool", "generic"):
        small, big = results[(mix, 10)], results[(mix, 1000)]
        print(f"ratio 1,000 / 10 rules ({mix}): rule evaluation ×{big[0] / small[0]:.2f}, "
              f"whole decision ×{big[1] / small[1]:.2f}")


if __name__ == "__main__":
    main()
