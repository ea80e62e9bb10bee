"""One mail rate for every flow and worker: the Prefect global concurrency limit MAIL_LIMIT (deployments/specs.py)."""
from __future__ import annotations

import asyncio

from plantrack.deployments.specs import MAIL_LIMIT, MailRate
from plantrack.notifications.mail.smtp import RateLimiter


class SharedMailRate:
    """A RateLimiter (acquire() before each message) that also takes the message's slot from MAIL_LIMIT.

    Slots are taken a second's worth at a time (one API call per chunk, not per message); the process's
    own limiter still spaces messages when the limit is missing or inactive.
    """

    def __init__(self, per_minute: int):
        self.local = RateLimiter(per_minute)
        self.chunk = MailRate(per_minute).limit
        self._left = 0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        from prefect.concurrency.asyncio import rate_limit

        await self.local.acquire()
        async with self._lock:
            if self._left == 0:
                await rate_limit(MAIL_LIMIT, occupy=self.chunk)
                self._left = self.chunk
            self._left -= 1


def shared_mail_rate(per_minute: int) -> SharedMailRate | None:
    """The shared limiter, or None when sending is not rate-limited (PLANTRACK_SMTP_RATE_PER_MINUTE=0)."""
    return SharedMailRate(per_minute) if per_minute > 0 else None
