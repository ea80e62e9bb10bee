"""The events of a plan's calendar from board rows: Vietnamese text, dates and status markers (pure)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime
from zoneinfo import ZoneInfo

from plantrack.models.board import BoardRow
from plantrack.models.status import StatusKey, label
from plantrack.notifications.calendar.ical import EventSpec, day_formatter, event_uid, exclusive_end

MARKERS = {
    StatusKey.OVERDUE: "Quá hạn",
    StatusKey.DUE_SOON: "Sắp đến hạn",
    StatusKey.DONE_ON_TIME: "Đã xong",
    StatusKey.DONE_LATE: "Đã xong, quá hạn",
    StatusKey.PAUSED: "Tạm dừng",
    StatusKey.CANCELLED: "Đã hủy",
}
MARKERS_EN = {
    StatusKey.OVERDUE: "Overdue",
    StatusKey.DUE_SOON: "Due soon",
    StatusKey.DONE_ON_TIME: "Done",
    StatusKey.DONE_LATE: "Done late",
    StatusKey.PAUSED: "Paused",
    StatusKey.CANCELLED: "Cancelled",
}
MARKERS_BY_LANG = {"vi": MARKERS, "en": MARKERS_EN}
# Milestones have no reports of their own: only the deliverable's terminal states mark them.
MILESTONE_MARKERS_BY_LANG = {
    lang: {k: v for k, v in m.items() if k not in (StatusKey.OVERDUE, StatusKey.DUE_SOON)}
    for lang, m in MARKERS_BY_LANG.items()}
MILESTONE_MARKERS = MILESTONE_MARKERS_BY_LANG["vi"]
NO_ALARM = frozenset({StatusKey.DONE_ON_TIME, StatusKey.DONE_LATE, StatusKey.CANCELLED})

CATEGORY_LABELS = {
    "communication": "Truyền thông", "training": "Tập huấn",
    "action_month": "Tháng hành động vì trẻ em", "forum": "Diễn đàn trẻ em",
    "model": "Mô hình hỗ trợ, can thiệp", "child_friendly_commune": "Xã, phường phù hợp với trẻ em",
    "care_recreation": "Chăm sóc, vui chơi, giải trí", "violence_prevention": "Phòng chống bạo lực, xâm hại",
    "injury_prevention": "Phòng chống tai nạn thương tích, đuối nước",
    "child_labour": "Phòng ngừa lao động trẻ em", "fund_raising": "Xã hội hóa nguồn lực",
    "inspection": "Thanh tra, kiểm tra", "duty": "Nhiệm vụ của cơ quan", "report": "Báo cáo",
}
CATEGORY_LABELS_EN = {
    "communication": "Communication", "training": "Training",
    "action_month": "Action Month for Children", "forum": "Children's Forum",
    "model": "Support and intervention models", "child_friendly_commune": "Child-friendly communes",
    "care_recreation": "Care and recreation", "violence_prevention": "Violence and abuse prevention",
    "injury_prevention": "Injury and drowning prevention",
    "child_labour": "Child labour prevention", "fund_raising": "Fund raising",
    "inspection": "Inspection", "duty": "Agency duties", "report": "Reports",
}
CATEGORY_LABELS_BY_LANG = {"vi": CATEGORY_LABELS, "en": CATEGORY_LABELS_EN}
HOW_TO_REPORT = ("Cách báo cáo: trả lời (Reply) email đôn đốc của plantrack gửi đầu mối cơ quan chủ trì, "
                 "ghi trạng thái và % tiến độ; không cần đăng nhập.")
HOW_TO_REPORT_EN = ("How to report: reply to plantrack's check-in email sent to the lead agency's focal point, "
                    "stating the status and % progress; no login needed.")
# Description headings; nothing here may depend on today except the status (or every run rewrites all).
TEXT = {
    "vi": dict(milestone=("Mốc của nhiệm vụ ", ": "), plan=("Kế hoạch: ", "; mục "), lead="Chủ trì: ",
               planned=("(Chủ trì theo kế hoạch: ", ")"), support="Phối hợp: ", span=("Thời gian: ", " - "),
               due="Hạn hoàn thành: ", progress=("; tiến độ ", "%"), status="Trạng thái: ",
               last="Báo cáo gần nhất: ", never="chưa có", how=HOW_TO_REPORT),
    "en": dict(milestone=("Milestone of ", ": "), plan=("Plan: ", "; item "), lead="Lead: ",
               planned=("(Lead in the plan: ", ")"), support="Supporting: ", span=("Period: ", " - "),
               due="Due: ", progress=("; progress ", "%"), status="Status: ",
               last="Last report: ", never="none yet", how=HOW_TO_REPORT_EN),
}


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
    return CATEGORY_LABELS_BY_LANG[lang].get(key, key)


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
    t = TEXT[lang]
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
        skipped.append(Skipped(row.plan, row.code, "không có hạn hoàn thành / no due date"))
    else:
        span = row.extra.get("schedule") == "span" and row.start is not None and row.start <= row.due
        events.append(EventSpec(
            uid=event_uid(row.plan, row.code), code=row.code, title=row.title, marker=MARKERS_BY_LANG[lang].get(row.status_key),
            description=_description(row, names, tz, None, lang, memo), start=row.start if span else row.due,
            end=exclusive_end(row.due), **common))
    for m in row.extra.get("milestones") or ():
        dates = _milestone_dates(m)
        if dates is None or not m.get("key"):
            skipped.append(Skipped(row.plan, f"{row.code}#{m.get('key', '?')}", "mốc không có ngày hợp lệ / milestone without a valid date"))
            continue
        events.append(EventSpec(
            uid=event_uid(row.plan, row.code, m["key"]), code=row.code, title=m.get("title") or row.title,
            marker=MILESTONE_MARKERS_BY_LANG[lang].get(row.status_key), description=_description(row, names, tz, m, lang, memo),
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
