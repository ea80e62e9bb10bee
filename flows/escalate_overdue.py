"""Flow escalate-overdue: late, silent and blocked items climb the ladder, counted in working days."""
from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from plantrack.config.settings import load_settings
from plantrack.flows.naming import day_name
from plantrack.flows.results import NO_RESULTS
from plantrack.flows.send_checkins import RelayConfigError, RelayUnreachable
from plantrack.notifications.board import BoardOptions
from plantrack.notifications.mail.escalation import EscalationOptions, EscalationResult
from plantrack.tasks.board import publish_status_board
from plantrack.tasks.escalation import escalate_overdue

LEVELS = {1: "reminder", 2: "overdue", 3: "coordinator", 4: "Deputy Chair"}
__all__ = ["RelayConfigError", "RelayUnreachable", "escalate_overdue_flow", "report"]  # the check-ins' errors


def report(result: EscalationResult) -> str:
    """The artifact: today's escalations by level and agency, and what the outbox sent."""
    day = result.today.strftime("%d/%m/%Y")
    if result.locked_by:
        return f"# Escalations {day}: not run\n\n**{result.lock_message}**; nothing was recorded or sent here.\n"
    if result.day_off:
        return (f"# Escalations {day}\n\n**Day off ({result.day_off}): nothing was recorded or sent.** "
                "The next working day's run sends what is due.\n")
    lines = [f"# Escalations {day}", "",
             f"- fired: **{len(result.fired)}**; emails queued now: {result.queued} (already queued: "
             f"{result.already_queued}); resolved: {result.resolved}",
             f"- sent {result.sent}, retried {result.retried}, failed {result.failed}, still queued "
             f"{result.still_queued} ({result.transport})"]
    if result.demo:
        lines.append("- **Demo mode**: no PLANTRACK_SECRET_KEY; mail went to the local .eml folder only")
    lines += ["", "| level | agency | reason | items | to |", "| --- | --- | --- | --- | --- |"]
    for (level, agency), fired in result.by_level_agency().items():
        codes = ", ".join(sorted({f.code or f"({f.title})" for f in fired}))
        reasons = ", ".join(sorted({f.reason for f in fired}))
        to = ", ".join(sorted({r for f in fired for r in f.recipients})) or "(listed, no email)"
        lines.append(f"| {level} {LEVELS.get(level, '')} | {agency} | {reasons} | {codes} | {to} |")
    if result.unreachable:
        lines += ["", "**Nobody to send to** (add the person to the directory): " + ", ".join(result.unreachable)]
    if result.not_built:
        lines += ["", "**Not built** (fix the directory entry): " + "; ".join(result.not_built)]
    if result.relay_config_error:
        lines += ["", f"**Relay configuration error**: {result.relay_config_error}; the messages stay queued."]
    elif result.relay_unreachable:
        lines += ["", f"**Relay unreachable**: {result.relay_unreachable}; the messages stay queued."]
    if result.failures:
        lines += ["", "## Failures", "", "| to | subject | reason |", "| --- | --- | --- |"]
        lines += [f"| {f.to} | {f.subject} | {f.reason} |" for f in result.failures]
    return "\n".join(lines) + "\n"


@flow(name="escalate-overdue", flow_run_name=day_name("escalate-overdue"), **NO_RESULTS)
def escalate_overdue_flow(today: date | None = None) -> EscalationResult:
    """Escalate what is late, silent or blocked (today: default the date in PLANTRACK_TIMEZONE).

    Steps: escalate_overdue, one task for the use case (notifications/mail/escalation.py): take the send
    lock (when another live run holds it, only the artifact says so); on a working day, the set-based sweep
    records the rungs due today and queues one email per recipient (on a day off nothing), and the outbox is
    sent in batches (the check-ins' sending path); the lock is given back; then the artifact
    `escalate-overdue`, today's escalations by level and agency; publish_status_board
    (`plan-status-board`, `overdue`, with the levels just recorded). Fails after the artifacts when the
    relay was unreachable or refused our TLS/AUTH configuration (a rerun sends the rest).
    """
    from prefect.runtime import flow_run

    settings = load_settings()
    opts = EscalationOptions.from_settings(settings)  # a bad ladder or mail setup fails before anything runs
    day = today or settings.today()
    result = escalate_overdue(opts, day, flow_run.id)
    create_markdown_artifact(key="escalate-overdue", markdown=report(result),
                             description=f"{len(result.fired)} escalations on {result.today.isoformat()}")
    publish_status_board(BoardOptions.from_settings(settings), day)
    if result.relay_config_error:
        raise RelayConfigError(f"SMTP relay configuration error: {result.relay_config_error}; "
                               f"{result.still_queued} messages stay queued: fix the setting, then rerun")
    if result.relay_unreachable:
        raise RelayUnreachable(f"SMTP relay unreachable ({result.relay_unreachable}); "
                               f"{result.still_queued} messages stay queued for the next run")
    return result
