"""errand tools: the tool model, the registry, the HTTP client, sandboxes and domain packs."""

from tools.calling import ToolError, ToolResult, acall_tool, call_tool, validate_args
from tools.http import (
    ClientRequestError,
    Conflict,
    NotFound,
    RetryPolicy,
    ServiceClient,
    ServiceError,
    ServiceUnavailable,
    idempotency_key,
)
from tools.model import Effect, MoneyArg, ToolMeta, errand_tool, tool_meta, with_meta
from tools.registry import ToolRegistry, UnknownTool, default_registry
from tools.services import Services

__all__ = [
    "ClientRequestError", "Conflict", "Effect", "MoneyArg", "NotFound", "RetryPolicy", "ServiceClient",
    "ServiceError", "ServiceUnavailable", "Services", "ToolError", "ToolMeta", "ToolRegistry",
    "ToolResult", "UnknownTool", "acall_tool", "call_tool", "default_registry", "errand_tool",
    "idempotency_key", "tool_meta", "validate_args", "with_meta",
]
