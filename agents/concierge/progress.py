"""Where a plan stands, read from its sub-errands — and the report the person gets.

Nothing here is stored: an item's status is derived from its child run (the run index row
and the child's checkpoint, which hold the truth of what happened), so the whole-plan view is
the same whichever process computes it, and always current.

============  ==================================================================
status        when
============  ==================================================================
not_started   no child run yet: a prerequisite (``after``) has not happened yet
running       the child run is working (or its process died: ``continue_run``)
waiting       the child run waits for the person (an approval or a question)
done          the child run finished and did something consequential
no_effect     it finished without anything consequential (e.g. not eligible)
rejected      the person turned its action down and nothing was done
declined      the person dropped the item from the plan
skipped       a prerequisite was declined, rejected, failed or had no effect
failed        the child run failed, or the item could not start (bundle error)
============  ==================================================================
"""

from __future__ import annotations

from typing import Any, Callable

from agents.concierge.model import SETTLED, ConciergePlan, ItemStatus, ItemView, Language, PlanItem, PlanView
from agents.models import ApprovalRequest, RunResult, RunStatus
from agents.store import RunRecord

DECLINED_NOTE = "declined"  # key of the child spec (or summary marker) recording a decline before it started

TEXT: dict[str, dict[str, str]] = {
    "head_done": {"en": "{title}: done — {done} of {total} item(s).",
                  "zh": "{title}：已办好，共{total}项中完成{done}项。"},
    "head_partial": {"en": "{title}: partly done — {done} of {total} item(s) done; not done: {missing}.",
                     "zh": "{title}：部分办好，共{total}项中完成{done}项；未办：{missing}。"},
    "head_nothing": {"en": "{title}: nothing was done.", "zh": "{title}：什么都没有办。"},
    "head_open": {"en": "{title}: {done} of {total} item(s) done so far; {waiting} waiting for you.",
                  "zh": "{title}：共{total}项，已完成{done}项；{waiting}项等您决定。"},
    "done": {"en": "✓ {title}: {text}", "zh": "✓ {title}：{text}"},
    "no_effect": {"en": "– {title}: {text}", "zh": "– {title}：{text}"},
    "waiting_approval": {"en": "… {title}: waiting for your approval — {text}", "zh": "… {title}：等您批准——{text}"},
    "waiting_question": {"en": "… {title}: waiting for your answer — {text}", "zh": "… {title}：等您回答——{text}"},
    "running": {"en": "… {title}: in progress", "zh": "… {title}：办理中"},
    "not_started": {"en": "… {title}: starts after {deps}", "zh": "… {title}：等{deps}办好后开始"},
    "rejected": {"en": "✗ {title}: you rejected it; nothing was done", "zh": "✗ {title}：您拒绝了，没有办理"},
    "declined": {"en": "✗ {title}: you dropped it from the plan; nothing was done",
                 "zh": "✗ {title}：您从计划中去掉了，没有办理"},
    "skipped": {"en": "– {title}: not started, because {deps} did not happen",
                "zh": "– {title}：没有开始，因为{deps}没有办成"},
    "failed": {"en": "✗ {title}: failed — {text}", "zh": "✗ {title}：失败——{text}"},
    "and": {"en": ", ", "zh": "、"},
}


def say(key: str, lang: Language, **values: Any) -> str:
    return TEXT[key][lang].format(**values)


ChildResult = Callable[[PlanItem], RunResult | None]


def child_status(record: RunRecord, result: RunResult | None) -> tuple[ItemStatus, str]:
    """An item's status and text from its child run's index row and checkpoint."""
    if record.spec.get(DECLINED_NOTE):
        return "declined", ""
    if result is None:
        return "running", ""  # created, first step not checkpointed yet
    if result.status is RunStatus.WAITING:
        if record.status is RunStatus.REJECTED:
            return "declined", ""  # closed by a decline while it waited: it will never resume
        if record.status is RunStatus.FAILED:
            return "failed", record.summary
        pause = result.waiting_for
        if isinstance(pause, ApprovalRequest):
            return "waiting", "; ".join(a.summary for a in pause.actions)
        return "waiting", getattr(pause, "question", "")
    if result.status is RunStatus.RUNNING:
        return "running", ""
    text = result.final.text if result.final else ""
    if result.status is RunStatus.FAILED:
        return "failed", text
    dismissed = any((a.human or {}).get("dismiss") for a in result.actions)
    if result.status is RunStatus.REJECTED:
        return ("declined" if dismissed else "rejected"), text
    return ("done" if result.final and result.final.receipts else "no_effect"), text


def view(run_id: str, request: str, plan: ConciergePlan, records: dict[str, RunRecord],
         result_of: ChildResult) -> PlanView:
    """The whole plan as it stands (see the module docstring)."""
    views: dict[str, ItemView] = {}

    def item_view(item: PlanItem) -> ItemView:
        if item.key in views:
            return views[item.key]
        deps = [item_view(dep) for d in item.after if (dep := plan.item(d)) is not None]
        record = records.get(item.run_id)
        status: ItemStatus
        text, waiting, receipts = "", None, []
        if record is not None:
            result = result_of(item) if not record.spec.get(DECLINED_NOTE) else None
            status, text = child_status(record, result)
            if result is not None and status == "waiting" and result.waiting_for is not None:
                waiting = result.waiting_for.model_dump(mode="json")
            if result is not None and result.final is not None:
                receipts = result.final.receipts
        elif item.problem:
            status, text = "failed", item.problem
        elif any(d.settled and d.status != "done" for d in deps):
            status = "skipped"
        else:
            status = "not_started"
        views[item.key] = ItemView(key=item.key, title=item.title, agent=item.agent, optional=item.optional,
                                   after=item.after, task=item.task, run_id=item.run_id, status=status,
                                   text=text, waiting_for=waiting, receipts=receipts)
        return views[item.key]

    items = [item_view(item) for item in plan.items]
    status, settled = plan_status(items)
    return PlanView(run_id=run_id, request=request, bundle=plan.bundle, title=plan.title, lang=plan.lang,
                    slots=plan.slots, status=status, settled=settled, items=items, report=report(plan, items))


def plan_status(items: list[ItemView]) -> tuple[RunStatus, bool]:
    """The plan's status: waiting while any item waits for the person, running while any is
    still to happen; once all are settled, done if anything was done, else failed if anything
    failed, else rejected if the person turned things down, else done (nothing was needed)."""
    statuses = {i.status for i in items}
    if "waiting" in statuses:
        return RunStatus.WAITING, False
    if not statuses <= SETTLED:
        return RunStatus.RUNNING, False
    if "done" in statuses:
        return RunStatus.DONE, True
    if "failed" in statuses:
        return RunStatus.FAILED, True
    if statuses & {"rejected", "declined"}:
        return RunStatus.REJECTED, True
    return RunStatus.DONE, True


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def report(plan: ConciergePlan, items: list[ItemView]) -> str:
    """One line for the plan, one per item: what happened, what did not and why, what waits."""
    lang = plan.lang
    titles = {i.key: i.title for i in items}
    done = [i for i in items if i.status == "done"]
    missing = [i for i in items if i.status in ("rejected", "declined", "skipped", "failed")
               or (i.status == "no_effect" and not i.optional)]
    waiting = [i for i in items if i.status == "waiting"]
    _, settled = plan_status(items)
    counts = {"title": plan.title, "done": len(done), "total": len(items)}
    if not settled:
        head = say("head_open", lang, waiting=len(waiting), **counts)
    elif not done:
        head = say("head_nothing", lang, **counts)
    elif missing:
        head = say("head_partial", lang, missing=say("and", lang).join(i.title for i in missing), **counts)
    else:
        head = say("head_done", lang, **counts)
    lines = [head]
    status = {i.key: i.status for i in items}
    for item in items:
        deps = say("and", lang).join(titles[d] for d in item.after if status.get(d) != "done")
        key: str = item.status
        if key == "waiting":
            key = "waiting_approval" if (item.waiting_for or {}).get("kind") == "approval" else "waiting_question"
        lines.append(say(key, lang, title=item.title, text=_first_line(item.text), deps=deps))
    return "\n".join(lines)


__all__ = ["DECLINED_NOTE", "child_status", "plan_status", "report", "view"]
