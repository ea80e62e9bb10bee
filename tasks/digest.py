"""Prefect tasks of send-weekly-digest: a thin wrapper over queue_digest (notifications/mail/digest.py); the
sending steps are the check-ins' tasks (tasks/checkins.py)."""
from __future__ import annotations

from datetime import date

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from plantrack.notifications.mail import digest
from plantrack.notifications.mail.digest import DigestOptions, DigestSteps, DigestSummary
from plantrack.tasks.checkins import list_queued_mail, release_send_lock, send_queued_mail, take_send_lock


@task(cache_policy=NO_CACHE)
def queue_digest(opts: DigestOptions, today: date) -> DigestSummary:
    """Queue this week's digest of every plan with digest recipients, with the week's snapshot."""
    summary = digest.queue_digest(opts, today)
    log = get_run_logger()
    if summary.demo:
        log.warning("DEMO MODE: PLANTRACK_SECRET_KEY is not set; mail only goes to %s",
                    opts.sending.transport.describe())
    for d in summary.digests:
        log.info("%s %s: %s (%d overdue, %d new blockers) to %d, cc %d", d.plan, d.week,
                 "queued" if d.queued else "already queued this week", d.overdue, d.new_blockers, len(d.to), len(d.cc))
    if summary.no_recipient:
        log.warning("no digest recipient (plan file: digest_to): %s", ", ".join(summary.no_recipient))
    return summary


TASK_STEPS = DigestSteps(queue_digest, take_send_lock, list_queued_mail, send_queued_mail, release_send_lock)
