"""SMTP transport: send a batch of stored messages over few connections, paced, with each outcome classified.

Outcomes: sent; retry (4xx reply, dropped connection or timeout: try again later); failed (5xx:
permanent, with the server's reason, or a message that cannot be sent at all). When no connection
can be opened, SmtpUnavailable is raised with the problem (the relay is unreachable, or it refuses
our configuration: TLS, certificate, AUTH) and the messages not yet tried are left untouched.
"""
from __future__ import annotations

import asyncio
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

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
    verify_cert: bool = True  # False: accept any certificate (PLANTRACK_SMTP_VERIFY_CERT=false, insecure)
    ca_file: str | None = None  # PEM CA bundle the relay's certificate must chain to (PLANTRACK_SMTP_CA_FILE)


@dataclass(frozen=True)
class Outgoing:
    """One stored message to send: its outbox id, envelope and exact bytes."""

    id: int
    envelope_from: str
    recipients: tuple[str, ...]
    data: bytes


class FailureKind(StrEnum):
    """What went wrong with one message, for a reader: the detail keeps the server's (or the network's) words."""

    RECIPIENT_REFUSED = "recipient_refused"  # a reply to RCPT TO: the relay will not take mail for that address
    MESSAGE_REFUSED = "message_refused"  # a 5xx reply to MAIL FROM or DATA
    DEFERRED = "deferred"  # a 4xx reply: the relay says try later
    CONNECTION = "connection"  # dropped, timed out, or another network error while sending
    NOT_SENDABLE = "not_sendable"  # no retry will send it (e.g. a non-ASCII address and a relay without SMTPUTF8)


@dataclass(frozen=True)
class Outcome:
    id: int
    result: str  # sent | retry | failed
    detail: str | None = None  # the server's reply (or the error) for retry/failed; refused recipients when sent
    kind: FailureKind | None = None  # for retry/failed


def reason_text(kind: FailureKind | None, detail: str | None) -> str:
    """The English reason kept on the outbox row and in logs: the detail, named when it is not the server's reply."""
    return f"cannot be sent: {detail}" if kind == FailureKind.NOT_SENDABLE else detail or ""


class RelayProblem(StrEnum):
    """Why no message could be sent over a connection: the network, or our configuration."""

    UNREACHABLE = "unreachable"  # refused, timed out, dropped: try again later
    TLS_UNVERIFIED = "tls_certificate"  # the relay's certificate does not verify
    TLS_FAILED = "tls_handshake"  # no TLS where PLANTRACK_SMTP_SECURITY expects it
    STARTTLS_NOT_OFFERED = "starttls_not_offered"
    AUTH_NOT_OFFERED = "auth_not_offered"  # we have a user, the relay offers no (usable) AUTH
    AUTH_FAILED = "auth_failed"  # user or password refused
    AUTH_REQUIRED = "auth_required"  # the relay wants AUTH (or TLS) before MAIL and we gave none

    @property
    def is_configuration(self) -> bool:
        """True when retrying cannot help until someone changes a setting (or the relay)."""
        return self is not RelayProblem.UNREACHABLE


@dataclass(frozen=True)
class RelayError:
    """Why nothing could be sent over the relay: the problem, the relay (host:port), the server's or the network's
    own words (empty when there are none), and the English sentence of logs and exceptions (str())."""

    problem: RelayProblem
    where: str
    reply: str
    message: str

    def __str__(self) -> str:
        return self.message


class SmtpUnavailable(ConnectionError):
    """Nothing can be sent over the relay now (no message was tried on the failing connection)."""

    def __init__(self, message: str, problem: RelayProblem = RelayProblem.UNREACHABLE, *, where: str = "",
                 reply: str = ""):
        super().__init__(message)
        self.problem, self.where, self.reply = problem, where, reply

    @property
    def error(self) -> RelayError:
        return RelayError(self.problem, self.where, self.reply, str(self))


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


def classify(exc: BaseException) -> tuple[str, FailureKind, str]:
    """(retry | failed, what went wrong, the server's reply or the error) for an exception raised while sending one
    message."""
    if isinstance(exc, (aiosmtplib.SMTPNotSupported, ValueError)):
        # e.g. a non-ASCII address and a relay without SMTPUTF8: no retry will send this message
        return FAILED, FailureKind.NOT_SENDABLE, f"{exc.__class__.__name__}: {exc}"
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        reason = "; ".join(f"{r.recipient}: {_reply(r)}" for r in exc.recipients)
        return (RETRY if any(400 <= c < 500 for c in codes) else FAILED), FailureKind.RECIPIENT_REFUSED, reason
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        if exc.code < 500:
            return RETRY, FailureKind.DEFERRED, _reply(exc)
        return FAILED, FailureKind.MESSAGE_REFUSED, _reply(exc)
    if isinstance(exc, (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError)):
        return RETRY, FailureKind.CONNECTION, f"{exc.__class__.__name__}: {exc}"
    raise exc


def _client(cfg: SmtpConfig) -> aiosmtplib.SMTP:
    # STARTTLS and AUTH are done step by step in _connect, so each refusal gets its own reason.
    return aiosmtplib.SMTP(hostname=cfg.host, port=cfg.port, timeout=cfg.timeout,
                           use_tls=cfg.security == "tls", start_tls=False,
                           validate_certs=cfg.verify_cert, cert_bundle=cfg.ca_file)


def _ssl_error(exc: BaseException) -> ssl.SSLError | None:
    """The ssl error behind exc (aiosmtplib wraps them), if any."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, ssl.SSLError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


async def _open(cfg: SmtpConfig, client: aiosmtplib.SMTP) -> None:
    where = f"{cfg.host}:{cfg.port}"
    await client.connect()
    if cfg.security == "starttls":
        await client.ehlo()
        if not client.supports_extension("starttls"):
            raise SmtpUnavailable(f"{where} does not offer STARTTLS (PLANTRACK_SMTP_SECURITY=starttls): "
                                  "check PLANTRACK_SMTP_PORT and _SECURITY", RelayProblem.STARTTLS_NOT_OFFERED,
                                  where=where)
        await client.starttls()
    if cfg.user:
        await client.ehlo()
        offered = sorted(client.server_auth_methods)
        usable = [m for m in offered if m in ("plain", "login", "cram-md5")]
        if not usable:
            on = "" if cfg.security != "none" else " without TLS (try PLANTRACK_SMTP_SECURITY=starttls or tls)"
            what = f"only {', '.join(m.upper() for m in offered)}" if offered else "no AUTH"
            raise SmtpUnavailable(f"{where} offers {what}{on}, but PLANTRACK_SMTP_USER is set: "
                                  "plantrack logs in with PLAIN, LOGIN or CRAM-MD5", RelayProblem.AUTH_NOT_OFFERED,
                                  where=where, reply=f"AUTH {' '.join(m.upper() for m in offered)}" if offered else "")
        try:
            await client.login(cfg.user, cfg.password or "")
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise SmtpUnavailable(f"{where} refused the login of {cfg.user!r}: {_reply(exc)} "
                                  "(check PLANTRACK_SMTP_USER and PLANTRACK_SMTP_PASSWORD)",
                                  RelayProblem.AUTH_FAILED, where=where, reply=_reply(exc)) from exc


async def _connect(cfg: SmtpConfig) -> aiosmtplib.SMTP:
    """A connected client, with TLS and AUTH done as configured; raises SmtpUnavailable with the problem."""
    client = _client(cfg)
    where = f"{cfg.host}:{cfg.port}"
    try:
        await _open(cfg, client)
    except SmtpUnavailable:
        client.close()
        raise
    except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
        client.close()
        tls = _ssl_error(exc)
        if isinstance(tls, ssl.SSLCertVerificationError):
            raise SmtpUnavailable(
                f"{where}: the relay's TLS certificate does not verify ({tls.verify_message or tls.reason}): "
                "set PLANTRACK_SMTP_CA_FILE to the CA that signed it (or, insecure, PLANTRACK_SMTP_VERIFY_CERT=false)",
                RelayProblem.TLS_UNVERIFIED, where=where, reply=str(tls.verify_message or tls.reason)) from exc
        if tls is not None:
            raise SmtpUnavailable(f"{where}: TLS handshake failed ({tls.reason or tls}): check PLANTRACK_SMTP_SECURITY "
                                  f"({cfg.security}) and PLANTRACK_SMTP_PORT", RelayProblem.TLS_FAILED, where=where,
                                  reply=str(tls.reason or tls)) from exc
        raw = f"{exc.__class__.__name__}: {exc}"
        raise SmtpUnavailable(f"{where}: {raw}", where=where, reply=raw) from exc
    return client


def _refuses_unauthenticated(exc: BaseException) -> bool:
    """530 to MAIL/RCPT: the relay wants AUTH (or STARTTLS) first; no message can go until settings change."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(r.code == 530 for r in exc.recipients)
    return isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code == 530


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
                try:
                    msg = queue.get_nowait()
                except asyncio.QueueEmpty:  # another worker took the last one while we connected (TLS is slow)
                    break
                await limiter.acquire()
                try:
                    refused, _ = await client.sendmail(msg.envelope_from, list(msg.recipients), msg.data)
                    detail = "; ".join(f"{r}: {c} {t}" for r, (c, t) in refused.items()) or None
                    out = Outcome(msg.id, SENT, detail)
                except Exception as exc:  # noqa: BLE001  (classify re-raises what is not SMTP/network)
                    if _refuses_unauthenticated(exc):
                        queue.put_nowait(msg)  # not this message's fault: it stays untried
                        reply = _reply(exc.recipients[0]) if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) \
                            else _reply(exc)
                        errors.append(SmtpUnavailable(
                            f"{cfg.host}:{cfg.port} requires authentication (or TLS) before sending: {reply} "
                            "(set PLANTRACK_SMTP_USER, _PASSWORD and _SECURITY)", RelayProblem.AUTH_REQUIRED,
                            where=f"{cfg.host}:{cfg.port}", reply=reply))
                        return
                    result, kind, reason = classify(exc)
                    out = Outcome(msg.id, result, reason, kind)
                    if (result == RETRY and not isinstance(exc, aiosmtplib.SMTPResponseException)) \
                            or isinstance(exc, (aiosmtplib.SMTPNotSupported, ValueError)):  # start clean
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
        raise next((e for e in errors if e.problem.is_configuration), errors[0])
    return outcomes
