"""Flow run names that say what the run did: `publish-calendars 2024-03-01`, `send-checkins 60/KH-UBND 2024-W21`,
`send-weekly-digest 60/KH-UBND 2024-W25`."""
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


def run_plans() -> str:
    """The plan of the run: its `plan_number` parameter, else the loaded plans' numbers ('' if unknown)."""
    from prefect.runtime import flow_run

    given = flow_run.parameters.get("plan_number")
    if given:
        return str(given)
    try:  # a name must never fail a run: without a readable database, the name leaves the plan out
        from sqlalchemy import select

        from plantrack.config.settings import load_settings
        from plantrack.models.db import session_factory
        from plantrack.models.entities import Plan

        with session_factory(load_settings().database_url)() as s:
            numbers = list(s.scalars(select(Plan.number).order_by(Plan.number)))
    except Exception:
        return ""
    return numbers[0] if len(numbers) == 1 else f"{len(numbers)} plans" if numbers else ""


def day_name(flow: str):
    """A flow_run_name callable: '<flow> YYYY-MM-DD'."""
    def name() -> str:
        return f"{flow} {run_day().isoformat()}"
    return name


def round_name(flow: str):
    """A flow_run_name callable: '<flow> <plan> <round key>' (ISO week or month of the run's day)."""
    def name() -> str:
        from plantrack.config.settings import load_settings
        from plantrack.notifications.mail.checkin_round import round_key

        plan = run_plans()
        return f"{flow} {plan + ' ' if plan else ''}{round_key(run_day(), load_settings().checkin_period)}"
    return name


def week_name(flow: str):
    """A flow_run_name callable: '<flow> <plan> <ISO week>' of the run's day."""
    def name() -> str:
        from plantrack.models.digest.snapshot import week_key

        plan = run_plans()
        return f"{flow} {plan + ' ' if plan else ''}{week_key(run_day())}"
    return name
