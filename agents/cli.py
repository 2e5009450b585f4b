"""The ``errand`` command line. Words and exit codes are a contract (see README):
0 done, 1 failed, 2 bad input, 3 waiting for a human."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console

from tools.loading import InputError, load_model

EXIT_DONE, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_WAITING = 0, 1, 2, 3

app = typer.Typer(help="errand: agents that run errands and stop for your approval.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
sandbox_app = typer.Typer(help="The sandbox services (government, shop, travel).", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")


def _mount_subcommands() -> None:
    from agents.proactive_cli import dismiss_cmd, event_app, memory_app, triggers_app, watch_cmd
    from evals.cli import app as eval_app
    from policies.cli import audit_app, policy_app

    app.add_typer(policy_app, name="policy")
    app.add_typer(audit_app, name="audit")
    app.add_typer(eval_app, name="eval")
    app.command("watch")(watch_cmd)
    app.command("dismiss")(dismiss_cmd)
    app.add_typer(memory_app, name="memory")
    app.add_typer(triggers_app, name="triggers")
    sandbox_app.add_typer(event_app, name="event")

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


# -- runs -------------------------------------------------------------------------------

def _exit_code(result: Any) -> int:
    from agents.models import RunStatus

    return {RunStatus.WAITING: EXIT_WAITING, RunStatus.FAILED: EXIT_FAILED,
            RunStatus.RUNNING: EXIT_FAILED}.get(result.status, EXIT_DONE)


def _load_agent(name: str, model: str | None, base_url: str | None, policy: str | None = None) -> Any:
    from agents.builtin import load_agent

    try:
        return load_agent(name, model=model, base_url=base_url, policy=policy)
    except (KeyError, ValueError, RuntimeError) as exc:
        fail(str(exc).strip("'\""))


def _agent_for_run(run_id: str) -> tuple[Any, str]:
    from agents.store import RunIndex

    record = RunIndex().get(run_id)
    if record is None:
        fail(f"no run {run_id!r} (see `errand runs`)")
    spec = record.spec
    return (_load_agent(spec.get("agent", record.agent), spec.get("model"), spec.get("base_url"), spec.get("policy")),
            record.run_id)


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _decide_interactively(agent: Any, result: Any) -> Any:
    """Ask the person at this terminal until the run finishes or they step away (Ctrl-D/Ctrl-C)."""
    from rich.prompt import Prompt

    from agents.models import ApprovalResume, Approve, Edit, QuestionRequest, Reject
    from agents.render import action_panel, pause_view

    tools = {t.name: t for t in agent.tools}
    while result.waiting_for is not None:
        pause = result.waiting_for
        try:
            if isinstance(pause, QuestionRequest):
                console.print(pause_view(pause, tools))
                answer = Prompt.ask("your answer")
                result = agent.answer(result.run_id, answer)
                continue
            decisions: dict[str, Any] = {}
            for action in pause.actions:
                console.print(action_panel(action, tools))
                while action.action_id not in decisions:
                    choice = Prompt.ask("\\[a]pprove / \\[e]dit / \\[r]eject / \\[d]etails",
                                        choices=["a", "e", "r", "d"], default="d")
                    if choice == "a":
                        decisions[action.action_id] = Approve(args_hash=action.args_hash)
                    elif choice == "r":
                        reason = Prompt.ask("reason (optional)", default="")
                        decisions[action.action_id] = Reject(reason=reason, args_hash=action.args_hash)
                    elif choice == "e":
                        raw = Prompt.ask("new args as JSON", default=json.dumps(action.args, ensure_ascii=False))
                        try:
                            args = json.loads(raw)
                            assert isinstance(args, dict)
                        except (ValueError, AssertionError):
                            err_console.print("not a JSON object; nothing changed")
                            continue
                        decisions[action.action_id] = Edit(args=args, args_hash=action.args_hash)
                    else:
                        console.print(action_panel(action, tools, details=True))
            result = agent.resume(result.run_id, ApprovalResume(decisions=decisions, reviewer="terminal"))
        except (EOFError, KeyboardInterrupt):
            console.print(f"\nleft run {result.run_id} waiting; decide later with `errand review`")
            return result
    return result


def _finish(agent: Any, result: Any, as_json: bool, interactive: bool) -> None:
    from agents.memory import learn
    from agents.render import print_result

    learn()  # preferences learned from this person's decisions (inspect: errand memory list)

    if interactive and result.waiting_for is not None and not as_json:
        result = _decide_interactively(agent, result)
    if as_json:
        emit_json(result.model_dump(mode="json"))
    else:
        print_result(console, result, {t.name: t for t in agent.tools})
    raise typer.Exit(_exit_code(result))


def _guard(call: Any) -> Any:
    from agents.agent import RunError
    from tools.loading import InputError

    try:
        return call()
    except (RunError, InputError) as exc:
        fail(str(exc))


@app.command("run")
def run_cmd(text: str = typer.Argument(..., help="What you want done, in your own words."),
            agent_name: Optional[str] = typer.Option(None, "--agent", help="Agent name (gov, shop, travel, errand, "
                                             "concierge); default: the concierge for a life event, else errand."),
            model: Optional[str] = typer.Option(None, "--model",
                                                help="Chat model spec, e.g. openai:gpt-4.1-mini; default offline."),
            base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible server URL."),
            policy: Optional[str] = typer.Option(None, "--policy", help="Policy YAML file or shipped name "
                                                 "(default, strict, autonomous)."),
            user: Optional[Path] = typer.Option(None, "--user", help="User profile YAML/JSON."),
            detach: bool = typer.Option(False, "--detach", help="Park at the first pause and exit 3."),
            as_json: bool = typer.Option(False, "--json", help="Print the result as JSON.")) -> None:
    """Run an errand. It stops for your approval before anything consequential."""
    from tools.profile import UserProfile

    profile = _guard(lambda: load_model(user, UserProfile)) if user else None
    if agent_name is None:
        from agents.concierge import routes_to_concierge

        agent_name = "concierge" if routes_to_concierge(text) else "errand"
    agent = _load_agent(agent_name, model, base_url, policy)
    interactive = _interactive() and not detach
    if agent_name == "concierge":
        _run_plan(agent, agent.run(text, user=profile), as_json, interactive)
    if as_json or not interactive:
        result = agent.run(text, user=profile)
    else:
        from agents.agent import new_run_id

        run_id = new_run_id()
        for event in agent.stream(text, user=profile, run_id=run_id):
            if event.type == "action_proposed":
                console.print(f"[dim]step {event.step}: propose {event.data['tool']}[/]")
            elif event.type == "tool_result":
                mark = "✓" if event.data.get("ok") else "✗"
                console.print(f"[dim]  {mark} {event.data['tool']}[/]" +
                              (f" [red]{event.data.get('error')}[/]" if not event.data.get("ok") else ""))
        result = agent.result(run_id)
    _finish(agent, result, as_json, interactive)


def _run_plan(agent: Any, result: Any, as_json: bool, interactive: bool) -> None:
    """Show a concierge plan whole; in a terminal, open the inbox on its items; exit by its status."""
    from agents.render import plan_view

    if interactive and result.status.value == "waiting" and not as_json:
        console.print(plan_view(agent.view(result.run_id).model_dump(mode="json")))
        from agents.review import review

        review(console=console)
        result = agent.result(result.run_id)
    state = agent.state(result.run_id)
    if as_json:
        emit_json({**result.model_dump(mode="json"), "plan": state.get("plan_view")})
    elif state.get("plan_view"):
        console.print(plan_view(state["plan_view"]))
    else:
        from agents.render import print_result

        print_result(console, result, {})
    raise typer.Exit(_exit_code(result))


def _decide(ident: str, decision: str, as_json: bool, **kwargs: Any) -> None:
    """Apply a decision to an inbox item id or a run id (all its pending items)."""
    from agents.agent import RunError
    from agents.inbox import Inbox, InboxError
    from agents.store import RunIndex

    record = RunIndex().get(ident)
    if record is not None and record.agent == "concierge" and not record.spec.get("parent"):
        # a whole plan: approve or reject everything it waits on (or answer its question)
        agent = _load_agent("concierge", record.spec.get("model"), record.spec.get("base_url"),
                            record.spec.get("policy"))
        actions = {"approve": lambda: agent.approve(record.run_id), "answer": lambda: agent.answer(
            record.run_id, kwargs["text"]), "reject": lambda: agent.reject(record.run_id, kwargs.get("reason", ""))}
        if decision not in actions:
            fail("edit one item of a plan by its inbox item id (see `errand review --list`)")
        _run_plan(agent, _guard(actions[decision]), as_json, False)
    inbox = Inbox()
    try:
        run_id, _ = inbox.resolve(ident)
        result = inbox.decide(ident, decision, reviewer="cli", **kwargs)
    except (InboxError, RunError) as exc:
        fail(str(exc))
    agent = inbox._load(run_id)
    _finish(agent, result, as_json, _interactive())


@app.command("approve")
def approve_cmd(ident: str = typer.Argument(..., metavar="ID", help="An inbox item id or a run id."),
                edit: Optional[str] = typer.Option(None, "--edit", help="Replacement args as a JSON object."),
                remember: bool = typer.Option(False, "--always", help="Also allow such actions from now on "
                                              "(a narrow rule, where the policy allows it)."),
                as_json: bool = typer.Option(False, "--json")) -> None:
    """Approve what is waiting: one inbox item, or every pending action of a run."""
    if edit is None:
        _decide(ident, "approve", as_json, remember=remember)
        return
    try:
        new_args = json.loads(edit)
    except ValueError as exc:
        fail(f"--edit is not valid JSON: {exc}")
    if not isinstance(new_args, dict):
        fail("--edit must be a JSON object of arguments")
    _decide(ident, "edit", as_json, args=new_args)


@app.command("reject")
def reject_cmd(ident: str = typer.Argument(..., metavar="ID", help="An inbox item id or a run id."),
               reason: str = typer.Option("", "--reason"), as_json: bool = typer.Option(False, "--json")) -> None:
    """Reject what is waiting; the agent re-plans or stops."""
    _decide(ident, "reject", as_json, reason=reason)


@app.command("answer")
def answer_cmd(ident: str = typer.Argument(..., metavar="ID", help="An inbox item id or a run id."),
               text: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
    """Answer the question a parked run asked."""
    _decide(ident, "answer", as_json, text=text)


@app.command("review")
def review_cmd(run_id: Optional[str] = typer.Argument(None, help="Only this run's items."),
               list_only: bool = typer.Option(False, "--list", help="Print the pending items and exit."),
               as_json: bool = typer.Option(False, "--json", help="With --list: machine-readable."),
               plain: bool = typer.Option(False, "--plain", help="Line-by-line prompts, no full screen.")) -> None:
    """The inbox of everything agents are waiting on; decide each item safely."""
    from agents.inbox import Inbox

    if not list_only:
        from agents.review import review

        review(run_id=run_id, force_plain=plain, console=console)
        return
    inbox = Inbox()
    inbox.sweep()
    items = [i for i in inbox.pending() if not run_id or i.run_id.startswith(run_id)]
    if as_json:
        emit_json([i.model_dump(mode="json") for i in items])
        return
    from rich.table import Table

    table = Table(title=f"{len(items)} pending", title_justify="left")
    for column in ("item", "run", "agent", "kind", "what", "expires"):
        table.add_column(column)
    for i in items:
        table.add_row(i.item_id, i.run_id[:10], i.agent, i.kind, i.title[:60], (i.expires_at or "")[:16])
    console.print(table)


@app.command("resume")
def resume_cmd(run_id: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
    """Carry on a run that stopped mid-step (its process died); side effects are not repeated."""
    agent, run_id = _agent_for_run(run_id)
    result = _guard(lambda: agent.continue_run(run_id))
    _finish(agent, result, as_json, _interactive())


runs_app = typer.Typer(help="The run index and run timelines.", invoke_without_command=True)
app.add_typer(runs_app, name="runs")


@runs_app.callback()
def runs_cmd(ctx: typer.Context, as_json: bool = typer.Option(False, "--json"),
             limit: int = typer.Option(50, help="How many runs to list (0: all).")) -> None:
    """List runs, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from agents.store import RunIndex

    records = RunIndex().list(limit=limit or None)
    if as_json:
        emit_json([r.model_dump(mode="json") for r in records])
        return
    table = Table(title_justify="left")
    for column in ("run", "agent", "status", "updated", "request / waiting for"):
        table.add_column(column)
    for r in records:
        table.add_row(r.run_id, r.agent, r.status.value, r.updated_at[:19],
                      (r.summary if r.status.value == "waiting" else r.request)[:70])
    console.print(table)


@runs_app.command("show")
def runs_show(run_id: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
    """One run's full timeline: steps, gate decisions, human decisions, tool calls and results."""
    from agents.render import timeline

    agent, run_id = _agent_for_run(run_id)
    state = agent.state(run_id)
    if as_json:
        emit_json(state)
    elif state.get("plan_view"):
        from agents.render import plan_view

        console.print(plan_view(state["plan_view"]))
    else:
        console.print(timeline(state))


# -- sandbox ----------------------------------------------------------------------------

@sandbox_app.command("serve")
def sandbox_serve(port: int = typer.Option(8700, help="Port to listen on."),
                  host: str = typer.Option("127.0.0.1", help="Interface to bind.")) -> None:
    """Serve all three sandboxes on one port, under /gov, /shop and /travel."""
    import uvicorn

    from tools.sandbox import combined_app

    err_console.print(f"errand sandbox on http://{host}:{port}  (/gov /shop /travel; docs at /gov/docs …)\n"
                      f"point tools at it with ERRAND_SANDBOX_URL=http://{host}:{port}")
    uvicorn.run(combined_app(), host=host, port=port, log_level="warning")


@sandbox_app.command("state")
def sandbox_state_cmd(as_json: bool = typer.Option(False, "--json", help="Machine-readable JSON.")) -> None:
    """Print every appointment, application, cart, order and booking the sandboxes hold."""
    from tools.sandbox import sandbox_state

    state = sandbox_state()
    if as_json:
        emit_json(state)
        return
    from rich.table import Table

    for domain, tables in state.items():
        for name, records in tables.items():
            table = Table(title=f"{domain} · {name} ({len(records)})", title_justify="left")
            for column in ("id", "status", "created_at", "summary"):
                table.add_column(column)
            for record in records:
                summary = ", ".join(f"{k}={v}" for k, v in record.items()
                                    if k not in ("id", "status", "created_at", "seeded")
                                    and not isinstance(v, (list, dict)))
                table.add_row(str(record.get("id")), str(record.get("status")),
                              str(record.get("created_at", ""))[:19], summary[:90])
            console.print(table)


@sandbox_app.command("reset")
def sandbox_reset(overlay: Optional[Path] = typer.Option(
        None, help="YAML/JSON {gov|shop|travel: {table: {row_id: {column: value}}}} to plant in the seed."),
        yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")) -> None:
    """Throw away all sandbox state and reseed the worlds."""
    from tools.sandbox import DOMAINS, reset_all
    from tools.sandbox.base import OverlayFile

    planted = None
    if overlay is not None:
        try:
            planted = load_model(overlay, OverlayFile).model_dump(exclude_none=True)
        except InputError as exc:
            fail(str(exc))
    if not yes and sys.stdin.isatty():
        typer.confirm("Delete all sandbox orders, bookings, appointments and applications?", abort=True)
    try:
        reset_all(overlay=planted)
    except ValueError as exc:
        fail(f"{overlay}: {exc}")
    console.print(f"reset: {', '.join(DOMAINS)}")


_mount_subcommands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
