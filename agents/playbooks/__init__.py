"""Playbooks: reusable plans for kinds of errands, written as data (YAML) and run by the
offline brain.

    from agents.playbooks import load_playbooks
    books = load_playbooks(tools=registry)          # errand's own + installed + ERRAND_HOME/playbooks
    books.get("travel.book_train")

A playbook names the intent it serves, the slots it needs and where each may come from
(the request, the profile, an earlier result, a question to the person), and its steps:
tool calls whose arguments bind to slots, the profile and earlier results through a small
safe expression language (:mod:`agents.playbooks.expr`), with selection rules over earlier
results. :class:`~agents.playbooks.engine.Engine` turns a playbook plus the state of a run
into the next move.
"""

from agents.playbooks.engine import (
    Ask,
    Engine,
    Fail,
    Finish,
    Move,
    Option,
    Propose,
    Refinement,
    Situation,
    choice_in_text,
    coerce,
    message,
)
from agents.playbooks.expr import FUNCTIONS, Env, ExprError, compile_expr, compile_template
from agents.playbooks.loader import (
    ENTRY_POINT_GROUP,
    PlaybookError,
    PlaybookSet,
    load_playbook_file,
    load_playbooks,
    parse_playbooks,
)
from agents.playbooks.model import Choose, Guard, Playbook, PlaybookFile, Rule, Section, Slot, Step, Text

__all__ = [
    "Ask", "Choose", "ENTRY_POINT_GROUP", "Engine", "Env", "ExprError", "FUNCTIONS", "Fail", "Finish", "Guard",
    "Move", "Option", "Playbook", "PlaybookError", "PlaybookFile", "PlaybookSet", "Propose", "Refinement", "Rule",
    "Section", "Situation", "Slot", "Step", "Text", "choice_in_text", "coerce", "compile_expr", "compile_template",
    "load_playbook_file", "load_playbooks", "message", "parse_playbooks",
]
