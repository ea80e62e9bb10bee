"""Send the receipts: the outbox as the check-ins send it (same lock, transport and dispatcher), without a round."""
from __future__ import annotations

from dataclasses import dataclass

from plantrack.notifications.mail.checkins import CheckinOptions, send_due_mail, send_lock
from plantrack.notifications.mail.smtp import RateLimiter, RelayError
from plantrack.notifications.mail.transports import Destination


@dataclass(frozen=True)
class Sent:
    """What the outbox sent after the replies were read (the receipts, and anything else queued)."""

    sent: int = 0
    failed: int = 0
    locked_by: str | None = None  # another live run holds the send lock: it sends them
    unreachable: RelayError | None = None
    config_error: RelayError | None = None  # the relay refused our TLS/certificate/AUTH settings
    retried: int = 0
    still_queued: int = 0
    transport: Destination | None = None


def send_outbox(opts: CheckinOptions, run_id: str | None = None, limiter: RateLimiter | None = None) -> Sent:
    """Take the send lock, send everything due in batches (receipts and anything else queued), give it back."""
    with send_lock(opts, run_id) as lock:
        if lock.held_by:
            return Sent(locked_by=lock.held_by)
        r = send_due_mail(opts, lock.holder, limiter)
    return Sent(r.sent, r.failed, None, r.unreachable, r.config_error, r.retried, r.still_queued,
                opts.sending.transport.destination)
