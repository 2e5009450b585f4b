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

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
