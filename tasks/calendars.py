"""Prefect task of publish-calendars: a thin wrapper over the use case in notifications/calendar/publish.py."""
from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE

from plantrack.notifications.calendar import publish
from plantrack.notifications.calendar.publish import PublishOptions, PublishResult


@task(cache_policy=NO_CACHE)
def publish_calendars(opts: PublishOptions, today: date, force: bool = False) -> PublishResult:
    """Stop when nothing changed since the last run (unless force), else collect every event in one read and
    write atomically the feeds whose content changed."""
    return publish.publish_calendars(opts, today, force=force)
