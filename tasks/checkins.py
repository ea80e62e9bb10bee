"""Prefect tasks of send-checkins: thin wrappers over the steps in notifications/mail/checkins.py."""
from __future__ import annotations

from datetime import date

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from plantrack.notifications.mail import checkins
from plantrack.notifications.mail.checkins import CheckinOptions, CheckinSteps, LockResult, SendsMail
from plantrack.notifications.mail.checkin_round import RoundSummary
from plantrack.notifications.mail.dispatch import SendReport
from plantrack.tasks.mail_rate import shared_mail_rate


@task(cache_policy=NO_CACHE)
def take_send_lock(opts: SendsMail, run_id: str | None = None) -> LockResult:
    """Take the one-sender lock for this run, or say which live run holds it."""
    lock = checkins.take_send_lock(opts, run_id)
    if lock.held_by:
        get_run_logger().warning("%s: this run sends nothing", lock.message)
    return lock


@task(cache_policy=NO_CACHE)
def queue_checkins(opts: CheckinOptions, today: date) -> RoundSummary:
    """Open this period's round and queue every message not queued yet."""
    summary = checkins.queue_checkins(opts, today)
    log = get_run_logger()
    if summary.demo:
        log.warning("DEMO MODE: PLANTRACK_SECRET_KEY is not set; reply tokens use the published demo key "
                    "and mail only goes to %s", opts.sending.transport.describe())
    log.info("round %s: %d agencies with open work, %d messages queued, %d already queued",
             ", ".join(summary.round_keys), summary.agencies_open, summary.queued, summary.already_queued)
    if summary.skipped_no_contact:
        log.warning("no focal point, not asked: %s", ", ".join(summary.skipped_no_contact))
    for nb in summary.not_built:
        log.warning("check-in of %s to %s not built, marked failed: %s", nb.agency, nb.to, nb.reason)
    return summary


@task(cache_policy=NO_CACHE)
def list_queued_mail(opts: SendsMail) -> list[list[int]]:
    """Ids of the outbox rows to send now, cut into batches."""
    return checkins.list_queued_mail(opts)


@task(cache_policy=NO_CACHE)
def send_queued_mail(opts: SendsMail, ids: list[int], holder: str | None = None) -> SendReport:
    """Send one batch of outbox rows over the transport, at the mail rate shared by every flow."""
    report = checkins.send_queued_mail(opts, ids, holder, shared_mail_rate(opts.sending.rate_per_minute))
    log = get_run_logger()
    log.info("batch of %d: %d sent, %d retried, %d failed", len(ids), report.sent, report.retried, report.failed)
    for f in report.failures:
        log.warning("failed: %s (%s): %s", f.to, f.subject, f.reason)
    if report.config_error:
        log.error("relay configuration error (%s), nothing more sent, messages stay queued: %s",
                  report.relay_problem, report.config_error)
    elif report.unreachable:
        log.error("relay unreachable, messages stay queued: %s", report.unreachable)
    return report


@task(cache_policy=NO_CACHE)
def release_send_lock(opts: SendsMail, holder: str) -> None:
    """Give the send lock back."""
    checkins.release_send_lock(opts, holder)


TASK_STEPS = CheckinSteps(take_send_lock, queue_checkins, list_queued_mail, send_queued_mail, release_send_lock)
