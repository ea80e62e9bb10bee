"""The check-in round as plain functions (no Prefect): options, the steps, and the whole job.

The flow send-checkins runs the whole job as one Prefect task (tasks/checkins.py): the send lock is taken
and released in the same call, and a task run costs the Prefect API more than most of these steps do.
"""
from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from plantrack.models.db import session_factory
from plantrack.models.deadlines import DeadlinePolicy
from plantrack.models.enums import RoundPeriod
from plantrack.models.mail.outbox import due_ids
from plantrack.models.status import DUE_SOON_WORKING_DAYS
from plantrack.models.mail.send_lock import Lease, LockHeld, new_holder
from plantrack.notifications.mail.checkin_round import MailIdentity, ReplyWindow, RoundSummary, enqueue_round, mail_identity
from plantrack.notifications.mail.dispatch import Dispatcher, Failure, RetryPolicy, SendReport
from plantrack.notifications.mail.smtp import RateLimiter, RelayError
from plantrack.notifications.mail.transports import Destination, Transport, transport_from_settings


@dataclass(frozen=True)
class SendOptions:
    """How the outbox is sent: transport, retries, batching, group commit and the one-sender lease."""

    transport: Transport
    policy: RetryPolicy = RetryPolicy()
    rate_per_minute: int = 600
    batch_size: int = 500
    sent_group: int = 50
    lock_seconds: float = 300.0

    @classmethod
    def from_settings(cls, settings) -> SendOptions:
        return cls(transport_from_settings(settings),
                   RetryPolicy(settings.smtp_max_attempts, settings.smtp_retry_seconds),
                   settings.smtp_rate_per_minute, settings.smtp_batch_size, settings.smtp_sent_group,
                   settings.send_lock_seconds)


class SendsMail(Protocol):
    """What the sending steps need of a job's options (check-ins, the digest, ...): the database and how to send."""

    database_url: str
    sending: SendOptions


@dataclass(frozen=True)
class CheckinOptions:
    """Everything a check-in round needs, built once from Settings at the flow boundary."""

    database_url: str = field(repr=False)  # may hold a password: never shown
    identity: MailIdentity
    sending: SendOptions
    period: RoundPeriod = RoundPeriod.WEEK
    due_soon_days: int = DUE_SOON_WORKING_DAYS
    plan_number: str | None = None
    reply: ReplyWindow = ReplyWindow()
    deadlines: DeadlinePolicy = DeadlinePolicy()  # effective deadlines and working days (issue 10)

    @classmethod
    def from_settings(cls, settings, plan_number: str | None = None) -> CheckinOptions:
        """Raises MailConfigError when sending is not configured safely."""
        return cls(settings.database_url, mail_identity(settings), SendOptions.from_settings(settings),
                   settings.checkin_period, settings.due_soon_days, plan_number, ReplyWindow.from_settings(settings),
                   DeadlinePolicy.from_settings(settings))


@dataclass(frozen=True)
class LockResult:
    holder: str | None  # ours, when taken
    held_by: str | None = None  # another live run's, when not
    message: str = ""
    until: datetime | None = None  # the end of held_by's lease (UTC)


@dataclass(frozen=True)
class CheckinResult:
    """What a run of send-checkins did."""

    queued: RoundSummary | None  # None when another run held the send lock
    sent: int = 0
    retried: int = 0
    failed: int = 0
    failures: tuple[Failure, ...] = ()
    still_queued: int = 0
    unreachable: RelayError | None = None
    config_error: RelayError | None = None  # the relay refused our TLS/certificate/AUTH settings
    locked_by: str | None = None
    lock_message: str = ""
    lock_until: datetime | None = None  # the end of locked_by's lease (UTC)
    transport: Destination | None = None


# The steps ------------------------------------------------------------------------------------------

def take_send_lock(opts: SendsMail, run_id: str | None = None) -> LockResult:
    """Take the one-sender lock for this run, or say which live run holds it."""
    holder = new_holder(run_id)
    try:
        Lease(session_factory(opts.database_url), holder, opts.sending.lock_seconds).take()
    except LockHeld as exc:
        return LockResult(None, exc.holder, str(exc), exc.expires_at)
    return LockResult(holder)


def release_send_lock(opts: SendsMail, holder: str) -> None:
    """Give the lock back (only if holder still holds it)."""
    Lease(session_factory(opts.database_url), holder, opts.sending.lock_seconds).release()


@contextmanager
def send_lock(opts: SendsMail, run_id: str | None = None) -> Iterator[LockResult]:
    """The send lock for the block (released when it ends, however it ends), or who holds it (lock.held_by)."""
    lock = take_send_lock(opts, run_id)
    try:
        yield lock
    finally:
        if lock.holder:
            release_send_lock(opts, lock.holder)


def queue_checkins(opts: CheckinOptions, today: date) -> RoundSummary:
    """Open this period's round and queue every message not queued yet (one transaction)."""
    with session_factory(opts.database_url)() as s, s.begin():
        return enqueue_round(s, today, opts.identity, period=opts.period, due_soon_days=opts.due_soon_days,
                             plan_number=opts.plan_number, reply=opts.reply, deadlines=opts.deadlines)


def list_queued_mail(opts: SendsMail) -> list[list[int]]:
    """Ids of the outbox rows to send now (queued and due, or interrupted), cut into batches."""
    with session_factory(opts.database_url)() as s:
        ids = due_ids(s)
    n = opts.sending.batch_size
    return [ids[i:i + n] for i in range(0, len(ids), n)]


def send_queued_mail(opts: SendsMail, ids: list[int], holder: str | None = None,
                     limiter: RateLimiter | None = None) -> SendReport:
    """Send one batch of outbox rows; holder: the send lock this run holds (refreshed while sending);
    limiter: paces the messages (default: PLANTRACK_SMTP_RATE_PER_MINUTE in this process)."""
    sessions = session_factory(opts.database_url)
    lease = None
    if holder:
        lease = Lease(sessions, holder, opts.sending.lock_seconds)
        lease.refresh(force=True)  # still ours (raises LockLost otherwise)
    snd = opts.sending
    return asyncio.run(Dispatcher(sessions, snd.transport, snd.policy, rate_per_minute=snd.rate_per_minute,
                                  limiter=limiter, group_size=snd.sent_group, lease=lease).run(ids))


def send_due_mail(opts: SendsMail, holder: str, limiter: RateLimiter | None = None) -> SendReport:
    """Send everything due, batch after batch, under the send lock holder holds; the counts are the batches'
    sums. Stops at the first batch whose relay is unreachable or refuses our configuration (the rest stays
    queued)."""
    total = SendReport()
    for batch in list_queued_mail(opts):
        r = send_queued_mail(opts, batch, holder, limiter)
        total = SendReport(total.sent + r.sent, total.retried + r.retried, total.failed + r.failed,
                           total.failures + r.failures, r.still_queued, r.unreachable, r.config_error)
        if r.unreachable or r.config_error:
            break
    return total


def run_checkin_round(opts: CheckinOptions, today: date, run_id: str | None = None,
                      limiter: RateLimiter | None = None) -> CheckinResult:
    """The whole job: lock, queue this round, send everything due in batches (send_due_mail), unlock.

    limiter: paces the messages (default: PLANTRACK_SMTP_RATE_PER_MINUTE in this process).
    """
    with send_lock(opts, run_id) as lock:
        if lock.held_by:
            return CheckinResult(None, locked_by=lock.held_by, lock_message=lock.message, lock_until=lock.until,
                                 transport=opts.sending.transport.destination)
        queued = queue_checkins(opts, today)
        r = send_due_mail(opts, lock.holder, limiter)
    return CheckinResult(queued, r.sent, r.retried, r.failed, tuple(r.failures), r.still_queued, r.unreachable,
                         r.config_error, transport=opts.sending.transport.destination)
