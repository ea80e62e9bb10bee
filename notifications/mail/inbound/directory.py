"""The plan data a batch of replies is judged against (people, agencies, items, away notices) and answered with
(each plan's contact person), loaded once."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantrack.models.board import successor_map
from plantrack.models.entities import Agency, AgencyContact, Deliverable, Indicator, Person, Plan, \
    deliverable_support
from plantrack.models.mail.inbound import PersonAway
from plantrack.notifications.mail.checkin_message import ContactPerson
from plantrack.notifications.mail.checkin_round import office_contact
from plantrack.notifications.mail.inbound.lines import CodeBook, Kind, Target


@dataclass(frozen=True)
class Item:
    """A deliverable or indicator a reply may report on."""

    code: str
    plan_id: int
    kind: Kind
    id: int
    lead: int  # agency id responsible now (successor applied)
    supporting: frozenset[int]
    category: str
    done: bool
    due: date | None


class Directory:
    """The plan data a batch of replies is judged against, loaded once per batch."""

    def __init__(self, session: Session):
        self.final = successor_map(session)
        self.agencies = {a.id: a for a in session.scalars(select(Agency))}
        self.person_by_email: dict[str, tuple[int, str]] = {
            e.lower(): (pid, name) for pid, e, name in session.execute(select(Person.id, Person.email, Person.name))}
        self.person_agencies: dict[int, set[int]] = defaultdict(set)
        for aid, pid in session.execute(select(AgencyContact.agency_id, AgencyContact.person_id)):
            self.person_agencies[pid].add(self.final.get(aid, aid))
        self.plans = dict(session.execute(select(Plan.id, Plan.number)).all())
        # plan number -> whom its check-ins name as contact (receipts name the same person)
        self.plan_contacts: dict[str, ContactPerson | None] = {
            number: office_contact(session, coordinator)
            for number, coordinator in session.execute(select(Plan.number, Plan.coordinator_agency_id))}
        support: dict[int, set[int]] = defaultdict(set)
        for did, aid in session.execute(select(deliverable_support.c.deliverable_id, deliverable_support.c.agency_id)):
            support[did].add(self.final.get(aid, aid))
        self.items: dict[tuple[int, str], Item] = {}
        targets: dict[int, list[Target]] = defaultdict(list)
        for d in session.execute(select(Deliverable.id, Deliverable.plan_id, Deliverable.code, Deliverable.lead_agency_id,
                                        Deliverable.category, Deliverable.state, Deliverable.due_date)
                                 .where(Deliverable.archived.is_(False)).order_by(Deliverable.position)):
            self.items[(d.plan_id, d.code)] = Item(d.code, d.plan_id, Kind.DELIVERABLE, d.id,
                                                   self.final.get(d.lead_agency_id, d.lead_agency_id),
                                                   frozenset(support.get(d.id, ())), d.category,
                                                   d.state in ("done", "cancelled"), d.due_date)
            targets[d.plan_id].append(Target(d.code, Kind.DELIVERABLE))
        for i in session.execute(select(Indicator.id, Indicator.plan_id, Indicator.code, Indicator.owner_agency_id,
                                        Indicator.unit, Indicator.due_date)
                                 .where(Indicator.archived.is_(False)).order_by(Indicator.position)):
            self.items[(i.plan_id, i.code)] = Item(i.code, i.plan_id, Kind.INDICATOR, i.id,
                                                   self.final.get(i.owner_agency_id, i.owner_agency_id),
                                                   frozenset(), "indicator", False, i.due_date)
            targets[i.plan_id].append(Target(i.code, Kind.INDICATOR, i.unit))
        self.units = {(pid, t.code): t.unit for pid, ts in targets.items() for t in ts}
        # person -> [since, until] of their away notices (ended in memory too, as end_away ends them in SQL)
        self.away: dict[int, list[list[date]]] = defaultdict(list)
        for pid, since, until in session.execute(select(PersonAway.person_id, PersonAway.since, PersonAway.until)):
            self.away[pid].append([since, until])
        self.books = {pid: CodeBook(ts) for pid, ts in targets.items()}

    def agency_name(self, agency_id: int | None, lang: str) -> str:
        a = self.agencies.get(agency_id) if agency_id else None
        if a is None:
            return ""
        return a.name if lang == "vi" else (a.name_en or a.name)
