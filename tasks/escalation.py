"""Prefect tasks of escalate-overdue: the use case's steps, each over the whole plan (never one run per item)."""
from __future__ import annotations

from datetime import date

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from plantrack.notifications.mail import escalation
from plantrack.notifications.mail.escalation import EscalationOptions, EscalationResult, EscalationSteps
from plantrack.tasks.checkins import list_queued_mail, release_send_lock, send_queued_mail, take_send_lock


@task(cache_policy=NO_CACHE)  # the options hold the database URL and the signing secret: never hashed or stored
def record_escalations(opts: EscalationOptions, today: date) -> EscalationResult:
    """Record today's escalations and queue their emails (one transaction); nothing on a day off."""
    result = escalation.record_escalations_step(opts, today)
    log = get_run_logger()
    if result.day_off:
        log.info("%s is a day off (%s): no escalation is recorded or sent", today.isoformat(), result.day_off)
    else:
        log.info("%s: %d escalations fired, %d messages queued, %d resolved", today.isoformat(),
                 len(result.fired), result.queued, result.resolved)
    for what in result.unreachable:
        log.warning("nobody to send to: %s", what)
    return result


TASK_STEPS = EscalationSteps(take_send_lock, record_escalations, list_queued_mail, send_queued_mail,
                             release_send_lock)
