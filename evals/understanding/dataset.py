"""The labelled request set: its file format, validated on load with errors that point at the line.

``requests.yaml`` holds ``clock`` (the date every relative date is resolved against) and
``requests``: ``{id, text, lang, intent, slots, split}`` plus ``domain`` for out-of-scope
requests (the domain agent they were put to). Expected slot values are normalised with the
contract's own rules (:func:`agents.understanding.model.normalise_slot_value`), so a label
is compared in exactly the form the reader produces.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agents.understanding.model import INTENTS, intent_domain, normalise_slot_value

DEFAULT_FILE = Path(__file__).with_name("requests.yaml")
Split = Literal["dev", "heldout"]


class DatasetError(ValueError):
    """A labelled-set file that cannot be used; the message names file, line, request and field."""


class LabelledRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    lang: Literal["en", "zh"]
    intent: str
    slots: dict[str, Any] = Field(default_factory=dict)
    split: Split
    domain: Literal["gov", "shop", "travel"] | None = None

    @field_validator("intent")
    @classmethod
    def _known_intent(cls, value: str) -> str:
        if value not in INTENTS:
            raise ValueError(f"unknown intent {value!r}; known: {', '.join(INTENTS)}")
        return value

    @field_validator("slots")
    @classmethod
    def _normalised_slots(cls, value: dict[str, Any]) -> dict[str, Any]:
        return {slot: normalise_slot_value(slot, v) for slot, v in value.items()}

    @model_validator(mode="after")
    def _domain(self) -> "LabelledRequest":
        implied = intent_domain(self.intent)
        if implied is None and self.domain is None:
            raise ValueError("an out_of_scope request needs `domain` (the agent it was put to)")
        if implied is not None and self.domain not in (None, implied):
            raise ValueError(f"domain {self.domain!r} contradicts intent {self.intent!r}")
        if self.intent == "out_of_scope" and self.slots:
            raise ValueError("an out_of_scope request has no slots")
        self.domain = self.domain or implied
        return self


class LabelledSet(BaseModel):
    clock: date
    requests: list[LabelledRequest]

    def split(self, name: str) -> list[LabelledRequest]:
        return self.requests if name == "all" else [r for r in self.requests if r.split == name]


def load(path: Path = DEFAULT_FILE) -> LabelledSet:
    """Load and validate the labelled set; raise :class:`DatasetError` pointing at the bad line."""
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise DatasetError(f"{path}: cannot read the labelled set: {exc}") from exc
    if not isinstance(data, dict) or "requests" not in data or "clock" not in data:
        raise DatasetError(f"{path}: expected a mapping with `clock` and `requests`")
    lines = _request_lines(root)
    requests: list[LabelledRequest] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(data["requests"] or []):
        line = lines[index] if index < len(lines) else 0
        ident = item.get("id", f"#{index + 1}") if isinstance(item, dict) else f"#{index + 1}"
        try:
            request = LabelledRequest.model_validate(item)
        except ValidationError as exc:
            problems = "; ".join(f"field {'.'.join(str(p) for p in e['loc']) or '(request)'}: {e['msg']}"
                                 for e in exc.errors())
            raise DatasetError(f"{path}:{line}: request {ident}: {problems}") from exc
        if request.id in seen:
            raise DatasetError(f"{path}:{line}: request {request.id}: field id: duplicate of line {seen[request.id]}")
        seen[request.id] = line
        requests.append(request)
    try:
        clock = date.fromisoformat(str(data["clock"]))
    except ValueError as exc:
        raise DatasetError(f"{path}: field clock: {data['clock']!r} is not a YYYY-MM-DD date") from exc
    return LabelledSet(clock=clock, requests=requests)


def _request_lines(root: yaml.Node | None) -> list[int]:
    """1-based line of each item of ``requests`` in the YAML source."""
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "requests" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []
