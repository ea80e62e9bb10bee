"""Send the receipts: the outbox as the check-ins send it (same steps, transport and dispatcher), without a round."""
from __future__ import annotations

from dataclasses import dataclass

from plantrack.notifications.mail.checkins import PLAIN, CheckinOptions, CheckinSteps


@dataclass(frozen=True)
class Sent:
    sent: int = 0
    failed: int = 0
    locked_by: str | None = None  # another live run holds the send lock: it sends them
    unreachable: str | None = None


def send_outbox(opts: CheckinOptions, run_id: str | None = None, steps: CheckinSteps = PLAIN) -> Sent:
    """Take the send lock, send everything due in batches (receipts and anything else queued), give it back."""
    lock = steps.take_send_lock(opts, run_id)
    if lock.held_by:
        return Sent(locked_by=lock.held_by)
    sent = failed = 0
    unreachable = None
    try:
        for batch in steps.list_queued_mail(opts):
            report = steps.send_queued_mail(opts, batch, lock.holder)
            sent, failed, unreachable = sent + report.sent, failed + report.failed, report.unreachable
            if unreachable:
                break
    finally:
        steps.release_send_lock(opts, lock.holder)
    return Sent(sent, failed, None, unreachable)
