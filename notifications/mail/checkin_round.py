"""Open a check-in round and queue its messages: one per agency with open work, rendered once, into the outbox."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantrack.config import clock
from plantrack.models.board import DeliverableRow, IndicatorRow, board
from plantrack.models.deadlines import DeadlinePolicy
from plantrack.models.entities import Agency, AgencyContact, Person, Plan
from plantrack.models.enums import ContactRole
from plantrack.models.mail.inbound import away_people
from plantrack.models.mail.outbox import FAILED, enqueue, existing_keys, forget_unbuilt, open_round, previous_round, \
    unanswered
from plantrack.models.status import DUE_SOON_WORKING_DAYS, OPEN_STATUSES, label
from plantrack.models.workdays import add_working_days
from plantrack.notifications.mail.checkin_message import (
    MAX_ITEMS,
    CheckinData,
    Contact,
    ContactPerson,
    IndicatorLine,
    ItemLine,
    Office,
    PlanCitation,
    build_checkin_message,
)
from plantrack.notifications.mail.message import key_tag
from plantrack.notifications.mail.tokens import DEMO_KEY, ReplyClaims, reference_tag, reply_address, sign_reply_token

DEMO_FROM = "theodoi@plantrack.localhost"
# Outbox rows inserted per statement while a round renders (same transaction): 5,000 messages of ~50 KB
# held together cost ~250 MB of peak memory at national scale.
ENQUEUE_CHUNK = 200


class MailConfigError(RuntimeError):
    """Sending is not configured safely (e.g. a real relay without PLANTRACK_SECRET_KEY)."""


@dataclass(frozen=True)
class MailIdentity:
    """Who check-ins come from and how replies are signed."""

    mail_from: str
    secret: str = field(repr=False)  # the HMAC key: never shown
    lang: str = "vi"
    reply_local: str | None = None
    token_days: int = 45
    demo: bool = False
    max_items: int = MAX_ITEMS  # deliverables listed in full in one message


def mail_identity(settings) -> MailIdentity:
    """The identity from settings. Demo mode (published key) only when no relay is set: mail stays on this machine."""
    demo = settings.secret_key is None
    if demo and settings.smtp_host:
        raise MailConfigError("PLANTRACK_SECRET_KEY is not set: refusing to send through "
                              f"{settings.smtp_host} (reply tokens would be forgeable)")
    if settings.mail_from is None and settings.smtp_host:
        raise MailConfigError("PLANTRACK_MAIL_FROM is not set")
    return MailIdentity(mail_from=settings.mail_from or DEMO_FROM, secret=settings.secret_key or DEMO_KEY,
                        lang=settings.lang, reply_local=settings.checkin_reply_local,
                        token_days=settings.checkin_token_days, demo=demo, max_items=settings.checkin_max_items)


@dataclass(frozen=True)
class ReplyWindow:
    """By when a check-in asks for the answer: at a time of day, a number of working days after the round's day."""

    working_days: int = 2
    at: time = time(16, 0)
    timezone: str = "Asia/Ho_Chi_Minh"

    @classmethod
    def from_settings(cls, settings) -> ReplyWindow:
        return cls(settings.checkin_reply_days, settings.checkin_reply_time, settings.timezone)

    def deadline(self, today: date) -> datetime:
        """The reply deadline of a round opened on today, in plan time."""
        return datetime.combine(add_working_days(today, self.working_days), self.at, ZoneInfo(self.timezone))


def round_key(today: date, period: str = "week") -> str:
    """2024-W21 (ISO week) or 2024-05 (month) for today."""
    if period == "month":
        return f"{today.year}-{today.month:02d}"
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class NotBuilt:
    """A check-in that could not be built (its outbox row failed: "not built: " and the error); the others went on."""

    agency: str
    to: str
    reason: str  # the error, as the builder raised it


@dataclass
class RoundSummary:
    round_keys: list[str] = field(default_factory=list)
    agencies_open: int = 0
    queued: int = 0  # new outbox rows
    already_queued: int = 0  # rows a previous run of this round wrote
    skipped_no_contact: list[str] = field(default_factory=list)
    missed_last_round: list[str] = field(default_factory=list)
    not_built: list[NotBuilt] = field(default_factory=list)
    demo: bool = False


def _contacts(session: Session, agency_ids: set[int]) -> dict[int, dict[str, list[tuple[int, Contact]]]]:
    out: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    q = (select(AgencyContact.agency_id, AgencyContact.role, Person.id, Person.name, Person.email)
         .join(Person, Person.id == AgencyContact.person_id)
         .where(AgencyContact.agency_id.in_(agency_ids)).order_by(Person.email))
    for agency_id, role, pid, name, email in session.execute(q):
        out[agency_id][role].append((pid, Contact(name, email)))
    return out


def office_contact(session: Session, agency_id: int | None) -> ContactPerson | None:
    """The person check-ins and receipts name as contact: the coordinating agency's coordinator, else its focal
    point; None when the agency (a plan's coordinator_agency_id) is None or names neither."""
    if agency_id is None:
        return None
    people = session.execute(
        select(AgencyContact.role, Person.name, Person.email, Person.phone, Person.position)
        .join(Person, Person.id == AgencyContact.person_id)
        .where(AgencyContact.agency_id == agency_id,
               AgencyContact.role.in_((ContactRole.COORDINATOR, ContactRole.FOCAL_POINT)))
        .order_by(AgencyContact.role != ContactRole.COORDINATOR, Person.email)).first()
    return ContactPerson(people.name, people.email, people.phone, people.position) if people else None


def _office(session: Session, plan: Plan, agencies: dict[str, Agency], lang: str) -> Office:
    """The office that asks: the plan's coordinating agency and its contact person (else the plan's issuer)."""
    by_id = {a.id: a for a in agencies.values()}
    agency = by_id.get(plan.coordinator_agency_id)
    if agency is None:
        return Office(plan.issuer, plan.issuer)
    contact = office_contact(session, agency.id)
    name = agency.name if lang == "vi" else agency.name_en or agency.name
    short = (agency.short_name or agency.name) if lang == "vi" else agency.name_en or agency.short_name or agency.name
    return Office(name, short, contact)


def _local_day(at: datetime | None, tz: ZoneInfo) -> date | None:
    if at is None:
        return None
    return (at.astimezone(tz) if at.tzinfo else at).date()


def _item(r: DeliverableRow, names: dict[str, str], short: dict[str, str], labels, tz: ZoneInfo) -> ItemLine:
    # The board's due is the effective deadline (models/deadlines.py); the message shows the written one
    # with its wording, and the effective one when it is another day.
    return ItemLine(code=r.code, title=r.title, due=r.due_written or r.due, status=str(r.status_key),
                    status_label=labels(r.status_key), progress=r.progress, days_left=r.days_left,
                    lead=short.get(r.lead, r.lead), report_to=names.get(r.report_to) if r.report_to else None,
                    effective_due=r.due, last_report=_local_day(r.last_report_at, tz), due_wording=r.due_wording)


def _indicator(r: IndicatorRow, tz: ZoneInfo) -> IndicatorLine:
    return IndicatorLine(code=r.code, text=r.title, unit=r.unit, baseline=r.baseline, target=r.target,
                         last_value=r.last_value, due=r.due, last_report=_local_day(r.last_report_at, tz),
                         direction=str(r.direction))


def enqueue_round(session: Session, today: date, ident: MailIdentity, *, period: str = "week",
                  due_soon_days: int = DUE_SOON_WORKING_DAYS, plan_number: str | None = None,
                  reply: ReplyWindow = ReplyWindow(), deadlines: DeadlinePolicy | None = None) -> RoundSummary:
    """Open this period's round of every plan (or plan_number) and queue the messages not queued yet.
    Deadlines and 'due soon' follow deadlines (default: Article 148 on the shipped working days)."""
    summary = RoundSummary(demo=ident.demo)
    tz = ZoneInfo(reply.timezone)
    reply_by = reply.deadline(today)
    q = select(Plan).order_by(Plan.number)
    plans = session.scalars(q.where(Plan.number == plan_number) if plan_number else q).all()
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    names = {c: (a.name if ident.lang == "vi" else a.name_en or a.name) for c, a in agencies.items()}
    short = {c: (a.short_name or a.name if ident.lang == "vi" else a.name_en or a.short_name or a.name)
             for c, a in agencies.items()}

    def lbl(key):
        return label(key, ident.lang)
    for plan in plans:
        office = _office(session, plan, agencies, ident.lang)
        rnd = open_round(session, plan.id, round_key(today, period), period, today)
        summary.round_keys.append(f"{plan.number} {rnd.key}")
        rows = board(session, today, plan_number=plan.number, due_soon_days=due_soon_days, deadlines=deadlines)
        leads, supports, indicators = defaultdict(list), defaultdict(list), defaultdict(list)
        open_codes: set[str] = set()
        for r in rows:
            if isinstance(r, IndicatorRow):
                indicators[r.lead].append(r)
                continue
            if r.status_key not in OPEN_STATUSES:
                continue
            leads[r.lead].append(r)
            open_codes.add(r.lead)
            for code in r.supporting:
                supports[code].append(r)
                open_codes.add(code)
        summary.agencies_open += len(open_codes)
        contacts = _contacts(session, {agencies[c].id for c in open_codes})
        away = away_people(session, today)
        prev = previous_round(session, rnd)
        missed = unanswered(session, prev.id) if prev else set()
        plan_items = []
        for code in sorted(open_codes):
            agency = agencies[code]
            focal = contacts[agency.id].get("focal_point", [])
            if not focal:
                summary.skipped_no_contact.append(code)
                continue
            key = f"checkin/{plan.number}/{rnd.key}/{code}/{focal[0][1].email}"
            deputies = contacts[agency.id].get("deputy", [])
            if deputies and all(pid in away for pid, _ in focal):  # out of office: the deputy answers this round
                focal, deputies = deputies, focal
            plan_items.append((key, agency, focal, deputies))
        keys = [k for k, *_ in plan_items]
        forget_unbuilt(session, keys)  # a message that could not be built is tried again (the data may be fixed)
        done = existing_keys(session, keys)
        summary.already_queued += len(done)
        new_rows = []
        for key, agency, focal, deputies in plan_items:
            if key in done:
                continue
            try:
                row = _render_row(
                    ident, plan, office, rnd, agency, key, focal, deputies, today, reply_by,
                    leads=tuple(_item(r, names, short, lbl, tz) for r in leads[agency.code]),
                    supports=tuple(_item(r, names, short, lbl, tz) for r in supports[agency.code]),
                    indicators=tuple(_indicator(r, tz) for r in indicators[agency.code]),
                    missed=agency.id in missed, name=names[agency.code])
            except ValueError as exc:  # UnsafeHeader, UnicodeError: this agency only, the others go out
                error = f"{exc.__class__.__name__}: {exc}"
                row = _unbuilt_row(plan, rnd, agency, key, focal, f"not built: {error}")
                summary.not_built.append(NotBuilt(agency.code, ", ".join(row["recipients"]), error))
            new_rows.append(row)
            if agency.id in missed:
                summary.missed_last_round.append(agency.code)
            if len(new_rows) >= ENQUEUE_CHUNK:  # rendered messages are large: hold a chunk, not the round
                summary.queued += enqueue(session, new_rows)
                new_rows = []
        summary.queued += enqueue(session, new_rows)
    return summary


def _unbuilt_row(plan: Plan, rnd, agency: Agency, key: str, focal, reason: str) -> dict:
    """The outbox row of a message that could not be built: 'failed' with the reason, never sent."""
    return {"idempotency_key": key, "kind": "checkin", "round_id": rnd.id, "agency_id": agency.id,
            "person_id": focal[0][0], "ref": None, "envelope_from": "",
            "recipients": [c.email for _, c in focal], "subject": f"[KH {plan.number}] {rnd.key} {agency.code}",
            "message": b"", "message_id": "", "status": FAILED, "last_error": reason}


def _render_row(ident: MailIdentity, plan: Plan, office: Office, rnd, agency: Agency, key: str, focal, deputies,
                today: date, reply_by: datetime, *, leads, supports, indicators, missed: bool, name: str) -> dict:
    person_id = focal[0][0]
    token = sign_reply_token(ident.secret, ReplyClaims(rnd.id, agency.id, person_id,
                                                       rnd.as_of + timedelta(days=ident.token_days)))
    ref = reference_tag(ident.secret, rnd.id, agency.id)
    domain = ident.mail_from.rpartition("@")[2]
    data = CheckinData(
        plan=PlanCitation(plan.number, plan.title, plan.issuer, plan.issued_on, plan.signer), office=office,
        round_key=rnd.key, agency_code=agency.code, agency_name=name,
        to=tuple(c for _, c in focal), cc=tuple(c for _, c in deputies), leads=leads, supports=supports,
        indicators=indicators, today=today, reply_by=reply_by, written_at=clock.now(), ref=ref,
        mail_from=ident.mail_from, reply_to=reply_address(ident.mail_from, token, ident.reply_local),
        message_id=f"<ck.{rnd.key}.{ref.lower()}.{key_tag(key)}@{domain}>",
        missed_last_round=missed, demo=ident.demo)
    msg = build_checkin_message(data, ident.lang, ident.max_items)
    return {"idempotency_key": key, "kind": "checkin", "round_id": rnd.id, "agency_id": agency.id,
            "person_id": person_id, "ref": ref, "envelope_from": msg.envelope_from,
            "recipients": list(msg.recipients), "subject": msg.subject, "message": msg.as_bytes(),
            "message_id": data.message_id}
