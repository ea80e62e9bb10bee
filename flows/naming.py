"""Flow run names that say what the run did: `publish-calendars 2024-03-01`, `send-checkins 2024-W21`."""
from __future__ import annotations

from datetime import date


def run_day() -> date:
    """The `today` parameter of the current flow run, or the date in PLANTRACK_TIMEZONE."""
    from prefect.runtime import flow_run

    from plantrack.config.settings import load_settings

    value = flow_run.parameters.get("today")
    if isinstance(value, str):
        return date.fromisoformat(value)
    return value or load_settings().today()


def day_name(flow: str):
    """A flow_run_name callable: '<flow> YYYY-MM-DD'."""
    def name() -> str:
        return f"{flow} {run_day().isoformat()}"
    return name


def round_name(flow: str):
    """A flow_run_name callable: '<flow> <round key>' (ISO week or month of the run's day)."""
    def name() -> str:
        from plantrack.config.settings import load_settings
        from plantrack.notifications.mail.checkin_round import round_key

        return f"{flow} {round_key(run_day(), load_settings().checkin_period)}"
    return name
