"""The board's deliverables as `status --json` objects built by the database: status, agency codes and the JSON
text derived in SQL, so a national board streams at the speed of its query.

The reference is models/board.py (iter_board, then DeliverableRow.as_json): tests/test_board_sql.py holds the two
equal on SQLite and PostgreSQL. What needs the working-day calendar is computed in Python once per distinct
written deadline (the effective day, days left, due soon or overdue, the deadline's words) into a temporary table
the query joins; successors are resolved the same way (one temporary row per agency).
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime

import orjson
from sqlalchemy import (Column, Date, Integer, MetaData, Table, Text, and_, bindparam, case, cast, func, insert, literal,
                        literal_column, or_, select, text)
from sqlalchemy.orm import Session

from plantrack.models.base import as_utc
from plantrack.models.board import (CLOSED_STATES, BoardQuery, BoardRow, _Agencies, _agencies, _driver_chunks, _Memo,
                                    _milestone_json, _milestones, _quantities, iter_board, json_labels,
                                    status_prefilter)
from plantrack.models.board_view import (LAST_RANK, NO_DUE, URGENCY, BoardView, Counts, GroupBy, counted_view,
                                         urgency)
from plantrack.models.deadlines import deadline_text
from plantrack.models.entities import Deliverable, Plan, deliverable_support
from plantrack.models.enums import DueWording, ReportedState
from plantrack.models.status import StatusKey, is_due_soon

SEP = ","  # joins agency codes in SQL: codes are [A-Z0-9-] (models/plan/schema.py CODE_RE)
_TEMP = MetaData()
# One row per distinct (written deadline, wording): what derive_status and as_json need from the calendar.
DUE = Table("plantrack_board_due", _TEMP, Column("written", Date, primary_key=True),
            Column("wording", Text, primary_key=True), Column("due", Date), Column("days_left", Integer),
            Column("working_days_left", Integer), Column("open_status", Text), Column("due_text", Text),
            prefixes=["TEMPORARY"])
# One row per agency: its code and the code of the agency that carries its work now.
AGENCY = Table("plantrack_board_agency", _TEMP, Column("id", Integer, primary_key=True), Column("code", Text),
               Column("now_code", Text), prefixes=["TEMPORARY"])


class _Raw:
    """A value that is JSON text already (true, false)."""

    def __init__(self, sql):
        self.sql = sql


def _object(pg: bool, *pairs):
    """'{"key":value,...}' in SQL, keys in order: SQLite's json_object (faster than fetching the values), on
    PostgreSQL the pieces concatenated in one pass (json_build_object writes ' : ' between key and value)."""
    if not pg:
        return func.json_object(*(x for k, v in pairs for x in (k, func.json(v.sql) if isinstance(v, _Raw) else v)))
    parts = []
    for n, (k, v) in enumerate(pairs):
        parts.append(literal_column("'" + ("{" if n == 0 else ",") + '"' + k + '"' + ":'", Text))
        parts.append(v.sql if isinstance(v, _Raw) else func.coalesce(cast(func.to_json(v), Text), "null"))
    parts.append(literal_column("'}'", Text))
    return func.concat(*parts)


def _fill(session: Session, today: date, query: BoardQuery, ags: _Agencies, lang: str = "vi") -> None:
    """Create and fill the two temporary tables on the session's connection."""
    conn = session.connection()
    for t in (DUE, AGENCY):
        conn.execute(text(f"DROP TABLE IF EXISTS {t.name}"))  # left by an earlier board on a pooled connection
    _TEMP.create_all(conn, checkfirst=False)
    now = ags.now_code()
    conn.execute(insert(AGENCY), [{"id": i, "code": c, "now_code": now[i]} for i, c in ags.codes.items()])
    D = Deliverable.__table__.c
    # Every wording of every distinct written day: the day alone is read from its index, without a sort.
    days = conn.execute(select(D.due_date).where(D.due_date.is_not(None)).distinct()).scalars().all()
    policy, cal, soon_days = query.deadlines, query.deadlines.calendar, query.due_soon_days
    rows = []
    for day, wording in itertools.product(days, DueWording):
        due = policy.effective(day, wording)
        status = StatusKey.OVERDUE if today > due else StatusKey.DUE_SOON if is_due_soon(today, due, soon_days, cal) \
            else None
        rows.append({"written": day, "wording": wording, "due": due, "days_left": (due - today).days,
                     "working_days_left": cal.working_days_between(today, due), "open_status": status,
                     "due_text": deadline_text(day, wording, due, lang)})
    if rows:
        conn.execute(insert(DUE), rows)


def _drop(session: Session) -> None:
    try:
        conn = session.connection()
        for t in (DUE, AGENCY):
            conn.execute(text(f"DROP TABLE IF EXISTS {t.name}"))
    except Exception:  # noqa: BLE001  a failed transaction drops nothing; the connection's end drops them
        pass


@dataclass(frozen=True)
class _Derived:
    """The SQL expressions of what iter_board derives per deliverable, over deliverable joined to its lead and DUE."""

    status: object  # the status key (derive_status)
    lead: object  # the code of the lead agency as the board shows it
    lead_a: Table
    pg: bool


def _derived(session: Session, today: date) -> _Derived:
    D = Deliverable.__table__.c
    lead_a = AGENCY.alias("lead_a")
    day = literal(today, Date)
    S_ = StatusKey
    status = case(  # derive_status (models/status.py), with the calendar's part read from DUE.open_status
        (D.state == ReportedState.CANCELLED.value, S_.CANCELLED.value),
        (D.state == ReportedState.PAUSED.value, S_.PAUSED.value),
        (D.state == ReportedState.DONE.value,
         case((and_(DUE.c.due.is_not(None), D.completed_on.is_not(None), D.completed_on > DUE.c.due),
               S_.DONE_LATE.value), else_=S_.DONE_ON_TIME.value)),
        (DUE.c.open_status.is_not(None), DUE.c.open_status),
        (and_(D.start_date.is_not(None), D.start_date > day), S_.NOT_STARTED.value),
        (and_(D.state == ReportedState.NOT_STARTED.value, D.start_date.is_(None)), S_.NOT_STARTED.value),
        else_=S_.ON_TRACK.value)
    # Open work (a status in OPEN_STATUSES: exactly the states not closed) is led by the successor now.
    lead = case((D.state.in_([s.value for s in CLOSED_STATES]), lead_a.c.code), else_=lead_a.c.now_code)
    return _Derived(status, lead, lead_a, session.get_bind().dialect.name == "postgresql")


def _board_rows(stmt, d: _Derived, today: date, query: BoardQuery, ags: _Agencies):
    """stmt over the deliverables the query keeps (live ones, its filters), joined to their lead and DUE."""
    D, S = Deliverable.__table__.c, deliverable_support.c
    stmt = (stmt.select_from(Deliverable.__table__)
            .join(d.lead_a, d.lead_a.c.id == D.lead_agency_id)
            .outerjoin(DUE, and_(DUE.c.written == D.due_date, DUE.c.wording == D.due_wording))
            .where(D.archived.is_(False)))
    if query.category:
        stmt = stmt.where(D.category == query.category)
    pre = status_prefilter(D.state, D.due_date, query.statuses, today)
    if pre is not None:
        stmt = stmt.where(pre)
    if query.statuses:
        stmt = stmt.where(d.status.in_(sorted(k.value for k in query.statuses)))
    if ags.wanted is not None:
        supported = select(S.deliverable_id).where(S.agency_id.in_(ags.wanted))
        stmt = stmt.where(or_(D.lead_agency_id.in_(ags.wanted), D.id.in_(supported)))
    return stmt


def _json_statement(session: Session, today: date, query: BoardQuery, ags: _Agencies, lang: str):
    """The per-plan query, in plan order: three JSON objects of the keys in order and between them what Python
    writes itself (the supporting codes joined by SEP, last_report_at, planned_lead or NULL, schedule, milestones,
    quantities)."""
    D, S = Deliverable.__table__.c, deliverable_support.c
    d = _derived(session, today)
    pg, status, lead, lead_a = d.pg, d.status, d.lead, d.lead_a
    report_a, supp_a = AGENCY.alias("report_a"), AGENCY.alias("supp_a")
    # A simple CASE form evaluates the status expression once.
    labels = json_labels(lang)
    label = case({k.value: literal(labels[k], Text) for k in StatusKey}, value=status)
    # The now-codes of the supporting agencies other than the lead, joined by SEP; Python sorts them.
    agg = func.string_agg if pg else func.group_concat
    supporting = (select(agg(supp_a.c.now_code, literal(SEP, Text)))
                  .join_from(deliverable_support, supp_a, supp_a.c.id == S.agency_id)
                  .where(S.deliverable_id == D.id, supp_a.c.now_code != lead).scalar_subquery())
    first = _object(pg, ("code", D.code), ("title", D.title), ("category", D.category), ("lead", lead))
    second = _object(pg, ("report_to", report_a.c.code), ("start", D.start_date), ("due", DUE.c.due),
                     ("state", D.state), ("status", label), ("status_key", status), ("progress", D.progress),
                     ("days_left", DUE.c.days_left))
    third = _object(pg, ("due_written", D.due_date), ("due_wording", D.due_wording), ("due_text", DUE.c.due_text),
                    ("working_days_left", DUE.c.working_days_left),
                    ("reported", _Raw(case((D.last_report_at.is_(None), "false"), else_="true"))))
    planned = case((lead != lead_a.c.code, lead_a.c.code))
    stmt = select(first, supporting, second, D.last_report_at, third, planned, D.schedule, cast(D.milestones, Text),
                  cast(D.quantities, Text))
    return (_board_rows(stmt, d, today, query, ags)
            .outerjoin(report_a, report_a.c.id == D.report_to_agency_id)
            .where(D.plan_id == bindparam("plan_id"))
            .order_by(D.position))


def board_json(session: Session, today: date, query: BoardQuery = BoardQuery(), lang: str = "vi") -> Iterator[str]:
    """Every `status --json` object of the board, as text, in iter_board's order: deliverables built by the
    database, then indicators (a few a plan) through the reference path; LookupError for an unknown agency."""
    deliverables = deliverable_json(session, today, query, lang)
    if not query.indicators or query.category not in (None, "indicator"):
        return deliverables
    labels = json_labels(lang)

    def indicators() -> Iterator[str]:  # read after the deliverables, on the same connection
        for row in iter_board(session, today, replace(query, deliverables=False)):
            yield orjson.dumps(row.as_json(lang, labels)).decode()

    return itertools.chain(deliverables, indicators())


def deliverable_json(session: Session, today: date, query: BoardQuery = BoardQuery(),
                     lang: str = "vi") -> Iterator[str]:
    """The `status --json` object (text) of every deliverable iter_board would yield, in its order, streamed;
    raises LookupError for an unknown agency at the call, as iter_board does."""
    ags = _agencies(session, query.agency)
    if not query.deliverables or query.category == "indicator":
        return iter(())
    P = Plan.__table__.c
    plans = select(P.id, P.number).order_by(P.number)
    if query.plan:
        plans = plans.where(P.number == query.plan)
    number_of = dict(session.execute(plans).all())
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))  # as iter_board: a cursor read once never repays JIT
    _fill(session, today, query, ags, lang)
    return _objects(session, _json_statement(session, today, query, ags, lang), number_of)


def _objects(session: Session, stmt, number_of: dict[int, str]) -> Iterator[str]:
    m_memo, q_memo, m_json, q_json = _Memo(), _Memo(), _Memo(), _Memo()
    moment = datetime.fromisoformat
    try:
        prefix, current = "", None
        for plan_id, chunk in _driver_chunks(session, stmt, list(number_of)):
            if plan_id != current:
                current = plan_id
                prefix = '{"kind":"deliverable","plan":' + orjson.dumps(number_of[plan_id]).decode() + ","
            for first, supporting, second, last_report_at, third, planned, schedule, milestones, quantities in chunk:
                if supporting is None:
                    supporting = "[]"
                elif SEP in supporting:  # several: distinct, in code-point order, as the reference path
                    supporting = orjson.dumps(sorted(set(supporting.split(SEP)))).decode()
                else:
                    supporting = orjson.dumps((supporting,)).decode()
                if last_report_at is None:
                    reported = "null"
                else:  # as orjson writes the aware UTC datetime of the reference path
                    reported = orjson.dumps(as_utc(moment(last_report_at) if last_report_at.__class__ is str
                                                   else last_report_at)).decode()
                yield "".join((
                    prefix, first[1:-1], ',"supporting":', supporting, ",", second[1:-1], ',"last_report_at":', reported,
                    ",", third[1:-1], "" if planned is None else ',"planned_lead":' + orjson.dumps(planned).decode(),
                    ',"schedule":"', schedule, '","milestones":', _json_list(milestones, m_memo, m_json, _milestones, True),
                    ',"quantities":', _json_list(quantities, q_memo, q_json, _quantities, False), "}"))
    finally:
        _drop(session)


def _json_list(stored, memo: _Memo, out: _Memo, parse, milestones: bool) -> str:
    """A stored milestones or quantities list as as_json writes it (memoised by its stored text)."""
    if stored is None or stored == "[]":
        return "[]"
    hit = out.get(stored)
    if hit is None:
        items = parse(stored, memo)
        objs = [_milestone_json(m) for m in items] if milestones else \
            [{"what": i.what, "amount": i.amount, "unit": i.unit} for i in items]
        hit = out.put(stored, orjson.dumps(objs).decode())
    return hit


def board_summary(session: Session, today: date, query: BoardQuery = BoardQuery(), *, threshold: int = 200,
                  limit: int | None = None, group_by: GroupBy | None = None) -> BoardView | None:
    """board_view's summary of the board, the deliverables counted and ranked by the database; None when there are
    at most threshold rows and no limit was asked for (the caller shows every row). LookupError for an unknown
    agency."""
    ags = _agencies(session, query.agency)
    keep = limit if limit is not None else 20
    counts: Counts = {}
    urgent: list[tuple[tuple, BoardRow]] = []  # ((rank, days left, kind, order), row)
    D, P = Deliverable.__table__.c, Plan.__table__.c
    plans = select(P.id, P.number)
    if query.plan:
        plans = plans.where(P.number == query.plan)
    number_of = dict(session.execute(plans).all())
    if query.deliverables and query.category != "indicator" and number_of:
        _fill(session, today, query, ags)
        try:
            d = _derived(session, today)
            never = D.last_report_at.is_(None)
            grouped = (_board_rows(select(D.plan_id, d.lead, d.status, never, func.count()), d, today, query, ags)
                       .where(D.plan_id.in_(list(number_of))).group_by(text("1, 2, 3, 4")))
            for plan_id, lead, status, no_report, n in session.execute(grouped):
                counts[(number_of[plan_id], lead, StatusKey(status), bool(no_report))] = n
            rank = case({k.value: URGENCY.get(k, LAST_RANK) for k in StatusKey}, value=d.status, else_=LAST_RANK)
            days = func.coalesce(DUE.c.days_left, NO_DUE)
            most = (_board_rows(select(D.id, P.number, D.code, rank, days), d, today, query, ags)
                    .join(Plan.__table__, P.id == D.plan_id).where(D.plan_id.in_(list(number_of)))
                    .order_by(rank, days, P.number, D.position).limit(keep))
            ranked = session.execute(most).all() if keep else []
        finally:
            _drop(session)
        if ranked:
            rows = {(r.plan, r.code): r for r in iter_board(
                session, today, replace(query, ids=frozenset(r[0] for r in ranked), indicators=False))}
            urgent = [((r_rank, r_days, 0, n), rows[(number, code)])
                      for n, (_, number, code, r_rank, r_days) in enumerate(ranked)]
    if query.indicators and query.category in (None, "indicator"):
        for n, row in enumerate(iter_board(session, today, replace(query, deliverables=False))):
            key = (row.plan, row.lead, row.status_key, row.last_report_at is None)
            counts[key] = counts.get(key, 0) + 1
            urgent.append(((*urgency(row), 1, n), row))
    if sum(counts.values()) <= threshold and limit is None:
        return None
    shown = [row for _, row in sorted(urgent, key=lambda item: item[0])[:keep]]
    return counted_view(counts, shown, False, group_by)
