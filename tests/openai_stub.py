"""A local OpenAI-compatible chat server on loopback that replays tool calls.

``responder(messages) -> dict`` gets the conversation (OpenAI wire format) and returns
``{"content": str}`` or ``{"tool_calls": [{"name", "arguments": dict}]}``. It is called
per request, so a responder derives its reply from the conversation, which keeps it
right across processes. Real HTTP, real ``ChatOpenAI`` client on the other side.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any, Callable

import uvicorn
from fastapi import FastAPI, Request

Responder = Callable[[list[dict[str, Any]]], dict[str, Any]]


def _app(responder: Responder, log: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> dict[str, Any]:
        body = await request.json()
        log.append(body)
        reply = responder(body["messages"])
        message: dict[str, Any] = {"role": "assistant", "content": reply.get("content", "")}
        if reply.get("tool_calls"):
            turn = sum(m["role"] == "assistant" for m in body["messages"])
            message["tool_calls"] = [
                {"id": f"call_{turn}_{i}", "type": "function",
                 "function": {"name": c["name"], "arguments": c["arguments"] if isinstance(c["arguments"], str)
                              else json.dumps(c["arguments"])}}
                for i, c in enumerate(reply["tool_calls"])]
        return {"id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()),
                "model": body.get("model", "stub"),
                "choices": [{"index": 0, "message": message,
                             "finish_reason": "tool_calls" if reply.get("tool_calls") else "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}

    return app


class OpenAIStub:
    def __init__(self, responder: Responder) -> None:
        self.requests: list[dict[str, Any]] = []
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        config = uvicorn.Config(_app(responder, self.requests), host="127.0.0.1", port=self.port,
                                log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> "OpenAIStub":
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("stub server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
