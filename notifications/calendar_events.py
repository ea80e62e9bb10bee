"""The events of a plan's calendar from board rows: Vietnamese text, dates and status markers (pure)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from models.board import BoardRow
from models.status import StatusKey, label
from notifications.ical import EventSpec, event_uid, exclusive_end

MARKERS = {
    StatusKey.OVERDUE: "Quá hạn",
    StatusKey.DUE_SOON: "Sắp đến hạn",
    StatusKey.DONE_ON_TIME: "Đã xong",
    StatusKey.DONE_LATE: "Đã xong, quá hạn",
    StatusKey.PAUSED: "Tạm dừng",
    StatusKey.CANCELLED: "Đã hủy",
}
# Milestones have no reports of their own: only the deliverable's terminal states mark them.
MILESTONE_MARKERS = {k: v for k, v in MARKERS.items() if k not in (StatusKey.OVERDUE, StatusKey.DUE_SOON)}
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
HOW_TO_REPORT = ("Cách báo cáo: trả lời (Reply) email đôn đốc của plantrack gửi đầu mối cơ quan chủ trì, "
                 "ghi trạng thái và % tiến độ; không cần đăng nhập.")


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


def category_label(key: str) -> str:
    return CATEGORY_LABELS.get(key, key)


def _d(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _agency(code: str, names: dict[str, str]) -> str:
    name = names.get(code)
    return f"{name} ({code})" if name and name != code else code


def _description(row: BoardRow, names: dict[str, str], tz: ZoneInfo, milestone: dict | None) -> str:
    lines = []
    if milestone:
        lines.append(f"Mốc của nhiệm vụ {row.code}: {row.title}")
    lines.append(f"Kế hoạch: {row.plan}; mục {row.code}")
    lines.append(f"Chủ trì: {_agency(row.lead, names)}")
    if row.planned_lead != row.lead:
        lines.append(f"(Chủ trì theo kế hoạch: {_agency(row.planned_lead, names)})")
    if row.supporting:
        lines.append("Phối hợp: " + "; ".join(_agency(c, names) for c in row.supporting))
    if row.start and row.extra.get("schedule") == "span":
        lines.append(f"Thời gian: {_d(row.start)} - {_d(row.due)}")
    elif row.due:
        lines.append(f"Hạn hoàn thành: {_d(row.due)}")
    for q in row.extra.get("quantities") or ():
        lines.append(f"- {q.get('what', '')}: {q.get('amount', '')} {q.get('unit', '')}".rstrip())
    progress = "" if row.progress is None else f"; tiến độ {row.progress}%"
    lines.append(f"Trạng thái: {label(row.status_key, 'vi')}{progress}")
    if row.last_report_at:
        at = datetime.fromisoformat(row.last_report_at)
        lines.append(f"Báo cáo gần nhất: {_d(at.astimezone(tz) if at.tzinfo else at)}")
    else:
        lines.append("Báo cáo gần nhất: chưa có")
    lines.append(HOW_TO_REPORT)
    return "\n".join(lines)


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


def events_of(row: BoardRow, names: dict[str, str], opts: EventOptions) -> tuple[list[EventSpec], list[Skipped]]:
    """The events of one deliverable: its due date (or span) and each dated milestone."""
    tz = ZoneInfo(opts.timezone)
    events: list[EventSpec] = []
    skipped: list[Skipped] = []
    cats = (category_label(row.category),)
    alarms = () if row.status_key in NO_ALARM else opts.alarm_days
    cancelled = row.status_key == StatusKey.CANCELLED
    common = dict(categories=cats, cancelled=cancelled, url=_url(opts, row), alarm_days=alarms, plan=row.plan,
                  category=row.category, lead=row.lead, supporting=row.supporting)
    if row.due is None:
        skipped.append(Skipped(row.plan, row.code, "không có hạn hoàn thành / no due date"))
    else:
        span = row.extra.get("schedule") == "span" and row.start is not None and row.start <= row.due
        events.append(EventSpec(
            uid=event_uid(row.plan, row.code), code=row.code, title=row.title, marker=MARKERS.get(row.status_key),
            description=_description(row, names, tz, None), start=row.start if span else row.due,
            end=exclusive_end(row.due), **common))
    for m in row.extra.get("milestones") or ():
        dates = _milestone_dates(m)
        if dates is None or not m.get("key"):
            skipped.append(Skipped(row.plan, f"{row.code}#{m.get('key', '?')}", "mốc không có ngày hợp lệ / milestone without a valid date"))
            continue
        events.append(EventSpec(
            uid=event_uid(row.plan, row.code, m["key"]), code=row.code, title=m.get("title") or row.title,
            marker=MILESTONE_MARKERS.get(row.status_key), description=_description(row, names, tz, m),
            start=dates[0], end=exclusive_end(dates[1]), **common))
    return events, skipped


def plan_events(rows: list[BoardRow], names: dict[str, str], opts: EventOptions) -> tuple[list[EventSpec], list[Skipped]]:
    """All events of the deliverable rows, in plan order; indicators are not calendar items."""
    events: list[EventSpec] = []
    skipped: list[Skipped] = []
    for row in rows:
        if row.kind != "deliverable":
            continue
        ev, sk = events_of(row, names, opts)
        events += ev
        skipped += sk
    return events, skipped
