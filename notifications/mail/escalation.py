"""Use case escalate_overdue: lock the outbox, record today's escalations and queue their emails, send, unlock.

What is recorded and who gets which message: escalation_record.py; the run's options and result:
escalation_run.py. Sending is the outbox's usual path (the check-ins' send_lock and send_due_mail).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from plantrack.models.db import session_factory
from plantrack.notifications.mail import checkins
from plantrack.notifications.mail.dispatch import SendReport
from plantrack.notifications.mail.escalation_record import record_escalations
from plantrack.notifications.mail.escalation_run import EscalationOptions, EscalationResult
from plantrack.notifications.mail.smtp import RateLimiter


# The job ------------------------------------------------------------------------------------------------

def record_escalations_step(opts: EscalationOptions, today: date) -> EscalationResult:
    """record_escalations in its own transaction (the session from opts.database_url)."""
    with session_factory(opts.database_url)() as s, s.begin():
        return record_escalations(s, opts, today)


def escalate_overdue(opts: EscalationOptions, today: date, run_id: str | None = None,
                     limiter: RateLimiter | None = None) -> EscalationResult:
    """The whole job: lock, record today's escalations and queue their emails, send the outbox, unlock.

    On a day off (unless the ladder sends on days off) nothing is recorded and nothing is sent, not even
    mail left over in the outbox. Stops sending at the first batch whose relay is unreachable or refuses our
    TLS/AUTH configuration (the messages stay queued). limiter: paces
    the messages (default: PLANTRACK_SMTP_RATE_PER_MINUTE in this process).
    """
    out = opts.outbox
    with checkins.send_lock(out, run_id) as lock:
        if lock.held_by:
            return EscalationResult(today, True, locked_by=lock.held_by, lock_message=lock.message,
                                    lock_until=lock.until, transport=opts.sending.transport.destination)
        result = record_escalations_step(opts, today)
        r = checkins.send_due_mail(out, lock.holder, limiter) if result.day_off is None else SendReport()
    return replace(result, sent=r.sent, retried=r.retried, failed=r.failed, failures=tuple(r.failures),
                   still_queued=r.still_queued, relay_unreachable=r.unreachable, relay_config_error=r.config_error,
                   transport=opts.sending.transport.destination)
