"""Prefect tasks of the check-in round: queue all messages in one task, send the outbox in one task per batch."""
from __future__ import annotations

import asyncio
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date

from prefect import get_run_logger, task

from plantrack.config.settings import Settings, load_settings
from plantrack.models.db import session_factory
from plantrack.models.mail.outbox import due_ids
from plantrack.models.mail.send_lock import Lease, LockHeld, new_holder
from plantrack.notifications.mail.checkin_round import enqueue_round, mail_identity
from plantrack.notifications.mail.dispatch import RetryPolicy, send_queued
from plantrack.notifications.mail.local_smtp import local_relay
from plantrack.notifications.mail.smtp import RateLimiter, SmtpConfig


def _settings(database_url: str | None) -> Settings:
    return load_settings(database_url=database_url)


@contextmanager
def smtp_target(settings: Settings):
    """The configured relay, or the embedded .eml writer on a loopback port for the duration of the block."""
    base = dict(timeout=settings.smtp_timeout, concurrency=settings.smtp_concurrency,
                rate_per_minute=settings.smtp_rate_per_minute)
    if settings.smtp_host:
        yield SmtpConfig(settings.smtp_host, settings.smtp_port, settings.smtp_security, settings.smtp_user,
                         settings.smtp_password, **base)
        return
    with local_relay(settings.outbox_dir) as (host, port):
        yield SmtpConfig(host, port, **base)


@task(name="queue-checkins")
def queue_checkins(today: date | None, database_url: str | None = None, plan_number: str | None = None) -> dict:
    """Open the round for today (None: the plan's current date) and queue every message not yet queued."""
    settings = _settings(database_url)
    today = today or settings.today()
    ident = mail_identity(settings)
    Session = session_factory(settings.database_url)
    with Session() as s, s.begin():
        summary = enqueue_round(s, today, ident, period=settings.checkin_period,
                                due_soon_days=settings.due_soon_days, plan_number=plan_number)
    log = get_run_logger()
    if summary.demo:
        log.warning("DEMO MODE: PLANTRACK_SECRET_KEY is not set; reply tokens use the published demo key "
                    "and mail only goes to the local .eml writer in %s", settings.outbox_dir)
    log.info("round %s: %d agencies with open work, %d messages queued, %d already queued",
             ", ".join(summary.round_keys), summary.agencies_open, summary.queued, summary.already_queued)
    if summary.skipped_no_contact:
        log.warning("no focal point, not asked: %s", ", ".join(summary.skipped_no_contact))
    return asdict(summary)


@task(name="list-queued-mail")
def queued_batches(database_url: str | None = None) -> list[list[int]]:
    """Ids of the outbox rows to send now (queued and due, or interrupted), cut into batches."""
    settings = _settings(database_url)
    with session_factory(settings.database_url)() as s:
        ids = due_ids(s)
    n = max(1, settings.smtp_batch_size)
    return [ids[i:i + n] for i in range(0, len(ids), n)]


@task(name="take-send-lock")
def take_send_lock(database_url: str | None = None, run_id: str | None = None) -> dict:
    """Take the send lock for this run: {"holder": ...} or, when another live run holds it, {"held_by": ...}."""
    settings = _settings(database_url)
    holder = new_holder(run_id)
    try:
        Lease(session_factory(settings.database_url), holder, settings.send_lock_seconds).take()
    except LockHeld as exc:
        get_run_logger().warning("%s: this run sends nothing", exc)
        return {"holder": None, "held_by": exc.holder, "expires_at": exc.expires_at.isoformat(), "message": str(exc)}
    return {"holder": holder, "held_by": None}


@task(name="release-send-lock")
def release_send_lock(holder: str, database_url: str | None = None) -> None:
    """Give the send lock back (only if holder still holds it)."""
    settings = _settings(database_url)
    Lease(session_factory(settings.database_url), holder, settings.send_lock_seconds).release()


@task(name="send-queued-mail")
def send_mail_batch(ids: list[int], database_url: str | None = None, holder: str | None = None) -> dict:
    """Send one batch of outbox rows over the relay (one connection per worker); returns counts and failures.
    holder: the send lock this run holds (refreshed while sending; the batch stops if it was lost)."""
    settings = _settings(database_url)
    policy = RetryPolicy(settings.smtp_max_attempts, settings.smtp_retry_seconds)
    Session = session_factory(settings.database_url)
    lease = None
    if holder:
        lease = Lease(Session, holder, settings.send_lock_seconds)
        lease.refresh(force=True)  # still ours (raises LockLost otherwise)
    with smtp_target(settings) as cfg:
        report = asyncio.run(send_queued(Session, ids, cfg, policy, limiter=RateLimiter(cfg.rate_per_minute),
                                         group_size=settings.smtp_sent_group, lease=lease))
    log = get_run_logger()
    log.info("batch of %d: %d sent, %d retried, %d failed", len(ids), report.sent, report.retried, report.failed)
    for f in report.failures:
        log.warning("failed: %s (%s): %s", f["to"], f["subject"], f["reason"])
    return asdict(report)
