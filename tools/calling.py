"""Calling a tool safely: validate the arguments first, and turn every failure into a
structured :class:`ToolError` the caller (a planner, a person) can act on — never a crash."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.tools import BaseTool
from pydantic import BaseModel, Field, ValidationError

from tools.http import ServiceError, idempotency_key


class FieldProblem(BaseModel):
    field: str
    message: str


class ToolError(BaseModel):
    kind: Literal["invalid_args", "unknown_tool", "service", "unavailable", "tool"]
    tool: str
    message: str
    status: int | None = None
    code: str | None = None
    problems: list[FieldProblem] = Field(default_factory=list)
    retryable: bool = False


class ToolResult(BaseModel):
    tool: str
    ok: bool
    output: Any = None
    error: ToolError | None = None


def validate_args(tool: BaseTool, args: dict[str, Any]) -> list[FieldProblem]:
    """Problems with ``args`` for ``tool``: schema violations and arguments it does not take."""
    if not isinstance(args, dict):
        return [FieldProblem(field="(args)", message="arguments must be a JSON object")]
    schema = tool.args_schema
    problems: list[FieldProblem] = []
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        known = set(schema.model_fields)
        problems += [FieldProblem(field=k, message="unexpected argument") for k in args if k not in known]
        try:
            schema.model_validate(args)
        except ValidationError as exc:
            problems += [FieldProblem(field=".".join(str(p) for p in e["loc"]) or "(args)", message=e["msg"])
                         for e in exc.errors()]
    elif isinstance(schema, dict):
        known = set(schema.get("properties", {}))
        problems += [FieldProblem(field=k, message="unexpected argument") for k in args if known and k not in known]
        problems += [FieldProblem(field=k, message="Field required")
                     for k in schema.get("required", []) if k not in args]
    return problems


def _error_from_exception(tool: BaseTool, exc: Exception) -> ToolError:
    if isinstance(exc, ServiceError):
        kind = "unavailable" if exc.retryable else "service"
        return ToolError(kind=kind, tool=tool.name, message=exc.message, status=exc.status,
                         code=exc.code, retryable=exc.retryable)
    return ToolError(kind="tool", tool=tool.name, message=f"{type(exc).__name__}: {exc}")


def _reraise_control_flow(exc: BaseException) -> None:
    # LangGraph pauses (interrupt) travel as exceptions; they must pass through untouched.
    from langgraph.errors import GraphBubbleUp

    if isinstance(exc, GraphBubbleUp):
        raise exc


def call_tool(tool: BaseTool, args: dict[str, Any], *, key: str | None = None) -> ToolResult:
    """Validate ``args`` and run ``tool`` with ``key`` as the Idempotency-Key of its writes."""
    problems = validate_args(tool, args)
    if problems:
        return invalid_args(tool.name, problems)
    try:
        with idempotency_key(key):
            output = tool.invoke(args)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a structured result
        _reraise_control_flow(exc)
        return ToolResult(tool=tool.name, ok=False, error=_error_from_exception(tool, exc))
    return ToolResult(tool=tool.name, ok=True, output=output)


async def acall_tool(tool: BaseTool, args: dict[str, Any], *, key: str | None = None) -> ToolResult:
    problems = validate_args(tool, args)
    if problems:
        return invalid_args(tool.name, problems)
    try:
        with idempotency_key(key):
            output = await tool.ainvoke(args)
    except Exception as exc:  # noqa: BLE001
        _reraise_control_flow(exc)
        return ToolResult(tool=tool.name, ok=False, error=_error_from_exception(tool, exc))
    return ToolResult(tool=tool.name, ok=True, output=output)


def invalid_args(tool: str, problems: list[FieldProblem]) -> ToolResult:
    message = "invalid arguments: " + "; ".join(f"{p.field}: {p.message}" for p in problems)
    return ToolResult(tool=tool, ok=False,
                      error=ToolError(kind="invalid_args", tool=tool, message=message, problems=problems))
