"""The scheduled deployments of plantrack: one list, read by `plantrack serve` and by deployments/prefect.yaml.

Crons come from settings (PLANTRACK_*_CRON) and always run in PLANTRACK_TIMEZONE. Served deployments and
work-pool deployments get different names (`<name>` and `<name>-pool`), so both can exist on one server.
Every deployment runs one flow run at a time (concurrency_limit 1); all mail leaves under one shared
rate, the Prefect global concurrency limit MAIL_LIMIT (slots decay at PLANTRACK_SMTP_RATE_PER_MINUTE / 60
a second), whichever flow and worker sends it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

MAIL_LIMIT = "plantrack-mail"  # the global concurrency limit every sending task takes its slots from
POOL = "plantrack"  # the process work pool of prefect.yaml
REPORTS_CHANGED = "plantrack.reports.changed"  # emitted by ingest-replies when a reply changed the board


@dataclass(frozen=True)
class DeploymentSpec:
    name: str  # deployment name (unique per flow); the pool variant adds "-pool"
    flow: str  # import path "module:flow object"
    flow_name: str  # the flow's Prefect name (a test checks it is the imported flow's)
    cron_setting: str  # the Settings field holding its cron
    what: str  # first half of the description; the schedule and its zone are appended
    after_events: tuple[str, ...] = ()  # also run after any of these Prefect events (deployment triggers)


SPECS = (
    DeploymentSpec("hourly", "plantrack.flows.publish_calendars:publish_calendars_flow", "publish-calendars",
                   "calendars_cron", "Republish the iCalendar feeds (writes only what changed).",
                   after_events=(REPORTS_CHANGED,)),
    DeploymentSpec("weekly", "plantrack.flows.send_checkins:send_checkins", "send-checkins", "checkins_cron",
                   "Queue and send this round's check-in emails (a rerun sends nothing twice)."),
    DeploymentSpec("replies", "plantrack.flows.ingest_replies:ingest_replies_flow", "ingest-replies", "replies_cron",
                   "Read the replies (IMAP or Maildir), apply them and send the receipts."),
    DeploymentSpec("daily", "plantrack.flows.escalate_overdue:escalate_overdue_flow", "escalate-overdue",
                   "escalate_cron",
                   "Escalate late, silent and blocked items, counted in working days (a run on a day off "
                   "sends nothing; a rerun sends nothing twice)."),
    DeploymentSpec("weekly-digest", "plantrack.flows.send_weekly_digest:send_weekly_digest", "send-weekly-digest",
                   "digest_cron",
                   "Send the Deputy Chair's weekly digest of each plan (a rerun in the same week sends nothing twice)."),
)


def describe(spec: DeploymentSpec, cron: str, timezone: str) -> str:
    """The deployment's description: what it does and when ('cron 0 8 * * 1, Asia/Ho_Chi_Minh')."""
    after = f" Also after: {', '.join(spec.after_events)}." if spec.after_events else ""
    return f"{spec.what} Schedule: cron {cron}, {timezone}.{after}"


def full_name(spec: DeploymentSpec, pool: bool = False) -> str:
    """'<flow name>/<deployment name>', as the API reads a deployment by name."""
    return f"{spec.flow_name}/{spec.name}{'-pool' if pool else ''}"


@dataclass(frozen=True)
class MailRate:
    """The shared mail rate as a Prefect global concurrency limit: slots, and how fast they come back."""

    per_minute: int  # 0: no limit (the limit is left inactive)

    @property
    def limit(self) -> int:
        """Slots: one second's worth of messages (at least 1), the largest burst."""
        return max(1, math.ceil(self.per_minute / 60))

    @property
    def decay(self) -> float:
        return self.per_minute / 60


async def apply_mail_limit(client, per_minute: int) -> None:
    """Create or update the global concurrency limit MAIL_LIMIT for per_minute messages a minute."""
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
    from prefect.exceptions import ObjectNotFound

    rate = MailRate(per_minute)
    try:
        await client.read_global_concurrency_limit_by_name(MAIL_LIMIT)
    except ObjectNotFound:
        await client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(
            name=MAIL_LIMIT, limit=rate.limit, slot_decay_per_second=rate.decay, active=per_minute > 0))
        return
    await client.update_global_concurrency_limit(MAIL_LIMIT, GlobalConcurrencyLimitUpdate(
        limit=rate.limit, slot_decay_per_second=rate.decay, active=per_minute > 0))


def triggers(spec: DeploymentSpec) -> list:
    """Prefect deployment triggers: one run after each matching event (none for most deployments)."""
    if not spec.after_events:
        return []
    from prefect.events import DeploymentEventTrigger

    return [DeploymentEventTrigger(name=f"after {e}", expect={e}, match={"prefect.resource.id": "plantrack.*"})
            for e in spec.after_events]


def prefect_yaml(settings) -> str:
    """deployments/prefect.yaml for a process work pool named POOL, from SPECS and settings."""
    rate = MailRate(settings.smtp_rate_per_minute)
    lines = [
        "# Generated by `python -m plantrack.deployments.specs` from deployments/specs.py: edit there, not here.",
        f"# prefect work-pool create {POOL} --type process",
        f"# prefect gcl create {MAIL_LIMIT} --limit {rate.limit} --slot-decay-per-second {rate.decay:g}"
        "   (the shared mail rate)",
        "# prefect deploy --prefect-file deployments/prefect.yaml --all",
        f"# then, on each machine: prefect worker start --pool {POOL} (in an environment where plantrack is",
        "# installed and PLANTRACK_* are set). Crons are PLANTRACK_*_CRON's values when it was generated, in",
        "# PLANTRACK_TIMEZONE; each deployment runs one flow run at a time.",
        "name: plantrack",
        "prefect-version: 3.9.1",
        "",
        "pull: []  # plantrack is an installed package: nothing to fetch, no working directory needed",
        "",
        "deployments:",
    ]
    for spec in SPECS:
        cron = getattr(settings, spec.cron_setting)
        lines += [
            f"  - name: {spec.name}-pool",
            f"    entrypoint: {spec.flow}",
            f"    description: \"{describe(spec, cron, settings.timezone)}\"",
            "    work_pool:",
            f"      name: {POOL}",
            "    concurrency_limit: 1",
            "    schedules:",
            f"      - cron: \"{cron}\"",
            f"        timezone: {settings.timezone}",
        ]
        if spec.after_events:
            lines.append("    triggers:")
            for event in spec.after_events:
                lines += ["      - type: event", "        enabled: true", f"        name: \"after {event}\"",
                          "        match:", "          prefect.resource.id: \"plantrack.*\"",
                          f"        expect: [\"{event}\"]"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    from pathlib import Path

    from plantrack.config.settings import Settings

    path = Path("deployments/prefect.yaml")
    path.write_text(prefect_yaml(Settings()), encoding="utf-8")
    print(path)
