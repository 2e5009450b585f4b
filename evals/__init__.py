"""errand evals: grade agents on outcomes, consistency, approval discipline and injection robustness.

    from evals import EvalConfig, Harness, evaluate, load_suites, run_eval

    suites = load_suites(["shop", "security"])          # shipped names or YAML paths
    run = run_eval(suites, Harness(model="openai:gpt-4.1-mini"), EvalConfig(k=3, concurrency=16))
    outcome = evaluate(run.header, run.suites, run.records, log=run.log)
    print(outcome.summary.overall or outcome.summary.suites[0])

Suites are YAML (``evals/suites/*.yaml``) or the same pydantic models built in Python
(:class:`Suite`, :class:`Task`, :class:`Expect`). The command line is ``errand eval run …``
(:mod:`evals.cli`). Names are imported on first use, so importing the package is cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Suite": "evals.model", "Task": "evals.model", "Expect": "evals.model", "ActionPattern": "evals.model",
    "RecordPattern": "evals.model", "AnswerSpec": "evals.model", "Injection": "evals.model",
    "AttackSuccess": "evals.model", "Gold": "evals.model",
    "load_suite": "evals.loader", "load_suites": "evals.loader", "parse_suite": "evals.loader",
    "SuiteError": "evals.checks",
    "Harness": "evals.harness",
    "EvalConfig": "evals.runner", "Evaluator": "evals.runner", "run_eval": "evals.runner",
    "TrialRecord": "evals.record", "Grade": "evals.record",
    "grade": "evals.grading",
    "evaluate": "evals.results", "regrade": "evals.results",
    "Summary": "evals.metrics", "summarize": "evals.metrics", "pass_hat_k": "evals.metrics",
    "compare": "evals.compare", "read_log": "evals.log", "PriceTable": "evals.usage",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'evals' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
