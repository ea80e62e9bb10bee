"""The events of a plan's calendar from board rows: Vietnamese text, dates and status markers (pure)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from plantrack.models.board import BoardRow, DeliverableRow, MilestoneItem, QuantityItem
from plantrack.models.deadlines import DeadlinePolicy
from plantrack.models.enums import Schedule
from plantrack.models.plan.notes import dates_assumed, note_in
from plantrack.models.status import StatusKey, label
from plantrack.notifications.calendar.ical import EventSpec, day_formatter, event_uid, exclusive_end

# Status markers of event titles: one symbol (a phone month cell shows ~30 characters); the status word,
# from the catalog of the feed's language, is in the description.
MARKERS = {
    StatusKey.OVERDUE: "⚠",
    StatusKey.DUE_SOON: "⏳",
    StatusKey.DONE_ON_TIME: "✔",
    StatusKey.DONE_LATE: "✔",
    StatusKey.PAUSED: "⏸",
    StatusKey.CANCELLED: "✖",
}
# Milestones have no reports of their own: only the deliverable's terminal states mark them.
MILESTONE_MARKED = frozenset(MARKERS) - {StatusKey.OVERDUE, StatusKey.DUE_SOON}
NO_ALARM = frozenset({StatusKey.DONE_ON_TIME, StatusKey.DONE_LATE, StatusKey.CANCELLED, StatusKey.PAUSED})

# English message ids (config/locale has the words of each language).
CATEGORY_LABELS = {
    "communication": "Communication", "training": "Training",
    "action_month": "Action Month for Children", "forum": "Children's Forum",
    "model": "Support and intervention models", "child_friendly_commune": "Child-friendly communes",
    "care_recreation": "Care and recreation", "violence_prevention": "Violence and abuse prevention",
    "injury_prevention": "Injury and drowning prevention",
    "child_labour": "Child labour prevention", "fund_raising": "Fund raising",
    "inspection": "Inspection", "duty": "Agency duties", "report": "Reports",
}
HOW_TO_REPORT = ("How to report: reply to plantrack's check-in email sent to the lead agency's focal point, "
                 "stating the status and % progress; no login needed.")


@lru_cache(maxsize=8)
def texts(lang: str) -> dict[str, object]:
    """Description headings in lang; nothing here may depend on today except the status (or every run rewrites all)."""
    from plantrack.config.i18n import gettext_for

    _ = gettext_for(lang)
    return dict(milestone=_("Milestone: "), date=_("Date: "), plan=(_("Plan: "), _("; item ")), lead=_("Lead: "),
                planned=(_("(Lead in the plan: "), ")"), support=_("Supporting: "), span=(_("Period: "), " - "),
                due=_("Due: "), effective=_("counted to the end of %(day)s"), assumed=_("planned date"),
                basis=_("Assumption: "), report_to=_("Send the report to: %(agency)s"),
                progress=(_("; progress "), "%"), status=_("Status: "), last=_("Last report: "),
                never=_("no report yet"), how=_(HOW_TO_REPORT))


@dataclass(frozen=True)
class Skipped:
    """A date the feeds leave out, and why (listed in the run's artifact)."""

    plan: str
    code: str
    reason: str


@dataclass(frozen=True)
class EventOptions:
    # Reminders: this many working days before an event that asks for action, at alarm_time (plan time).
    alarm_days: tuple[int, ...] = (1,)
    alarm_time: time = time(8, 0)
    event_url: str | None = None  # template with {plan} and {code}
    timezone: str = "Asia/Ho_Chi_Minh"
    lang: str = "vi"  # vi | en: roles, category names and description headings
    deadlines: DeadlinePolicy = DeadlinePolicy()  # effective deadlines (events fall on them) and working days


def category_label(key: str, lang: str = "vi") -> str:
    from plantrack.config.i18n import gettext_for

    return gettext_for(lang)(CATEGORY_LABELS[key]) if key in CATEGORY_LABELS else key


_d = day_formatter("%d/%m/%Y")


@lru_cache(maxsize=4096)
def _dated(day: date, lang: str) -> str:
    """'15/06/2024 (thứ Bảy)'; few distinct days among 100,000 events."""
    from plantrack.config.i18n import format_dated

    return format_dated(day, lang)


@lru_cache(maxsize=4096)
def _written(day: date, wording: str, lang: str) -> str:
    """'trước 15/06/2024 (thứ Bảy)' for a "trước ngày" deadline, else '15/06/2024 (thứ Bảy)'."""
    from plantrack.models.deadlines import written_text

    return written_text(day, wording, lang)


def _agency(code: str, names: dict[str, str]) -> str:
    name = names.get(code)
    return f"{name} ({code})" if name and name != code else code


class _Labels(dict):
    """code -> 'name (code)', computed once per agency instead of once per mention."""

    def __init__(self, names: dict[str, str]):
        super().__init__()
        self.names = names

    def __missing__(self, code: str) -> str:
        text = self[code] = _agency(code, self.names)
        return text


def _quantity_lines(quantities: tuple[QuantityItem, ...]) -> str:
    return "".join([f"- {q.what}: {q.amount} {q.unit}".rstrip() + "\n" for q in quantities])


def _date_line(out: list, t: dict, lang: str, start: date, end: date | None, assumed: bool) -> None:
    """'Thời gian: 01/07/2024 (thứ Hai) - 31/08/2024 (thứ Bảy) (ngày dự kiến)' or one day."""
    out.append(_dated(start, lang))
    if end is not None and end != start:
        out += (t["span"][1], _dated(end, lang))
    if assumed:
        out += (" (", t["assumed"], ")")
    out.append("\n")


def _description(row: DeliverableRow, names: dict[str, str], tz: ZoneInfo, milestone: MilestoneItem | None,
                 lang: str = "vi", memo: dict | None = None) -> str:
    """The event text; memo (per batch) keeps rendered quantity lists, shared by identity between rows."""
    t = texts(lang)
    labels = names if isinstance(names, _Labels) else _Labels(names)
    plan_t, code = t["plan"], row.code
    out = [code, ": ", row.title, "\n"]
    assumed = dates_assumed(row.assumption)
    note = row.assumption
    if milestone:  # the milestone's own date first, then its deliverable's
        dates = _milestone_dates(milestone)
        note = milestone.assumption or note
        out += (t["milestone"], milestone.title or row.title, "\n", t["date"])
        _date_line(out, t, lang, dates[0], dates[1], dates_assumed(note))
    span = row.start is not None and row.schedule == Schedule.SPAN
    if span:
        out.append(t["span"][0])
        _date_line(out, t, lang, row.start, row.due_written or row.due, assumed)  # the period as the plan sets it
    if row.due:  # the board's due is the effective deadline: show the plan's wording and date, then it if another
        written = row.due_written or row.due
        out += (t["due"], _written(written, row.due_wording, lang))
        if row.due != written:
            out += (", ", t["effective"] % {"day": _dated(row.due, lang)})
        if assumed and not span:
            out += (" (", t["assumed"], ")")
        out.append("\n")
    if note:
        out += (t["basis"], note_in(note, lang), "\n")
    out += (plan_t[0], row.plan, plan_t[1], code, "\n", t["lead"], labels[row.lead], "\n")
    if row.planned_lead != row.lead:
        out += (t["planned"][0], labels[row.planned_lead], t["planned"][1], "\n")
    if row.supporting:
        out += (t["support"], "; ".join([labels[c] for c in row.supporting]), "\n")
    if row.report_to:
        out += (t["report_to"] % {"agency": labels[row.report_to]}, "\n")
    if row.description:
        out += (row.description.strip(), "\n")
    quantities = row.quantities
    if quantities:
        if memo is None:
            out.append(_quantity_lines(quantities))
        else:
            hit = memo.get(id(quantities))
            if hit is None or hit[0] is not quantities:
                hit = memo[id(quantities)] = (quantities, _quantity_lines(quantities))
            out.append(hit[1])
    out += (t["status"], row.status_text(lang))  # with "chưa có báo cáo" when nobody ever reported
    if row.progress is not None:
        out += (t["progress"][0], str(row.progress), t["progress"][1])
    out += ("\n", t["last"])
    if row.last_report_at:
        at = row.last_report_at
        out.append(_d(at.astimezone(tz) if at.tzinfo else at))
    else:
        out.append(t["never"])
    out += ("\n", t["how"])
    return "".join(out)


def short_title(row: DeliverableRow) -> str:
    """What a calendar title says after the code: the plan file's short title, else the title without
    the ' – agency' ending that a per-agency code (VI.1/SYT) already says."""
    if row.short_title:
        return row.short_title
    title = " ".join(row.title.split())
    if "/" in row.code:
        head, sep, _tail = title.rpartition(" – ")
        if sep:
            return head
    return title


def whole_period(row: DeliverableRow, period: tuple[date, date] | None) -> bool:
    """A duty that runs the plan's whole period (due on its last day, from its first): nothing to do on that day."""
    if period is None or row.due is None:
        return False
    return row.due >= period[1] and (row.start is None or row.start <= period[0])


@lru_cache(maxsize=4096)
def alarm_trigger(start: date, working_days: int, at: time) -> str:
    """TRIGGER of an all-day event starting on start: working_days working days before it, at 'at' (floating)."""
    from plantrack.models.workdays import add_working_days

    fire = datetime.combine(add_working_days(start, -working_days), at)
    before = datetime.combine(start, time(0, 0)) - fire
    days, rest = before.days, before.seconds
    hours, minutes = rest // 3600, rest % 3600 // 60
    text = f"-P{days}D" if days else "-P"
    if hours or minutes:
        text += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return text


def _alarms(opts: EventOptions, start: date) -> tuple[str, ...]:
    return tuple(alarm_trigger(start, n, opts.alarm_time) for n in opts.alarm_days if n > 0)


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _url(opts: EventOptions, row: DeliverableRow) -> str | None:
    if not opts.event_url:
        return None
    from urllib.parse import quote

    return opts.event_url.format(plan=quote(row.plan, safe=""), code=quote(row.code, safe=""))


def _milestone_dates(m: MilestoneItem) -> tuple[date, date] | None:
    start = m.start
    end = m.end or start
    if start is None or end is None or end < start:
        return None
    return start, end


def events_of(row: DeliverableRow, names: dict[str, str], opts: EventOptions, memo: dict | None = None,
              period: tuple[date, date] | None = None) -> tuple[list[EventSpec], list[Skipped]]:
    """The events of one deliverable: its due date (or span) and each dated milestone.

    Alarms only where an action is due on the day: reports, spans, milestones and dated deadlines; never
    on duties that run the plan's whole period, nor once the work is done, paused or cancelled.
    """
    tz = _zone(opts.timezone)
    lang = opts.lang
    events: list[EventSpec] = []
    skipped: list[Skipped] = []
    cats = (category_label(row.category, lang),)
    quiet = row.status_key in NO_ALARM
    cancelled = row.status_key == StatusKey.CANCELLED
    common = dict(categories=cats, cancelled=cancelled, url=_url(opts, row), plan=row.plan,
                  category=row.category, lead=row.lead, supporting=row.supporting)
    if row.due is None:
        skipped.append(Skipped(row.plan, row.code, "no due date"))
    else:
        written = row.due_written or row.due
        span = row.schedule == Schedule.SPAN and row.start is not None and row.start <= written
        start = row.start if span else row.due  # a deadline falls on the effective day; a span keeps its period
        action = row.category == "report" or span or not whole_period(row, period)
        events.append(EventSpec(
            uid=event_uid(row.plan, row.code), code=row.code, title=short_title(row),
            marker=MARKERS.get(row.status_key), description=_description(row, names, tz, None, lang, memo),
            start=start, end=exclusive_end(written if span else row.due), alarms=() if quiet or not action else _alarms(opts, start),
            **common))
    for m in row.milestones:
        dates = _milestone_dates(m)
        if dates is None or not m.key:
            skipped.append(Skipped(row.plan, f"{row.code}#{m.key or '?'}", "milestone without a valid date"))
            continue
        events.append(EventSpec(
            uid=event_uid(row.plan, row.code, m.key), code=row.code, title=m.title or short_title(row),
            marker=MARKERS.get(row.status_key) if row.status_key in MILESTONE_MARKED else None,
            description=_description(row, names, tz, m, lang, memo), start=dates[0], end=exclusive_end(dates[1]),
            alarms=() if quiet else _alarms(opts, dates[0]), **common))
    return events, skipped


def plan_events(rows: list[BoardRow], names: dict[str, str], opts: EventOptions,
                periods: dict[str, tuple[date, date]] | None = None) -> tuple[list[EventSpec], list[Skipped]]:
    """All events of the deliverable rows, in plan order; indicators are not calendar items.

    periods: plan number -> (period start, period end), to know the duties that run all year.
    """
    events: list[EventSpec] = []
    skipped: list[Skipped] = []
    names = _Labels(names)
    memo: dict = {}
    periods = periods or {}
    for row in rows:
        if not isinstance(row, DeliverableRow):
            continue
        ev, sk = events_of(row, names, opts, memo, periods.get(row.plan))
        events += ev
        skipped += sk
    return events, skipped
