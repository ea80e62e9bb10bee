"""The reply-intake use case (no Prefect): drain IMAP or a Maildir, or take one piped message.

Each batch: fetch -> store raw and commit (the checkpoint with it) -> read, judge, apply, queue
receipts and commit -> remove from the source. A crash after the first commit leaves the messages
pending (read by the next run) and in the source (removed by the next run); stored bytes are never
stored twice, and a Message-ID already read is a duplicate, so nothing is applied twice.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from plantrack.models.db import session_factory
from plantrack.models.mail.inbound import Outcome, RawIn, Source, mark_removed, not_removed, outcomes_of, \
    pending_ids, store_raw
from plantrack.notifications.mail.inbound.apply import Handled, IntakeConfig, handle_stored
from plantrack.notifications.mail.inbound.sources import ImapOptions, ImapSource, MaildirSource, MailSource, \
    SourceUnavailable


class IntakeNotConfigured(RuntimeError):
    """Neither PLANTRACK_IMAP_HOST nor PLANTRACK_MAILDIR is set."""


@dataclass(frozen=True)
class IngestOptions:
    """Everything reply intake needs, built once from Settings at the flow boundary."""

    database_url: str = field(repr=False)  # may hold a password: never shown
    intake: IntakeConfig
    maildir: Path | None = None
    imap: ImapOptions | None = None
    batch_size: int = 500
    max_message_bytes: int = 50_000_000

    @classmethod
    def from_settings(cls, settings) -> IngestOptions:
        from plantrack.notifications.mail.checkin_round import mail_identity

        ident = mail_identity(settings)
        intake = IntakeConfig(secret=ident.secret, mail_from=ident.mail_from, lang=str(settings.lang),
                              trusted_authserv_id=settings.trusted_authserv_id,
                              attachment_max_bytes=settings.attachment_max_bytes,
                              away_default_days=settings.away_default_days,
                              contact=settings.reply_contact or ident.mail_from, timezone=settings.timezone)
        imap = None
        if settings.imap_host:
            imap = ImapOptions(settings.imap_host, settings.imap_port, str(settings.imap_security),
                               settings.imap_user or "", settings.imap_password or "", settings.imap_folder,
                               settings.imap_processed_folder, settings.imap_rejected_folder,
                               str(settings.imap_cafile) if settings.imap_cafile else None)
        return cls(settings.database_url, intake, settings.maildir, imap, settings.inbound_batch_size,
                   settings.inbound_max_bytes)

    def source_name(self) -> str:
        if self.imap is not None:
            return f"IMAP {self.imap.host}:{self.imap.port}/{self.imap.folder}"
        if self.maildir is not None:
            return f"Maildir {self.maildir}"
        return "none"


@dataclass(frozen=True)
class IngestResult:
    """What one intake run did."""

    source: str
    fetched: int = 0  # messages taken from the source
    stored: int = 0  # of which new (not stored before)
    handled: int = 0  # messages read and acted on (incl. earlier pending ones)
    applied: int = 0
    partial: int = 0
    unclear: int = 0
    rejected: int = 0
    automated: int = 0
    bounces: int = 0
    duplicates: int = 0
    receipts: int = 0
    reports: int = 0  # lines recorded
    removed: int = 0  # messages moved out of the source
    more: bool = False  # the source holds more than one batch: run again
    rejected_senders: tuple[str, ...] = ()
    undeliverable: tuple[str, ...] = ()
    details: tuple[Handled, ...] = ()

    def __add__(self, other: IngestResult) -> IngestResult:
        return IngestResult(self.source, *(getattr(self, f) + getattr(other, f) for f in (
            "fetched", "stored", "handled", "applied", "partial", "unclear", "rejected", "automated", "bounces",
            "duplicates", "receipts", "reports", "removed")), other.more,
            tuple(dict.fromkeys(self.rejected_senders + other.rejected_senders)),
            tuple(dict.fromkeys(self.undeliverable + other.undeliverable)), self.details + other.details)


def summarise(source: str, handled: list[Handled], **counts) -> IngestResult:
    c = Counter(h.outcome for h in handled)
    return IngestResult(
        source, handled=len(handled), applied=c[Outcome.APPLIED], partial=c[Outcome.PARTIAL],
        unclear=c[Outcome.UNCLEAR], rejected=c[Outcome.REJECTED], automated=c[Outcome.AUTOMATED],
        bounces=c[Outcome.BOUNCE], duplicates=c[Outcome.DUPLICATE], receipts=sum(h.receipt for h in handled),
        reports=sum(len(h.applied) for h in handled),
        rejected_senders=tuple(dict.fromkeys(h.sender or "(no sender)" for h in handled
                                             if h.outcome == Outcome.REJECTED)),
        undeliverable=tuple(dict.fromkeys(a for h in handled if h.outcome == Outcome.BOUNCE and h.reason
                                          and h.reason.startswith("undeliverable: ")
                                          for a in h.reason.removeprefix("undeliverable: ").split(", "))),
        details=tuple(handled), **counts)


def process_pending(Session: sessionmaker, cfg: IntakeConfig, today: date, limit: int = 500) -> list[Handled]:
    """Read and act on messages stored but not read yet (a crashed run's, the pipe's), in batches."""
    out: list[Handled] = []
    while True:
        with Session() as s, s.begin():
            ids = pending_ids(s, limit)
            if not ids:
                return out
            out += handle_stored(s, cfg, today, ids)


def open_source(opts: IngestOptions) -> MailSource:
    """The configured source: IMAP when PLANTRACK_IMAP_HOST is set, else the Maildir; raises SourceUnavailable."""
    if opts.imap is not None:
        return ImapSource(opts.imap)
    if opts.maildir is not None:
        return MaildirSource(opts.maildir)
    raise IntakeNotConfigured("no reply source: set PLANTRACK_IMAP_HOST (and _USER, _PASSWORD) or PLANTRACK_MAILDIR")


def ingest_replies(opts: IngestOptions, today: date, *, source: MailSource | None = None,
                   limit: int | None = None) -> IngestResult:
    """Take up to limit (default: one batch) messages from the source: store, read, apply, queue receipts, remove.

    Returns counts; result.more says the source holds more (call again)."""
    Session = session_factory(opts.database_url)
    limit = limit or opts.batch_size
    own = source is None
    src = source or open_source(opts)
    try:
        # Messages read by an earlier run but still in the source (it died before removing them).
        with Session() as s:
            leftover = not_removed(s, src.box)
        removed = 0
        if leftover:
            gone = src.remove(leftover)
            with Session() as s, s.begin():
                mark_removed(s, src.box, gone)
            removed += len(gone)
        earlier = process_pending(Session, opts.intake, today, limit)
        with Session() as s:
            items = src.fetch(s, limit)
        with Session() as s, s.begin():  # stored and committed before anything is parsed
            stored = store_raw(s, items)
            src.checkpoint(s, items)
        handled = process_pending(Session, opts.intake, today, limit)
        with Session() as s:
            outcome = outcomes_of(s, [st.id for st in stored])
        done = {st.ref: outcome[st.id] for st in stored if outcome.get(st.id) not in (None, Outcome.PENDING)}
        gone = src.remove(done) if done else []
        if gone:
            with Session() as s, s.begin():
                mark_removed(s, src.box, gone)
        return summarise(src.box, earlier + handled, fetched=len(items), stored=sum(st.new for st in stored),
                         removed=removed + len(gone), more=src.more())
    finally:
        if own:
            src.close()


@dataclass(frozen=True)
class Delivered:
    """What `plantrack mail deliver` did with one message."""

    stored: bool
    new: bool
    inbound_id: int | None
    outcome: str | None
    problem: str | None = None


class BadMessage(ValueError):
    """Input that is not an email message (the MTA should bounce it: EX_DATAERR)."""


def deliver_message(opts: IngestOptions, raw: bytes, today: date) -> Delivered:
    """Store one piped message (committed), then read and act on it; raises BadMessage for non-mail.

    A failure after the store does not lose the message: it stays pending for the next run."""
    if not raw.strip():
        raise BadMessage("empty input")
    if len(raw) > opts.max_message_bytes:
        raise BadMessage(f"message of {len(raw)} bytes is over the limit of {opts.max_message_bytes}")
    head = raw[:65536].split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    first = head.split(b"\n", 1)[0]
    if b":" not in first or first[:1] in (b" ", b"\t"):
        raise BadMessage("no header block: not an email message")
    Session = session_factory(opts.database_url)
    with Session() as s, s.begin():
        st = store_raw(s, [RawIn(raw, Source.PIPE, "pipe", None)])[0]
    try:
        process_pending(Session, opts.intake, today)
    except Exception as exc:  # noqa: BLE001 - stored: the next run reads it; the MTA must not resend
        return Delivered(True, st.new, st.id, Outcome.PENDING, f"{exc.__class__.__name__}: {exc}")
    with Session() as s:
        outcome = outcomes_of(s, [st.id]).get(st.id)
    return Delivered(True, st.new, st.id, outcome)


__all__ = ["IngestOptions", "IngestResult", "ingest_replies", "deliver_message", "process_pending", "BadMessage",
           "IntakeNotConfigured", "SourceUnavailable", "open_source"]
