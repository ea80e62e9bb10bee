"""Prefect tasks of publish-calendars: thin wrappers over the steps in notifications/calendar/publish.py."""
from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from plantrack.notifications.calendar import publish
from plantrack.notifications.calendar.publish import Check, Collected, PublishOptions, PublishSteps


@task(cache_policy=NO_CACHE)
def check_calendars(opts: PublishOptions, today: date) -> Check:
    """A few aggregates: whether the database, options and status window are those of the last run."""
    return publish.check_calendars(opts, today)


@task(cache_policy=NO_CACHE)
def collect_calendar_events(opts: PublishOptions, today: date) -> Collected:
    """All events of all feeds in one set-based read; stamps of changed events stored."""
    return publish.collect_calendar_events(opts, today)


@task(cache_policy=NO_CACHE)
def write_changed_feeds(opts: PublishOptions, collected: Collected, fingerprint: str) -> tuple[str, ...]:
    """Render and write atomically the feeds whose content changed; record them and the run."""
    return publish.write_changed_feeds(opts, collected, fingerprint)


def _write_changed_feeds_step(opts: PublishOptions, collected: Collected, fingerprint: str) -> tuple[str, ...]:
    # quote(): otherwise Prefect walks every event of `collected` looking for futures before the task runs
    # (seconds at 10,000 deliverables: the flow took 3x the direct call). The task gets it unwrapped.
    return write_changed_feeds(opts, quote(collected), fingerprint)


TASK_STEPS = PublishSteps(check_calendars, collect_calendar_events, _write_changed_feeds_step)
