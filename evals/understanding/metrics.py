"""Scoring readings against labels: intent accuracy and slot precision/recall/F1.

A slot counts as correct only when its normalised value equals the label's. A slot the
reader gives that the label lacks is a false positive; a labelled slot it misses or gets
wrong is a false negative (a wrong value is both).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from agents.understanding import Understanding, understand
from evals.understanding.dataset import LabelledRequest


@dataclass
class Tally:
    requests: int = 0
    intent_correct: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: "Tally") -> None:
        self.requests += other.requests
        self.intent_correct += other.intent_correct
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    def summary(self) -> dict[str, Any]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"requests": self.requests,
                "intent_accuracy": round(self.intent_correct / self.requests, 4) if self.requests else None,
                "slot_precision": round(precision, 4), "slot_recall": round(recall, 4), "slot_f1": round(f1, 4),
                "slots_expected": self.tp + self.fn, "slots_predicted": self.tp + self.fp}


@dataclass
class Outcome:
    request: LabelledRequest
    reading: Understanding
    tally: Tally

    @property
    def failed(self) -> bool:
        return self.tally.intent_correct == 0 or self.tally.fp > 0 or self.tally.fn > 0

    def describe(self) -> dict[str, Any]:
        wrong = {k: {"expected": self.request.slots.get(k), "got": self.reading.slots.get(k)}
                 for k in sorted(set(self.request.slots) | set(self.reading.slots))
                 if self.request.slots.get(k) != self.reading.slots.get(k)}
        return {"id": self.request.id, "text": self.request.text, "expected_intent": self.request.intent,
                "got_intent": self.reading.intent, "slots": wrong, "notes": self.reading.notes}


@dataclass
class Report:
    split: str
    clock: date
    outcomes: list[Outcome] = field(default_factory=list)
    mean_ms: float = 0.0

    def _group(self, key: str) -> dict[str, dict[str, Any]]:
        groups: dict[str, Tally] = {}
        for outcome in self.outcomes:
            name = getattr(outcome.request, key) or "none"
            groups.setdefault(name, Tally()).add(outcome.tally)
        return {name: tally.summary() for name, tally in sorted(groups.items())}

    def as_dict(self, failures: bool = False) -> dict[str, Any]:
        total = Tally()
        for outcome in self.outcomes:
            total.add(outcome.tally)
        data: dict[str, Any] = {"split": self.split, "clock": self.clock.isoformat(), "overall": total.summary(),
                                "by_domain": self._group("domain"), "by_language": self._group("lang"),
                                "mean_ms_per_request": round(self.mean_ms, 3)}
        if failures:
            data["failures"] = [o.describe() for o in self.outcomes if o.failed]
        return data


def score_one(request: LabelledRequest, reading: Understanding) -> Tally:
    tally = Tally(requests=1, intent_correct=int(reading.intent == request.intent))
    for slot, value in reading.slots.items():
        if request.slots.get(slot) == value:
            tally.tp += 1
        else:
            tally.fp += 1
    tally.fn = sum(1 for slot, value in request.slots.items() if reading.slots.get(slot) != value)
    return tally


def evaluate(requests: Iterable[LabelledRequest], today: date, split: str) -> Report:
    """Read every request against the fixed clock and score it; times the reading after a warm-up."""
    requests = list(requests)
    if requests:
        understand(requests[0].text, today=today)  # warm-up: vocabularies and jieba load once
    report = Report(split=split, clock=today)
    started = time.perf_counter()
    for request in requests:
        reading = understand(request.text, today=today)
        report.outcomes.append(Outcome(request, reading, score_one(request, reading)))
    report.mean_ms = (time.perf_counter() - started) * 1000 / max(1, len(requests))
    return report
