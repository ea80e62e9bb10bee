"""plantrack run ...: start a Prefect flow now (imports Prefect, so only here)."""
from __future__ import annotations

from typing import Optional

import typer

from cli.common import parse_today, state

app = typer.Typer(help="Run a flow now (calendars, checkins, ...).", no_args_is_help=True)


@app.command()
def calendars(today: Optional[str] = typer.Option(None, "--today", help="evaluate as of YYYY-MM-DD")):
    """Publish the iCalendar feeds (flow publish-calendars)."""
    from flows.publish_calendars import publish_calendars

    settings = state.settings()
    publish_calendars(today=parse_today(today, settings.timezone), database_url=settings.database_url)


@app.command()
def checkins(today: Optional[str] = typer.Option(None, "--today", help="evaluate as of YYYY-MM-DD")):
    """Queue and send this round's check-in emails (flow send-checkins)."""
    from flows.send_checkins import send_checkins

    settings = state.settings()
    send_checkins(today=parse_today(today, settings.timezone), database_url=settings.database_url)
