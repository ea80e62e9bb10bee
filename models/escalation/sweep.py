"""The escalation sweep: which (deliverable or agency, rung) pairs are due today, in set-based SQL.

Every rung's firing day is monotone in the effective deadline E (fire(E) = E moved `at` working
days), so "this rung is due today" is an interval of E computed once per run in Python
(rung_windows). Effective deadlines come from the few distinct written (date, wording, schedule)
triples in the database, mapped once in Python (models/deadlines.py), and the two meet in a small
scratch table of (written deadline, rung due today). One SELECT then joins the deliverables to it and
drops pairs that already fired (an active row in the escalation table). Rows whose reason went away (closed, deadline moved, unblocked, answered) are
resolved first, by one UPDATE each, so that their rungs can fire again.
"""
from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from typing import NamedTuple
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import (Column, Date, Integer, MetaData, String, Table, and_, exists, func, insert, literal, or_, select,
                        text, update)
from sqlalchemy.orm import Session

from plantrack.config import clock
from plantrack.models.deadlines import DeadlinePolicy
from plantrack.models.entities import Deliverable, deliverable_support
from plantrack.models.enums import CLOSED_STATES, ReportedState
from plantrack.models.escalation.ladder import Ladder, Rung
from plantrack.models.escalation.table import Escalation, Reason
from plantrack.models.mail.outbox import CheckinRound, latest_reports, unanswered
from plantrack.models.workdays import WorkCalendar

CLOSED = tuple(CLOSED_STATES)
_FAR_PAST = date(1900, 1, 1)


class DuePair(NamedTuple):
    """One rung due today for one deliverable (deadline, blocked) or one agency (silent).

    A NamedTuple, not a frozen dataclass: a cold sweep makes one per overdue rung of 100,000 deliverables,
    and a frozen dataclass pays a setattr per field.
    """

    reason: Reason
    level: int
    at: int
    plan_id: int
    agency_id: int  # the lead as planned (deadline, blocked: map through successors) or the silent agency
    deliverable_id: int | None
    deadline: date | None  # effective deadline; for silence the end of the K-th skipped round


@dataclass(frozen=True)
class Silence:
    """An agency that skipped at least K check-in rounds in a row (newest first)."""

    plan_id: int
    agency_id: int
    round_keys: tuple[str, ...]
    deadline: date  # the end of the K-th of those rounds: the ladder counts from here


def fire_day(effective: date, at: int, cal: WorkCalendar) -> date:
    """The working day on which a rung `at` fires for an effective deadline (at 0: on it, or the next working day)."""
    return cal.next_working_day(effective) if at == 0 else cal.add_working_days(effective, at)


def _latest_firing(at: int, today: date, cal: WorkCalendar) -> date:
    """The largest effective deadline E whose rung `at` fires on or before today (fire is monotone in E)."""
    span = 3 * abs(at) + 40  # working days are never more than ~2 weeks apart
    day = today + timedelta(days=span)
    while fire_day(day, at, cal) > today:
        day -= timedelta(days=1)
    return day


def rung_windows(ladder: Ladder, today: date, cal: WorkCalendar) -> list[tuple[Rung, date, date]]:
    """For each rung, the interval [lo, hi] of effective deadlines for which it is due today.

    Overdue rungs (at > 0): every E whose firing day has come (a missed run catches up). Before the
    deadline only the latest reminder that applies, and only while today <= E.
    """
    out: list[tuple[Rung, date, date]] = []
    before = sorted(ladder.before_due, key=lambda r: r.at)
    his = [_latest_firing(r.at, today, cal) for r in before]
    for i, rung in enumerate(before):
        lo = today if i + 1 == len(before) else max(today, his[i + 1] + timedelta(days=1))
        if lo <= his[i]:
            out.append((rung, lo, his[i]))
    for rung in ladder.overdue:
        out.append((rung, _FAR_PAST, _latest_firing(rung.at, today, cal)))
    return out


def effective_map(session: Session, deadlines: DeadlinePolicy) -> list[tuple[date, str, str, date]]:
    """(written date, wording, schedule, effective deadline) for every distinct deadline of live work."""
    D = Deliverable.__table__.c
    rows = session.execute(select(D.due_date, D.due_wording, D.schedule).distinct()
                           .where(D.due_date.is_not(None), D.archived.is_(False))).all()
    return [(d, w, s, deadlines.effective(d, w, s)) for d, w, s in rows]


_TMP = MetaData()  # per-connection scratch tables, not part of the schema (Alembic never sees them)
EFFECTIVE = Table("plantrack_tmp_effective", _TMP, Column("due_date", Date), Column("due_wording", String(8)),
                  Column("schedule", String(16)), Column("effective", Date), prefixes=["TEMPORARY"])
DUE = Table("plantrack_tmp_due", _TMP, Column("due_date", Date), Column("due_wording", String(8)),
            Column("schedule", String(16)), Column("level", Integer), Column("rung_at", Integer),
            Column("effective", Date), prefixes=["TEMPORARY"])


def _scratch(session: Session, table: Table, rows: list[tuple]) -> Table:
    """Fill a temporary table (created on first use per connection, indexed on the written deadline).

    Why not a VALUES list: neither SQLite nor PostgreSQL indexes one, and joining 100,000 deliverables or
    escalations to a few thousand unindexed rows was a nested loop (seconds); an indexed scratch table
    makes it a lookup.
    """
    conn = session.connection()
    cols = ", ".join(f"{c.name} {c.type.compile(conn.dialect)}" for c in table.columns)
    tail = " ON COMMIT DELETE ROWS" if conn.dialect.name == "postgresql" else ""
    conn.execute(text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {table.name} ({cols}){tail}"))
    conn.execute(text(f"CREATE INDEX IF NOT EXISTS ix_{table.name} ON {table.name} (due_date, due_wording, schedule)"))
    conn.execute(table.delete())
    if rows:
        conn.execute(insert(table), [dict(zip(table.c.keys(), r)) for r in rows])
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {table.name}"))
    return table


def _eff_join(eff, D):
    return and_(eff.c.due_date == D.due_date, eff.c.due_wording == D.due_wording, eff.c.schedule == D.schedule)


def resolve_gone(session: Session, today: date, mapping, silences: dict[tuple[int, int], Silence]) -> int:
    """Resolve active escalations whose reason went away; returns how many. Caller commits.

    The stale rows are SELECTed with joins (set-based) and then updated by id: an UPDATE led by a WITH
    clause gives no row count on SQLite's driver, and there are few of them on any day.
    """
    D, E = Deliverable.__table__.c, Escalation.__table__.c
    q = (select(E.id).select_from(Escalation.__table__.join(Deliverable.__table__, D.id == E.deliverable_id))
         .where(E.resolved_on.is_(None), E.reason == Reason.DEADLINE))
    if mapping:
        eff = _scratch(session, EFFECTIVE, mapping)
        q = (q.outerjoin(eff, _eff_join(eff, D))
             .where(or_(D.archived.is_(True), D.state.in_(CLOSED), eff.c.effective.is_(None),
                        eff.c.effective != E.deadline)))
    ids = list(session.scalars(q))
    ids += session.scalars(select(E.id).select_from(Escalation.__table__.join(Deliverable.__table__,
                                                                               D.id == E.deliverable_id))
                           .where(E.resolved_on.is_(None), E.reason == Reason.BLOCKED,
                                  or_(D.archived.is_(True), D.state != ReportedState.BLOCKED)))
    ids += [i for i, plan_id, agency_id, deadline in session.execute(
        select(E.id, E.plan_id, E.agency_id, E.deadline).where(E.resolved_on.is_(None), E.reason == Reason.SILENT))
        if (s := silences.get((plan_id, agency_id))) is None or s.deadline != deadline]
    for i in range(0, len(ids), 500):
        session.execute(update(Escalation.__table__).where(E.id.in_(ids[i:i + 500])).values(resolved_on=today))
    return len(ids)


def deadline_pairs(session: Session, today: date, ladder: Ladder, cal: WorkCalendar, mapping) -> list[DuePair]:
    """The deadline rungs due today for live open deliverables that have not fired (one SELECT).

    The rung windows and the effective deadlines meet in Python (a few thousand distinct deadlines at
    most): the SELECT joins deliverables to one scratch table of (written deadline, rung due) on equality.
    """
    windows = rung_windows(ladder, today, cal)
    due = [(d, w, sch, r.level, r.at, eff) for d, w, sch, eff in mapping
           for r, lo, hi in windows if lo <= eff <= hi]
    if not due:
        return []
    D, E = Deliverable.__table__.c, Escalation.__table__.c
    rung = _scratch(session, DUE, due)
    fired = (select(literal(1)).where(E.deliverable_id == D.id, E.reason == Reason.DEADLINE,
                                      E.resolved_on.is_(None), E.level == rung.c.level, E.rung_at == rung.c.rung_at))
    q = (select(D.plan_id, D.lead_agency_id, D.id, rung.c.level, rung.c.rung_at, rung.c.effective)
         .select_from(Deliverable.__table__.join(rung, _eff_join(rung, D)))
         .where(D.archived.is_(False), D.state.not_in(CLOSED), ~exists(fired)))
    return [DuePair(Reason.DEADLINE, level, at, plan_id, agency_id, did, eff_day)
            for plan_id, agency_id, did, level, at, eff_day in session.execute(q).all()]


def blocked_pairs(session: Session, ladder: Ladder) -> list[DuePair]:
    """Deliverables reported blocked whose blocked rung has not fired since (one SELECT)."""
    D, E = Deliverable.__table__.c, Escalation.__table__.c
    fired = select(literal(1)).where(E.deliverable_id == D.id, E.reason == Reason.BLOCKED, E.resolved_on.is_(None))
    q = select(D.plan_id, D.lead_agency_id, D.id).where(D.archived.is_(False), D.state == ReportedState.BLOCKED, ~exists(fired))
    return [DuePair(Reason.BLOCKED, ladder.blocked.level, 0, p, a, d, None) for p, a, d in session.execute(q).all()]


def round_end(key: str) -> date:
    """The last day of a check-in round: Sunday of an ISO week (2024-W21) or the last day of a month (2024-05)."""
    year, _, rest = key.partition("-")
    if rest.startswith("W"):
        return date.fromisocalendar(int(year), int(rest[1:]), 7)
    y, m = int(year), int(rest)
    return date(y, m, _calendar.monthrange(y, m)[1])


def open_agencies(session: Session) -> set[tuple[int, int]]:
    """(plan id, agency id) of every agency that leads or supports live open work."""
    D, S = Deliverable.__table__.c, deliverable_support.c
    live = and_(D.archived.is_(False), D.state.not_in(CLOSED))
    leads = select(D.plan_id, D.lead_agency_id).where(live)
    supports = select(D.plan_id, S.agency_id).join(Deliverable.__table__, D.id == S.deliverable_id).where(live)
    return {tuple(r) for r in session.execute(leads.union(supports)).all()}


def silences(session: Session, today: date, skipped_rounds: int) -> dict[tuple[int, int], Silence]:
    """Agencies with open work that skipped the last skipped_rounds (or more) closed rounds in a row.

    A round is closed once its period ended before today; models.mail.outbox.unanswered decides who
    skipped one (a later report answers every earlier round).
    """
    R = CheckinRound.__table__.c
    rounds: dict[int, list[tuple[int, str]]] = {}
    for rid, plan_id, key in session.execute(select(R.id, R.plan_id, R.key).order_by(R.plan_id, R.key.desc())):
        if round_end(key) < today:
            rounds.setdefault(plan_id, []).append((rid, key))
    if not rounds:
        return {}
    busy = open_agencies(session)
    latest = latest_reports(session)  # read once: the streaks may go back through every round
    out: dict[tuple[int, int], Silence] = {}
    for plan_id, closed in rounds.items():
        streak: dict[int, list[str]] = {}
        alive: set[int] | None = None
        for rid, key in closed:  # newest first, until nobody's streak continues
            missed = unanswered(session, rid, latest)
            alive = set(missed) if alive is None else alive & missed
            if not alive:
                break
            for a in alive:
                streak.setdefault(a, []).append(key)
        for agency_id, keys in streak.items():
            if len(keys) >= skipped_rounds and (plan_id, agency_id) in busy:
                out[(plan_id, agency_id)] = Silence(plan_id, agency_id, tuple(keys),
                                                    round_end(keys[-skipped_rounds]))
    return out


def silent_pairs(session: Session, today: date, ladder: Ladder, cal: WorkCalendar,
                 found: dict[tuple[int, int], Silence]) -> list[DuePair]:
    """The overdue rungs due today for each silence, counted from its deadline, not fired yet."""
    if not found:
        return []
    E = Escalation.__table__.c
    active = {(p, a, lvl, at) for p, a, lvl, at in session.execute(
        select(E.plan_id, E.agency_id, E.level, E.rung_at).where(E.reason == Reason.SILENT, E.resolved_on.is_(None)))}
    out = []
    for (plan_id, agency_id), s in sorted(found.items()):
        for rung in ladder.overdue:
            if fire_day(s.deadline, rung.at, cal) <= today and (plan_id, agency_id, rung.level, rung.at) not in active:
                out.append(DuePair(Reason.SILENT, rung.level, rung.at, plan_id, agency_id, None, s.deadline))
    return out


def record(session: Session, pairs: list[DuePair], today: date, agency_of: dict[int, int],
           recipients: dict[DuePair, list[str]]) -> None:
    """Insert one escalation row per pair (agency_of maps planned leads to the agencies now responsible)."""
    if not pairs:
        return
    now = clock.now()
    session.execute(insert(Escalation.__table__), [  # Core: no ORM bookkeeping (or RETURNING) per row
        {"plan_id": p.plan_id, "deliverable_id": p.deliverable_id, "agency_id": agency_of.get(p.agency_id, p.agency_id),
         "reason": str(p.reason), "level": p.level, "rung_at": p.at, "deadline": p.deadline, "fired_on": today,
         "resolved_on": None, "recipients": recipients.get(p, []), "created_at": now} for p in pairs])


def active_levels(session: Session) -> dict[int, int]:
    """Deliverable id -> highest level of its active escalations (for boards and the digest)."""
    E = Escalation.__table__.c
    q = (select(E.deliverable_id, func.max(E.level)).where(E.resolved_on.is_(None), E.deliverable_id.is_not(None))
         .group_by(E.deliverable_id))
    return dict(session.execute(q).all())


def sweep(session: Session, today: date, ladder: Ladder,
          deadlines: DeadlinePolicy) -> tuple[list[DuePair], dict[tuple[int, int], Silence], int]:
    """Resolve what went away, then return today's due pairs, the silences found and how many rows were
    resolved (a preview runs it in a transaction it rolls back)."""
    cal = deadlines.calendar
    mapping = effective_map(session, deadlines)
    found = silences(session, today, ladder.skipped_rounds)
    resolved = resolve_gone(session, today, mapping, found)
    pairs = deadline_pairs(session, today, ladder, cal, mapping)
    pairs += blocked_pairs(session, ladder)
    pairs += silent_pairs(session, today, ladder, cal, found)
    return pairs, found, resolved
