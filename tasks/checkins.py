"""Prefect tasks of the mail flows' sending: the check-in round and the outbox, each one task over its use case in
notifications/mail/ (the send lock is taken and given back within the one task run, also when it fails)."""
from __future__ import annotations

from datetime import date

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from plantrack.notifications.mail import checkins
from plantrack.notifications.mail.checkins import CheckinOptions, CheckinResult
from plantrack.notifications.mail.dispatch import Failure
from plantrack.notifications.mail.inbound import send
from plantrack.notifications.mail.inbound.send import Sent
from plantrack.tasks.mail_rate import shared_mail_rate


def log_sending(sent: int, retried: int, failed: int, failures: tuple[Failure, ...] = (),
                unreachable: str | None = None, config_error: str | None = None, locked: str = "") -> None:
    """The run log's account of sending: counts, each failure, and why sending stopped or never started."""
    log = get_run_logger()
    if locked:
        log.warning("%s: this run sends nothing", locked)
        return
    log.info("sent %d, retried %d, failed %d", sent, retried, failed)
    for f in failures:
        log.warning("failed: %s (%s): %s", f.to, f.subject, f.reason)
    if config_error:
        log.error("relay configuration error, nothing more sent, messages stay queued: %s", config_error)
    elif unreachable:
        log.error("relay unreachable, messages stay queued: %s", unreachable)


@task(cache_policy=NO_CACHE)
def run_checkin_round(opts: CheckinOptions, today: date, run_id: str | None = None) -> CheckinResult:
    """Take the send lock, open this period's round and queue every message not queued yet, send everything due
    at the mail rate shared by every flow, give the lock back."""
    r = checkins.run_checkin_round(opts, today, run_id, shared_mail_rate(opts.sending.rate_per_minute))
    log = get_run_logger()
    if (summary := r.queued) is not None:
        if summary.demo:
            log.warning("DEMO MODE: PLANTRACK_SECRET_KEY is not set; reply tokens use the published demo key "
                        "and mail only goes to %s", opts.sending.transport.destination.describe("en"))
        log.info("round %s: %d agencies with open work, %d messages queued, %d already queued",
                 ", ".join(summary.round_keys), summary.agencies_open, summary.queued, summary.already_queued)
        if summary.skipped_no_contact:
            log.warning("no focal point, not asked: %s", ", ".join(summary.skipped_no_contact))
        for nb in summary.not_built:
            log.warning("check-in of %s to %s not built, marked failed: %s", nb.agency, nb.to, nb.reason)
    log_sending(r.sent, r.retried, r.failed, r.failures, r.unreachable, r.config_error, r.lock_message)
    return r


@task(cache_policy=NO_CACHE)
def send_outbox(opts: CheckinOptions, run_id: str | None = None) -> Sent:
    """Take the send lock, send everything due at the mail rate shared by every flow, give the lock back."""
    r = send.send_outbox(opts, run_id, shared_mail_rate(opts.sending.rate_per_minute))
    log_sending(r.sent, r.retried, r.failed, unreachable=r.unreachable, config_error=r.config_error,
                locked=f"another run holds the send lock ({r.locked_by})" if r.locked_by else "")
    return r
