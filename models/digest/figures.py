"""The figures of a plan as of a day, for the people who answer for it: the weekly digest and the status
board read the same ones (typed, computed from the board with the status rules of models.status)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantrack.models.board import board
from plantrack.models.deadlines import DeadlinePolicy
from plantrack.models.digest import sources
from plantrack.models.digest.snapshot import Snapshot, previous_snapshot, week_key
from plantrack.models.digest.sources import LastAnswer
from plantrack.models.entities import Agency, Plan
from plantrack.models.enums import Direction
from plantrack.models.status import DUE_SOON_WORKING_DAYS, OPEN_STATUSES, StatusKey

# Most urgent first: how counts, bars and legends are ordered everywhere.
STATUS_ORDER = (StatusKey.OVERDUE, StatusKey.DUE_SOON, StatusKey.ON_TRACK, StatusKey.NOT_STARTED,
                StatusKey.DONE_ON_TIME, StatusKey.DONE_LATE, StatusKey.PAUSED, StatusKey.CANCELLED)
DONE = frozenset({StatusKey.DONE_ON_TIME, StatusKey.DONE_LATE})
TOP_LEVEL = 4  # the escalation level listed for the Deputy Chair (config/escalation.yaml)


@dataclass(frozen=True)
class FigureOptions:
    """What the figures depend on besides the database and the day."""

    tz: ZoneInfo = ZoneInfo("Asia/Ho_Chi_Minh")
    due_soon_days: int = DUE_SOON_WORKING_DAYS  # working days, as the board counts them
    deadlines: DeadlinePolicy = DeadlinePolicy()  # written deadline -> effective one, and the working days
    upcoming_days: int = 14  # deadlines listed ahead, calendar days
    reply_days: int = 2  # a check-in asks for the answer this many working days after its round opened ...
    reply_time: time = time(16, 0)  # ... at this time (the REPLY BY a check-in states): on time until then
    plan_number: str | None = None

    @classmethod
    def from_settings(cls, settings, plan_number: str | None = None) -> FigureOptions:
        return cls(settings.tz, settings.due_soon_days, DeadlinePolicy.from_settings(settings),
                   settings.digest_upcoming_days, settings.checkin_reply_days, settings.checkin_reply_time, plan_number)


@dataclass(frozen=True)
class Counts:
    """Deliverables per status category (every category present, zeros included) and never reported."""

    by_status: tuple[tuple[StatusKey, int], ...]
    never_reported: int

    @property
    def total(self) -> int:
        return sum(n for _, n in self.by_status)

    def __getitem__(self, key: StatusKey) -> int:
        return dict(self.by_status)[key]

    @classmethod
    def of(cls, counts: dict[StatusKey, int], never_reported: int) -> Counts:
        return cls(tuple((k, counts.get(k, 0)) for k in STATUS_ORDER), never_reported)


@dataclass(frozen=True)
class Item:
    """A deliverable as the digest names it."""

    code: str
    title: str
    lead: str  # agency code now responsible
    lead_name: str
    status: StatusKey


@dataclass(frozen=True)
class OverdueItem:
    """An overdue deliverable: how late in working days, its escalation level, its last report."""

    code: str
    title: str
    lead: str
    lead_name: str
    due: date  # the effective deadline
    working_days_late: int
    days_late: int
    level: int | None  # highest active escalation level; None: not escalated
    last_report: date | None  # plan time; None: never reported
    progress: int | None


@dataclass(frozen=True)
class Blocker:
    """A blocker (vướng mắc) reported in the period, with its note."""

    code: str
    title: str
    lead: str
    lead_name: str
    reported_on: date
    note: str
    reported_by: str | None  # agency code


@dataclass(frozen=True)
class AgencyLine:
    """One lead agency: its deliverables per status and how it answers check-ins."""

    code: str
    name: str
    counts: Counts
    reports_due: int
    reports_on_time: int
    last_answer: LastAnswer  # to the latest check-in it was sent
    missed_in_a_row: int

    @property
    def overdue(self) -> int:
        return self.counts[StatusKey.OVERDUE]

    @property
    def on_time_rate(self) -> float | None:
        return self.reports_on_time / self.reports_due if self.reports_due else None


@dataclass(frozen=True)
class Silent:
    """An agency that did not answer the last check-in rounds it was sent."""

    code: str
    name: str
    rounds: int  # in a row, newest first


@dataclass(frozen=True)
class Upcoming:
    """A deadline in the next days: a deliverable or a target, its effective deadline and working days left."""

    code: str
    title: str
    lead: str
    lead_name: str
    due: date
    working_days_left: int
    status: StatusKey
    is_target: bool = False


class Trend(StrEnum):
    """Which way a target goes, as a reader says it: 1,38% -> 1,36% is a decrease."""

    INCREASE = "increase"
    DECREASE = "decrease"
    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    MORE_THAN = "more_than"


@dataclass(frozen=True)
class TargetLine:
    """A target (chỉ tiêu): baseline -> target -> latest value, with how far along it is."""

    code: str
    text: str
    unit: str
    owner: str
    owner_name: str
    baseline: float | int | None
    baseline_year: int | None
    target: float | int | None  # None: a direction only
    direction: Direction
    trend: Trend
    latest: float | int | None
    latest_on: date | None
    progress: float | None  # 0..1 of the way from baseline (or zero) to target; None: cannot say
    achieved: bool | None
    due: date | None


@dataclass(frozen=True)
class Changes:
    """What changed since the previous snapshot (None: no snapshot to compare with)."""

    since: date | None
    counts: tuple[tuple[StatusKey, int], ...] | None  # now minus then, per status
    never_reported: int | None
    newly_done: tuple[Item, ...] = ()
    newly_overdue: tuple[Item, ...] = ()
    new_blockers: tuple[Blocker, ...] = ()


@dataclass(frozen=True)
class PlanFigures:
    """Everything the digest says about one plan on one day (and the snapshot it leaves for next week)."""

    plan_id: int
    plan_number: str
    plan_title: str
    today: date
    week: str
    counts: Counts
    top_level: tuple[OverdueItem, ...]  # at escalation level 4 and above, most late first
    overdue: tuple[OverdueItem, ...]  # the other overdue items, most late first
    agencies: tuple[AgencyLine, ...]  # most overdue first
    silent: tuple[Silent, ...]  # most rounds first
    upcoming: tuple[Upcoming, ...]  # by deadline
    targets: tuple[TargetLine, ...]  # plan order
    changes: Changes
    upcoming_days: int
    snapshot: Snapshot = field(repr=False)

    @property
    def all_overdue(self) -> tuple[OverdueItem, ...]:
        return self.top_level + self.overdue


# ---- computing them ---------------------------------------------------------------------------------------

def local_day(at: datetime | None, tz: ZoneInfo) -> date | None:
    return at.astimezone(tz).date() if at is not None else None


def trend_of(direction: Direction, baseline, target) -> Trend:
    """The way a target goes: increase/decrease when the plan says so or the baseline shows it."""
    if direction == Direction.INCREASE or direction == Direction.DECREASE:
        return Trend(direction.value)
    if baseline is not None and target is not None and baseline != target:
        if direction == Direction.AT_MOST:
            return Trend.DECREASE if baseline > target else Trend.AT_MOST
        return Trend.INCREASE if baseline < target else Trend(direction.value)
    return Trend(direction.value)


def target_progress(direction: Direction, baseline, target, value) -> float | None:
    """How far value has come from baseline towards target (0..1); without a baseline, from zero (or, for an
    upper bound, 1 once met); None without a value or a numeric target."""
    if value is None or target is None:
        return None
    b, t, v = (Decimal(str(x)) if x is not None else None for x in (baseline, target, value))
    if direction == Direction.AT_MOST:
        if b is not None and b > t:
            share = (b - v) / (b - t)
        else:
            return 1.0 if v <= t else 0.0
    elif b is not None and b < t:
        share = (v - b) / (t - b)
    elif t > 0:
        share = v / t
    else:
        return 1.0 if v >= t else 0.0
    return float(min(Decimal(1), max(Decimal(0), share)))


def _names(session: Session, lang: str) -> dict[str, str]:
    """Agency code -> the short name a phone line has room for (in lang)."""
    out = {}
    for code, name, name_en, short in session.execute(select(Agency.code, Agency.name, Agency.name_en,
                                                             Agency.short_name)).all():
        out[code] = (short or name) if lang == "vi" else (name_en or name)
    return out


def plan_figures(session: Session, plan: Plan, today: date, opts: FigureOptions, lang: str = "vi") -> PlanFigures:
    """The figures of plan as of today, compared with its snapshot of an earlier week."""
    tz = opts.tz
    names = _names(session, lang)
    rows = board(session, today, plan_number=plan.number, due_soon_days=opts.due_soon_days, deadlines=opts.deadlines)
    deliverables = [r for r in rows if r.kind == "deliverable"]
    indicators = [r for r in rows if r.kind == "indicator"]
    levels = sources.escalation_levels(session, plan.id)
    codes_by_id = dict(session.execute(select(Agency.id, Agency.code)).all())

    status: dict[str, StatusKey] = {r.code: StatusKey(r.status_key) for r in deliverables}
    never = sum(1 for r in deliverables if r.last_report_at is None)
    counts = Counts.of(Counter(status.values()), never)

    overdue = _overdue(deliverables, names, levels, today, tz)
    top = tuple(o for o in overdue if (o.level or 0) >= TOP_LEVEL)

    answers = {codes_by_id[a]: x for a, x in
               sources.checkin_answers(session, plan.id, today, opts.reply_days, opts.reply_time, tz,
                                       opts.deadlines.calendar).items()}
    agencies = []
    for code, c in _lead_counts(deliverables).items():
        a = answers.get(code)
        agencies.append(AgencyLine(code, names.get(code, code), c, a.due if a else 0, a.on_time if a else 0,
                                   a.last if a else LastAnswer.NOT_ASKED, a.missed_in_a_row if a else 0))
    agencies.sort(key=_most_urgent_agency)
    silent = sorted((Silent(code, names.get(code, code), a.missed_in_a_row)
                     for code, a in answers.items() if a.missed_in_a_row > 0),
                    key=lambda s: (-s.rounds, s.name))

    horizon = today + timedelta(days=opts.upcoming_days)
    upcoming = sorted(
        (Upcoming(r.code, r.title, r.lead, names.get(r.lead, r.lead), r.due, r.working_days_left,
                  StatusKey(r.status_key), r.kind == "indicator")
         for r in rows if r.due is not None and today <= r.due <= horizon and r.status_key in OPEN_STATUSES),
        key=lambda u: (u.due, u.code))

    targets = []
    for r in indicators:
        direction = Direction(r.direction)
        targets.append(TargetLine(
            r.code, r.title, r.unit, r.lead, names.get(r.lead, r.lead), r.baseline, r.baseline_year, r.target,
            direction, trend_of(direction, r.baseline, r.target), r.last_value, local_day(r.last_report_at, tz),
            target_progress(direction, r.baseline, r.target, r.last_value), r.achieved, r.due))

    week = week_key(today)
    prev = previous_snapshot(session, plan.id, week)
    items = {r.code: r for r in deliverables}

    def item(code: str) -> Item:
        r = items[code]
        return Item(code, r.title, r.lead, names.get(r.lead, r.lead), status[code])

    since = prev.as_of if prev else today - timedelta(days=7)
    blockers = tuple(
        Blocker(b.code, items[b.code].title, items[b.code].lead, names.get(items[b.code].lead, items[b.code].lead),
                b.reported_at.astimezone(tz).date(), b.note, codes_by_id.get(b.agency_id))
        for b in sources.blocker_reports(session, plan.id, sources.end_of_day(since, tz), sources.end_of_day(today, tz))
        if b.code in items)
    if prev is None:
        changes = Changes(None, None, None, new_blockers=blockers)
    else:
        then = Counts.of(prev.counts, prev.never_reported)
        changes = Changes(
            prev.as_of, tuple((k, n - then[k]) for k, n in counts.by_status), counts.never_reported - then.never_reported,
            newly_done=tuple(item(c) for c, k in status.items() if k in DONE and prev.statuses.get(c) not in DONE),
            newly_overdue=tuple(item(c) for c, k in status.items()
                                if k == StatusKey.OVERDUE and prev.statuses.get(c) != StatusKey.OVERDUE),
            new_blockers=blockers)

    snap = Snapshot(week, today, dict(Counter(status.values())), never, status)
    return PlanFigures(plan.id, plan.number, plan.title, today, week, counts, top,
                       tuple(o for o in overdue if o not in top), tuple(agencies), tuple(silent), tuple(upcoming),
                       tuple(targets), changes, opts.upcoming_days, snap)


def _overdue(deliverables: list, names: dict[str, str], levels: dict[str, int], today: date,
             tz: ZoneInfo) -> list[OverdueItem]:
    """The overdue board rows as OverdueItems, most late first (then highest escalation level)."""
    out = [OverdueItem(r.code, r.title, r.lead, names.get(r.lead, r.lead), r.due, -r.working_days_left,
                       (today - r.due).days, levels.get(r.code), local_day(r.last_report_at, tz), r.progress)
           for r in deliverables if r.status_key == StatusKey.OVERDUE]
    out.sort(key=lambda o: (-o.working_days_late, -(o.level or 0), o.code))
    return out


def _lead_counts(deliverables: list) -> dict[str, Counts]:
    """Lead agency code -> its deliverables per status and never reported."""
    by_lead: dict[str, Counter] = {}
    never_by_lead: Counter = Counter()
    for r in deliverables:
        by_lead.setdefault(r.lead, Counter())[StatusKey(r.status_key)] += 1
        never_by_lead[r.lead] += r.last_report_at is None
    return {code: Counts.of(c, never_by_lead[code]) for code, c in by_lead.items()}


def _most_urgent_agency(a) -> tuple:
    return -a.counts[StatusKey.OVERDUE], -a.counts[StatusKey.DUE_SOON], a.name


@dataclass(frozen=True)
class LeadAgency:
    """A lead agency on the status board: its deliverables per status, how it stands on its latest check-in."""

    code: str
    name: str
    counts: Counts
    last_answer: LastAnswer


@dataclass(frozen=True)
class BoardFigures:
    """The part of a plan's figures that the status board shows after every flow run."""

    agencies: tuple[LeadAgency, ...]  # most overdue first, as PlanFigures.agencies
    overdue: tuple[OverdueItem, ...]  # most late first: PlanFigures.all_overdue's items


def board_figures(session: Session, plan: Plan, today: date, opts: FigureOptions, lang: str = "vi") -> BoardFigures:
    """plan_figures' agencies (without answer rates) and overdue items, as of today, at a fraction of its reads:
    the latest check-in round only (sources.last_answers), no snapshot, no blockers, no indicators."""
    names = _names(session, lang)
    rows = board(session, today, plan_number=plan.number, due_soon_days=opts.due_soon_days, deadlines=opts.deadlines,
                 indicators=False)
    deliverables = [r for r in rows if r.kind == "deliverable"]
    codes_by_id = dict(session.execute(select(Agency.id, Agency.code)).all())
    last = {codes_by_id[a]: x for a, x in sources.last_answers(
        session, plan.id, today, opts.reply_days, opts.reply_time, opts.tz, opts.deadlines.calendar).items()}
    agencies = sorted((LeadAgency(code, names.get(code, code), c, last.get(code, LastAnswer.NOT_ASKED))
                       for code, c in _lead_counts(deliverables).items()), key=_most_urgent_agency)
    overdue = _overdue(deliverables, names, sources.escalation_levels(session, plan.id), today, opts.tz)
    return BoardFigures(tuple(agencies), tuple(overdue))


def plans(session: Session, plan_number: str | None = None) -> list[Plan]:
    """Every loaded plan (or the one numbered plan_number; LookupError when it is not loaded)."""
    q = select(Plan).order_by(Plan.number)
    if plan_number:
        q = q.where(Plan.number == plan_number)
    found = list(session.scalars(q))
    if plan_number and not found:
        raise LookupError(f"no plan {plan_number!r} is loaded")
    return found
