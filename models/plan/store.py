"""Upsert a resolved plan into the database: one transaction, set-based, history untouched."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from plantrack.models.bulk import bulk_insert
from plantrack.models.entities import (
    Agency,
    AgencyDirectory,
    AgencyContact,
    Deliverable,
    Indicator,
    Person,
    Plan,
    deliverable_support,
)
from plantrack.models.plan.file import ResolvedPlan, collector_paused


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0

    def __str__(self) -> str:
        return f"{self.created} new, {self.updated} updated, {self.unchanged} unchanged, {self.archived} archived"


@dataclass
class LoadSummary:
    plan_number: str
    plan_changed: bool
    agencies: Counts = field(default_factory=Counts)
    people: Counts = field(default_factory=Counts)
    deliverables: Counts = field(default_factory=Counts)
    indicators: Counts = field(default_factory=Counts)
    contacts_changed: int = 0
    files_unchanged: bool = False  # recognised by file hashes: nothing was parsed or written

    @property
    def changed(self) -> bool:
        return self.plan_changed or self.contacts_changed > 0 or any(
            c.created or c.updated or c.archived
            for c in (self.agencies, self.people, self.deliverables, self.indicators)
        )


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _upsert_rows(session: Session, model, existing: dict[str, dict], wanted: dict[str, dict],
                 key: str, now: datetime, fixed: dict) -> tuple[Counts, set[str]]:
    """Insert new rows, update changed ones, archive missing ones; returns counts and touched keys."""
    counts, touched = Counts(), set()
    inserts, updates, moves = [], [], []
    for k, row in wanted.items():
        old = existing.get(k)
        if old is None:
            inserts.append({**fixed, key: k, **row, "archived": False, "updated_at": now})
            counts.created += 1
            touched.add(k)
        elif old["archived"] or any(old[c] != v for c, v in row.items() if c != "position"):
            updates.append({"id": old["id"], **row, "archived": False, "updated_at": now})
            counts.updated += 1
            touched.add(k)
        else:
            counts.unchanged += 1
            if old["position"] != row["position"]:  # order only: not counted, but readers may care
                moves.append({"id": old["id"], "position": row["position"], "updated_at": now})
    gone = [{"id": old["id"], "archived": True, "updated_at": now}
            for k, old in existing.items() if k not in wanted and not old["archived"]]
    counts.archived = len(gone)
    if inserts:  # not the ORM bulk path: it costs several times more per row
        bulk_insert(session, model.__table__, inserts)
    for batch in (updates, gone, moves):
        if batch:
            session.execute(update(model), batch)
    return counts, touched


def _existing(session: Session, model, columns: list[str], where) -> dict[str, dict]:
    cols = [getattr(model, c) for c in ["id", "code", "archived", *columns]]
    return {r["code"]: dict(r) for r in session.execute(select(*cols).where(where)).mappings().all()}


def _store_agencies(session: Session, rp: ResolvedPlan, summary: LoadSummary) -> dict[str, int]:
    """Upsert the directory's agencies (set-based: a national directory has 5,000); returns code -> id."""
    A = Agency.__table__.c
    fields = ("name", "name_en", "short_name", "kind", "aliases", "parent_code")
    have = {r[1]: r for r in session.execute(select(A.id, A.code, *(A[f] for f in fields), A.successor_id)).all()}
    inserts, updates = [], []
    for e in rp.directory.agencies:
        values = (e.name, e.name_en, e.short_name, e.kind, list(e.aliases), e.parent)
        old = have.get(e.code)
        if old is None:
            inserts.append({"code": e.code, **dict(zip(fields, values))})
        elif tuple(old[2:8]) != values:
            updates.append({"id": old[0], **dict(zip(fields, values))})
        else:
            summary.agencies.unchanged += 1
    if inserts:
        bulk_insert(session, Agency.__table__, inserts)
    if updates:
        session.execute(update(Agency), updates)
    summary.agencies.created, summary.agencies.updated = len(inserts), len(updates)
    ids = dict(session.execute(select(A.code, A.id)).all())
    touched = {u["id"] for u in updates}
    successors = []
    for e in rp.directory.agencies:
        want = ids[e.successor] if e.successor else None
        old = have.get(e.code)
        if (old[8] if old else None) != want:
            successors.append({"id": ids[e.code], "successor_id": want})
            if old is not None and old[0] not in touched:  # a successor alone is an update too
                summary.agencies.updated += 1
                summary.agencies.unchanged -= 1
    if successors:
        session.execute(update(Agency), successors)
    return ids


def _store_people(session: Session, rp: ResolvedPlan, agency_ids: dict[str, int], summary: LoadSummary) -> None:
    """Upsert people by email and make each listed agency's contacts match the directory."""
    P, C = Person.__table__.c, AgencyContact.__table__.c
    have = {email: (pid, (name, phone, position))
            for pid, email, name, phone, position in session.execute(select(P.id, P.email, P.name, P.phone, P.position)).all()}
    wanted: dict[str, tuple] = {}
    for e in rp.directory.agencies:
        for pe in e.people:
            wanted.setdefault(pe.email.lower(), (pe.name, pe.phone, pe.position))
    cols = ("name", "phone", "position")
    new = [{"email": m, **dict(zip(cols, v))} for m, v in wanted.items() if m not in have]
    changed = [{"id": have[m][0], **dict(zip(cols, v))} for m, v in wanted.items() if m in have and have[m][1] != v]
    if new:
        bulk_insert(session, Person.__table__, new)
    if changed:
        session.execute(update(Person), changed)
    summary.people.created, summary.people.updated = len(new), len(changed)
    summary.people.unchanged = len(wanted) - len(new) - len(changed)
    person_ids = dict(session.execute(select(P.email, P.id)).all()) if new else {m: v[0] for m, v in have.items()}
    want = {(agency_ids[e.code], person_ids[pe.email.lower()], pe.role) for e in rp.directory.agencies for pe in e.people}
    listed = {agency_ids[e.code] for e in rp.directory.agencies}
    got = {tuple(r) for r in session.execute(select(C.agency_id, C.person_id, C.role)).all() if r[0] in listed}
    gone = [dict(a=a, p=p, r=r) for a, p, r in got - want]
    if gone:
        session.execute(delete(AgencyContact.__table__).where(
            C.agency_id == bindparam("a"), C.person_id == bindparam("p"), C.role == bindparam("r")), gone)
    added = [dict(agency_id=a, person_id=p, role=r) for a, p, r in want - got]
    if added:
        bulk_insert(session, AgencyContact.__table__, added)
    summary.contacts_changed = len(got - want) + len(added)


def _store_plan_row(session: Session, rp: ResolvedPlan, now: datetime, summary: LoadSummary,
                    agency_ids: dict[str, int]) -> int:
    h = rp.plan.plan
    values = dict(title=h.title, issuer=h.issuer, issued_on=h.issued_on, signer=h.signer,
                  signed_as=h.signed_as, signed_by=h.signed_by.lower() if h.signed_by else None,
                  digest_to=[m.lower() for m in h.digest_to],
                  coordinator_agency_id=agency_ids[h.coordinator] if h.coordinator else None,
                  period_start=h.period_start, period_end=h.period_end,
                  source_sha256=rp.source_sha256, file_sha256=rp.file_sha256)
    plan = session.scalar(select(Plan).where(Plan.number == h.number))
    if plan is None:
        plan = Plan(number=h.number, loaded_at=now, **values)
        session.add(plan)
        summary.plan_changed = True
    elif any(getattr(plan, k) != v for k, v in values.items()):
        for k, v in values.items():
            setattr(plan, k, v)
        plan.loaded_at = now
        summary.plan_changed = True
    # What this load read (for the unchanged check of the next one): not a change of the plan itself.
    plan.directory_ref, plan.directory_sha256 = rp.plan.directory, rp.directory_sha256 or None
    plan.source_ref, plan.load_key = h.source_text, rp.load_key
    session.flush()
    return plan.id


def _deliverable_rows(rp: ResolvedPlan, agency_ids: dict[str, int]) -> dict[str, dict]:
    rows = {}
    for pos, d in enumerate(rp.plan.deliverables):
        dates = rp.milestone_dates.get(d.code, {})
        milestones = [
            {"key": m.key, "title": m.title, "start": dates[m.key][0].isoformat(),
             "end": dates[m.key][1].isoformat() if dates[m.key][1] else None,
             **({"assumption": m.assumption} if m.assumption else {})}
            for m in d.milestones
        ]
        rows[d.code] = dict(
            title=d.title, short_title=d.short_title, category=d.category, lead_agency_id=agency_ids[d.lead],
            report_to_agency_id=agency_ids[d.report_to] if d.report_to else None,
            description=d.description,
            quantities=[{"what": q.what, "amount": _number(q.amount), "unit": q.unit} for q in d.quantities],
            funding=d.funding, start_date=d.start, due_date=d.due, due_wording=d.due_wording, schedule=d.schedule,
            milestones=milestones, assumption=d.assumption, position=pos,
        )
    return rows


def _store_support(session: Session, rp: ResolvedPlan, plan_id: int, agency_ids: dict[str, int],
                   new_plan: bool) -> set[str]:
    """Make supporting agencies match the file (a new plan has none yet); returns codes of deliverables whose set changed."""
    ids = dict(session.execute(select(Deliverable.code, Deliverable.id).where(Deliverable.plan_id == plan_id)).all())
    code_of = {v: k for k, v in ids.items()}
    have: set[tuple[int, int]] = set() if new_plan else set(
        session.execute(
            select(deliverable_support.c.deliverable_id, deliverable_support.c.agency_id)
            .join(Deliverable, Deliverable.id == deliverable_support.c.deliverable_id)
            .where(Deliverable.plan_id == plan_id)
        ).all()
    )
    want = {
        (ids[d.code], agency_ids[code])
        for d in rp.plan.deliverables
        for code in rp.expand(d.supporting)
        if code != d.lead
    }
    gone, new = have - want, want - have
    if gone:
        session.execute(delete(deliverable_support).where(
            deliverable_support.c.deliverable_id == bindparam("d"), deliverable_support.c.agency_id == bindparam("a")),
            [{"d": d, "a": a} for d, a in gone])
    if new:
        # in key order: each row lands beside the last in the primary key's index
        bulk_insert(session, deliverable_support, [{"deliverable_id": d, "agency_id": a} for d, a in sorted(new)])
    return {code_of[d] for d, _ in gone | new}


def _store_directory(session: Session, rp: ResolvedPlan, now: datetime, summary: LoadSummary) -> dict[str, int]:
    """Upsert the directory unless the database already holds it as the file says; returns code -> id.

    34 provincial plans naming one national directory store its 5,000 agencies once, not 34 times.
    """
    A = Agency.__table__.c
    known = session.get(AgencyDirectory, rp.directory_sha256) if rp.directory_sha256 else None
    if known is not None:
        summary.agencies.unchanged, summary.people.unchanged = known.agencies, known.people
        return dict(session.execute(select(A.code, A.id)).all())
    agency_ids = _store_agencies(session, rp, summary)
    _store_people(session, rp, agency_ids, summary)
    if not rp.directory_sha256:
        return agency_ids
    a, p = summary.agencies, summary.people
    if a.created or a.updated or p.created or p.updated or summary.contacts_changed:
        # The rows changed: what other directory files left is no longer known to be as they say.
        session.execute(delete(AgencyDirectory.__table__))
    people = len({pe.email.lower() for e in rp.directory.agencies for pe in e.people})
    session.execute(insert(AgencyDirectory.__table__), [dict(
        sha256=rp.directory_sha256, agencies=len(rp.directory.agencies), people=people, loaded_at=now)])
    return agency_ids


@collector_paused()
def store_plan(session: Session, rp: ResolvedPlan, now: datetime | None = None) -> LoadSummary:
    """Upsert agencies, people, plan, indicators and deliverables; reported status is never touched."""
    now = now or datetime.now(timezone.utc)
    summary = LoadSummary(plan_number=rp.plan.plan.number, plan_changed=False)
    agency_ids = _store_directory(session, rp, now, summary)
    plan_id = _store_plan_row(session, rp, now, summary, agency_ids)

    d_rows = _deliverable_rows(rp, agency_ids)
    d_cols = list(next(iter(d_rows.values())).keys()) if d_rows else []
    existing = _existing(session, Deliverable, d_cols, Deliverable.plan_id == plan_id)
    summary.deliverables, touched = _upsert_rows(session, Deliverable, existing, d_rows, "code", now,
                                                 {"plan_id": plan_id, "state": "not_started"})
    touched = _store_support(session, rp, plan_id, agency_ids, new_plan=not existing) - touched
    if touched:  # only the supporting set changed: still an update of that deliverable
        session.execute(update(Deliverable).where(Deliverable.plan_id == plan_id, Deliverable.code.in_(touched))
                        .values(updated_at=now))
        summary.deliverables.updated += len(touched)
        summary.deliverables.unchanged -= len(touched)

    i_rows = {
        ind.code: dict(text=ind.text, baseline=ind.baseline, baseline_year=ind.baseline_year,
                       target=ind.target, unit=ind.unit, direction=ind.direction,
                       owner_agency_id=agency_ids[ind.owner],
                       due_date=ind.due or rp.plan.plan.period_end, assumption=ind.assumption, position=pos)
        for pos, ind in enumerate(rp.plan.indicators)
    }
    i_cols = list(next(iter(i_rows.values())).keys()) if i_rows else []
    existing_i = _existing(session, Indicator, i_cols, Indicator.plan_id == plan_id)
    summary.indicators, _ = _upsert_rows(session, Indicator, existing_i, i_rows, "code", now, {"plan_id": plan_id})
    return summary
