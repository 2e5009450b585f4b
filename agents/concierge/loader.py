"""Loading life-event bundles: parse, validate the shape, check every reference; fail with file + line.

A bundle file loads completely or not at all: every problem — bad YAML, wrong types,
unknown fields, duplicate item keys, ``after`` naming no item or forming a cycle, an
unknown agent or intent, an intent of another domain than its agent, templates using
undefined slots or profile fields, a bundle nobody could ask for (no life event and no
cues) — is reported together, each with its file and line.

Where bundles come from (a later bundle with the same id replaces an earlier one):

1. errand's own, ``agents/concierge/bundles/*.yaml``;
2. the ``errand.bundles`` entry point group — a path (file or directory), a list of paths,
   or a callable returning those;
3. ``$ERRAND_HOME/bundles/*.yaml`` — the person's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import get_close_matches
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Iterable, Iterator

from pydantic import ValidationError

from agents.concierge.model import Bilingual, Bundle, BundleFile
from agents.playbooks.expr import ExprError
from agents.playbooks.model import expression, template
from agents.understanding.model import INTENTS, SLOT_TYPES, intent_domain
from tools.home import errand_home
from tools.loading import InputError, line_of, parse_yaml, read_text, validation_problems, yaml_files
from tools.profile import UserProfile

SHIPPED_DIR = Path(__file__).parent / "bundles"
ENTRY_POINT_GROUP = "errand.bundles"
ROOTS = frozenset({"slots", "local", "user", "today", "lang"})
"""What a bundle's templates may read: the bound slots, the same slots as the person's language
names them (``local.destination`` is 杭州 in a Chinese plan), the profile, the date, the language."""
PROFILE_FIELDS = frozenset(UserProfile.model_fields)
DOMAIN_AGENTS = frozenset({"gov", "shop", "travel"})

Loc = tuple[Any, ...]


class BundleError(InputError):
    """A bundle file (or set of files) that cannot be used; names file, line and problem."""


def _known(name: str, names: Iterable[str]) -> str:
    close = get_close_matches(name, list(names), n=1)
    return f"did you mean {close[0]!r}?" if close else "known: " + (", ".join(sorted(names)) or "none")


@lru_cache(maxsize=1)
def _life_events() -> frozenset[str]:
    from tools.sandbox.gov_data import LIFE_EVENTS

    return frozenset(e.id for e in LIFE_EVENTS)


def _agents() -> frozenset[str]:
    from agents.builtin import agent_names

    return frozenset(agent_names()) - {"concierge"}


class _Checker:
    """Collects (location, message) problems for one bundle; locations map to lines later."""

    def __init__(self, bundle: Bundle, loc: Loc) -> None:
        self.bundle = bundle
        self.loc = loc
        self.problems: list[tuple[Loc, str]] = []

    def add(self, where: Loc, message: str) -> None:
        self.problems.append((self.loc + where, message))

    def refs(self, exprs: Iterable[Any], where: Loc, slots: Iterable[str]) -> None:
        """Every name an expression reads must exist: slots (declared earlier, for defaults),
        profile fields, and only the roots templates can see."""
        known = {"slots": frozenset(slots), "local": frozenset(slots), "user": PROFILE_FIELDS}
        for expr in exprs:
            for root in sorted(expr.roots - ROOTS):
                self.add(where, f"`{root}` is not available here (available: {', '.join(sorted(ROOTS))})")
            for root, name in sorted(expr.refs):
                names = known.get(root)
                if names is not None and name not in names:
                    what = "profile field" if root == "user" else "slot"
                    self.add(where, f"`{root}.{name}`: no {what} named {name!r} ({_known(name, names)})")

    def value(self, value: Any, where: Loc, slots: Iterable[str]) -> None:
        if isinstance(value, str) and "${" in value:
            try:
                self.refs(template(value).exprs, where, slots)
            except ExprError:
                return  # reported by the model's own validation
        elif isinstance(value, dict):
            for k, v in value.items():
                self.value(v, where + (k,), slots)

    def text(self, text: Bilingual, where: Loc, slots: Iterable[str]) -> None:
        for lang in ("en", "zh"):
            self.value(getattr(text, lang), where + (lang,), slots)

    def run(self) -> list[tuple[Loc, str]]:
        bundle = self.bundle
        all_slots = list(bundle.slots)
        if bundle.life_event is not None and bundle.life_event not in _life_events():
            self.add(("life_event",), f"unknown life event {bundle.life_event!r} ({_known(bundle.life_event, _life_events())})")
        if bundle.life_event is None and not (bundle.cues.en or bundle.cues.zh):
            self.add(("cues",), "nobody could ask for this bundle: give `life_event` or `cues` (phrases in en/zh)")
        self.text(bundle.name, ("name",), ())
        self.text(bundle.title, ("title",), all_slots)
        earlier: list[str] = []
        for name, slot in bundle.slots.items():
            self.value(slot.default, ("slots", name, "default"), earlier)
            earlier.append(name)
        self._items(all_slots)
        return self.problems

    def _items(self, slots: list[str]) -> None:
        keys = [i.key for i in self.bundle.items]
        agents = _agents()
        for n, item in enumerate(self.bundle.items):
            where: Loc = ("items", n)
            if keys.count(item.key) > 1 and keys.index(item.key) < n:
                self.add(where + ("key",), f"two items are called {item.key!r}")
            if item.agent not in agents:
                self.add(where + ("agent",), f"unknown agent {item.agent!r} ({_known(item.agent, agents)})")
            if item.intent is not None:
                domain = intent_domain(item.intent)
                if item.intent not in INTENTS:
                    self.add(where + ("intent",), f"unknown intent {item.intent!r} ({_known(item.intent, INTENTS)})")
                elif item.agent in DOMAIN_AGENTS and domain != item.agent:
                    self.add(where + ("intent",), f"{item.intent} is a {domain} errand; the {item.agent} agent "
                                                  "cannot do it")
            for slot in item.expect:
                if slot not in SLOT_TYPES:
                    self.add(where + ("expect", slot), f"no understanding slot {slot!r} ({_known(slot, SLOT_TYPES)})")
            for m, dep in enumerate(item.after):
                if dep == item.key:
                    self.add(where + ("after", m), f"item {item.key!r} cannot come after itself")
                elif dep not in keys:
                    self.add(where + ("after", m), f"no item {dep!r} ({_known(dep, keys)})")
            self.text(item.title, where + ("title",), slots)
            self.text(item.task, where + ("task",), slots)
            self.value(item.expect, where + ("expect",), slots)
            if item.when is not None:
                try:
                    self.refs([expression(item.when)], where + ("when",), slots)
                except ExprError:
                    pass  # reported by the model's own validation
        cycle = _cycle({i.key: [d for d in i.after if d in keys and d != i.key] for i in self.bundle.items})
        if cycle:
            self.add(("items", keys.index(cycle[0]), "after"), "the items wait for each other in a circle: "
                                                               + " → ".join([*cycle, cycle[0]]))


def _cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """One cycle in ``graph`` (node → the nodes it waits for), or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return path[path.index(nxt):]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for start in graph:
        if start not in state and (found := visit(start)):
            return found
    return None


def parse_bundles(text: str, *, source: str = "<bundles>") -> list[Bundle]:
    """Parse and fully check the bundles in ``text``; raise :class:`BundleError` on any problem."""
    try:
        data, node = parse_yaml(text, source)
    except InputError as exc:
        raise BundleError(exc.source, exc.problems) from None
    if data is None:
        raise BundleError(source, [(None, "file is empty")])
    try:
        parsed = BundleFile.model_validate(data)
    except ValidationError as exc:
        raise BundleError(source, validation_problems(exc, node)) from None
    problems: list[tuple[Loc, str]] = []
    seen: dict[str, int] = {}
    for n, bundle in enumerate(parsed.bundles):
        if bundle.id in seen:
            problems.append((("bundles", n, "id"), f"bundle {bundle.id!r} is already defined in this file "
                                                     f"(bundles[{seen[bundle.id]}])"))
        seen.setdefault(bundle.id, n)
        problems += _Checker(bundle, ("bundles", n)).run()
    if problems:
        raise BundleError(source, [(line_of(node, loc), f"{'.'.join(str(p) for p in loc)}: {msg}")
                                   for loc, msg in problems])
    return [b.model_copy(update={"source": source}) for b in parsed.bundles]


def load_bundle_file(path: str | Path) -> list[Bundle]:
    try:
        text = read_text(path)
    except InputError as exc:
        raise BundleError(exc.source, exc.problems) from None
    return parse_bundles(text, source=str(path))


@dataclass
class BundleSet:
    """The bundles a concierge plans with, by id."""

    bundles: dict[str, Bundle] = field(default_factory=dict)

    def add(self, bundles: Iterable[Bundle]) -> None:
        for bundle in bundles:
            self.bundles[bundle.id] = bundle

    def get(self, bundle_id: str | None) -> Bundle | None:
        return self.bundles.get(bundle_id or "")

    def __iter__(self) -> Iterator[Bundle]:
        return iter(self.bundles.values())

    def __len__(self) -> int:
        return len(self.bundles)

    @property
    def ids(self) -> list[str]:
        return list(self.bundles)


def _from_entry_point(name: str, target: Any) -> list[Bundle]:
    value = target() if callable(target) else target
    items = value if isinstance(value, (list, tuple)) else [value]
    found: list[Bundle] = []
    for item in items:
        if isinstance(item, Bundle):
            found.append(item)
        elif isinstance(item, (str, Path)):
            for path in yaml_files(Path(item)):
                found += load_bundle_file(path)
        else:
            raise BundleError(f"entry point {name}", [(None, f"gave {type(item).__name__}, not a path or a Bundle")])
    return found


@lru_cache(maxsize=1)
def _installed() -> BundleSet:
    found = BundleSet()
    for path in yaml_files(SHIPPED_DIR):
        found.add(load_bundle_file(path))
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            target = ep.load()
        except Exception as exc:  # noqa: BLE001 - say which plugin is broken
            raise BundleError(f"entry point {ep.name}", [(None, f"failed to load {ep.value}: {exc}")]) from exc
        found.add(_from_entry_point(ep.name, target))
    return found


def load_bundles(*paths: str | Path, home: bool = True) -> BundleSet:
    """errand's bundles and installed ones (read once per process), then ``ERRAND_HOME/bundles``
    (read each time, so edits show at once), then ``paths``."""
    found = BundleSet(dict(_installed().bundles))
    own = errand_home() / "bundles"
    if home and own.is_dir():
        for path in yaml_files(own):
            found.add(load_bundle_file(path))
    for given in paths:
        for file in yaml_files(Path(given)):
            found.add(load_bundle_file(file))
    return found


__all__ = ["BundleError", "BundleSet", "ENTRY_POINT_GROUP", "ROOTS", "load_bundle_file", "load_bundles",
           "parse_bundles"]
