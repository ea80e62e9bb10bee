"""Read the state of plans: typed board rows streamed from one query per kind, status derived as of a day.

The status of every row comes from models.status.derive_status, in one pass over a streaming cursor;
SQL only pre-filters (status_prefilter must admit every row derive_status would keep).
"""
from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Text, and_, bindparam, cast, func, or_, select, text

from plantrack.models import tables
# The row types live in models/board_rows.py; imported from here too by the board's callers.
from plantrack.models.board_rows import (BoardRow, DeliverableRow, IndicatorRow, MilestoneItem, Number,  # noqa: F401
                                         QuantityItem, RowKind, json_labels)
from plantrack.models.deadlines import DeadlinePolicy
from plantrack.models.enums import DIRECTION_ONLY, Direction, DueWording, ReportedState, Schedule
from plantrack.models.sqltypes import as_utc
from plantrack.models.status import DUE_SOON_WORKING_DAYS, OPEN_STATUSES, StatusKey, days_left, derive_status

if TYPE_CHECKING:  # the board reads through Core only: `plantrack status` never loads the ORM
    from sqlalchemy.orm import Session

STREAM_BATCH = 2000  # rows fetched per round trip; memory stays flat whatever the board's size
_MEMO_MAX = 4096  # bounded memos: repeated texts decode once, unique ones do not pile up


@dataclass(frozen=True)
class BoardQuery:
    """What part of the board to read; empty statuses means every status."""

    agency: str | None = None  # what this agency (or an agency it succeeded) leads or supports
    plan: str | None = None  # plan number
    category: str | None = None  # a deliverable category, or "indicator"
    statuses: frozenset[StatusKey] = frozenset()
    deliverables: bool = True
    indicators: bool = True
    due_soon_days: int = DUE_SOON_WORKING_DAYS  # working days
    deadlines: DeadlinePolicy = DeadlinePolicy()  # written deadline -> effective one, and the working days


def _final(succ: dict[int, int | None]) -> dict[int, int]:
    final = {}
    for start in succ:
        cur, seen = start, {start}
        while succ.get(cur) is not None and succ[cur] not in seen:
            cur = succ[cur]
            seen.add(cur)
        final[start] = cur
    return final


def successor_map(session: Session | Connection) -> dict[int, int]:
    """Agency id -> the id of the agency that carries its work now (itself when never merged)."""
    A = tables.agency.c
    return _final(dict(session.execute(select(A.id, A.successor_id)).all()))


def agency_codes(session: Session | Connection) -> dict[int, str]:
    A = tables.agency.c
    return dict(session.execute(select(A.id, A.code)).all())


def _num(v: Decimal | None) -> Number | None:
    if v is None:
        return None
    return int(v) if v == v.to_integral_value() else float(v)


def indicator_achieved(direction: str, target: Decimal | None, value: Decimal | None,
                       baseline: Decimal | None = None) -> bool | None:
    """Whether a reported value meets the target; None when nothing is reported yet, or when a
    direction-only target (increase/decrease) has no baseline to compare with."""
    if value is None:
        return None
    if direction in DIRECTION_ONLY:
        if baseline is None:
            return None
        return value > baseline if direction == Direction.INCREASE else value < baseline
    if direction == Direction.AT_MOST:
        return value <= target
    if direction == Direction.MORE_THAN:
        return value > target
    return value >= target


_STATES = {m.value: m for m in ReportedState}
_SCHEDULES = {m.value: m for m in Schedule}
_WORDINGS = {m.value: m for m in DueWording}
_CLOSED = (ReportedState.DONE, ReportedState.PAUSED, ReportedState.CANCELLED)
_PREFILTERED = OPEN_STATUSES | {StatusKey.DONE_ON_TIME, StatusKey.DONE_LATE, StatusKey.PAUSED, StatusKey.CANCELLED}


def status_prefilter(state_col, due_col, statuses: frozenset[StatusKey], today: date):
    """A SQL condition admitting at least every row whose derive_status is in statuses (None: no filter).

    due_col is the written deadline. Deliberately loose on dates: an effective deadline is never before
    the written day - 1 (Article 148, "trước ngày D" ends at the end of D - 1; a weekend or holiday only moves
    it later), so overdue needs due <= today; working-day windows are left to derive_status on each row.
    """
    if not statuses or statuses - _PREFILTERED:
        return None  # a status this function does not know (a rule added later): no narrowing, still exact
    conds = []
    open_wanted = statuses & OPEN_STATUSES
    if open_wanted:
        open_state = state_col.not_in([s.value for s in _CLOSED])
        if open_wanted == {StatusKey.OVERDUE}:
            conds.append(and_(open_state, due_col.is_not(None), due_col <= today))
        elif open_wanted <= {StatusKey.OVERDUE, StatusKey.DUE_SOON}:
            conds.append(and_(open_state, due_col.is_not(None)))
        else:
            conds.append(open_state)
    closed = [s for k, s in ((StatusKey.DONE_ON_TIME, ReportedState.DONE), (StatusKey.DONE_LATE, ReportedState.DONE),
                             (StatusKey.PAUSED, ReportedState.PAUSED), (StatusKey.CANCELLED, ReportedState.CANCELLED))
              if k in statuses]
    if closed:
        conds.append(state_col.in_(sorted({s.value for s in closed})))
    return or_(*conds)


def _support_agg(conn: Connection, col):
    """Aggregate agency ids into 'id,id,...' text (the one dialect-specific piece of the board query)."""
    if conn.dialect.name == "postgresql":
        return func.string_agg(cast(col, Text), ",")
    return func.group_concat(col, ",")


class _Deadlines:
    """Effective deadlines and working days left, memoised: a board has 100,000 rows but few distinct days."""

    __slots__ = ("policy", "cal", "today", "effective_memo", "left_memo")

    def __init__(self, policy: DeadlinePolicy, today: date):
        self.policy, self.cal, self.today = policy, policy.calendar, today
        self.effective_memo: dict[tuple, date | None] = {}
        self.left_memo: dict[date | None, int | None] = {None: None}

    def effective(self, due: date | None, wording: str, schedule: str = "deadline") -> date | None:
        key = (due, wording, schedule)
        got = self.effective_memo.get(key, self)
        if got is self:
            got = self.effective_memo[key] = self.policy.effective(due, wording, schedule)
        return got

    def left(self, due: date | None) -> int | None:
        got = self.left_memo.get(due, self)
        if got is self:
            got = self.left_memo[due] = self.cal.working_days_between(self.today, due)
        return got


class _Memo(dict):
    """A dict that forgets everything when it grows past _MEMO_MAX entries."""

    def put(self, key, value):
        if len(self) >= _MEMO_MAX:
            self.clear()
        self[key] = value
        return value


def _parse_day(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _milestones(text, memo: _Memo) -> tuple[MilestoneItem, ...]:
    if text is None or text == "[]":
        return ()
    hit = memo.get(text) if isinstance(text, str) else None
    if hit is not None:
        return hit
    items = json.loads(text) if isinstance(text, str) else text
    out = tuple(MilestoneItem(str(m.get("key") or ""), str(m.get("title") or ""), _parse_day(m.get("start")),
                              _parse_day(m.get("end")), m.get("assumption"))
                for m in items if isinstance(m, dict))
    return memo.put(text, out) if isinstance(text, str) else out


def _quantities(text, memo: _Memo) -> tuple[QuantityItem, ...]:
    if text is None or text == "[]":
        return ()
    hit = memo.get(text) if isinstance(text, str) else None
    if hit is not None:
        return hit
    items = json.loads(text) if isinstance(text, str) else text
    out = tuple(QuantityItem(q.get("what", ""), q.get("amount", ""), q.get("unit", ""))
                for q in items if isinstance(q, dict))
    return memo.put(text, out) if isinstance(text, str) else out


@dataclass
class _Agencies:
    codes: dict[int, str]
    final: dict[int, int]
    wanted: set[int] | None  # ids whose work the --agency filter keeps

    def now_code(self) -> dict[int, str]:
        return {aid: self.codes[self.final.get(aid, aid)] for aid in self.codes}


def _agencies(conn: Connection, agency: str | None) -> _Agencies:
    A = tables.agency.c
    rows = conn.execute(select(A.id, A.code, A.successor_id)).all()  # one Core query: 5,000 agencies
    codes = {i: c for i, c, _ in rows}
    final = _final({i: s for i, _, s in rows})
    wanted = None
    if agency is not None:
        target = next((i for i, c in codes.items() if c == agency), None)
        if target is None:
            raise LookupError(agency)
        wanted = {i for i, f in final.items() if f == target or i == target}
    return _Agencies(codes, final, wanted)


def iter_board(db: Session | Connection, today: date, query: BoardQuery = BoardQuery()) -> Iterator[BoardRow]:
    """Deliverables then indicators, each in plan order, streamed; raises LookupError for an unknown agency now.

    db: a session or a connection. Rows' milestone and quantity tuples may be shared between rows (they are
    immutable).
    """
    conn = db if isinstance(db, Connection) else db.connection()
    ags = _agencies(conn, query.agency)  # before the generator starts: errors surface at the call
    if conn.dialect.name == "postgresql":
        # Right after a bulk load the statistics are stale and the planner may spend a second compiling
        # this streaming query (JIT); it never pays off for a cursor read once.
        conn.execute(text("SET LOCAL jit = off"))
    parts = []  # chained, not `yield from` in a wrapper: one generator frame less per row
    if query.deliverables and query.category != "indicator":
        parts.append(_deliverables(conn, today, query, ags))
    if query.indicators and query.category in (None, "indicator"):
        parts.append(_indicators(conn, today, query, ags))
    return itertools.chain.from_iterable(parts)


def _driver_chunks(conn: Connection, statement, plan_ids: list[int]) -> Iterator[tuple[int, list[tuple]]]:
    """(plan id, rows) of statement for each plan, rows as the database driver returns them, STREAM_BATCH at a
    time, from a server-side cursor on PostgreSQL.

    The board's one hot query skips SQLAlchemy's row objects and type processors (a third of its time a row);
    the caller converts what a driver leaves as text (SQLite's dates). The statement is compiled once.
    """
    compiled = statement.compile(dialect=conn.dialect)
    dbapi = conn.connection.dbapi_connection
    server_side = conn.dialect.name == "postgresql"
    for n, plan_id in enumerate(plan_ids):
        state = compiled.construct_expanded_state({"plan_id": plan_id})  # IN lists expanded, values bound
        sql, names = state.statement, state.positiontup or list(state.parameters)
        values = [state.processors[k](state.parameters[k]) if k in state.processors else state.parameters[k]
                  for k in names]
        params = tuple(values) if compiled.positional else dict(zip(names, values))
        cursor = dbapi.cursor(name=f"plantrack_board_{n}") if server_side else dbapi.cursor()
        try:
            if server_side:
                cursor.itersize = STREAM_BATCH
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(STREAM_BATCH):
                yield plan_id, chunk
        finally:
            cursor.close()


def _deliverables(conn: Connection, today: date, query: BoardQuery, ags: _Agencies) -> Iterator[DeliverableRow]:
    D, P, S = tables.deliverable.c, tables.plan.c, tables.deliverable_support.c
    support = select(_support_agg(conn, S.agency_id)).where(S.deliverable_id == D.id).scalar_subquery()
    # One plan at a time, in plan-number order: each reads (plan_id, position) from its index, already in
    # order, whatever the planner would guess for a join sorted by plan number (a sort of every row first).
    # Enums and JSON come as their stored text: mapped below with one dict lookup (or a memo).
    q = (
        select(D.code, D.title, D.category, D.lead_agency_id, D.report_to_agency_id, D.start_date, D.due_date,
               D.due_wording, D.state, D.progress, D.completed_on, D.last_report_at, D.schedule, cast(D.milestones, Text),
               cast(D.quantities, Text), D.short_title, D.description, D.assumption, support)
        .where(D.plan_id == bindparam("plan_id"), D.archived.is_(False))  # compiled once, set per plan
        .order_by(D.position)
    )
    if query.category:
        q = q.where(D.category == query.category)
    pre = status_prefilter(D.state, D.due_date, query.statuses, today)
    if pre is not None:
        q = q.where(pre)
    if ags.wanted is not None:
        supported = select(S.deliverable_id).where(S.agency_id.in_(ags.wanted))
        q = q.where(or_(D.lead_agency_id.in_(ags.wanted), D.id.in_(supported)))
    plans = select(P.id, P.number).order_by(P.number)
    if query.plan:
        plans = plans.where(P.number == query.plan)
    number_of = dict(conn.execute(plans).all())

    codes, final = ags.codes, ags.final
    now_code = {str(aid): code for aid, code in ags.now_code().items()}  # keyed as the aggregate spells ids
    wanted_status, soon = query.statuses, query.due_soon_days
    dl = _Deadlines(query.deadlines, today)
    effective, wd_left, cal, wordings = dl.effective, dl.left, dl.cal, _WORDINGS
    m_memo, q_memo = _Memo(), _Memo()
    day, moment = date.fromisoformat, datetime.fromisoformat
    for plan_id, chunk in _driver_chunks(conn, q, list(number_of)):
        number = number_of[plan_id]
        for (code, title, category, lead_id, report_to_id, start, written, wording, state, progress, completed_on,
             last_report_at, schedule, milestones, quantities, short_title, description, assumption,
             supp) in chunk:
            # SQLite hands dates back as ISO text, PostgreSQL as dates.
            if start.__class__ is str:
                start = day(start)
            if written.__class__ is str:
                written = day(written)
            if completed_on.__class__ is str:
                completed_on = day(completed_on)
            due = effective(written, wording, schedule)
            key = derive_status(state, start, due, completed_on, today, soon, cal)
            if wanted_status and key not in wanted_status:
                continue
            lead = codes[final.get(lead_id, lead_id) if key in OPEN_STATUSES else lead_id]
            if not supp:
                supporting = ()
            elif "," not in supp:  # one supporting agency: most rows
                one = now_code[supp]
                supporting = () if one == lead else (one,)
            else:
                names = {now_code[a] for a in supp.split(",")}
                names.discard(lead)
                supporting = tuple(sorted(names))
            if last_report_at is not None:
                last_report_at = as_utc(moment(last_report_at) if last_report_at.__class__ is str else last_report_at)
            yield DeliverableRow(  # positional: keywords cost ~0.5 us a row here
                number, code, title, category, lead, codes[lead_id], supporting,
                None if report_to_id is None else codes[report_to_id], start, due, _STATES[state], progress,
                key, None if due is None else (due - today).days, last_report_at, _SCHEDULES[schedule],
                () if milestones is None or milestones == "[]" else _milestones(milestones, m_memo),
                () if quantities is None or quantities == "[]" else _quantities(quantities, q_memo),
                short_title, description, assumption, written, wordings[wording], wd_left(due))


def _indicators(conn: Connection, today: date, query: BoardQuery, ags: _Agencies) -> Iterator[IndicatorRow]:
    I, P = tables.indicator.c, tables.plan.c
    iq = (select(I.code, I.text, I.owner_agency_id, I.due_date, I.last_value, I.last_report_at, I.baseline,
                 I.baseline_year, I.target, I.unit, I.direction, P.number, P.period_start)
          .join(tables.plan, P.id == I.plan_id)
          .where(I.archived.is_(False)).order_by(P.number, I.position))
    if query.plan:
        iq = iq.where(P.number == query.plan)
    if ags.wanted is not None:
        iq = iq.where(I.owner_agency_id.in_(ags.wanted))
    codes, final = ags.codes, ags.final
    dl = _Deadlines(query.deadlines, today)
    result = conn.execute(iq.execution_options(stream_results=True, max_row_buffer=STREAM_BATCH,
                                                  yield_per=STREAM_BATCH))
    for (code, text, owner_id, written, last_value, last_report_at, baseline, baseline_year, target, unit, direction,
         number, period_start) in result:
        state = ReportedState.IN_PROGRESS if last_value is not None else ReportedState.NOT_STARTED
        due = dl.effective(written, DueWording.BY)
        key = derive_status(state, period_start, due, None, today, query.due_soon_days, dl.cal)
        if query.statuses and key not in query.statuses:
            continue
        yield IndicatorRow(
            plan=number, code=code, title=text, lead=codes[final.get(owner_id, owner_id)],
            planned_lead=codes[owner_id], start=period_start, due=due, state=state, status_key=key,
            days_left=days_left(today, due), last_report_at=last_report_at, baseline=_num(baseline),
            baseline_year=baseline_year, target=_num(target), unit=unit, direction=direction,
            last_value=_num(last_value), achieved=indicator_achieved(direction, target, last_value, baseline),
            due_written=written, working_days_left=dl.left(due))
    result.close()


def board(
    session: Session | Connection,
    today: date,
    *,
    agency: str | None = None,
    overdue_only: bool = False,
    plan_number: str | None = None,
    due_soon_days: int = DUE_SOON_WORKING_DAYS,
    indicators: bool = True,
    deadlines: DeadlinePolicy | None = None,
) -> list[BoardRow]:
    """Every live deliverable and indicator with status as of today, in plan order (a list: small boards only).

    overdue_only keeps overdue deliverables (no indicators), as `status --overdue` does. Status counts the
    effective deadline of deadlines (default: Article 148 on the shipped working days).
    """
    query = BoardQuery(agency=agency, plan=plan_number, due_soon_days=due_soon_days,
                       deadlines=deadlines or DeadlinePolicy(),
                       statuses=frozenset({StatusKey.OVERDUE}) if overdue_only else frozenset(),
                       indicators=indicators and not overdue_only)
    return list(iter_board(session, today, query))
