"""Record today's escalations and queue their emails, one per recipient (the caller's transaction).

Steps: on a day off (unless the ladder allows it) nothing; else the sweep (models/escalation/sweep.py)
resolves what went away and finds the (deliverable or agency, rung) pairs due today; roles become people
(out-of-office focal points replaced by their deputy, models/escalation/away.py); each person gets ONE
message listing all their items by level (a Cc'd person who also gets a message of their own finds the
copy there instead); messages go to the outbox (kind 'escalation', threaded on the recipient's last
check-in) and the pairs to the escalation table, so a rerun the same day finds nothing new.
"""
from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from plantrack.config import clock
from plantrack.models.board import successor_map
from plantrack.models.deadlines import deadline_text
from plantrack.models.entities import Agency, AgencyContact, Deliverable, Person, Plan, StatusReport, \
    deliverable_support
from plantrack.models.escalation import away
from plantrack.models.escalation.ladder import Ladder, PersonRef, Role, Rung
from plantrack.models.escalation.sweep import CLOSED, DuePair, Silence, record, sweep
from plantrack.models.escalation.table import Reason
from plantrack.models.enums import OutboxKind
from plantrack.models.mail.outbox import CheckinRound, Outbox, enqueue, existing_keys
from plantrack.models.status import derive_status, label, not_reported
from plantrack.notifications.mail.checkin_message import Contact, round_label
from plantrack.notifications.mail.escalation_message import EscalationData, EscItem, Section, build_escalation_message
from plantrack.notifications.mail.escalation_run import EscalationOptions, EscalationResult, Fired, NoRecipient
from plantrack.notifications.mail.message import key_tag
from plantrack.notifications.mail.tokens import ReplyClaims, reply_address, sign_reply_token


@dataclass
class _Item:
    id: int
    plan: str
    code: str
    title: str
    lead_id: int  # planned lead
    report_to: int | None
    written: date | None
    wording: str
    schedule: str
    state: str
    start: date | None
    progress: int | None
    completed_on: date | None
    last_report_at: datetime | None


_COLS = (Deliverable.id, Plan.number, Deliverable.code, Deliverable.title, Deliverable.lead_agency_id,
         Deliverable.report_to_agency_id, Deliverable.due_date, Deliverable.due_wording, Deliverable.schedule,
         Deliverable.state, Deliverable.start_date, Deliverable.progress, Deliverable.completed_on,
         Deliverable.last_report_at)


def _items(session: Session, ids: set[int]) -> dict[int, _Item]:
    out: dict[int, _Item] = {}
    ids_ = sorted(ids)
    for i in range(0, len(ids_), 500):
        q = select(*_COLS).join(Plan, Plan.id == Deliverable.plan_id).where(Deliverable.id.in_(ids_[i:i + 500]))
        for row in session.execute(q).all():
            out[row[0]] = _Item(*row)
    return out


def _last_notes(session: Session, ids: list[int]) -> dict[int, str]:
    """Deliverable id -> the note of its latest report that has one (what blocks a blocked item)."""
    out: dict[int, str] = {}
    for i in range(0, len(ids), 500):
        q = (select(StatusReport.deliverable_id, StatusReport.note)
             .where(StatusReport.deliverable_id.in_(ids[i:i + 500]), StatusReport.note.is_not(None))
             .order_by(StatusReport.reported_at, StatusReport.id))
        out.update((d, n) for d, n in session.execute(q).all())  # the latest wins
    return out


def _open_items_of(session: Session, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], list[int]]:
    """(plan id, agency id) -> ids of the open deliverables it leads or supports, in plan order."""
    if not pairs:
        return {}
    agencies = {a for _, a in pairs}
    S = deliverable_support.c
    supported = select(S.deliverable_id).where(S.agency_id.in_(agencies))
    q = (select(Deliverable.plan_id, Deliverable.id, Deliverable.lead_agency_id, Deliverable.position)
         .where(Deliverable.archived.is_(False), Deliverable.state.not_in(CLOSED),
                or_(Deliverable.lead_agency_id.in_(agencies), Deliverable.id.in_(supported)))
         .order_by(Deliverable.plan_id, Deliverable.position))
    rows = session.execute(q).all()
    sup: dict[int, set[int]] = defaultdict(set)
    for did, aid in session.execute(select(S.deliverable_id, S.agency_id).where(S.agency_id.in_(agencies))):
        sup[did].add(aid)
    out: dict[tuple[int, int], list[int]] = defaultdict(list)
    for plan_id, did, lead, _ in rows:
        for a in {lead} | sup.get(did, set()):
            if (plan_id, a) in pairs:
                out[(plan_id, a)].append(did)
    return out


class _People:
    """Contacts of agencies by role, people away today, and the named people of the ladder."""

    def __init__(self, session: Session, ladder: Ladder, today: date):
        q = (select(AgencyContact.agency_id, AgencyContact.role, Person.id, Person.name, Person.email)
             .join(Person, Person.id == AgencyContact.person_id).order_by(Person.email))
        self.by_role: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.contact: dict[int, Contact] = {}
        for agency_id, role, pid, name, email in session.execute(q).all():
            self.by_role[agency_id][role].append(pid)
            self.contact[pid] = Contact(name, email)
        self.agency_id = dict(session.execute(select(Agency.code, Agency.id)).all())
        self.away = away.people_away(session, today)
        self.ladder = ladder

    def first(self, agency_id: int | None, roles) -> list[int]:
        """The people of the first of roles that has any at agency_id."""
        for role in roles:
            got = self.by_role.get(agency_id, {}).get(role) if agency_id is not None else None
            if got:
                return list(got)
        return []

    def named(self, ref: PersonRef) -> list[int]:
        return self.first(self.agency_id.get(ref.agency), ref.roles)

    def focal(self, agency_id: int) -> tuple[list[int], list[int]]:
        """(To, Cc) for an agency's focal points: an away focal point's deputy in To, the focal point in Cc."""
        focal = self.first(agency_id, ("focal_point",))
        present = [p for p in focal if p not in self.away]
        if present or not focal:
            return present, []
        deputies = self.first(agency_id, ("deputy",))
        return (deputies, focal) if deputies else (focal, [])


def _round_labels(keys: tuple[str, ...], lang: str) -> tuple[str, ...]:
    return tuple(round_label(k, lang) for k in keys)


def _thread(session: Session, person_ids: set[int]) -> dict[int, tuple]:
    """Person id -> (round id, agency id, ref, message id, round as_of, plan number) of their last check-in."""
    if not person_ids:
        return {}
    O, R = Outbox.__table__.c, CheckinRound.__table__.c
    q = (select(O.person_id, O.round_id, O.agency_id, O.ref, O.message_id, R.as_of, Plan.number)
         .join(CheckinRound.__table__, R.id == O.round_id).join(Plan, Plan.id == R.plan_id)
         .where(O.kind == OutboxKind.CHECKIN, O.person_id.in_(person_ids)).order_by(O.id))
    return {row[0]: tuple(row[1:]) for row in session.execute(q).all()}  # the last one wins


def record_escalations(session: Session, opts: EscalationOptions, today: date) -> EscalationResult:
    """Record today's escalations and queue one email per recipient (the caller commits); nothing on a day off."""
    cal, ident = opts.deadlines.calendar, opts.identity
    if not cal.is_working_day(today) and not opts.ladder.send_on_days_off:
        return EscalationResult(today, False, cal.why_off(today, opts.lang), demo=ident.demo)
    pairs, found, resolved = sweep(session, today, opts.ladder, opts.deadlines)
    if not pairs:
        return EscalationResult(today, cal.is_working_day(today), resolved=resolved, demo=ident.demo)
    run = _Run(session, opts, today, pairs, found)
    boxes = run.mailboxes()
    rows, not_built = run.messages(boxes)
    before = existing_keys(session, [r["idempotency_key"] for r in rows])
    queued = enqueue(session, rows)
    # who each pair reached: its To people and the Cc'd (wherever their copy went)
    recipients = {p: sorted(run.people.contact[x].email for x in boxes.pair_people[p]) for p in pairs}
    record(session, pairs, today, run.final, recipients)
    return EscalationResult(today, cal.is_working_day(today), None, run.fired(recipients), queued, len(before),
                            resolved, tuple(dict.fromkeys(run.unreachable)), ident.demo, not_built=tuple(not_built))


@dataclass
class _Boxes:
    """One message per To person: sections keyed by rung (and silent agency), their Cc, the pairs they carry."""

    sections: dict[int, dict[tuple, list]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    cc: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    pairs: dict[int, list[DuePair]] = field(default_factory=lambda: defaultdict(list))
    pair_people: dict[DuePair, set[int]] = field(default_factory=dict)  # everyone a pair reaches


class _Run:
    """What one day's escalation reads once (agencies, items, people) and the steps that use it."""

    def __init__(self, session: Session, opts: EscalationOptions, today: date, pairs: list[DuePair],
                 found: dict[tuple[int, int], Silence]):
        self.session, self.opts, self.today, self.pairs, self.found = session, opts, today, pairs, found
        self.lang, self.ladder, self.cal = opts.lang, opts.ladder, opts.deadlines.calendar
        self.final = successor_map(session)
        self.codes = dict(session.execute(select(Agency.id, Agency.code)).all())
        self.names = {i: (n if self.lang == "vi" else en or n)
                      for i, n, en in session.execute(select(Agency.id, Agency.name, Agency.name_en))}
        self.silent_items = _open_items_of(session, {(p.plan_id, p.agency_id) for p in pairs
                                                     if p.reason == Reason.SILENT})
        self.items = _items(session, {p.deliverable_id for p in pairs if p.deliverable_id} |
                            {i for ids in self.silent_items.values() for i in ids})
        self.plans = dict(session.execute(select(Plan.id, Plan.number)).all())
        self.people = _People(session, self.ladder, today)
        self.rungs = {(r.level, r.at): r for r in self.ladder.rungs}
        self.notes = _last_notes(session, [p.deliverable_id for p in pairs if p.reason == Reason.BLOCKED])
        self.tz = ZoneInfo(opts.timezone)
        self.unreachable: list[NoRecipient] = []

    def now(self, agency_id: int) -> int:
        """The agency that carries agency_id's work now."""
        return self.final.get(agency_id, agency_id)

    def esc_item(self, it: _Item) -> EscItem:
        opts, lang, today = self.opts, self.lang, self.today
        eff = opts.deadlines.effective(it.written, it.wording, it.schedule)
        key = derive_status(it.state, it.start, eff, it.completed_on, today, opts.due_soon_days, self.cal)
        status = label(key, lang) + ("" if it.last_report_at else f" ({not_reported(lang)})")
        return EscItem(it.code, it.title, it.plan, self.names.get(self.now(it.lead_id), ""),
                       deadline_text(it.written, it.wording, eff, lang),
                       status, self.cal.working_days_between(today, eff) if eff else None, it.progress,
                       it.last_report_at.astimezone(self.tz).strftime("%d/%m/%Y")
                       if it.last_report_at else None, self.notes.get(it.id))

    def role_people(self, pair: DuePair, role: Role, agency: int, cc: list[int]) -> list[int]:
        """The people who hold role for pair (an away focal point's Cc goes into cc)."""
        people, ladder = self.people, self.ladder
        if role == Role.FOCAL_POINT:
            to, copied = people.focal(agency)
            cc.extend(copied)
            return to
        if role == Role.HEAD:
            return people.first(agency, ("head",))
        if role == Role.PLAN_COORDINATOR:
            return people.named(ladder.plan_coordinator)
        if role == Role.DEPUTY_CHAIR:
            return people.named(ladder.deputy_chair)
        if pair.reason == Reason.SILENT:  # coordinator of a silent agency's work
            got = []
            for did in self.silent_items.get((pair.plan_id, pair.agency_id), []):
                lead = self.now(self.items[did].lead_id)
                got += (people.named(ladder.plan_coordinator) if lead == agency
                        else people.first(lead, ladder.coordinator_roles))
            return got
        # coordinator: the department the item reports to, else the plan's coordinator
        it = self.items.get(pair.deliverable_id) if pair.deliverable_id else None
        other = self.now(it.report_to) if it and it.report_to else None
        return (people.first(other, ladder.coordinator_roles) if other and other != agency
                else people.named(ladder.plan_coordinator))

    def resolve(self, pair: DuePair, rung: Rung) -> tuple[list[int], list[int]]:
        """(To, Cc) people of pair at rung; a role nobody holds (and not only Cc'd) is noted as unreachable."""
        agency = self.now(pair.agency_id)
        to: list[int] = []
        cc: list[int] = []
        for roles, target in ((rung.to, to), (rung.cc, cc)):
            for role in roles:
                got = self.role_people(pair, role, agency, cc)
                if not got and role not in rung.cc:
                    what = self.items[pair.deliverable_id].code if pair.deliverable_id else self.codes.get(agency, "?")
                    self.unreachable.append(NoRecipient(what, rung.level, role))
                target.extend(p for p in got if p not in target)
        return to, [p for p in dict.fromkeys(cc) if p not in to]

    def mailboxes(self) -> _Boxes:
        """The pairs sorted into one message per To person."""
        b = _Boxes()
        for pair in self.pairs:
            rung = self.ladder.blocked if pair.reason == Reason.BLOCKED else self.rungs.get((pair.level, pair.at))
            if rung is None or not rung.email:
                b.pair_people[pair] = set()
                continue
            to, cc = self.resolve(pair, rung)
            b.pair_people[pair] = set(to) | set(cc)
            if pair.reason == Reason.SILENT:
                s: Silence = self.found[(pair.plan_id, pair.agency_id)]
                key = (str(pair.reason), pair.level, pair.at, self.names.get(self.now(pair.agency_id), ""),
                       _round_labels(s.round_keys, self.lang))
                entries = [self.items[d] for d in self.silent_items.get((pair.plan_id, pair.agency_id), [])]
            else:
                key = (str(pair.reason), pair.level, pair.at, "", ())
                entries = [self.items[pair.deliverable_id]]
            for pid in to:
                b.sections[pid][key] += entries
                b.pairs[pid].append(pair)
                b.cc[pid] += [c for c in cc if c not in b.cc[pid] and c != pid]
        # One email per person per run: someone Cc'd on two messages, or Cc'd and with a message of their own,
        # is taken off those Cc lines and finds the copies in a message of their own instead.
        cc_count = Counter(c for pid in b.sections for c in b.cc[pid])
        moved = {c for c, n in cc_count.items() if n > 1 or c in b.sections}
        for pid in list(b.sections):
            for c in [c for c in b.cc[pid] if c in moved]:
                b.cc[pid].remove(c)
                for key, entries in list(b.sections[pid].items()):
                    if len(key) == 5:  # not a copy of a copy
                        b.sections[c][key + (True,)] += entries
                b.pairs[c] += b.pairs[pid]
        return b

    def messages(self, b: _Boxes) -> tuple[list[dict], list[str]]:
        """The outbox rows of the messages, and who could not get one (a message that cannot be built)."""
        lang, ident, today, people = self.lang, self.opts.identity, self.today, self.people
        thread = _thread(self.session, set(b.sections))
        written_at = clock.now()
        domain = ident.mail_from.rpartition("@")[2]
        rows, not_built = [], []
        for pid, sections_raw in sorted(b.sections.items()):
            contact = people.contact[pid]
            sections = []
            for key, entries in sections_raw.items():
                reason, level, at, ag, rounds, *fyi = key
                seen, uniq = set(), []
                for e in entries:
                    if e.id not in seen:
                        seen.add(e.id)
                        uniq.append(self.esc_item(e))
                sections.append(Section(reason, level, at, tuple(uniq), ag, rounds, bool(fyi)))
            own = b.pairs[pid]
            ident_keys = sorted(f"{p.reason}:{p.level}:{p.at}:{p.deliverable_id or 'a' + str(p.agency_id)}:"
                                f"{p.deadline}" for p in own)
            digest = hashlib.sha256("|".join(ident_keys).encode()).hexdigest()[:16]
            key = f"escalation/{today.isoformat()}/{contact.email}/{digest}"
            plan_numbers = sorted({self.plans[p.plan_id] for p in own})
            th = thread.get(pid)
            round_id = agency_id = ref = in_reply_to = None
            reply_to = ident.mail_from
            plan = plan_numbers[0] if len(plan_numbers) == 1 else ""
            if th is not None:
                round_id, agency_id, ref, in_reply_to, as_of, plan = th
                token = sign_reply_token(ident.secret, ReplyClaims(round_id, agency_id, pid,
                                                                   as_of + timedelta(days=ident.token_days)))
                reply_to = reply_address(ident.mail_from, token, ident.reply_local)
            sender = f"Theo dõi KH {plan}" if lang == "vi" else f"Plan {plan} monitoring"
            if not plan:
                sender = "Theo dõi kế hoạch" if lang == "vi" else "Plan monitoring"
            data = EscalationData(
                plan=plan, to=contact, cc=tuple(people.contact[c] for c in b.cc[pid]), sections=tuple(sections),
                today=today, written_at=written_at, mail_from=ident.mail_from, sender_name=sender, reply_to=reply_to,
                message_id=f"<esc.{today:%Y%m%d}.{key_tag(key, 20)}@{domain}>",
                ref=ref, in_reply_to=in_reply_to, demo=ident.demo)
            try:
                msg = build_escalation_message(data, lang, ident.max_items)
            except ValueError as exc:  # UnsafeHeader, UnicodeError: this person only, the others go out
                not_built.append(f"{contact.email}: {exc.__class__.__name__}: {exc}")
                for p in b.pairs[pid]:
                    b.pair_people[p].discard(pid)
                continue
            rows.append({"idempotency_key": key, "kind": OutboxKind.ESCALATION, "round_id": round_id,
                         "agency_id": agency_id, "person_id": pid, "ref": ref, "envelope_from": msg.envelope_from,
                         "recipients": list(msg.recipients), "subject": msg.subject, "message": msg.as_bytes(),
                         "message_id": data.message_id})
        return rows, not_built

    def fired(self, recipients: dict[DuePair, list[str]]) -> tuple[Fired, ...]:
        """What fired, for the run's result: one line per pair, with whom it reached."""
        out = []
        for p in self.pairs:
            agency = self.now(p.agency_id)
            it = self.items.get(p.deliverable_id) if p.deliverable_id else None
            if it is not None:
                out.append(Fired(it.plan, it.code, it.title, self.codes.get(agency, "?"), str(p.reason), p.level,
                                 p.at, p.deadline, deadline_text(it.written, it.wording, p.deadline, self.lang),
                                 tuple(recipients[p])))
            else:
                s = self.found[(p.plan_id, p.agency_id)]
                out.append(Fired(self.plans[p.plan_id], None, self.names.get(agency, ""), self.codes.get(agency, "?"),
                                 str(p.reason), p.level, p.at, p.deadline,
                                 ", ".join(_round_labels(s.round_keys, self.lang)), tuple(recipients[p])))
        return tuple(out)
