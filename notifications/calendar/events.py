"""The events of a plan's calendar from board rows: Vietnamese text, dates and status markers (pure)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime
from zoneinfo import ZoneInfo

from plantrack.models.board import BoardRow
from plantrack.models.status import StatusKey, label
from plantrack.notifications.calendar.ical import EventSpec, day_formatter, event_uid, exclusive_end

# English message ids (config/locale has the words of each language).
MARKERS = {
    StatusKey.OVERDUE: "Overdue",
    StatusKey.DUE_SOON: "Due soon",
    StatusKey.DONE_ON_TIME: "Done",
    StatusKey.DONE_LATE: "Done late",
    StatusKey.PAUSED: "Paused",
    StatusKey.CANCELLED: "Cancelled",
}
# Milestones have no reports of their own: only the deliverable's terminal states mark them.
MILESTONE_MARKED = frozenset(MARKERS) - {StatusKey.OVERDUE, StatusKey.DUE_SOON}
NO_ALARM = frozenset({StatusKey.DONE_ON_TIME, StatusKey.DONE_LATE, StatusKey.CANCELLED})

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
def markers(lang: str) -> dict[StatusKey, str]:
    """The short status word of an event title, per status."""
    from plantrack.config.i18n import translations

    t = translations(lang)
    return {k: t.pgettext("marker", v) for k, v in MARKERS.items()}


@lru_cache(maxsize=8)
def texts(lang: str) -> dict[str, object]:
    """Description headings in lang; nothing here may depend on today except the status (or every run rewrites all)."""
    from plantrack.config.i18n import gettext_for

    _ = gettext_for(lang)
    return dict(milestone=(_("Milestone of "), ": "), plan=(_("Plan: "), _("; item ")), lead=_("Lead: "),
                planned=(_("(Lead in the plan: "), ")"), support=_("Supporting: "), span=(_("Period: "), " - "),
                due=_("Due: "), progress=(_("; progress "), "%"), status=_("Status: "),
                last=_("Last report: "), never=_("none yet"), how=_(HOW_TO_REPORT))


@dataclass(frozen=True)
class Skipped:
    """A date the feeds leave out, and why (listed in the run's artifact)."""

    plan: str
    code: str
    reason: str


@dataclass(frozen=True)
class EventOptions:
    alarm_days: tuple[int, ...] = (7, 1)
    event_url: str | None = None  # template with {plan} and {code}
    timezone: str = "Asia/Ho_Chi_Minh"
    lang: str = "vi"  # vi | en: markers, roles, category names and description headings


def category_label(key: str, lang: str = "vi") -> str:
    from plantrack.config.i18n import gettext_for

    return gettext_for(lang)(CATEGORY_LABELS[key]) if key in CATEGORY_LABELS else key


_d = day_formatter("%d/%m/%Y")


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


def _quantity_lines(quantities: list) -> str:
    return "".join([f"- {q.get('what', '')}: {q.get('amount', '')} {q.get('unit', '')}".rstrip() + "\n"
                    for q in quantities])


def _description(row: BoardRow, names: dict[str, str], tz: ZoneInfo, milestone: dict | None,
                 lang: str = "vi", memo: dict | None = None) -> str:
    """The event text; memo (per batch) keeps rendered quantity lists, shared by identity between rows."""
    t = texts(lang)
    labels = names if isinstance(names, _Labels) else _Labels(names)
    plan_t, code = t["plan"], row.code
    out = [plan_t[0], row.plan, plan_t[1], code, "\n", t["lead"], labels[row.lead], "\n"]
    if milestone:
        out[:0] = [t["milestone"][0], code, t["milestone"][1], row.title, "\n"]
    if row.planned_lead != row.lead:
        out += (t["planned"][0], labels[row.planned_lead], t["planned"][1], "\n")
    if row.supporting:
        out += (t["support"], "; ".join([labels[c] for c in row.supporting]), "\n")
    extra = row.extra
    if row.start and extra.get("schedule") == "span":
        out += (t["span"][0], _d(row.start), t["span"][1], _d(row.due), "\n")
    elif row.due:
        out += (t["due"], _d(row.due), "\n")
    quantities = extra.get("quantities")
    if quantities:
        if memo is None:
            out.append(_quantity_lines(quantities))
        else:
            hit = memo.get(id(quantities))
            if hit is None or hit[0] is not quantities:
                hit = memo[id(quantities)] = (quantities, _quantity_lines(quantities))
            out.append(hit[1])
    out += (t["status"], label(row.status_key, lang))
    if row.progress is not None:
        out += (t["progress"][0], str(row.progress), t["progress"][1])
    out += ("\n", t["last"])
    if row.last_report_at:
        at = datetime.fromisoformat(row.last_report_at)
        out.append(_d(at.astimezone(tz) if at.tzinfo else at))
    else:
        out.append(t["never"])
    out += ("\n", t["how"])
    return "".join(out)


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _url(opts: EventOptions, row: BoardRow) -> str | None:
    if not opts.event_url:
        return None
    from urllib.parse import quote

    return opts.event_url.format(plan=quote(row.plan, safe=""), code=quote(row.code, safe=""))


def _milestone_dates(m: dict) -> tuple[date, date] | None:
    try:
        start = date.fromisoformat(m["start"]) if m.get("start") else None
        end = date.fromisoformat(m["end"]) if m.get("end") else start
    except (TypeError, ValueError):
        return None
    if start is None or end is None or end < start:
        return None
    return start, end


def events_of(row: BoardRow, names: dict[str, str], opts: EventOptions,
              memo: dict | None = None) -> tuple[list[EventSpec], list[Skipped]]:
    """The events of one deliverable: its due date (or span) and each dated milestone."""
    tz = _zone(opts.timezone)
    lang = opts.lang
    events: list[EventSpec] = []
    skipped: list[Skipped] = []
    cats = (category_label(row.category, lang),)
    alarms = () if row.status_key in NO_ALARM else opts.alarm_days
    cancelled = row.status_key == StatusKey.CANCELLED
    common = dict(categories=cats, cancelled=cancelled, url=_url(opts, row), alarm_days=alarms, plan=row.plan,
                  category=row.category, lead=row.lead, supporting=row.supporting)
    if row.due is None:
        skipped.append(Skipped(row.plan, row.code, "no due date"))
    else:
        span = row.extra.get("schedule") == "span" and row.start is not None and row.start <= row.due
        events.append(EventSpec(
            uid=event_uid(row.plan, row.code), code=row.code, title=row.title, marker=markers(lang).get(row.status_key),
            description=_description(row, names, tz, None, lang, memo), start=row.start if span else row.due,
            end=exclusive_end(row.due), **common))
    for m in row.extra.get("milestones") or ():
        dates = _milestone_dates(m)
        if dates is None or not m.get("key"):
            skipped.append(Skipped(row.plan, f"{row.code}#{m.get('key', '?')}", "milestone without a valid date"))
            continue
        events.append(EventSpec(
            uid=event_uid(row.plan, row.code, m["key"]), code=row.code, title=m.get("title") or row.title,
            marker=markers(lang).get(row.status_key) if row.status_key in MILESTONE_MARKED else None, description=_description(row, names, tz, m, lang, memo),
            start=dates[0], end=exclusive_end(dates[1]), **common))
    return events, skipped


def plan_events(rows: list[BoardRow], names: dict[str, str], opts: EventOptions) -> tuple[list[EventSpec], list[Skipped]]:
    """All events of the deliverable rows, in plan order; indicators are not calendar items."""
    events: list[EventSpec] = []
    skipped: list[Skipped] = []
    names = _Labels(names)
    memo: dict = {}
    for row in rows:
        if row.kind != "deliverable":
            continue
        ev, sk = events_of(row, names, opts, memo)
        events += ev
        skipped += sk
    return events, skipped
