"""The scheduled deployments of plantrack, served by one process: python -m deployments.serve.

Needs a Prefect server (`prefect server start`, PREFECT_API_URL set): the ephemeral API does not
run schedules. Every schedule carries PLANTRACK_TIMEZONE (Asia/Ho_Chi_Minh by default).
"""
from __future__ import annotations

import plantrack.flows  # noqa: F401  (Prefect defaults before Prefect loads)
from plantrack.config.settings import Settings, load_settings


def deployments(settings: Settings | None = None) -> list:
    """The runner deployments with their cron schedules in the plan's time zone."""
    from prefect.schedules import Cron

    from plantrack.flows.publish_calendars import publish_calendars_flow
    from plantrack.flows.send_checkins import send_checkins

    settings = settings or load_settings()
    tz = settings.timezone
    return [
        publish_calendars_flow.to_deployment(
            name="scheduled", schedule=Cron(settings.calendars_cron, timezone=tz),
            description="Republish the iCalendar feeds (writes only what changed)."),
        send_checkins.to_deployment(
            name="scheduled", schedule=Cron(settings.checkins_cron, timezone=tz),
            description="Queue and send this round's check-in emails (a rerun sends nothing twice)."),
    ]


def main() -> None:
    from prefect import serve

    serve(*deployments(), limit=1)  # one flow run at a time: SQLite and the send lock prefer it


if __name__ == "__main__":
    main()
