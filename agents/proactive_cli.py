"""Command line of the proactive service: ``errand watch``, ``errand dismiss``, ``errand memory``,
``errand triggers`` and ``errand sandbox event``.

The commands are mounted into ``errand`` by :mod:`agents.cli`; ``python -m agents.proactive_cli``
runs them on their own. Exit codes follow errand's contract: 0 done, 1 failed, 2 bad input.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table

EXIT_DONE, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

console = Console(soft_wrap=True)
err_console = Console(stderr=True)


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def _say(text: str) -> None:
    """One line to stdout, flushed at once (a supervising process reads it as it happens)."""
    print(text, flush=True)


def _profile(user: Path | None) -> Any:
    from tools.loading import InputError, load_model
    from tools.profile import UserProfile, load_profile

    if user is None:
        return load_profile()
    try:
        return load_model(user, UserProfile)
    except InputError as exc:
        _fail(str(exc))


# -- errand watch -----------------------------------------------------------------------------

def _watcher(user: Path | None, model: str | None, base_url: str | None, policy: str | None,
             triggers: list[Path]) -> Any:
    from agents.triggers import TriggerError, Watcher, load_triggers

    try:
        found = load_triggers(*triggers)
    except TriggerError as exc:
        _fail(str(exc))
    return Watcher(found, user=_profile(user), model=model, base_url=base_url, policy=policy)


def _print_pass(report: Any, *, quiet_when_empty: bool) -> None:
    if not report.proposals and not report.errors and quiet_when_empty:
        return
    for p in report.proposals:
        _say(f"{p.status:<9} {p.trigger}  {p.key}  (run {p.run_id})")
        _say(f"  {p.request}")
        if p.status == "proposed":
            for item in p.items:
                _say(f"  → {item}: {p.text}")
                _say(f"    errand approve {item} · errand reject {item} · errand dismiss {item}")
        elif p.text or p.error:
            _say(f"  {p.error or p.text}")
    for error in report.errors:
        _say(f"error     {error}")
    if report.muted:
        _say(f"muted     {', '.join(report.muted)} (you dismissed their proposals; errand memory forget to undo)")
    if not report.proposals and not report.errors:
        _say("nothing new to propose")


def watch_cmd(once: bool = typer.Option(False, "--once", help="Evaluate every trigger once, print what was "
                                        "proposed, and exit."),
              interval: float = typer.Option(60.0, "--interval", min=0.05, help="Seconds between passes."),
              as_json: bool = typer.Option(False, "--json", help="With --once: the pass as JSON."),
              user: Optional[Path] = typer.Option(None, "--user", help="User profile YAML/JSON."),
              model: Optional[str] = typer.Option(None, "--model", help="Brain of the proposals' runs "
                                                  "(default: offline)."),
              base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible server URL."),
              policy: Optional[str] = typer.Option(None, "--policy", help="Policy of the proposals' runs."),
              triggers: list[Path] = typer.Option([], "--triggers", help="More trigger files or directories.")) -> None:
    """Watch for what you will need (delays, expiring documents, price drops…) and put proposals in the inbox."""
    watcher = _watcher(user, model, base_url, policy, triggers)
    if once:
        report = watcher.evaluate()
        if as_json:
            _emit_json(report.model_dump(mode="json"))
        else:
            _print_pass(report, quiet_when_empty=False)
        failed = report.errors or any(p.status == "failed" for p in report.proposals)
        raise typer.Exit(EXIT_FAILED if failed else EXIT_DONE)
    stop = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        if not stop.is_set():
            _say(f"received {signal.Signals(signum).name}: stopping after this pass")
        stop.set()

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        _say(f"watching {len(watcher.triggers.enabled())} trigger(s) every {interval:g}s; Ctrl-C to stop")
        passes = watcher.run(interval, stop, on_pass=lambda r: _print_pass(r, quiet_when_empty=True))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    _say(f"stopped after {passes} pass(es)")


def dismiss_cmd(ident: str = typer.Argument(..., metavar="ID", help="An inbox item id or a proposal's run id."),
                reason: str = typer.Option("", "--reason", help="Why (kept with the dismissal)."),
                as_json: bool = typer.Option(False, "--json")) -> None:
    """Dismiss a proposal: nothing it proposes happens, and it is never proposed again for the same event."""
    from agents.agent import RunError
    from agents.inbox import InboxError
    from agents.triggers import dismiss

    try:
        result = dismiss(ident, reason)
    except (InboxError, RunError) as exc:
        _fail(str(exc))
    if as_json:
        _emit_json(result.model_dump(mode="json"))
    else:
        _say(f"dismissed run {result.run_id}: {result.final.text if result.final else result.status.value}")


# -- errand triggers --------------------------------------------------------------------------

triggers_app = typer.Typer(help="The triggers errand watches.", no_args_is_help=True)


@triggers_app.command("list")
def triggers_list(as_json: bool = typer.Option(False, "--json"),
                  history: bool = typer.Option(False, "--history",
                                               help="Also what each trigger has proposed.")) -> None:
    """Every trigger (shipped, installed, yours in ERRAND_HOME/triggers) and where it comes from."""
    from agents.triggers import Ledger, TriggerError, load_triggers

    try:
        found = load_triggers()
    except TriggerError as exc:
        _fail(str(exc))
    ledger = Ledger()
    rows = {t.id: [r.model_dump(mode="json") for r in ledger.rows(trigger=t.id)] for t in found} if history else {}
    if as_json:
        _emit_json([{**t.model_dump(mode="json"), "source_file": t.source_file,
                     **({"history": rows[t.id]} if history else {})} for t in found])
        return
    table = Table(title_justify="left")
    for column in ("trigger", "source", "agent", "intent", "enabled", "title"):
        table.add_column(column)
    for t in found:
        table.add_row(t.id, t.source, t.agent, t.errand.intent, "yes" if t.enabled else "no", t.title.en)
    console.print(table)
    for trigger_id, events in rows.items():
        for r in events:
            console.print(f"  {trigger_id} {r['key']}: {r['status']} (run {r['run_id']})", highlight=False)


@triggers_app.command("check")
def triggers_check(paths: list[Path] = typer.Argument(..., help="Trigger files or directories.")) -> None:
    """Check trigger files; every problem is reported with its file and line."""
    from agents.triggers import TriggerError, load_trigger_file
    from tools.loading import yaml_files

    count = 0
    for path in paths:
        for file in yaml_files(path):
            try:
                count += len(load_trigger_file(file))
            except TriggerError as exc:
                _fail(str(exc))
    _say(f"ok: {count} trigger(s)")


# -- errand memory ----------------------------------------------------------------------------

memory_app = typer.Typer(help="What errand has learned about your preferences (on this machine only).",
                         no_args_is_help=True)


@memory_app.command("list")
def memory_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every remembered preference with the decisions it was learned from."""
    from agents.memory import MemoryStore, learn

    learn()
    entries = MemoryStore().entries()
    if as_json:
        _emit_json([e.model_dump(mode="json") for e in entries])
        return
    if not entries:
        _say("errand remembers nothing about you yet")
        return
    table = Table(title=f"{len(entries)} remembered", title_justify="left")
    table.add_column("id", no_wrap=True)
    for column in ("what", "learned from", "since"):
        table.add_column(column)
    for e in entries:
        evidence = "; ".join(f"{x.decision} {x.detail} (run {x.run_id[:8]}" + (f", “{x.reason}”)" if x.reason else ")")
                             for x in e.evidence[:3])
        more = f" … +{len(e.evidence) - 3}" if len(e.evidence) > 3 else ""
        table.add_row(e.id, e.statement.en, evidence + more, e.created_at[:10])
    console.print(table)


@memory_app.command("forget")
def memory_forget(entry_id: Optional[str] = typer.Argument(None, metavar="ID", help="The entry to delete."),
                  everything: bool = typer.Option(False, "--all", help="Delete every entry and all evidence.")) -> None:
    """Delete what errand remembers; the same past decisions never teach it again."""
    from agents.memory import ForgetError, MemoryStore

    if (entry_id is None) == (not everything):
        _fail("give an entry id, or --all")
    store = MemoryStore()
    if everything:
        _say(f"forgot {store.forget_all()} entr(y/ies) and their evidence")
        return
    try:
        entry = store.forget(entry_id or "")
    except ForgetError as exc:
        _fail(str(exc))
    _say(f"forgot {entry.id}: {entry.statement.en}")


# -- errand sandbox event ---------------------------------------------------------------------

event_app = typer.Typer(help="Inject events into the sandboxes (operator delays, price drops, officer notes), "
                             "so triggers have something to notice.", no_args_is_help=True)


def _client(domain: str) -> Any:
    from tools.services import Services

    return Services.from_env().client(domain)


def _call(do: Any) -> Any:
    from tools.http import ServiceError

    try:
        return do()
    except ServiceError as exc:
        _fail(exc.message)


def _offer_of(ref: str) -> str:
    """A departure's offer id from a booking id (BK-…) or the offer id itself."""
    if ref.upper().startswith("BK-"):
        booking = _call(lambda: _client("travel").get(f"/bookings/{ref.upper()}"))
        if not booking.get("offer_id"):
            _fail(f"booking {ref} is a {booking.get('kind')} booking, not a flight or train")
        return str(booking["offer_id"])
    return ref.upper()


def _departure(ref: str, status: str, minutes: int, note: str, as_json: bool) -> None:
    offer_id = _offer_of(ref)
    body = {"status": status, "delay_minutes": minutes, "note": note or None}
    view = _call(lambda: _client("travel").post(f"/admin/departures/{offer_id}/status", json=body))
    if as_json:
        _emit_json(view)
    else:
        _say(f"{offer_id} ({view.get('number')}, {view.get('date')}) is now {view.get('status')}"
             + (f" by {view.get('delay_minutes')} minutes" if status == "delayed" else ""))


@event_app.command("flight-delay")
def event_flight_delay(ref: str = typer.Argument(..., help="A booking id (BK-000003) or an offer id."),
                       minutes: int = typer.Option(..., "--minutes", min=1, max=1440, help="How late it leaves."),
                       note: str = typer.Option("", "--note"), as_json: bool = typer.Option(False, "--json")) -> None:
    """The operator delays a flight (or train) departure."""
    _departure(ref, "delayed", minutes, note, as_json)


@event_app.command("flight-cancel")
def event_flight_cancel(ref: str = typer.Argument(..., help="A booking id (BK-000003) or an offer id."),
                        note: str = typer.Option("", "--note"), as_json: bool = typer.Option(False, "--json")) -> None:
    """The operator cancels a flight (or train) departure."""
    _departure(ref, "cancelled", 0, note, as_json)


@event_app.command("order-delay")
def event_order_delay(order_id: str = typer.Argument(..., help="An order id, e.g. ORD-000008."),
                      days: int = typer.Option(..., "--days", min=1, max=60, help="How many days later it arrives."),
                      note: str = typer.Option("", "--note"), as_json: bool = typer.Option(False, "--json")) -> None:
    """The merchant or carrier delays an order."""
    order = _call(lambda: _client("shop").post(f"/admin/orders/{order_id.upper()}/delay",
                                               json={"days": days, "note": note}))
    if as_json:
        _emit_json(order)
    else:
        _say(f"{order['id']} ({order['product_name']}) is delayed {order['delay_days']} day(s) in all; "
             f"now expected {order['estimated_delivery']}")


@event_app.command("price-drop")
def event_price_drop(product_id: str = typer.Argument(..., help="A product id, e.g. P0065."),
                     price: Decimal = typer.Option(..., "--price", help="The new price (CNY)."),
                     merchant: Optional[str] = typer.Option(None, "--merchant", help="Whose offer (default: the "
                                                            "cheapest merchant not on the risk list)."),
                     as_json: bool = typer.Option(False, "--json")) -> None:
    """A merchant lowers its price for a product."""
    shop = _client("shop")
    product = _call(lambda: shop.get(f"/products/{product_id.upper()}"))
    offers = {o["merchant_id"]: o for o in product.get("offers", [])}
    if merchant is None:
        flagged = {r["merchant_id"] for r in _call(lambda: shop.get("/risk/merchants")).get("merchants", [])}
        safe = sorted((o for o in offers.values() if o["merchant_id"] not in flagged),
                      key=lambda o: Decimal(o["price"]))
        if not safe:
            _fail(f"{product_id} has no offer from a merchant off the risk list; name one with --merchant")
        merchant = safe[0]["merchant_id"]
    offer = offers.get(merchant.upper())
    if offer is None:
        _fail(f"{merchant} does not sell {product_id}; merchants: {', '.join(offers) or 'none'}")
    if price >= Decimal(offer["price"]):
        _fail(f"{offer['merchant_name']} sells {product_id} at ¥{offer['price']}; ¥{price} is not a drop")
    change = _call(lambda: shop.post(f"/admin/offers/{offer['id']}/price", json={"price": str(price)}))
    if as_json:
        _emit_json(change)
    else:
        _say(f"{change['product_name']} at {change['merchant_name']}: "
             f"¥{change['old_price']} → ¥{change['new_price']}")


@event_app.command("missing-document")
def event_missing_document(application_id: str = typer.Argument(..., help="An application id (APP-000002) or "
                                                                 "reference."),
                           note: str = typer.Option(..., "--note", help="What the officer asks for."),
                           as_json: bool = typer.Option(False, "--json")) -> None:
    """An officer asks for a missing document (the application needs documents)."""
    record = _call(lambda: _client("gov").post(f"/admin/applications/{application_id.upper()}/status",
                                               json={"status": "needs_documents", "note": note}))
    if as_json:
        _emit_json(record)
    else:
        _say(f"{record['id']} ({record['reference']}, {record['service_name_en']}) now needs documents: {note}")


@event_app.command("wish")
def event_wish(product_id: str = typer.Argument(..., help="A product id, e.g. P0065."),
               budget: Optional[Decimal] = typer.Option(None, "--budget", help="The most you would pay (CNY)."),
               user: Optional[Path] = typer.Option(None, "--user", help="User profile YAML/JSON."),
               as_json: bool = typer.Option(False, "--json")) -> None:
    """Put a product on your wish list (a price drop within budget is then proposed)."""
    customer = _profile(user).id
    body = {"customer_id": customer, "product_id": product_id.upper(),
            "budget": None if budget is None else str(budget)}
    wish = _call(lambda: _client("shop").post("/wishlist", json=body))
    if as_json:
        _emit_json(wish)
    else:
        _say(f"wished: {wish['product_name']}" + (f" (budget ¥{wish['budget']})" if wish.get("budget") else ""))


# -- standalone ---------------------------------------------------------------------------------

app = typer.Typer(help="errand's proactive service.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
app.command("watch")(watch_cmd)
app.command("dismiss")(dismiss_cmd)
app.add_typer(memory_app, name="memory")
app.add_typer(triggers_app, name="triggers")
sandbox_app = typer.Typer(help="The sandbox services.", no_args_is_help=True)
sandbox_app.add_typer(event_app, name="event")
app.add_typer(sandbox_app, name="sandbox")


if __name__ == "__main__":
    app()
