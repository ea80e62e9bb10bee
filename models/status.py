"""Timeliness rules: the Vietnamese tracking category of a deliverable as of a day (pure, no I/O).

`due` everywhere here is the effective deadline (models/deadlines.py), and "Sắp đến hạn" (due soon)
means due within due_soon_days WORKING days (models/workdays.py; default 5, one working week).
"""
from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from plantrack.models.workdays import WorkCalendar, default_calendar

DUE_SOON_WORKING_DAYS = 5


class StatusKey(StrEnum):
    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    PAUSED = "paused"
    CANCELLED = "cancelled"


# English message ids; the words users read come from the catalog of their language (config/locale).
LABELS = {
    StatusKey.NOT_STARTED: "Not started",
    StatusKey.ON_TRACK: "In progress, on time",
    StatusKey.DUE_SOON: "Due soon",
    StatusKey.OVERDUE: "Overdue",
    StatusKey.DONE_ON_TIME: "Done on time",
    StatusKey.DONE_LATE: "Done late",
    StatusKey.PAUSED: "Paused",
    StatusKey.CANCELLED: "Cancelled",
}

# Shown beside the derived status of an item nobody has ever reported on (an English message id).
NOT_REPORTED = "no report yet"


def not_reported(lang: str = "vi") -> str:
    """'chưa có báo cáo' / 'no report yet'."""
    from plantrack.config.i18n import gettext_for

    return gettext_for(lang)(NOT_REPORTED)

OPEN_STATUSES = frozenset({StatusKey.NOT_STARTED, StatusKey.ON_TRACK, StatusKey.DUE_SOON, StatusKey.OVERDUE})


def label(key: StatusKey, lang: str = "vi") -> str:
    """The status word shown to users in lang."""
    from plantrack.config.i18n import gettext_for

    return gettext_for(lang)(LABELS[key])


def is_due_soon(today: date, due: date, window_days: int = DUE_SOON_WORKING_DAYS,
                cal: WorkCalendar | None = None) -> bool:
    """True when due is today or later and at most window_days working days away."""
    if due < today:
        return False
    return (cal or default_calendar()).working_days_between(today, due) <= window_days


def derive_status(
    state: str,
    start: date | None,
    due: date | None,
    completed_on: date | None,
    today: date,
    due_soon_days: int = DUE_SOON_WORKING_DAYS,
    cal: WorkCalendar | None = None,
) -> StatusKey:
    """Timeliness category from the reported state and the dates, as of today.

    due is the effective deadline, itself still on time. A deliverable reported done without a
    completion date counts as done on time. 'blocked' (vướng mắc) is open work like in_progress.
    """
    if state == "cancelled":
        return StatusKey.CANCELLED
    if state == "paused":
        return StatusKey.PAUSED
    if state == "done":
        if due is not None and completed_on is not None and completed_on > due:
            return StatusKey.DONE_LATE
        return StatusKey.DONE_ON_TIME
    if due is not None and today > due:
        return StatusKey.OVERDUE
    if due is not None and is_due_soon(today, due, due_soon_days, cal):
        return StatusKey.DUE_SOON
    if start is not None and today < start:
        return StatusKey.NOT_STARTED
    if state == "not_started" and start is None:
        return StatusKey.NOT_STARTED
    return StatusKey.ON_TRACK


def days_left(today: date, due: date | None) -> int | None:
    """Calendar days from today to due: negative when overdue, None without a due date."""
    return None if due is None else (due - today).days


def working_days_left(today: date, due: date | None, cal: WorkCalendar | None = None) -> int | None:
    """Working days from today to due (those after today up to due): negative when overdue, None without one."""
    return None if due is None else (cal or default_calendar()).working_days_between(today, due)


def due_soon_from(due: date, due_soon_days: int = DUE_SOON_WORKING_DAYS, cal: WorkCalendar | None = None) -> date:
    """The first day on which due is 'due soon': the (N+1)-th working day counted back from due."""
    cal = cal or default_calendar()
    return cal.add_working_days(cal.previous_working_day(due), -due_soon_days) if due_soon_days else \
        cal.previous_working_day(due)


def status_changes_after(
    state: str,
    start: date | None,
    due: date | None,
    completed_on: date | None,
    today: date,
    due_soon_days: int = DUE_SOON_WORKING_DAYS,
    cal: WorkCalendar | None = None,
) -> date | None:
    """The first day after today on which derive_status gives another key; None when it never will.

    derive_status depends on today only through three boundaries of open work: start (not started ->
    on track), due_soon_from(due) (-> due soon) and due + 1 (-> overdue); it is constant between them.
    """
    if state in ("done", "paused", "cancelled"):
        return None
    cal = cal or default_calendar()
    now = derive_status(state, start, due, completed_on, today, due_soon_days, cal)
    candidates = []
    if start is not None and start > today:
        candidates.append(start)
    if due is not None:
        soon = due_soon_from(due, due_soon_days, cal)
        if soon > today:
            candidates.append(soon)
        if due >= today:
            candidates.append(due + timedelta(days=1))
    for day in sorted(candidates):
        if derive_status(state, start, due, completed_on, day, due_soon_days, cal) != now:
            return day
    return None


def earliest_status_change(items, today: date, due_soon_days: int = DUE_SOON_WORKING_DAYS,
                           cal: WorkCalendar | None = None) -> date | None:
    """The first day after today on which any of items (state, start, due, completed_on) changes status."""
    best = None
    tomorrow = today + timedelta(days=1)
    cal = cal or default_calendar()
    for state, start, due, completed_on in items:
        day = status_changes_after(state, start, due, completed_on, today, due_soon_days, cal)
        if day is not None and (best is None or day < best):
            best = day
            if best == tomorrow:  # nothing can come sooner
                break
    return best
