"""Prefect task of escalate-overdue: the use case over the whole plan in one task run (never one run per item)."""
from __future__ import annotations

from datetime import date

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from plantrack.notifications.mail import escalation
from plantrack.notifications.mail.escalation import EscalationOptions, EscalationResult
from plantrack.tasks.checkins import log_sending
from plantrack.tasks.mail_rate import shared_mail_rate


@task(cache_policy=NO_CACHE)  # the options hold the database URL and the signing secret: never hashed or stored
def escalate_overdue(opts: EscalationOptions, today: date, run_id: str | None = None) -> EscalationResult:
    """Take the send lock, record today's escalations and queue their emails (one transaction; nothing on a day
    off), send the outbox at the mail rate shared by every flow, give the lock back."""
    result = escalation.escalate_overdue(opts, today, run_id, shared_mail_rate(opts.sending.rate_per_minute))
    log = get_run_logger()
    if result.locked_by:
        log_sending(0, 0, 0, locked=result.lock_message)
        return result
    if result.day_off:
        log.info("%s is a day off (%s): no escalation is recorded or sent", today.isoformat(), result.day_off)
    else:
        log.info("%s: %d escalations fired, %d messages queued, %d resolved", today.isoformat(),
                 len(result.fired), result.queued, result.resolved)
    for what in result.unreachable:
        log.warning("nobody to send to: %s", what)
    log_sending(result.sent, result.retried, result.failed, result.failures, result.relay_unreachable,
                result.relay_config_error)
    return result
