"""The JSONL run log: a header line, then one line per finished trial, appended as trials end.

Each line is flushed and synced when written, so a run that is killed loses at most the
trials still in flight; a torn last line is ignored on reading. The header carries the
run key — a hash of the suites' tasks, the agent, the model and the policy — so
``--resume`` continues only a run of the same configuration, and ``eval grade`` knows which
suite files to re-grade against.
"""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from evals.model import Suite, fingerprint
from evals.record import GRADER_VERSION, TrialRecord
from evals.users import SIMULATOR_VERSION

LOG_VERSION = "1"


class SuiteRef(BaseModel):
    name: str
    source: str | None = None
    version: str = "1"
    fingerprint: str
    tasks: int


class RunHeader(BaseModel):
    type: Literal["run"] = "run"
    log_version: str = LOG_VERSION
    key: str
    started_at: str = Field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    harness: dict[str, Any]
    suites: list[SuiteRef]
    k: int
    grader_version: str = GRADER_VERSION
    user_simulator_version: str = SIMULATOR_VERSION


def run_key(suites: list[Suite], harness: dict[str, Any]) -> str:
    """Same suites (task by task) + same agent, model, policy → same key. ``k`` is not part of
    it: resuming with a larger k adds trials to the same run."""
    return fingerprint([[s.suite, s.fingerprint()] for s in suites] + [harness])


def header_for(suites: list[Suite], harness: dict[str, Any], k: int) -> RunHeader:
    return RunHeader(key=run_key(suites, harness), harness=harness, k=k,
                     suites=[SuiteRef(name=s.suite, source=s.source, version=s.version, fingerprint=s.fingerprint(),
                                      tasks=len(s.tasks)) for s in suites])


class LogError(ValueError):
    """A log file that cannot be read as an eval run."""


SYNC_INTERVAL = 1.0  # seconds between fsyncs of a run's log


class RunLog:
    """Append-only writer of one run's JSONL log (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file: Any = None
        self._synced = float("-inf")

    def start(self, header: RunHeader, *, append: bool) -> None:
        """Open the log; a resumed run appends its own header (the last header is the run's
        current shape, e.g. a larger k) after the trials already there."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if append and self.path.exists():
            self._file = self.path.open("a", encoding="utf-8")
            self._terminate_torn_line()
        else:
            self._file = self.path.open("w", encoding="utf-8")
        self._write(header.model_dump(mode="json"))

    def _terminate_torn_line(self) -> None:
        with self.path.open("rb") as reader:
            reader.seek(0, os.SEEK_END)
            if reader.tell() == 0:
                return
            reader.seek(-1, os.SEEK_END)
            if reader.read(1) != b"\n":
                self._file.write("\n")

    def append(self, record: TrialRecord) -> None:
        self._write(record.model_dump(mode="json"))

    def _write(self, data: dict[str, Any]) -> None:
        line = json.dumps(data, ensure_ascii=False, default=str) + "\n"
        with self._lock:
            if self._file is None:
                return  # the run was interrupted and the log closed: --resume runs this trial again
            self._file.write(line)
            self._file.flush()  # with the OS now: survives this process being killed
            # On disk at most a second later: a power cut loses at most the last second's trials,
            # which --resume runs again. An fsync per trial would stall the run on every one
            # (milliseconds each on a journaling disk, with the parent handing out no work).
            now = time.monotonic()
            if now - self._synced >= SYNC_INTERVAL:
                os.fsync(self._file.fileno())
                self._synced = now

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()
                self._file = None


def read_log(path: Path) -> tuple[RunHeader, list[TrialRecord]]:
    """The (last) header and the trials of a log; a later line for the same trial replaces an
    earlier one (a retried infrastructure error), and a torn line (a killed run) is skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise LogError(f"{path}: no such log file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LogError(f"{path}: cannot read: {exc}") from None
    header: RunHeader | None = None
    trials: dict[tuple[str, str, int], TrialRecord] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                continue  # the run was killed while writing this line
            raise LogError(f"{path}:{number}: not a JSON line") from None
        try:
            if data.get("type") == "run":
                header = RunHeader.model_validate(data)
            elif data.get("type") == "trial":
                record = TrialRecord.model_validate(data)
                trials[record.key] = record
        except ValidationError as exc:
            raise LogError(f"{path}:{number}: not an eval log line: {exc.errors()[0]['msg']}") from None
    if header is None:
        raise LogError(f"{path}: no run header; is this an errand eval log?")
    return header, list(trials.values())
