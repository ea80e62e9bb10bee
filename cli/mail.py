"""plantrack mail ...: the embedded SMTP server that writes .eml files (no Prefect here)."""
from __future__ import annotations

import time
from typing import Optional

import typer

from plantrack.cli.common import console, fail, listen_error, parse_port, state

app = typer.Typer(help="Local mail: an SMTP server writing .eml files.", no_args_is_help=True)


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
