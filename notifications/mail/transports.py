"""Where outgoing mail goes, behind one small interface (in the spirit of Django's mail backends).

SmtpTransport: the configured relay (notifications.mail.smtp). EmlDirTransport: a folder of .eml files,
the embedded default. MemoryTransport: a list, for tests. transport_from_settings picks one. Each says where
mail goes as a Destination (its kind and target), which run reports and logs put in words of their language.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from plantrack.config import clock
from plantrack.config.i18n import gettext_for
from plantrack.notifications.mail.smtp import (SENT, Outcome, Outgoing, RateLimiter, SmtpConfig, send_batch)

OnOutcome = Callable[[Outcome], None]


class TransportKind(StrEnum):
    SMTP = "smtp"  # a relay, target host:port
    EML_DIR = "eml_dir"  # a folder of .eml files, target its path
    MEMORY = "memory"  # a list in the process (tests), no target


@dataclass(frozen=True)
class Destination:
    """Where a transport sends mail: its kind and target (host:port, a folder)."""

    kind: TransportKind
    target: str = ""

    def describe(self, lang: str) -> str:
        """'SMTP relay mail.example.org:587' / 'máy chủ gửi thư SMTP mail.example.org:587', '.eml files in ...'."""
        _ = gettext_for(lang)
        if self.kind == TransportKind.SMTP:
            return _("SMTP relay %(target)s") % {"target": self.target}
        if self.kind == TransportKind.EML_DIR:
            return _(".eml files in %(target)s") % {"target": self.target}
        return _("memory, tests only")


class Transport(Protocol):
    """Sends a batch of stored messages, calling on_outcome right after each one.

    Raises SmtpUnavailable (nothing more could be sent) when it cannot reach its destination at all;
    messages that got no outcome were not tried.
    """

    @property
    def destination(self) -> Destination: ...

    async def send(self, messages: Sequence[Outgoing], on_outcome: OnOutcome, limiter: RateLimiter) -> None: ...


@dataclass(frozen=True)
class SmtpTransport:
    cfg: SmtpConfig

    @property
    def destination(self) -> Destination:
        return Destination(TransportKind.SMTP, f"{self.cfg.host}:{self.cfg.port}")

    async def send(self, messages: Sequence[Outgoing], on_outcome: OnOutcome, limiter: RateLimiter) -> None:
        await send_batch(messages, self.cfg, on_outcome, limiter)


_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*<([^>]*)>", re.IGNORECASE | re.MULTILINE)


def eml_bytes(envelope_from: str, recipients: Sequence[str], data: bytes) -> bytes:
    """A message as written to an .eml file: the envelope as two X-Envelope headers, then the bytes."""
    head = f"X-Envelope-From: {envelope_from}\r\nX-Envelope-To: {', '.join(recipients)}\r\n"
    return head.encode("utf-8") + data


def write_eml(folder: Path, envelope_from: str, recipients: Sequence[str], data: bytes) -> Path:
    """Write one message atomically as <time>-<message-id>.eml in folder; returns its path."""
    m = _MESSAGE_ID.search(data)
    stem = _UNSAFE.sub("_", m.group(1).decode("ascii", "replace"))[:120] if m else "no-id"
    stamp = clock.now().strftime("%Y%m%dT%H%M%S%f")
    path = folder / f"{stamp}-{stem}.eml"
    tmp = folder / f".{path.name}.tmp"
    tmp.write_bytes(eml_bytes(envelope_from, recipients, data))
    os.replace(tmp, path)
    return path


@dataclass(frozen=True)
class EmlDirTransport:
    """Writes each message as an .eml file in folder (the embedded default: mail stays on this machine)."""

    folder: Path

    @property
    def destination(self) -> Destination:
        return Destination(TransportKind.EML_DIR, str(self.folder))

    async def send(self, messages: Sequence[Outgoing], on_outcome: OnOutcome, limiter: RateLimiter) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for msg in messages:
            write_eml(self.folder, msg.envelope_from, msg.recipients, msg.data)
            on_outcome(Outcome(msg.id, SENT))


@dataclass
class MemoryTransport:
    """Keeps what it is given in .sent; answer(message) may return an Outcome other than sent (tests)."""

    answer: Callable[[Outgoing], Outcome | None] | None = None
    sent: list[Outgoing] = field(default_factory=list)

    @property
    def destination(self) -> Destination:
        return Destination(TransportKind.MEMORY)

    async def send(self, messages: Sequence[Outgoing], on_outcome: OnOutcome, limiter: RateLimiter) -> None:
        for msg in messages:
            out = self.answer(msg) if self.answer else None
            if out is None or out.result == SENT:
                self.sent.append(msg)
            on_outcome(out or Outcome(msg.id, SENT))


def transport_from_settings(settings) -> Transport:
    """The relay when PLANTRACK_SMTP_HOST is set, else the .eml folder PLANTRACK_OUTBOX_DIR."""
    if settings.smtp_host:
        return SmtpTransport(smtp_config(settings))
    return EmlDirTransport(Path(settings.outbox_dir))


def smtp_config(settings) -> SmtpConfig:
    """The relay's SmtpConfig; raises MailConfigError when PLANTRACK_SMTP_CA_FILE names no file."""
    ca = settings.smtp_ca_file
    if ca is not None and not Path(ca).is_file():
        from plantrack.notifications.mail.checkin_round import MailConfigError

        raise MailConfigError(f"PLANTRACK_SMTP_CA_FILE {ca} is not a file")
    return SmtpConfig(settings.smtp_host, settings.smtp_port, settings.smtp_security, settings.smtp_user,
                      settings.smtp_password, timeout=settings.smtp_timeout, concurrency=settings.smtp_concurrency,
                      rate_per_minute=settings.smtp_rate_per_minute, verify_cert=settings.smtp_verify_cert,
                      ca_file=str(ca) if ca is not None else None)
