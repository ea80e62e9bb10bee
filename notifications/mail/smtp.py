"""SMTP transport: send a batch of stored messages over few connections, paced, with each outcome classified.

Outcomes: sent; retry (4xx reply, dropped connection or timeout: try again later); failed (5xx:
permanent, with the server's reason). When no connection can be opened at all, SmtpUnavailable
is raised and the messages not yet tried are left untouched, so nothing is lost.
"""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import aiosmtplib

SENT, RETRY, FAILED = "sent", "retry", "failed"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    security: str = "none"  # none | starttls | tls
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0
    concurrency: int = 2  # connections at once
    rate_per_minute: int = 600  # 0: unpaced


@dataclass(frozen=True)
class Outgoing:
    """One stored message to send: its outbox id, envelope and exact bytes."""

    id: int
    envelope_from: str
    recipients: tuple[str, ...]
    data: bytes


@dataclass(frozen=True)
class Outcome:
    id: int
    result: str  # sent | retry | failed
    detail: str | None = None  # the server's reply for retry/failed, refused recipients for a partial send


class SmtpUnavailable(ConnectionError):
    """No connection to the relay could be opened (nothing was sent on it)."""


class RateLimiter:
    """Spaces message starts at least 60/rate seconds apart, across threads and tasks; clock and sleep injectable."""

    def __init__(self, rate_per_minute: int, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable] = asyncio.sleep):
        self.interval = 60.0 / rate_per_minute if rate_per_minute > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    async def acquire(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = self.clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            await self.sleep(slot - now)


def _reply(exc: aiosmtplib.SMTPResponseException) -> str:
    return f"{exc.code} {exc.message}".strip()


def classify(exc: BaseException) -> tuple[str, str]:
    """(retry | failed, reason) for an exception raised while sending one message."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        reason = "; ".join(f"{r.recipient}: {_reply(r)}" for r in exc.recipients)
        return (RETRY if any(400 <= c < 500 for c in codes) else FAILED), reason
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return (RETRY if exc.code < 500 else FAILED), _reply(exc)
    if isinstance(exc, (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError)):
        return RETRY, f"{exc.__class__.__name__}: {exc}"
    raise exc


def _client(cfg: SmtpConfig) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(hostname=cfg.host, port=cfg.port, timeout=cfg.timeout,
                           use_tls=cfg.security == "tls", start_tls=cfg.security == "starttls",
                           username=cfg.user, password=cfg.password, validate_certs=True)


async def _connect(cfg: SmtpConfig) -> aiosmtplib.SMTP:
    client = _client(cfg)
    try:
        await client.connect()
    except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
        raise SmtpUnavailable(f"{cfg.host}:{cfg.port}: {exc.__class__.__name__}: {exc}") from exc
    return client


async def send_batch(messages: Sequence[Outgoing], cfg: SmtpConfig, on_outcome: Callable[[Outcome], None],
                     limiter: RateLimiter | None = None) -> list[Outcome]:
    """Send messages over up to cfg.concurrency connections; on_outcome(outcome) is called right after each.

    Raises SmtpUnavailable when no worker could connect (messages never tried get no outcome).
    """
    limiter = limiter or RateLimiter(cfg.rate_per_minute)
    queue: asyncio.Queue[Outgoing] = asyncio.Queue()
    for m in messages:
        queue.put_nowait(m)
    outcomes: list[Outcome] = []
    errors: list[SmtpUnavailable] = []

    async def worker() -> None:
        client: aiosmtplib.SMTP | None = None
        try:
            while not queue.empty():
                if client is None or not client.is_connected:
                    try:
                        client = await _connect(cfg)
                    except SmtpUnavailable as exc:
                        errors.append(exc)
                        return
                msg = queue.get_nowait()
                await limiter.acquire()
                try:
                    refused, _ = await client.sendmail(msg.envelope_from, list(msg.recipients), msg.data)
                    detail = "; ".join(f"{r}: {c} {t}" for r, (c, t) in refused.items()) or None
                    out = Outcome(msg.id, SENT, detail)
                except Exception as exc:  # noqa: BLE001  (classify re-raises what is not SMTP/network)
                    result, reason = classify(exc)
                    out = Outcome(msg.id, result, reason)
                    if result == RETRY and not isinstance(exc, aiosmtplib.SMTPResponseException):
                        client.close()
                        client = None
                outcomes.append(out)
                on_outcome(out)
        finally:
            if client is not None and client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError):
                    client.close()

    n = max(1, min(cfg.concurrency, len(messages)))
    await asyncio.gather(*(worker() for _ in range(n)))
    if errors and not queue.empty():  # the untried messages stay as they are: nothing lost
        raise SmtpUnavailable(str(errors[0]))
    return outcomes
