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
from plantrack.tasks.board import publish_status_board
from plantrack.tasks.calendars import publish_calendars

LISTED = 50  # names shown in the artifact before "and N more"


def _report(today: date, r: PublishResult) -> str:
    head = [f"# Lịch / calendars {today:%d/%m/%Y}", ""]
    if r.unchanged:
        until = f"{r.valid_until:%d/%m/%Y}" if r.valid_until else "no status change ahead"
        return "\n".join(head + [
            f"- nothing changed since {r.valid_from:%d/%m/%Y}, valid until {until}: no feed written, "
            "events not rebuilt", f"- events: {r.events}; left out (no valid date): {len(r.skipped)}"])
    lines = head + [f"- feeds changed: **{len(r.written)}** (feeds unchanged are not rewritten)",
                    f"- events: {r.events}; new {r.new_events}; changed {len(r.changed_events)}",
                    f"- left out (no valid date): {len(r.skipped)}", ""]
    if r.written:
        shown = ", ".join(f"`{n}`" for n in r.written[:LISTED])
        more = f" and {len(r.written) - LISTED} more" if len(r.written) > LISTED else ""
        lines += ["## Written", shown + more, ""]
    if r.skipped:
        lines += ["## Left out", "| plan and code |", "| --- |"] + [f"| {k} |" for k in r.skipped[:500]]
    return "\n".join(lines)


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
    create_markdown_artifact(key="publish-calendars", markdown=_report(day, result),
                             description=f"{len(result.written)} feeds changed")
    publish_status_board(BoardOptions.from_settings(settings), day)
    return result
