"""`errand review`: the inbox in the terminal.

Full-screen mode (a TTY): a list of pending items grouped by run, newest first, and a
detail view for the selected item. Keys: ↑/↓ (or k/j) move, Enter opens the detail,
a approve · e edit · r reject · n answer · A always allow · s skip · q quit.
Deciding resumes the run on a background thread; the list shows what it led to.
It draws with rich and reads keys in cbreak mode, so it works over ssh in 80×24.
Plain mode (``--plain``, or no TTY) asks line by line.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import termios
import threading
import tty
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agents.inbox import Inbox, InboxError, InboxItem
from agents.render import signal_rows

RISK = {"low": "green", "medium": "yellow", "high": "bold red"}
KEYS_HELP = ("↑↓ move · ⏎ details (d: all) · a approve · e edit · r reject · n answer · A always allow · "
             "s skip · q quit")


# -- what an item says ------------------------------------------------------------------

def item_detail(item: InboxItem, inbox: Inbox, *, compact: bool = False) -> Group:
    """Everything a person needs to decide: what, exact args, data shared, money, reasons, signals, steps.

    ``compact`` keeps it on one small screen (80×24): the "why" texts and reasons are cut to one
    line each and the run's steps are left out; [d] in the detail view shows everything.
    """
    p = item.payload
    rows = Table.grid(padding=(0, 1))
    rows.add_column(style="bold", no_wrap=True, min_width=13)
    rows.add_column()

    def line(text: str) -> Text:  # secondary text: one line each on a small screen
        return Text(text, no_wrap=compact, overflow="ellipsis" if compact else "fold")

    if item.kind == "question":
        rows.add_row("question", p.get("question", ""))
        if p.get("choices"):
            rows.add_row("choices", ", ".join(p["choices"]))
    else:
        signals = p.get("signals") or {}
        rows.add_row("what", Text(p.get("summary") or p.get("tool", ""), overflow="fold"))
        if p.get("rationale"):
            rows.add_row("why", line(p["rationale"]))
        rows.add_row("tool", f"{p.get('tool')}  (effect: {p.get('effect') or 'unknown'})")
        rows.add_row("args", Text(json.dumps(p.get("args", {}), ensure_ascii=False), overflow="fold"))
        if signals.get("data_released"):
            rows.add_row("shares", line(", ".join(signals["data_released"]) + f" with the {p.get('tool')} service"))
        for n, reason in enumerate(p.get("reasons") or []):
            rows.add_row("asked because" if n == 0 else "", line(reason))
        for label, text in signal_rows(signals):
            rows.add_row(label, text)
        if not compact:
            rows.add_row("args hash", p.get("args_hash", ""))
        rows.add_row("expires", item.expires_at or "never")
    title = f"{item.item_id} · run {item.run_id[:10]} · {item.agent}"
    risk = p.get("risk", "medium") if item.kind == "approval" else "low"
    panel = Panel(rows, title=f"[{RISK.get(risk, '')}]{title} · risk {risk}[/]", title_align="left")
    return Group(panel) if compact else Group(panel, _steps(item, inbox))


def fitted_detail(item: InboxItem, inbox: Inbox, console: Console, *, full: bool) -> Group:
    """The detail view that fits the terminal (the compact one on small screens, unless ``full``)."""
    view = item_detail(item, inbox)
    if full:
        return view
    height = shutil.get_terminal_size((80, 24)).lines
    if len(console.render_lines(view, console.options, pad=False)) <= height - 2:
        return view
    return item_detail(item, inbox, compact=True)


def _steps(item: InboxItem, inbox: Inbox) -> Table:
    record = inbox.index.get(item.run_id)
    table = Table(title="the run so far", title_justify="left", show_header=False, box=None, padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column()
    table.add_row("request", record.request if record else "?")
    try:
        state = inbox._load(item.run_id).state(item.run_id)
    except Exception:  # noqa: BLE001 - the detail view still helps without the timeline
        return table
    for action in state.get("actions", [])[-4:]:
        result = action.get("result") or {}
        outcome = "ok" if result.get("ok") else (result.get("error") or {}).get("message", "") if result else ""
        table.add_row(f"{action['id']} {action['tool']}", f"{action['status']} {str(outcome)[:60]}")
    return table


# -- the session --------------------------------------------------------------------------

class ReviewSession:
    """State of one review: the items, the selection, and decisions running in the background."""

    def __init__(self, inbox: Inbox, console: Console, *, run_id: str | None = None) -> None:
        self.inbox = inbox
        self.console = console
        self.run_id = run_id
        self.selected = 0
        self.items: list[InboxItem] = []
        self.working: dict[str, Future] = {}
        self.log: list[str] = []
        self.pool = ThreadPoolExecutor(max_workers=2)
        self.lock = threading.Lock()

    def refresh(self) -> None:
        self.inbox.sweep()
        items = self.inbox.pending()
        if self.run_id:
            items = [i for i in items if i.run_id.startswith(self.run_id)]
        # grouped by run, runs ordered by their newest item
        order: dict[str, int] = {}
        for n, item in enumerate(items):
            order.setdefault(item.run_id, n)
        self.items = sorted(items, key=lambda i: (order[i.run_id], i.action_id or ""))
        self.selected = min(self.selected, max(len(self.items) - 1, 0))
        self._collect()

    def _collect(self) -> None:
        for item_id, future in list(self.working.items()):
            if future.done():
                del self.working[item_id]
                try:
                    result = future.result()
                    nxt = "next approval" if result.status.value == "waiting" else result.status.value
                    text = result.final.text if result.final else ""
                    self.log.append(f"{item_id}: {nxt}. {text}".strip())
                except Exception as exc:  # noqa: BLE001 - shown to the person, never swallowed silently
                    self.log.append(f"{item_id}: not applied — {exc}")

    def current(self) -> InboxItem | None:
        return self.items[self.selected] if self.items else None

    def decide(self, item: InboxItem, decision: str, **kwargs: Any) -> None:
        self.working[item.item_id] = self.pool.submit(self.inbox.decide, item.item_id, decision,
                                                      reviewer="review", **kwargs)

    def screen(self) -> Group:
        width, height = shutil.get_terminal_size((80, 24))
        table = Table(box=None, padding=(0, 1), expand=True, show_header=True, header_style="bold")
        table.add_column("", width=1, min_width=1)
        table.add_column("item", no_wrap=True, min_width=12)
        table.add_column("risk", no_wrap=True, min_width=6)
        table.add_column("what", no_wrap=True, overflow="ellipsis", ratio=1)
        room = max(height - 9, 3)
        start = max(0, min(self.selected - room // 2, len(self.items) - room))
        last_run = None
        for n, item in enumerate(self.items[start:start + room], start=start):
            if item.run_id != last_run:
                record = self.inbox.index.get(item.run_id)
                request = record.request if record else ""
                table.add_row("", Text(f"run {item.run_id[:8]}", style="dim"), Text(item.agent, style="dim"),
                              Text(request, style="dim italic"))
                last_run = item.run_id
            risk = item.payload.get("risk", "") if item.kind == "approval" else "ask"
            busy = "⏳ " if item.item_id in self.working else ""
            mark = Text("›", style="bold") if n == self.selected else Text("")
            style = "reverse" if n == self.selected else ""
            table.add_row(mark, Text(item.item_id, style=style), Text(risk, style=RISK.get(risk, "")),
                          busy + item.title)
        header = Text(f"errand review — {len(self.items)} pending", style="bold")
        if not self.items:
            table = Text("Nothing is waiting for you.", style="green")
        log = Text("\n".join(self.log[-3:]), style="cyan") if self.log else Text("")
        return Group(header, table, log, Text(KEYS_HELP if width >= 100 else KEYS_HELP[:width - 1], style="dim"))


# -- keys -------------------------------------------------------------------------------

@contextmanager
def cbreak(stream: Any) -> Iterator[None]:
    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def read_key(timeout: float) -> str | None:
    """One key press (arrows as 'up'/'down'), or None after ``timeout`` seconds."""
    fd = sys.stdin.fileno()
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return None
    key = os.read(fd, 1).decode(errors="replace")
    if key == "\x1b":
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            seq = os.read(fd, 2).decode(errors="replace")
            return {"[A": "up", "[B": "down"}.get(seq, "esc")
        return "esc"
    return {"\r": "enter", "\n": "enter"}.get(key, key)


def ask_line(prompt: str, default: str = "") -> str:
    """Read a whole line (outside cbreak mode)."""
    sys.stdout.write(prompt + (f" [{default}]" if default else "") + ": ")
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n") or default


def edit_args(args: dict[str, Any]) -> dict[str, Any] | None:
    """New args from $EDITOR (or an inline JSON line when none is set); None if unchanged/invalid."""
    current = json.dumps(args, ensure_ascii=False, indent=2)
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if editor:
        with tempfile.NamedTemporaryFile("w+", suffix=".json", delete=False, encoding="utf-8") as handle:
            handle.write(current)
        try:
            subprocess.run([*editor.split(), handle.name], check=False)
            with open(handle.name, encoding="utf-8") as edited:
                raw = edited.read()
        finally:
            os.unlink(handle.name)
    else:
        raw = ask_line("new args as JSON", json.dumps(args, ensure_ascii=False))
    try:
        new = json.loads(raw)
    except ValueError:
        return None
    return new if isinstance(new, dict) and new != args else None


# -- loops ------------------------------------------------------------------------------

def _act(session: ReviewSession, item: InboxItem, key: str, line: Callable[[str, str], str]) -> None:
    if key == "a" and item.kind == "approval":
        session.decide(item, "approve")
    elif key == "A" and item.kind == "approval":
        session.decide(item, "approve", remember=True)
    elif key == "r" and item.kind == "approval":
        session.decide(item, "reject", reason=line("reason (optional)", ""))
    elif key == "e" and item.kind == "approval":
        new = edit_args(item.payload.get("args", {}))
        if new is None:
            session.log.append(f"{item.item_id}: edit cancelled (unchanged or not a JSON object)")
        else:
            session.decide(item, "edit", args=new)
    elif key == "n" and item.kind == "question":
        session.decide(item, "answer", text=line("your answer", ""))
    else:
        session.log.append(f"{item.item_id}: key '{key}' does not apply to a {item.kind}")


def fullscreen(session: ReviewSession) -> None:
    console = session.console
    detail: str | bool = False  # False: the list; "fit": detail fitted to the screen; "full": everything
    with cbreak(sys.stdin):
        while True:
            session.refresh()
            console.clear()
            item = session.current()
            console.print(fitted_detail(item, session.inbox, console, full=detail == "full")
                          if detail and item else session.screen())
            if detail and item:
                console.print(Text(KEYS_HELP, style="dim"))
            key = read_key(0.5 if session.working else 5.0)
            if key is None:
                continue
            if key == "q":
                break
            if key in ("down", "j"):
                session.selected = min(session.selected + 1, max(len(session.items) - 1, 0))
            elif key in ("up", "k"):
                session.selected = max(session.selected - 1, 0)
            elif key in ("enter", " "):
                detail = False if detail else "fit"
            elif key == "d" and detail:
                detail = "full"
            elif key in ("esc",):
                detail = False
            elif key == "s":
                session.selected = (session.selected + 1) % max(len(session.items), 1)
            elif item is not None and key in "aArne":
                with _line_mode():
                    _act(session, item, key, ask_line)
                detail = False
    session.pool.shutdown(wait=True)
    session._collect()
    for entry in session.log:
        console.print(entry)


@contextmanager
def _line_mode() -> Iterator[None]:
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    attrs = termios.tcgetattr(fd)
    attrs[3] |= termios.ICANON | termios.ECHO
    termios.tcsetattr(fd, termios.TCSADRAIN, attrs)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def plain(session: ReviewSession) -> None:
    """Line by line, for pipes, dumb terminals and screen readers."""
    console = session.console
    while True:
        session.pool.shutdown(wait=True)
        session.pool = ThreadPoolExecutor(max_workers=2)
        session.refresh()
        for entry in session.log:
            console.print(entry)
        session.log.clear()
        if not session.items:
            console.print("Nothing is waiting for you.")
            return
        for n, item in enumerate(session.items, start=1):
            console.print(f"{n}. {item.item_id} [{item.agent}] {item.title}", highlight=False)
        try:
            choice = ask_line("item number, or q to quit", "1")
        except EOFError:
            return
        if choice.strip().lower() == "q":
            return
        if not choice.strip().isdigit() or not 1 <= int(choice) <= len(session.items):
            console.print(f"no item {choice!r}")
            continue
        item = session.items[int(choice) - 1]
        console.print(item_detail(item, session.inbox))
        keys = "a approve / e edit / r reject / A always allow / s skip" if item.kind == "approval" else \
            "n answer / s skip"
        try:
            key = ask_line(keys, "s").strip()
        except EOFError:
            return
        if key and key != "s":
            _act(session, item, key, ask_line)


def review(*, run_id: str | None = None, force_plain: bool = False, console: Console | None = None) -> None:
    session = ReviewSession(Inbox(), console or Console(), run_id=run_id)
    if force_plain or not (sys.stdin.isatty() and sys.stdout.isatty()):
        plain(session)
    else:
        fullscreen(session)


__all__ = ["InboxError", "ReviewSession", "item_detail", "review"]
