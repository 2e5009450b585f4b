"""Load YAML/JSON files into pydantic models with errors that say file, line and what is wrong.

Shared by every file format errand reads (user profiles, policies, playbooks, suites,
sandbox overlays) so that all of them fail the same clear way and never half-load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class InputError(ValueError):
    """Malformed input: carries where (file, line) and what is wrong, one entry per problem."""

    def __init__(self, source: str, problems: list[tuple[int | None, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}:{line}: {msg}" if line else f"{source}: {msg}" for line, msg in problems]
        super().__init__("\n".join(lines))


def node_at(node: yaml.Node | None, loc: tuple[Any, ...]) -> yaml.Node | None:
    """Walk a composed YAML node tree along a pydantic error location; stop at the deepest match."""
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == str(part)), None)
            if nxt is None:
                return node
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return node
    return node


def parse_yaml(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    """Parse YAML (JSON is YAML) and keep the node tree for line numbers."""
    try:
        # parse once: compose the node tree (for line numbers), then build the data from it
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.SafeLoader("").construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(source, [(line, f"not valid YAML/JSON: {problem}")]) from None
    return data, node


def validation_problems(exc: ValidationError, node: yaml.Node | None,
                        prefix: tuple[Any, ...] = ()) -> list[tuple[int | None, str]]:
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        where = node_at(node, loc) if node is not None else None
        line = where.start_mark.line + 1 if where is not None else None
        path = ".".join(str(p) for p in prefix + loc) or "(top level)"
        problems.append((line, f"{path}: {err['msg']}"))
    return problems


def line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest YAML node along ``loc``."""
    where = node_at(node, loc)
    return where.start_mark.line + 1 if where is not None else None


def read_text(path: str | Path) -> str:
    """A file's text, or an :class:`InputError` saying why it cannot be read."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), [(None, "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), [(None, f"cannot read file: {exc}")]) from None


def read_yaml(path: str | Path) -> tuple[Any, yaml.Node | None]:
    """Parse a YAML/JSON file (data and node tree); an empty file is an error."""
    data, node = parse_yaml(read_text(path), str(path))
    if data is None:
        raise InputError(str(path), [(None, "file is empty")])
    return data, node


def yaml_files(path: Path) -> list[Path]:
    """The YAML files a path names: a directory's ``*.yaml``/``*.yml`` (sorted), or the file itself."""
    if path.is_dir():
        return sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
    return [path]


def load_model(path: str | Path, model: type[M]) -> M:
    """Read a YAML or JSON file into ``model``; raise :class:`InputError` naming file and line."""
    return parse_model(read_text(path), model, source=str(path))


def parse_model(text: str, model: type[M], *, source: str = "<input>") -> M:
    data, node = parse_yaml(text, source)
    if data is None:
        raise InputError(source, [(None, "file is empty")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(source, validation_problems(exc, node)) from None
