"""Flow publish-calendars: write the plan's iCalendar feeds that changed."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from plantrack.config.settings import load_settings
from plantrack.notifications.calendar.events import EventOptions
from plantrack.tasks.calendars import check_calendars, collect_events, write_feeds

LISTED = 50  # names shown in the artifact before "and N more"


def _report(today: date, written: list[str], collected) -> str:
    lines = [f"# Lịch / calendars {today:%d/%m/%Y}", "",
             f"- feeds changed: **{len(written)}** (feeds unchanged are not rewritten)",
             f"- events: {len(collected.events)}; new {collected.new_events}; "
             f"changed {len(collected.changed_events)}",
             f"- left out (no valid date): {len(collected.skipped)}", ""]
    if written:
        shown = ", ".join(f"`{n}`" for n in written[:LISTED])
        more = f" and {len(written) - LISTED} more" if len(written) > LISTED else ""
        lines += ["## Written", shown + more, ""]
    if collected.skipped:
        lines += ["## Left out", "| plan | code | reason |", "| --- | --- | --- |"]
        lines += [f"| {s.plan} | {s.code} | {s.reason} |" for s in collected.skipped[:500]]
    return "\n".join(lines)


def _report_unchanged(today: date, run) -> str:
    until = f"{run.valid_until:%d/%m/%Y}" if run.valid_until else "no status change ahead"
    lines = [f"# Lịch / calendars {today:%d/%m/%Y}", "",
             f"- nothing changed since {run.valid_from:%d/%m/%Y} (run at {run.ran_at:%d/%m/%Y %H:%M} UTC), "
             f"valid until {until}: no feed written, events not rebuilt",
             f"- feeds: {len(run.feeds)}; events: {run.events}; left out (no valid date): {len(run.skipped)}"]
    return "\n".join(lines)


@flow(name="publish-calendars")
def publish_calendars(today: date | None = None, database_url: str | None = None,
                      feeds_dir: Path | None = None) -> dict:
    """Publish the feeds: whole plan, one per agency, one per category (today: default the plan's date).

    1. check-calendars: a few aggregate queries; when the database, options and status window are
       those of the last run and its files are present, stop here (artifact says so)
    2. collect-calendar-events: one read of all deliverables; store SEQUENCE/LAST-MODIFIED of changed events
    3. write-changed-feeds: render and write atomically only feeds whose content key changed (or whose
       file is missing), then record their keys and the run's fingerprint and status window
    4. artifact `publish-calendars`: how many feeds changed, which, and dates left out
    """
    settings = load_settings(database_url=database_url, feeds_dir=feeds_dir)
    url, out_dir = settings.database_url, Path(settings.feeds_dir)
    today = today or settings.today()
    opts = EventOptions(alarm_days=settings.calendar_alarm_days, event_url=settings.feed_event_url,
                        timezone=settings.timezone, lang=settings.lang)
    chk = check_calendars(url, out_dir, today, opts, settings.due_soon_days, settings.feed_refresh_hours,
                          settings.timezone)
    if chk.unchanged:
        run = chk.run
        create_markdown_artifact(key="publish-calendars", markdown=_report_unchanged(today, run),
                                 description=f"nothing changed since {run.valid_from:%d/%m/%Y}")
        return {"written": [], "events": run.events, "skipped": list(run.skipped),
                "changed_events": [], "new_events": 0, "unchanged": True,
                "valid_until": run.valid_until}
    collected = collect_events(url, today, opts, settings.due_soon_days)
    written = write_feeds(collected, url, out_dir, settings.feed_refresh_hours, settings.timezone,
                          chk.fingerprint)
    create_markdown_artifact(key="publish-calendars", markdown=_report(today, written, collected),
                             description=f"{len(written)} feeds changed")
    return {"written": written, "events": len(collected.events),
            "skipped": [f"{s.plan} {s.code}" for s in collected.skipped],
            "changed_events": collected.changed_events, "new_events": collected.new_events,
            "unchanged": False, "valid_until": collected.valid_until}
