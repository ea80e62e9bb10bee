"""Prefect task of send-weekly-digest: a thin wrapper over run_digest (notifications/mail/digest.py), which sends by
the check-ins' path."""
from __future__ import annotations

from datetime import date

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from plantrack.notifications.mail import digest
from plantrack.notifications.mail.digest import DigestOptions, DigestResult
from plantrack.tasks.checkins import log_sending
from plantrack.tasks.mail_rate import shared_mail_rate


@task(cache_policy=NO_CACHE)
def run_digest(opts: DigestOptions, today: date, run_id: str | None = None) -> DigestResult:
    """Queue this week's digest of every plan with digest recipients, with the week's snapshot; then take the send
    lock, send the outbox at the mail rate shared by every flow, give the lock back."""
    result = digest.run_digest(opts, today, run_id, shared_mail_rate(opts.sending.rate_per_minute))
    summary = result.queued
    log = get_run_logger()
    if summary.demo:
        log.warning("DEMO MODE: PLANTRACK_SECRET_KEY is not set; mail only goes to %s",
                    opts.sending.transport.destination.describe("en"))
    for d in summary.digests:
        log.info("%s %s: %s (%d overdue, %d new blockers) to %d, cc %d", d.plan, d.week,
                 "queued" if d.queued else "already queued this week", d.overdue, d.new_blockers, len(d.to), len(d.cc))
    if summary.no_recipient:
        log.warning("no digest recipient (plan file: digest_to): %s", ", ".join(summary.no_recipient))
    log_sending(result.sent, result.retried, result.failed, result.failures, result.unreachable, result.config_error,
                result.lock_message)
    return result
