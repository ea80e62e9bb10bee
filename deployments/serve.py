"""The scheduled deployments of plantrack, served by one process: `plantrack serve`.

Needs a Prefect server (`prefect server start`, PREFECT_API_URL set): the ephemeral API does not
run schedules. Every schedule carries PLANTRACK_TIMEZONE (Asia/Ho_Chi_Minh by default).
"""
from __future__ import annotations

import plantrack.flows  # noqa: F401  (Prefect defaults before Prefect loads)
from plantrack.config.settings import Settings, load_settings
from plantrack.deployments.specs import SPECS, describe


def deployments(settings: Settings | None = None) -> list:
    """The runner deployments of SPECS with their cron schedules in the plan's time zone."""
    from prefect.schedules import Cron
    from prefect.utilities.importtools import import_object

    settings = settings or load_settings()
    out = []
    for spec in SPECS:
        cron = getattr(settings, spec.cron_setting)
        out.append(import_object(spec.flow).to_deployment(
            name=spec.name, schedule=Cron(cron, timezone=settings.timezone),
            description=describe(spec, cron, settings.timezone), concurrency_limit=1))
    return out


def main() -> None:
    from prefect import serve

    serve(*deployments(), limit=1)  # one flow run at a time: SQLite and the send lock prefer it


if __name__ == "__main__":
    main()
