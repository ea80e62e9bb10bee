"""The weekly digest as plain functions (no Prefect): options, the steps, and the whole job.

One email a plan a week to the plan's digest_to people (the Deputy Chair), Cc by directory role,
queued in the outbox with the week's snapshot in one transaction, then sent by the check-ins' sending
path (send lock, batches, Dispatcher). The flow send-weekly-digest runs run_digest as one Prefect task
(tasks/digest.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantrack.config import clock
from plantrack.models.db import session_factory
from plantrack.models.digest.figures import FigureOptions, PlanFigures, plan_figures, plans
from plantrack.models.digest.snapshot import store_snapshot
from plantrack.models.entities import Agency, AgencyContact, Person
from plantrack.models.enums import OutboxKind
from plantrack.models.mail.outbox import enqueue, existing_keys
from plantrack.notifications.mail import checkins
from plantrack.notifications.mail.checkin_message import Contact
from plantrack.notifications.mail.checkin_round import MailIdentity, mail_identity
from plantrack.notifications.mail.checkins import SendOptions
from plantrack.notifications.mail.digest_message import DigestData, build_digest_message
from plantrack.notifications.mail.dispatch import Failure
from plantrack.notifications.mail.message import key_tag
from plantrack.notifications.mail.smtp import RateLimiter, RelayError
from plantrack.notifications.mail.transports import Destination


class DigestConfigError(ValueError):
    """A digest setting that names something the directory does not have (the message names the setting)."""


@dataclass(frozen=True)
class DigestOptions:
    """Everything a digest run needs, built once from Settings at the flow boundary."""

    database_url: str = field(repr=False)  # may hold a password: never shown
    identity: MailIdentity
    sending: SendOptions
    figures: FigureOptions
    cc_roles: tuple[tuple[str, str], ...] = ()  # (agency code, contact role)

    @property
    def lang(self) -> str:
        return self.identity.lang

    @classmethod
    def from_settings(cls, settings, plan_number: str | None = None) -> DigestOptions:
        """Raises MailConfigError when sending is not configured safely."""
        return cls(settings.database_url, mail_identity(settings), SendOptions.from_settings(settings),
                   FigureOptions.from_settings(settings, plan_number), settings.digest_cc_roles)


@dataclass(frozen=True)
class PlanDigest:
    """The digest of one plan this week: who gets it and whether this run queued it."""

    plan: str
    week: str
    key: str  # the outbox idempotency key
    subject: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    queued: bool  # False: an earlier run of this week queued it (nothing new)
    snapshot_stored: bool
    overdue: int
    new_blockers: int


@dataclass(frozen=True)
class DigestSummary:
    digests: tuple[PlanDigest, ...] = ()
    no_recipient: tuple[str, ...] = ()  # plans without digest_to
    demo: bool = False

    @property
    def queued(self) -> int:
        return sum(d.queued for d in self.digests)


@dataclass(frozen=True)
class DigestResult:
    """What a run of send-weekly-digest did."""

    queued: DigestSummary
    sent: int = 0
    retried: int = 0
    failed: int = 0
    failures: tuple[Failure, ...] = ()
    still_queued: int = 0
    unreachable: RelayError | None = None
    config_error: RelayError | None = None  # the relay refused our TLS/certificate/AUTH settings
    locked_by: str | None = None  # another live run holds the send lock: it sends the digest
    lock_message: str = ""
    lock_until: datetime | None = None  # the end of locked_by's lease (UTC)
    transport: Destination | None = None


# The steps ------------------------------------------------------------------------------------------

def digest_key(plan_number: str, week: str) -> str:
    return f"digest/{plan_number}/{week}"


def _people(session: Session, emails: list[str], plan) -> list[Contact]:
    """The digest_to people by name; the plan's signer as the plan names her ('Giàng Thị Dung, Phó Chủ tịch ...')."""
    found = dict(session.execute(select(Person.email, Person.name).where(Person.email.in_(emails))).all())
    return [Contact(plan.signer if plan.signer and e == plan.signed_by else found.get(e, e), e) for e in emails]


def cc_people(session: Session, roles: tuple[tuple[str, str], ...]) -> list[Contact]:
    """The people holding each (agency code, role) of PLANTRACK_DIGEST_CC, in the order given, once each."""
    if not roles:
        return []
    known = set(session.scalars(select(Agency.code)))
    unknown = sorted({a for a, _ in roles} - known)
    if unknown:
        raise DigestConfigError(f"PLANTRACK_DIGEST_CC names {', '.join(unknown)}: no such agency code in the "
                                "directory (see 'plantrack agencies')")
    q = (select(Agency.code, AgencyContact.role, Person.name, Person.email)
         .join(AgencyContact, AgencyContact.agency_id == Agency.id).join(Person, Person.id == AgencyContact.person_id)
         .order_by(Person.email))
    holders: dict[tuple[str, str], list[Contact]] = {}
    for code, role, name, email in session.execute(q).all():
        holders.setdefault((code, str(role)), []).append(Contact(name, email))
    out: list[Contact] = []
    for pair in roles:
        for c in holders.get(pair, []):
            if c not in out:
                out.append(c)
    return out


def digest_message(f: PlanFigures, opts: DigestOptions, to: list[Contact], cc: list[Contact]):
    """The rendered digest of f (a Message)."""
    ident = opts.identity
    domain = ident.mail_from.rpartition("@")[2]
    slug = "".join(ch if ch.isalnum() else "-" for ch in f.plan_number.lower())
    data = DigestData(f, tuple(to), tuple(cc), ident.mail_from, clock.now(),
                      f"<digest.{f.week.lower()}.{slug}.{key_tag(digest_key(f.plan_number, f.week))}@{domain}>", ident.demo)
    return build_digest_message(data, ident.lang)


def queue_digest(opts: DigestOptions, today: date) -> DigestSummary:
    """Queue this week's digest of every plan with digest_to (or opts' plan) and store each week's snapshot,
    in one transaction; a digest already queued this week is not queued again."""
    digests, missing = [], []
    with session_factory(opts.database_url)() as s, s.begin():
        cc_all = cc_people(s, opts.cc_roles)
        for plan in plans(s, opts.figures.plan_number):
            if not plan.digest_to:
                missing.append(plan.number)
                continue
            f = plan_figures(s, plan, today, opts.figures, opts.lang)
            key = digest_key(plan.number, f.week)
            to = _people(s, list(plan.digest_to), plan)
            cc = [c for c in cc_all if c.email not in plan.digest_to]
            new = not existing_keys(s, [key])
            subject = ""
            if new:
                msg = digest_message(f, opts, to, cc)
                subject = msg.subject
                enqueue(s, [{"idempotency_key": key, "kind": OutboxKind.DIGEST, "round_id": None, "agency_id": None,
                             "person_id": None, "ref": None, "envelope_from": msg.envelope_from,
                             "recipients": list(msg.recipients), "subject": msg.subject, "message": msg.as_bytes(),
                             "message_id": msg.header("Message-ID")}])
            stored = store_snapshot(s, plan.id, f.snapshot) if new else False
            digests.append(PlanDigest(plan.number, f.week, key, subject, tuple(c.email for c in to),
                                      tuple(c.email for c in cc), new, stored, len(f.all_overdue),
                                      len(f.changes.new_blockers)))
    return DigestSummary(tuple(digests), tuple(missing), opts.identity.demo)


def run_digest(opts: DigestOptions, today: date, run_id: str | None = None,
               limiter: RateLimiter | None = None) -> DigestResult:
    """The whole job: queue this week's digests (with their snapshots), then send the outbox under the send lock.

    When another live run holds the lock, the digest stays queued and that run (or the next) sends it; sending
    stops at the first batch whose relay is unreachable or refuses our configuration (it all stays queued).
    limiter: paces the messages (default: PLANTRACK_SMTP_RATE_PER_MINUTE in this process).
    """
    summary = queue_digest(opts, today)
    transport = opts.sending.transport.destination
    with checkins.send_lock(opts, run_id) as lock:
        if lock.held_by:
            return DigestResult(summary, locked_by=lock.held_by, lock_message=lock.message, lock_until=lock.until,
                                transport=transport)
        r = checkins.send_due_mail(opts, lock.holder, limiter)
    return DigestResult(summary, r.sent, r.retried, r.failed, tuple(r.failures), r.still_queued, r.unreachable,
                        r.config_error, transport=transport)
