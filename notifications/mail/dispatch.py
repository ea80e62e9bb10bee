"""Send what the outbox holds: claim rows, hand them to the SMTP transport, record the outcomes.

Group commit: accepted messages are marked 'sent' in one UPDATE per group, after group_size
acceptances or group_seconds (50 ms), whichever comes first; retries and failures are written at
once (with the pending group). So after a crash the rows that went out but are still 'sending'
(the duplicates of a rerun) are at most group_size - 1 accepted-but-uncommitted ones plus the
messages in flight (one per connection).

Retries: a 4xx reply or a dropped connection puts the row back to 'queued' with a doubling back-off;
after max_attempts tries it is 'failed'. A relay that cannot be reached costs no message an attempt:
the run retries the connection with the same back-off, then gives up leaving everything queued.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plantrack.models.mail.outbox import QUEUED, SENDING, Outbox, claim, mark_failed, mark_retry, mark_sent, mark_sent_many
from plantrack.models.mail.send_lock import Lease
from plantrack.notifications.mail.smtp import FAILED, RETRY, SENT, Outcome, Outgoing, RateLimiter, SmtpConfig, SmtpUnavailable, \
    send_batch


GROUP_SIZE = 50  # accepted messages per 'sent' commit, at most
GROUP_SECONDS = 0.05  # ... or this long, whichever comes first


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    retry_seconds: float = 30.0  # first back-off, doubled after each try

    def delay(self, tries: int) -> float:
        return self.retry_seconds * 2 ** max(0, tries - 1)


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0  # transient failures that were retried (a message can count more than once)
    failed: int = 0
    failures: list[dict] = field(default_factory=list)  # id, to, subject, reason
    still_queued: int = 0
    unreachable: str | None = None

    def merge(self, other: SendReport) -> SendReport:
        return SendReport(self.sent + other.sent, self.retried + other.retried, self.failed + other.failed,
                          self.failures + other.failures, other.still_queued, self.unreachable or other.unreachable)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


async def send_queued(Session: sessionmaker[Session], ids: list[int], cfg: SmtpConfig,
                      policy: RetryPolicy = RetryPolicy(), *, limiter: RateLimiter | None = None,
                      sleep: Callable[[float], Awaitable] = asyncio.sleep,
                      now: Callable[[], datetime] = _utcnow, group_size: int = GROUP_SIZE,
                      group_seconds: float = GROUP_SECONDS, lease: Lease | None = None) -> SendReport:
    """Send the outbox rows ids (queued or left 'sending'), retrying transient failures, until none is pending.

    lease: the run lock the caller holds; it is refreshed while sending, and LockLost stops the sending.
    """
    report = SendReport()
    limiter = limiter or RateLimiter(cfg.rate_per_minute)
    group_size = max(1, group_size)
    pending, conn_failures = list(ids), 0
    waiting: dict[int, datetime] = {}  # rows to retry, and when
    accepted: list[tuple[int, str | None]] = []  # accepted by the relay, not yet committed 'sent'
    accepted_at: list[datetime] = []  # when the first of them was accepted (their sent_at)
    tries: dict[int, int] = {}
    meta: dict[int, tuple[list[str], str]] = {}

    def flush(also: Callable[[Session], None] | None = None) -> None:
        """Commit the accepted group as 'sent' (one UPDATE), with also(session) in the same transaction."""
        if not accepted and also is None:
            return
        with Session() as s, s.begin():
            if accepted:
                mark_sent_many(s, [i for i, note in accepted if note is None], accepted_at[0])
                for i, note in accepted:
                    if note is not None:  # some recipients refused: keep the note on that row
                        mark_sent(s, i, note, accepted_at[0])
            if also is not None:
                also(s)
        accepted.clear()
        accepted_at.clear()

    def keep_lease() -> None:
        if lease is not None:
            lease.refresh()  # only every ttl / 3; raises LockLost

    def record(o: Outcome) -> None:
        done.add(o.id)
        keep_lease()
        if o.result == SENT:
            report.sent += 1
            if not accepted:
                accepted_at.append(now())
            accepted.append((o.id, o.detail))
            if len(accepted) >= group_size:
                flush()
            return
        if o.result == RETRY and tries[o.id] + 1 < policy.max_attempts:
            report.retried += 1
            waiting[o.id] = at = now() + timedelta(seconds=policy.delay(tries[o.id] + 1))
            flush(lambda s: mark_retry(s, o.id, o.detail or "", at))
            return
        reason = (o.detail or "") if o.result == FAILED else f"gave up after {tries[o.id] + 1} tries: {o.detail}"
        report.failed += 1
        report.failures.append({"id": o.id, "to": ", ".join(meta[o.id][0]), "subject": meta[o.id][1],
                                "reason": reason})
        flush(lambda s: mark_failed(s, o.id, reason))

    async def flush_periodically() -> None:
        while True:
            await asyncio.sleep(group_seconds)
            flush()
            keep_lease()

    flusher = asyncio.create_task(flush_periodically())
    try:
        while pending or waiting:
            if not pending:
                flush()  # nothing is sent while we wait: commit what was accepted first
                wait = (min(waiting.values()) - now()).total_seconds()
                if wait > 0:
                    await sleep(wait)
                pending = sorted(i for i, at in waiting.items() if at <= now())
                for i in pending:
                    del waiting[i]
                continue
            keep_lease()
            with Session() as s, s.begin():
                rows = claim(s, pending)
            tries.update((r.id, r.attempts) for r in rows)
            meta.update((r.id, (r.recipients, r.subject)) for r in rows)
            batch = [Outgoing(r.id, r.envelope_from, tuple(r.recipients), r.message) for r in rows]
            pending = []
            done: set[int] = set()
            try:
                await send_batch(batch, cfg, record, limiter)
                conn_failures = 0
            except SmtpUnavailable as exc:
                untried = [m.id for m in batch if m.id not in done]
                conn_failures += 1
                reason = f"relay unreachable: {exc}"

                def requeue(s: Session) -> None:
                    for i in untried:  # never tried: no attempt counted, due at once on the next try
                        mark_retry(s, i, reason, now(), counted=False)
                flush(requeue)
                if conn_failures >= policy.max_attempts:
                    report.unreachable = str(exc)
                    break
                await sleep(policy.delay(conn_failures))
                pending = untried
    finally:
        flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flusher
        flush()
    with Session() as s:
        report.still_queued = s.scalar(select(func.count()).select_from(Outbox)
                                       .where(Outbox.status.in_((QUEUED, SENDING))))
    return report
