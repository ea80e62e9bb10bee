"""Flow publish-calendars: write the plan's iCalendar feeds that changed."""
from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from plantrack.config.settings import load_settings
from plantrack.notifications.calendar.publish import PublishOptions, PublishResult
from plantrack.flows.naming import day_name
from plantrack.flows.results import NO_RESULTS
from plantrack.notifications.board import BoardOptions
from plantrack.notifications.run_reports import calendars
from plantrack.tasks.board import publish_status_board
from plantrack.tasks.calendars import publish_calendars


@flow(name="publish-calendars", flow_run_name=day_name("publish-calendars"), **NO_RESULTS)
def publish_calendars_flow(today: date | None = None, force: bool = False) -> PublishResult:
    """Publish the feeds: whole plan, one per agency, one per category (today: default the plan's date).

    Steps: publish_calendars, one task for the use case (notifications/calendar/publish.py): check (a few
    aggregates; when the database, options and status window are those of the last run and its files are
    present, stop), collect the events (one read of all deliverables; stamps of changed events stored), write
    the feeds whose content key changed (atomically); then the artifact `publish-calendars` and
    publish_status_board (`plan-status-board`, `overdue`).
    """
    settings = load_settings()
    day = today or settings.today()
    result = publish_calendars(PublishOptions.from_settings(settings), day, force)
    create_markdown_artifact(key="publish-calendars", markdown=calendars.markdown(result, day, settings.lang),
                             description=calendars.description(result, settings.lang))
    publish_status_board(BoardOptions.from_settings(settings), day)
    return result
