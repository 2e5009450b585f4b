"""``python -m evals.understanding [--split dev|heldout|all] [--json] [--failures] [--file PATH]``

Prints intent accuracy and slot precision/recall/F1 overall, per domain and per language
for one split of the labelled request set; ``--failures`` lists every request read wrongly.
Exit status 2 when the labelled file is invalid.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from evals.understanding.dataset import DEFAULT_FILE, DatasetError, load
from evals.understanding.metrics import evaluate


def _table(title: str, rows: dict[str, dict]) -> list[str]:  # type: ignore[type-arg]
    lines = [f"{title:<10} {'n':>4} {'intent':>7} {'slot P':>7} {'slot R':>7} {'slot F1':>7}"]
    for name, s in rows.items():
        lines.append(f"{name:<10} {s['requests']:>4} {s['intent_accuracy']:>7.3f} {s['slot_precision']:>7.3f} "
                     f"{s['slot_recall']:>7.3f} {s['slot_f1']:>7.3f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.understanding", description=__doc__.split("\n\n")[1])
    parser.add_argument("--split", choices=("dev", "heldout", "all"), default="dev")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--failures", action="store_true", help="list the requests read wrongly")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="the labelled set (YAML)")
    args = parser.parse_args(argv)
    try:
        labelled = load(args.file)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = evaluate(labelled.split(args.split), labelled.clock, args.split)
    data = report.as_dict(failures=args.failures)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print(f"split {args.split}, clock {data['clock']}, {data['mean_ms_per_request']} ms per request")
    print("\n".join(_table("overall", {"all": data["overall"]})))
    print("\n".join(_table("domain", data["by_domain"])[1:]))
    print("\n".join(_table("language", data["by_language"])[1:]))
    for failure in data.get("failures", []):
        print(f"\n{failure['id']}: {failure['text']}\n  intent {failure['expected_intent']} -> {failure['got_intent']}")
        for slot, diff in failure["slots"].items():
            print(f"  {slot}: expected {diff['expected']!r}, got {diff['got']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
