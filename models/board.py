"""Read the state of a plan: one set-based query per table, status derived as of a day."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Text, or_, select, type_coerce
from sqlalchemy.orm import Session

from plantrack.models.deadlines import DeadlinePolicy, DueWording, deadline_text
from plantrack.models.entities import Agency, Deliverable, Indicator, Plan, deliverable_support
from plantrack.models.enums import DIRECTION_ONLY, Direction
from plantrack.models.status import (DUE_SOON_WORKING_DAYS, OPEN_STATUSES, StatusKey, days_left, derive_status, label,
                                     not_reported)


@dataclass(slots=True)  # not frozen: frozen __init__ costs a setattr call per field on 100,000 rows
class BoardRow:
    """One line of the board: a deliverable or an indicator, with its derived status."""

    kind: str  # deliverable | indicator
    plan: str
    code: str
    title: str
    category: str
    lead: str  # the agency responsible now (successor for open work of a merged agency)
    planned_lead: str
    supporting: tuple[str, ...]
    report_to: str | None
    start: date | None
    due: date | None  # the effective deadline (models/deadlines.py): what status and escalation count
    state: str
    progress: int | None
    status_key: StatusKey
    days_left: int | None
    last_report_at: str | None
    extra: dict
    short_title: str | None = None
    description: str | None = None
    assumption: str | None = None  # what the plan file chose itself (dates the plan does not give)
    due_written: date | None = None  # the deadline as the plan writes it
    due_wording: str = DueWording.BY  # before ("trước ngày") | by
    working_days_left: int | None = None  # to the effective deadline; negative: working days overdue
    reported: bool = False  # False: nobody has ever reported on it ("chưa có báo cáo")

    @property
    def due_differs(self) -> bool:
        """The effective deadline is another day than the written one."""
        return self.due != self.due_written

    def due_text(self, lang: str = "vi") -> str:
        """'trước 15/06/2024 (thứ Bảy), tính đến hết 14/06/2024 (thứ Sáu)'."""
        return deadline_text(self.due_written, self.due_wording, self.due, lang)

    def status_text(self, lang: str = "vi") -> str:
        """The derived status, with 'chưa có báo cáo' beside it when nothing was ever reported."""
        text = label(self.status_key, lang)
        return text if self.reported else f"{text} ({not_reported(lang)})"

    def as_json(self, lang: str = "vi") -> dict:
        out = {
            "kind": self.kind, "plan": self.plan, "code": self.code, "title": self.title,
            "category": self.category, "lead": self.lead, "supporting": list(self.supporting),
            "report_to": self.report_to,
            "start": self.start.isoformat() if self.start else None,
            "due": self.due.isoformat() if self.due else None,
            "state": self.state, "status": label(self.status_key, lang),
            "status_key": str(self.status_key), "progress": self.progress,
            "days_left": self.days_left, "last_report_at": self.last_report_at,
            "due_written": self.due_written.isoformat() if self.due_written else None,
            "due_wording": str(self.due_wording), "due_text": self.due_text(lang) if self.due_written else None,
            "working_days_left": self.working_days_left, "reported": self.reported,
        }
        if self.planned_lead != self.lead:
            out["planned_lead"] = self.planned_lead
        out.update(self.extra)
        return out


def successor_map(session: Session) -> dict[int, int]:
    """Agency id -> the id of the agency that carries its work now (itself when never merged)."""
    succ = dict(session.execute(select(Agency.id, Agency.successor_id)).all())
    final = {}
    for start in succ:
        cur, seen = start, {start}
        while succ.get(cur) is not None and succ[cur] not in seen:
            cur = succ[cur]
            seen.add(cur)
        final[start] = cur
    return final


def agency_codes(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Agency.id, Agency.code)).all())


def _json_list(value, memo: dict | None = None) -> list:
    """A JSON list column read as text (decoded only when not empty; drivers may decode it already).

    With memo, equal texts decode to one shared list (plans repeat quantities): treat it as read-only.
    """
    if value is None or value == "[]":
        return []
    if not isinstance(value, str):
        return value
    if memo is None:
        return json.loads(value)
    out = memo.get(value)
    if out is None:
        out = memo[value] = json.loads(value)
    return out


def _num(v: Decimal | None):
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


def board(
    session: Session,
    today: date,
    *,
    agency: str | None = None,
    overdue_only: bool = False,
    plan_number: str | None = None,
    due_soon_days: int = DUE_SOON_WORKING_DAYS,
    indicators: bool = True,
    deadlines: DeadlinePolicy | None = None,
) -> list[BoardRow]:
    """Every live deliverable and indicator, with status as of today, in plan order.

    Status counts the effective deadline of deadlines (default: Article 148 on the shipped working
    days). Rows' JSON lists (milestones, quantities) may be shared between rows: do not mutate them.
    """
    deadlines = deadlines or DeadlinePolicy()
    cal = deadlines.calendar
    effective_memo: dict[tuple, date | None] = {}
    left_memo: dict[date | None, int | None] = {None: None}

    def effective(due: date | None, wording: str, schedule: str = "deadline") -> date | None:
        key = (due, wording, schedule)
        got = effective_memo.get(key, effective_memo)
        if got is effective_memo:
            got = effective_memo[key] = deadlines.effective(due, wording, schedule)
        return got

    def wd_left(due: date | None) -> int | None:
        got = left_memo.get(due, left_memo)
        if got is left_memo:
            got = left_memo[due] = cal.working_days_between(today, due)
        return got

    codes = agency_codes(session)
    final = successor_map(session)
    wanted_ids: set[int] | None = None
    if agency is not None:
        target = next((i for i, c in codes.items() if c == agency), None)
        if target is None:
            raise LookupError(agency)
        wanted_ids = {i for i, f in final.items() if f == target or i == target}

    D = Deliverable.__table__.c  # Core columns: no ORM row machinery on 100,000 rows
    q = (
        select(D.id, D.code, D.title, D.category, D.lead_agency_id, D.report_to_agency_id,
               D.start_date, D.due_date, D.due_wording, D.state, D.progress, D.completed_on, D.last_report_at,
               D.schedule, type_coerce(D.milestones, Text).label("milestones"),
               type_coerce(D.quantities, Text).label("quantities"), Plan.__table__.c.number,
               D.short_title, D.description, D.assumption)
        .join(Plan.__table__, Plan.__table__.c.id == D.plan_id)
        .where(D.archived.is_(False))
        .order_by(Plan.__table__.c.number, D.position)
    )
    if plan_number:
        q = q.where(Plan.__table__.c.number == plan_number)
    if overdue_only:  # a superset in SQL (an effective deadline is never before written - 1); exact below
        q = q.where(D.due_date <= today, D.state.not_in(("done", "cancelled", "paused")))
    if wanted_ids is not None:
        supported = select(deliverable_support.c.deliverable_id).where(deliverable_support.c.agency_id.in_(wanted_ids))
        q = q.where(or_(D.lead_agency_id.in_(wanted_ids), D.id.in_(supported)))

    rows = session.execute(q).all()
    # The supporting agencies of exactly the rows selected: the same filter as a subquery.
    S = deliverable_support.c
    chosen = q.with_only_columns(D.id).order_by(None)
    support: dict[int, list[str]] = {}
    now_code = {aid: codes[final.get(aid, aid)] for aid in codes}
    sq = select(S.deliverable_id, S.agency_id).where(S.deliverable_id.in_(chosen))
    for did, aid in session.execute(sq).all():  # .all(): iterating the result fetches row by row
        support.setdefault(did, []).append(now_code[aid])

    out: list[BoardRow] = []
    memo: dict[str, list] = {}
    # Tuple unpacking: named attribute access on SQLAlchemy rows costs ~1 us each.
    for (id_, code, title, category, lead_id, report_to_id, start, written, wording, state, progress,
         completed_on, last_report_at, schedule, milestones, quantities, number, short_title, description,
         assumption) in rows:
        due = effective(written, wording, schedule)
        key = derive_status(state, start, due, completed_on, today, due_soon_days, cal)
        if overdue_only and key != StatusKey.OVERDUE:
            continue
        now_lead = final.get(lead_id, lead_id) if key in OPEN_STATUSES else lead_id
        lead = codes[now_lead]
        supp = support.get(id_)
        out.append(BoardRow(
            kind="deliverable", plan=number, code=code, title=title, category=category,
            lead=lead, planned_lead=codes[lead_id],
            supporting=tuple(sorted(set(supp) - {lead})) if supp else (),
            report_to=codes.get(report_to_id), start=start, due=due,
            state=state, progress=progress, status_key=key, days_left=days_left(today, due),
            last_report_at=last_report_at.isoformat() if last_report_at else None,
            extra={"schedule": schedule, "milestones": _json_list(milestones, memo),
                   "quantities": _json_list(quantities, memo)},
            short_title=short_title, description=description, assumption=assumption,
            due_written=written, due_wording=wording, working_days_left=wd_left(due),
            reported=last_report_at is not None,
        ))
    if overdue_only or not indicators:
        return out

    iq = (select(Indicator, Plan.number, Plan.period_start).join(Plan, Plan.id == Indicator.plan_id)
          .where(Indicator.archived.is_(False)).order_by(Plan.number, Indicator.position))
    if plan_number:
        iq = iq.where(Plan.number == plan_number)
    if wanted_ids is not None:
        iq = iq.where(Indicator.owner_agency_id.in_(wanted_ids))
    for ind, number, period_start in session.execute(iq).all():
        state = "in_progress" if ind.last_value is not None else "not_started"
        due = effective(ind.due_date, DueWording.BY)
        key = derive_status(state, period_start, due, None, today, due_soon_days, cal)
        owner = final.get(ind.owner_agency_id, ind.owner_agency_id)
        out.append(BoardRow(
            kind="indicator", plan=number, code=ind.code, title=ind.text, category="indicator",
            lead=codes[owner], planned_lead=codes[ind.owner_agency_id], supporting=(), report_to=None,
            start=period_start, due=due, state=state, progress=None, status_key=key,
            days_left=days_left(today, due), due_written=ind.due_date, working_days_left=wd_left(due),
            reported=ind.last_report_at is not None,
            last_report_at=ind.last_report_at.isoformat() if ind.last_report_at else None,
            extra={"baseline": _num(ind.baseline), "baseline_year": ind.baseline_year,
                   "target": _num(ind.target), "unit": ind.unit, "direction": ind.direction,
                   "last_value": _num(ind.last_value),
                   "achieved": indicator_achieved(ind.direction, ind.target, ind.last_value, ind.baseline)},
        ))
    return out
