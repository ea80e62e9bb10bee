"""The scheduled deployments of plantrack, served by one process: `plantrack serve`.

Needs a Prefect server (`prefect server start`, PREFECT_API_URL set): the ephemeral API does not
run schedules. Every schedule carries PLANTRACK_TIMEZONE (Asia/Ho_Chi_Minh by default).
"""
from __future__ import annotations

import plantrack.flows  # noqa: F401  (Prefect defaults before Prefect loads)
from plantrack.config.settings import Settings, load_settings
from plantrack.deployments.specs import SPECS, apply_mail_limit, describe, triggers


def deployments(settings: Settings | None = None) -> list:
    """The runner deployments of SPECS: cron schedules in the plan's time zone, one run at a time, triggers."""
    from prefect.schedules import Cron
    from prefect.utilities.importtools import import_object

    settings = settings or load_settings()
    out = []
    for spec in SPECS:
        cron = getattr(settings, spec.cron_setting)
        out.append(import_object(spec.flow).to_deployment(
            name=spec.name, schedule=Cron(cron, timezone=settings.timezone),
            description=describe(spec, cron, settings.timezone), concurrency_limit=1, triggers=triggers(spec)))
    return out


def main() -> None:
    import asyncio

    from prefect import serve
    from prefect.client.orchestration import get_client

    settings = load_settings()

    async def limits() -> None:
        async with get_client() as client:
            await apply_mail_limit(client, settings.smtp_rate_per_minute)

    asyncio.run(limits())
    deps = deployments(settings)
    for spec, dep in zip(SPECS, deps):
        cron = getattr(settings, spec.cron_setting)
        after = f", and after {', '.join(spec.after_events)}" if spec.after_events else ""
        print(f"{spec.flow_name}/{spec.name}: cron {cron} ({settings.timezone}){after}; one run at a time", flush=True)
    serve(*deps, limit=1)  # one flow run at a time: SQLite and the send lock prefer it


if __name__ == "__main__":
    main()
