"""Use case escalate_overdue: lock the outbox, record today's escalations and queue their emails, send, unlock.

What is recorded and who gets which message: escalation_record.py; the run's options and result:
escalation_run.py. Sending is the outbox's usual path (the check-ins' own steps).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from plantrack.models.db import session_factory
from plantrack.notifications.mail import checkins
from plantrack.notifications.mail.dispatch import Failure
from plantrack.notifications.mail.escalation_record import record_escalations
from plantrack.notifications.mail.escalation_run import EscalationOptions, EscalationResult


# The job: the steps of a run as plain calls or Prefect tasks (tasks/escalation.py) ----------------------

def record_escalations_step(opts: EscalationOptions, today: date) -> EscalationResult:
    """record_escalations in its own transaction (the session from opts.database_url)."""
    with session_factory(opts.database_url)() as s, s.begin():
        return record_escalations(s, opts, today)


@dataclass(frozen=True)
class EscalationSteps:
    """The steps as callables: plain functions by default, Prefect tasks in the flow. Locking, listing and
    sending are the check-ins' own steps, given opts.outbox: one outbox, one sending path."""

    take_send_lock: Callable = checkins.take_send_lock
    record_escalations: Callable = record_escalations_step
    list_queued_mail: Callable = checkins.list_queued_mail
    send_queued_mail: Callable = checkins.send_queued_mail
    release_send_lock: Callable = checkins.release_send_lock


PLAIN = EscalationSteps()


def escalate_overdue(opts: EscalationOptions, today: date, run_id: str | None = None,
                     steps: EscalationSteps = PLAIN) -> EscalationResult:
    """The whole job: lock, record today's escalations and queue their emails, send the outbox, unlock.

    On a day off (unless the ladder sends on days off) nothing is recorded and nothing is sent, not even
    mail left over in the outbox. Stops sending at the first batch whose relay is unreachable.
    """
    out = opts.outbox
    lock = steps.take_send_lock(out, run_id)
    if lock.held_by:
        return EscalationResult(today, True, locked_by=lock.held_by, lock_message=lock.message,
                                transport=opts.sending.transport.describe())
    sent = retried = failed = still = 0
    failures: list[Failure] = []
    unreachable = None
    try:
        result = steps.record_escalations(opts, today)
        if result.day_off is None:
            for batch in steps.list_queued_mail(out):
                report = steps.send_queued_mail(out, batch, lock.holder)
                sent, retried, failed = sent + report.sent, retried + report.retried, failed + report.failed
                failures += report.failures
                still, unreachable = report.still_queued, report.unreachable
                if unreachable:
                    break
    finally:
        steps.release_send_lock(out, lock.holder)
    return replace(result, sent=sent, retried=retried, failed=failed, failures=tuple(failures), still_queued=still,
                   relay_unreachable=unreachable, transport=opts.sending.transport.describe())
