"""Flow escalate-overdue: late, silent and blocked items climb the ladder, counted in working days."""
from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from plantrack.config.settings import load_settings
from plantrack.flows.naming import day_name
from plantrack.flows.results import NO_RESULTS
from plantrack.flows.relay import RelayConfigError, RelayUnreachable, raise_relay_failure
from plantrack.notifications.board import BoardOptions
from plantrack.notifications.mail.escalation import EscalationOptions, EscalationResult
from plantrack.notifications.run_reports import escalations
from plantrack.tasks.board import publish_status_board
from plantrack.tasks.escalation import escalate_overdue

__all__ = ["RelayConfigError", "RelayUnreachable", "escalate_overdue_flow"]  # the check-ins' errors


@flow(name="escalate-overdue", flow_run_name=day_name("escalate-overdue"), **NO_RESULTS)
def escalate_overdue_flow(today: date | None = None) -> EscalationResult:
    """Escalate what is late, silent or blocked (today: default the date in PLANTRACK_TIMEZONE).

    Steps: escalate_overdue, one task for the use case (notifications/mail/escalation.py): take the send
    lock (when another live run holds it, only the artifact says so); on a working day, the set-based sweep
    records the rungs due today and queues one email per recipient (on a day off nothing), and the outbox is
    sent in batches (the check-ins' sending path); the lock is given back; then the artifact
    `escalate-overdue`, today's escalations by level and agency; publish_status_board
    (`plan-status-board`, `overdue`, with the levels just recorded). Fails after the artifacts when the
    relay was unreachable or refused our TLS/AUTH configuration, with the artifact's words in PLANTRACK_LANG (a
    rerun sends the rest).
    """
    from prefect.runtime import flow_run

    settings = load_settings()
    opts = EscalationOptions.from_settings(settings)  # a bad ladder or mail setup fails before anything runs
    day = today or settings.today()
    result = escalate_overdue(opts, day, flow_run.id)
    create_markdown_artifact(key="escalate-overdue", markdown=escalations.markdown(result, settings.lang),
                             description=escalations.description(result, settings.lang))
    publish_status_board(BoardOptions.from_settings(settings), day)
    raise_relay_failure(result.relay_config_error, result.relay_unreachable, result.still_queued,
                        escalations.relay_failure(result, settings.lang))
    return result
