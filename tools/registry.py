"""A registry of tools by name; tool packs register through the ``errand.tools`` entry point.

An entry point names a zero-argument callable returning tools (or a list/tuple of tools,
or a single tool). errand's own packs are registered the same way in its pyproject, so the
third-party path is the one that is exercised every day.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any, Iterable, Iterator

from langchain_core.tools import BaseTool

from tools.model import Effect, ToolMeta, tool_meta

ENTRY_POINT_GROUP = "errand.tools"


class ToolRegistryError(ValueError):
    pass


class UnknownTool(KeyError):
    def __init__(self, name: str, known: Iterable[str]) -> None:
        known = sorted(known)
        super().__init__(name)
        self.name = name
        self.message = f"unknown tool {name!r}; known tools: {', '.join(known) or '(none)'}"

    def __str__(self) -> str:
        return self.message


class ToolRegistry:
    def __init__(self, tools: Iterable[BaseTool] = ()) -> None:
        self._tools: dict[str, BaseTool] = {}
        for tool in tools:
            self.register(tool)

    def register(self, tool: BaseTool, *, replace: bool = False) -> BaseTool:
        if not isinstance(tool, BaseTool):
            raise ToolRegistryError(f"not a langchain-core tool: {tool!r}")
        if tool.name in self._tools and not replace and self._tools[tool.name] is not tool:
            raise ToolRegistryError(f"a tool named {tool.name!r} is already registered")
        meta = tool_meta(tool)
        if meta and meta.money:
            _check_money_arg(tool, meta)
        self._tools[tool.name] = tool
        return tool

    def extend(self, tools: Iterable[BaseTool]) -> None:
        for tool in tools:
            self.register(tool)

    def get(self, name: str) -> BaseTool:
        try:
            return self._tools[name]
        except KeyError:
            raise UnknownTool(name, self._tools) from None

    def meta(self, name: str) -> ToolMeta | None:
        return tool_meta(self.get(name))

    def effect(self, name: str) -> Effect | None:
        meta = self.meta(name)
        return meta.effect if meta else None

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[BaseTool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def names(self) -> list[str]:
        return sorted(self._tools)

    def by_domain(self, domain: str) -> list[BaseTool]:
        return [t for t in self if (m := tool_meta(t)) is not None and m.domain == domain]

    @classmethod
    def from_entry_points(cls, *, group: str = ENTRY_POINT_GROUP, names: Iterable[str] | None = None,
                          **factory_kwargs: Any) -> "ToolRegistry":
        """Collect the tools of every installed pack (or only the packs in ``names``)."""
        registry = cls()
        wanted = set(names) if names is not None else None
        for ep in entry_points(group=group):
            if wanted is not None and ep.name not in wanted:
                continue
            try:
                target = ep.load()
            except Exception as exc:  # noqa: BLE001 - report which pack is broken
                raise ToolRegistryError(f"tool pack {ep.name!r} ({ep.value}) failed to load: {exc}") from exc
            registry.extend(_tools_from(target, ep.name, factory_kwargs))
        return registry


def _tools_from(target: Any, pack: str, kwargs: dict[str, Any]) -> list[BaseTool]:
    if isinstance(target, BaseTool):
        return [target]
    if callable(target):
        target = target(**kwargs) if kwargs else target()
    if isinstance(target, BaseTool):
        return [target]
    if isinstance(target, (list, tuple)) and all(isinstance(t, BaseTool) for t in target):
        return list(target)
    raise ToolRegistryError(f"tool pack {pack!r} must provide a tool, a list of tools, or a callable "
                            f"returning them; got {type(target).__name__}")


def _check_money_arg(tool: BaseTool, meta: ToolMeta) -> None:
    fields = set(tool.args.keys())
    assert meta.money is not None
    for arg in (meta.money.amount_arg, meta.money.currency_arg):
        if arg and arg not in fields:
            raise ToolRegistryError(f"tool {tool.name!r}: money argument {arg!r} is not one of its "
                                    f"arguments ({', '.join(sorted(fields))})")


def default_registry(**factory_kwargs: Any) -> ToolRegistry:
    """Every installed tool pack; ``factory_kwargs`` (e.g. ``services=``) go to each pack."""
    return ToolRegistry.from_entry_points(**factory_kwargs)
