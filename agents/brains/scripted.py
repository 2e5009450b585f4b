"""A chat model that replays a script of replies — for tests, examples and benchmarks.

Which reply comes next is derived from the conversation itself (the number of assistant
messages already in it), not from hidden counters, so a run resumed in another process
gets exactly the reply it would have got in the first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field


def scripted_reply(item: AIMessage | dict[str, Any] | str, position: int = 0) -> AIMessage:
    """Build one reply: an AIMessage, plain text, or ``{"content", "tool_calls": [{"name", "args"}],
    "invalid_tool_calls": [{"name", "args": "<raw text>"}]}``."""
    if isinstance(item, AIMessage):
        return item
    if isinstance(item, str):
        return AIMessage(content=item)
    # ids derive from the position so a replay in another process produces the same ids
    calls = [{"name": c["name"], "args": c.get("args", {}), "id": c.get("id") or f"call_{position}_{i}",
              "type": "tool_call"} for i, c in enumerate(item.get("tool_calls", []))]
    invalid = [{"name": c.get("name"), "args": c.get("args", ""), "id": c.get("id") or f"bad_{position}_{i}",
                "error": c.get("error", "invalid JSON"), "type": "invalid_tool_call"}
               for i, c in enumerate(item.get("invalid_tool_calls", []))]
    return AIMessage(content=item.get("content", ""), tool_calls=calls, invalid_tool_calls=invalid)


class ScriptedChatModel(BaseChatModel):
    """Replays ``script`` in order; ``bind_tools`` is accepted and recorded, never needed."""

    script: list[Any] = Field(default_factory=list)
    bound_tools: list[Any] = Field(default_factory=list)

    @classmethod
    def from_file(cls, path: str | Path) -> "ScriptedChatModel":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise ValueError(f"{path}: a script is a JSON list of replies")
        return cls(script=data)

    @property
    def _llm_type(self) -> str:
        return "errand-scripted"

    def __repr_args__(self) -> Any:
        # langchain's callbacks repr the model once per instance: name the tools, not their schemas
        yield "script", f"{len(self.script)} replies"
        yield "bound_tools", [getattr(t, "name", type(t).__name__) for t in self.bound_tools]

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> "ScriptedChatModel":
        return self.model_copy(update={"bound_tools": list(tools)})

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: Any = None, **kwargs: Any) -> ChatResult:
        position = sum(isinstance(m, AIMessage) for m in messages)
        if position < len(self.script):
            reply = scripted_reply(self.script[position], position)
        else:
            reply = AIMessage(content="Done.")
        return ChatResult(generations=[ChatGeneration(message=reply)])
