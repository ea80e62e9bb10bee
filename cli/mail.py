"""plantrack mail ...: the embedded SMTP server that writes .eml files, and the MTA pipe (no Prefect here)."""
from __future__ import annotations

import time
from typing import Optional

import typer

from plantrack.cli.common import console, fail, flag, listen_error, parse_port, state, today_option

app = typer.Typer(help="Local mail: an SMTP server writing .eml files; one reply piped in.", no_args_is_help=True)

EX_OK, EX_DATAERR, EX_TEMPFAIL = 0, 65, 75  # sysexits.h, what MTAs understand


@app.command()
def serve(host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8025, "--port"),
          folder: Optional[str] = typer.Option(None, "--dir", help="default: PLANTRACK_OUTBOX_DIR")):
    """Accept mail on host:port and write each message to a .eml file until Ctrl-C."""
    from contextlib import ExitStack
    from pathlib import Path

    from plantrack.notifications.mail.local_smtp import local_relay

    port = parse_port(port)
    target = Path(folder) if folder else state.settings().outbox_dir
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"cannot create {target}: {exc.strerror}")
    with ExitStack() as stack:
        try:
            h, p = stack.enter_context(local_relay(target, host, port))
        except (OSError, OverflowError) as exc:
            fail(listen_error(host, port, exc))
        console().print(f"SMTP on {h}:{p}, writing .eml files to {target} (Ctrl-C to stop)", highlight=False)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


@app.command()
def deliver(today: Optional[str] = today_option()):
    """Read one message on standard input (an MTA's pipe transport), store it, then read and apply it.

    Exit 0: stored (answered by the next `plantrack run replies`); 65: not an email message; 75: try again later."""
    import sys

    from plantrack.cli.common import err_console, parse_today

    raw = sys.stdin.buffer.read()
    try:
        from plantrack.notifications.mail.inbound.ingest import BadMessage, IngestOptions, deliver_message

        settings = state.settings()
        opts = IngestOptions.from_settings(settings)
        day = parse_today(today, settings.timezone)
    except typer.Exit:
        raise typer.Exit(EX_TEMPFAIL)
    except Exception as exc:  # noqa: BLE001 - a configuration problem: the MTA keeps the message and retries
        err_console().print(f"error: {exc.__class__.__name__}: {exc}", highlight=False)
        raise typer.Exit(EX_TEMPFAIL)
    try:
        out = deliver_message(opts, raw, day)
    except BadMessage as exc:
        err_console().print(f"error: {exc}", highlight=False)
        raise typer.Exit(EX_DATAERR)
    except Exception as exc:  # noqa: BLE001 - database down or locked: nothing was stored, the MTA retries
        err_console().print(f"error: not stored, try again later: {exc.__class__.__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''}", highlight=False)
        raise typer.Exit(EX_TEMPFAIL)
    console().print(f"stored as message {out.inbound_id}" + ("" if out.new else " (already stored)")
                  + f": {out.outcome}" + (f" ({out.problem})" if out.problem else ""), highlight=False)


@app.command()
def show(path: str = typer.Argument(..., help="an .eml file (or Maildir file), or a folder of them"),
         full: bool = flag("--all", help="with a folder: every message in full, not one line each")):
    """Print a sent or received message readably (headers decoded, the text, attachments); a folder: one line each."""
    from pathlib import Path

    from plantrack.cli.common import print_out, print_wrapped
    from plantrack.notifications.mail.show import as_text, one_line, read_message

    target = Path(path)
    if target.is_file():
        print_wrapped(as_text(read_message(target)))
        return
    if not target.is_dir():
        fail(f"{path}: no such file or folder")
    files = sorted(p for p in target.iterdir() if p.is_file() and not p.name.startswith(".")
                   and (p.suffix == ".eml" or target.name in ("new", "cur")))
    if not files:
        fail(f"{path}: no .eml files here")
    if full:
        print_wrapped(("\n" + "=" * 72 + "\n").join(f"{p.name}\n" + as_text(read_message(p)) for p in files))
        return
    print_out("\n".join(f"{one_line(read_message(p))}  [{p.name}]" for p in files))
