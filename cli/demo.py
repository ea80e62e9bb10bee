"""plantrack demo: the 2024 plan year of 60/KH-UBND on embedded defaults, in about a minute and a half."""
from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path
from typing import Optional

import typer

from plantrack.cli.common import fail, flag, print_out


def demo(out: Path = typer.Option(Path("plantrack-demo"), "--out", help="folder for everything the year leaves"),
         seed: int = typer.Option(1, "--seed", help="the same seed gives the same replies, board and counts"),
         lang: str = typer.Option("vi", "--lang", help="vi or en"),
         start: Optional[str] = typer.Option(None, "--start", help="first simulated week (YYYY-MM-DD; default 2024-02-05)"),
         weeks: Optional[int] = typer.Option(None, "--weeks", min=1, help="simulate only this many weeks"),
         verbose: bool = flag("--verbose", "-v", help="also print Prefect's logs")):
    """Run the Lào Cai plan's 2024 through the real flows on a virtual clock; browse OUT/index.html afterwards."""
    from plantrack.cli.common import parse_lang
    from plantrack.deployments.demo.year import FIRST_MONDAY, DemoFolderError, DemoOptions, run_demo

    lang = parse_lang(lang, "vi")
    try:
        first = date.fromisoformat(start) if start else FIRST_MONDAY
    except ValueError:
        fail(f"--start {start!r} is not a date (YYYY-MM-DD)")
    opts = DemoOptions(out.resolve(), seed, first, weeks, lang)
    tty = sys.stdout.isatty()
    t0 = time.monotonic()
    progress = None
    if tty:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            transient=True)
        bar = progress.add_task("starting", total=len(opts.mondays()))
        progress.start()

    def on_phase(text: str) -> None:
        if progress is not None:
            progress.update(bar, description=text)

    def on_week(i: int, n: int, week) -> None:
        if progress is not None:
            progress.update(bar, completed=i, description=f"week of {week.monday:%d/%m/%Y}: "
                            f"{week.checkins_sent} check-ins, {week.answered.replies} replies")

    try:
        result = run_demo(opts, on_week, on_phase, verbose)
    except DemoFolderError as exc:
        fail(str(exc))
    finally:
        if progress is not None:
            progress.stop()
    from plantrack.deployments.demo.site import summary_lines

    mails_by_kind = _mail_counts(opts.out)
    lines = [f"plantrack demo: plan 60/KH-UBND, {len(result.weeks)} weeks from {opts.mondays()[0]:%d/%m/%Y}, "
             f"seed {seed}, {time.monotonic() - t0:.0f} s (Prefect API ready after {result.api_ready:.0f} s)"]
    for what, n in summary_lines(result, mails_by_kind, ()):
        if what != "messages received":
            lines.append(f"  {what}: {n}")
    lines.append(f"Open {opts.out / 'index.html'} in a browser (feeds, every email, the board).")
    print_out("\n".join(lines))


def _mail_counts(out: Path):
    """The sent messages as site.sent_mail lists them (kinds only), without rewriting pages."""
    import os

    from sqlalchemy import select

    from plantrack.deployments.demo.site import SentMail
    from plantrack.models.db import session_factory
    from plantrack.models.mail.outbox import Outbox

    with session_factory(os.environ["PLANTRACK_DATABASE_URL"])() as s:
        kinds = s.scalars(select(Outbox.kind).where(Outbox.sent_at.is_not(None))).all()
    return [SentMail(str(k), "", "", "", "", "") for k in kinds]
