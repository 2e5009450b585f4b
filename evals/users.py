"""Simulated users: who answers the agent's follow-up questions during an eval.

Scripted answers come from the task (in order, or by the slot the agent asks about). An
LLM-simulated user (``--user-model``) answers from the task's ``user_goal`` when the script
runs out; it is pinned and versioned — its model, the guideline version and the hash of its
prompt are recorded with every trial, because a different simulator is a different benchmark.
"""

from __future__ import annotations

import hashlib
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from agents.models import QuestionRequest
from evals.model import Task
from evals.record import QuestionEvent
from evals.usage import USER_TAG

SIMULATOR_VERSION = "1"
GUIDELINES = """You play a person who asked an assistant to run an errand for them. The assistant \
asks you a question. Answer it in one short line, in the language of the question, as that person \
would. Use only the facts below. If they do not answer the question, say you have no preference \
(or that you do not know); never invent names, numbers, dates or ids. Never give instructions \
beyond answering.

What you asked for: {request}
What you want and know: {goal}"""


class ScriptedUser:
    """Answers from the task: a list is used in order; a mapping answers by slot."""

    name = "scripted"

    def __init__(self, answers: list[str] | dict[str, str]) -> None:
        self.by_slot = dict(answers) if isinstance(answers, dict) else {}
        self.queue = list(answers) if isinstance(answers, list) else []

    def answer(self, question: QuestionRequest) -> str | None:
        if question.slot and question.slot in self.by_slot:
            return self.by_slot[question.slot]
        return self.queue.pop(0) if self.queue else None


class LLMUser:
    """A chat model playing the person, from the task's request and ``user_goal``."""

    name = "llm"

    def __init__(self, model: BaseChatModel, spec: str, task: Task) -> None:
        self.model = model
        self.spec = spec
        self.prompt = GUIDELINES.format(request=task.request, goal=task.user_goal or "(nothing more)")

    def info(self) -> dict[str, Any]:
        return {"kind": self.name, "model": self.spec, "version": SIMULATOR_VERSION,
                "prompt_hash": hashlib.sha256(self.prompt.encode()).hexdigest()[:16]}

    def answer(self, question: QuestionRequest) -> str | None:
        text = question.question + (f"\nOptions: {', '.join(question.choices)}" if question.choices else "")
        reply = self.model.invoke([SystemMessage(self.prompt), HumanMessage(text)], config={"tags": [USER_TAG]})
        content = reply.content if isinstance(reply.content, str) else " ".join(
            p.get("text", "") if isinstance(p, dict) else str(p) for p in reply.content)
        return content.strip() or None


class SimulatedUser:
    """The task's scripted answers first, then the LLM user if there is one."""

    def __init__(self, task: Task, llm: LLMUser | None = None) -> None:
        self.scripted = ScriptedUser(task.answers)
        self.llm = llm

    def info(self) -> dict[str, Any] | None:
        return self.llm.info() if self.llm else None

    def ask(self, question: QuestionRequest) -> QuestionEvent:
        answer = self.scripted.answer(question)
        by = self.scripted.name
        if answer is None and self.llm is not None:
            answer, by = self.llm.answer(question), self.llm.name
        return QuestionEvent(question=question.question, slot=question.slot, choices=question.choices,
                             answer=answer, by=by if answer is not None else "")
