"""Send what the outbox holds: claim rows, hand them to the SMTP transport, record the outcomes.

Group commit: accepted messages are marked 'sent' in one UPDATE per group, after group_size
acceptances or group_seconds (50 ms), whichever comes first; retries and failures are written at
once (with the pending group). So after a crash the rows that went out but are still 'sending'
(the duplicates of a rerun) are at most group_size - 1 accepted-but-uncommitted ones plus the
messages in flight (one per connection).

Retries: a 4xx reply or a dropped connection puts the row back to 'queued' with a doubling back-off;
after max_attempts tries it is 'failed'. A relay that cannot be reached costs no message an attempt:
the run retries the connection with the same back-off, then gives up leaving everything queued. A
relay that refuses our configuration (certificate, STARTTLS, AUTH) is not retried at all: the run
stops at once with that reason (report.config_error), everything stays queued.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plantrack.config import clock
from plantrack.models.mail.outbox import (QUEUED, SENDING, Outbox, claim, mark_failed, mark_retry, mark_sent,
                                          mark_sent_many)
from plantrack.models.mail.send_lock import Lease
from plantrack.notifications.mail.smtp import (FAILED, RETRY, SENT, FailureKind, Outcome, Outgoing, RateLimiter,
                                              RelayError, SmtpUnavailable, reason_text)
from plantrack.notifications.mail.transports import Transport

log = logging.getLogger(__name__)

GROUP_SIZE = 50  # accepted messages per 'sent' commit, at most
GROUP_SECONDS = 0.05  # ... or this long, whichever comes first


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    retry_seconds: float = 30.0  # first back-off, doubled after each try

    def delay(self, tries: int) -> float:
        return self.retry_seconds * 2 ** max(0, tries - 1)


@dataclass(frozen=True)
class Failure:
    """A message the relay refused for good (or that failed every try)."""

    outbox_id: int
    to: str
    subject: str
    reason: str  # in English, as kept on the outbox row
    kind: FailureKind | None = None  # what went wrong, for the run reports
    reply: str = ""  # the server's reply (or the error), without our words
    tries: int = 0  # when it failed every try: how many


@dataclass
class SendReport:
    """What one dispatch did; still_queued counts the whole outbox afterwards."""

    sent: int = 0
    retried: int = 0  # transient failures that were retried (a message can count more than once)
    failed: int = 0
    failures: list[Failure] = field(default_factory=list)
    still_queued: int = 0
    unreachable: RelayError | None = None  # the relay could not be reached (network): a later run may succeed
    config_error: RelayError | None = None  # the relay refused our TLS/certificate/AUTH settings: change them first


def _utcnow() -> datetime:
    return clock.now()


class Dispatcher:
    """Sends outbox rows through a transport, recording each outcome so that nothing is sent twice or lost.

    State: rows accepted by the transport but not yet committed 'sent' (the group), rows waiting for a
    retry and when, and the tries and headers of every row claimed. One instance per dispatch.
    """

    def __init__(self, sessions: sessionmaker[Session], transport: Transport, policy: RetryPolicy = RetryPolicy(),
                 *, limiter: RateLimiter | None = None, sleep: Callable[[float], Awaitable] = asyncio.sleep,
                 now: Callable[[], datetime] = _utcnow, group_size: int = GROUP_SIZE,
                 group_seconds: float = GROUP_SECONDS, lease: Lease | None = None, rate_per_minute: int = 0):
        self.sessions, self.transport, self.policy = sessions, transport, policy
        self.limiter = limiter or RateLimiter(rate_per_minute)
        self.sleep, self.now, self.lease = sleep, now, lease
        self.group_size, self.group_seconds = max(1, group_size), group_seconds
        self.report = SendReport()
        self._accepted: list[tuple[int, str | None]] = []  # accepted, not yet committed 'sent'
        self._accepted_at: datetime | None = None  # when the first of them was accepted (their sent_at)
        self._waiting: dict[int, datetime] = {}  # rows to retry, and when
        self._tries: dict[int, int] = {}
        self._headers: dict[int, tuple[list[str], str]] = {}  # recipients and subject, for failure reports
        self._tried: set[int] = set()  # rows of the current batch that got an outcome

    async def run(self, ids: list[int]) -> SendReport:
        """Send the rows ids (queued or left 'sending'), retrying transient failures, until none is pending.

        LockLost (from the lease) stops the sending; what was accepted is still committed.
        """
        flusher = asyncio.create_task(self._flush_periodically())
        try:
            await self._send_until_done(list(ids))
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            self._flush()
        with self.sessions() as s:
            self.report.still_queued = s.scalar(select(func.count()).select_from(Outbox)
                                                .where(Outbox.status.in_((QUEUED, SENDING))))
        return self.report

    async def _send_until_done(self, pending: list[int]) -> None:
        unreachable = 0
        while pending or self._waiting:
            if not pending:
                pending = await self._wait_for_retries()
                continue
            self._keep_lease()
            batch = self._claim(pending)
            self._tried = set()
            try:
                await self.transport.send(batch, self._record, self.limiter)
                unreachable, pending = 0, []
            except SmtpUnavailable as exc:
                pending = [m.id for m in batch if m.id not in self._tried]
                if exc.problem.is_configuration:  # retrying cannot help until a setting (or the relay) changes
                    self._requeue_untried(pending, f"relay configuration error ({exc.problem}): {exc}")
                    self.report.config_error = exc.error
                    return
                unreachable += 1
                self._requeue_untried(pending, f"relay unreachable: {exc}")
                if unreachable >= self.policy.max_attempts:
                    self.report.unreachable = exc.error
                    return
                wait = self.policy.delay(unreachable)
                # Said at once: the back-off adds up to minutes, and a person running the command sees only this.
                log.warning("relay unreachable (%s): connection try %d of %d failed, next in %.0f s; the messages "
                            "stay queued", exc, unreachable, self.policy.max_attempts, wait)
                await self.sleep(wait)

    async def _wait_for_retries(self) -> list[int]:
        self._flush()  # nothing is sent while we wait: commit what was accepted first
        wait = (min(self._waiting.values()) - self.now()).total_seconds()
        if wait > 0:
            await self.sleep(wait)
        due = sorted(i for i, at in self._waiting.items() if at <= self.now())
        for i in due:
            del self._waiting[i]
        return due

    def _claim(self, ids: list[int]) -> list[Outgoing]:
        with self.sessions() as s, s.begin():
            rows = claim(s, ids)
        for r in rows:
            self._tries[r.id] = r.attempts
            self._headers[r.id] = (r.recipients, r.subject)
        return [Outgoing(r.id, r.envelope_from, tuple(r.recipients), r.message) for r in rows]

    def _record(self, o: Outcome) -> None:
        """Called by the transport right after each message."""
        self._tried.add(o.id)
        self._keep_lease()
        if o.result == SENT:
            self.report.sent += 1
            if not self._accepted:
                self._accepted_at = self.now()
            self._accepted.append((o.id, o.detail))
            if len(self._accepted) >= self.group_size:
                self._flush()
            return
        tries = self._tries[o.id] + 1
        if o.result == RETRY and tries < self.policy.max_attempts:
            self.report.retried += 1
            self._waiting[o.id] = at = self.now() + timedelta(seconds=self.policy.delay(tries))
            self._flush(lambda s: mark_retry(s, o.id, reason_text(o.kind, o.detail), at))
            return
        gave_up = 0 if o.result == FAILED else tries
        reason = reason_text(o.kind, o.detail)
        if gave_up:
            reason = f"gave up after {tries} tries: {reason}"
        recipients, subject = self._headers[o.id]
        self.report.failed += 1
        self.report.failures.append(Failure(o.id, ", ".join(recipients), subject, reason, o.kind, o.detail or "",
                                            gave_up))
        self._flush(lambda s: mark_failed(s, o.id, reason))

    def _requeue_untried(self, ids: list[int], reason: str) -> None:
        def requeue(s: Session) -> None:
            for i in ids:  # never tried: no attempt counted, due at once on the next try
                mark_retry(s, i, reason, self.now(), counted=False)
        self._flush(requeue)

    def _flush(self, also: Callable[[Session], None] | None = None) -> None:
        """Commit the accepted group as 'sent' (one UPDATE), with also(session) in the same transaction."""
        if not self._accepted and also is None:
            return
        with self.sessions() as s, s.begin():
            if self._accepted:
                mark_sent_many(s, [i for i, note in self._accepted if note is None], self._accepted_at)
                for i, note in self._accepted:
                    if note is not None:  # some recipients refused: keep the note on that row
                        mark_sent(s, i, note, self._accepted_at)
            if also is not None:
                also(s)
        self._accepted.clear()

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.group_seconds)
            self._flush()
            self._keep_lease()

    def _keep_lease(self) -> None:
        if self.lease is not None:
            self.lease.refresh()  # only every ttl / 3; raises LockLost
