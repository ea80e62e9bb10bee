"""Timeliness rules: the Vietnamese tracking category of a deliverable as of a day (pure, no I/O)."""
from __future__ import annotations

from datetime import date
from enum import StrEnum


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

OPEN_STATUSES = frozenset({StatusKey.NOT_STARTED, StatusKey.ON_TRACK, StatusKey.DUE_SOON, StatusKey.OVERDUE})


def label(key: StatusKey, lang: str = "vi") -> str:
    """The status word shown to users in lang."""
    from plantrack.config.i18n import gettext_for

    return gettext_for(lang)(LABELS[key])


def is_due_soon(today: date, due: date, window_days: int = 7) -> bool:
    """True when due is within window_days calendar days from today (working days come later)."""
    return 0 <= (due - today).days <= window_days


def derive_status(
    state: str,
    start: date | None,
    due: date | None,
    completed_on: date | None,
    today: date,
    due_soon_days: int = 7,
) -> StatusKey:
    """Timeliness category from the reported state and the dates, as of today.

    The due date itself is still on time (a deadline 'by 15/6' may be met on 15/6).
    A deliverable reported done without a completion date counts as done on time.
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
    if due is not None and is_due_soon(today, due, due_soon_days):
        return StatusKey.DUE_SOON
    if start is not None and today < start:
        return StatusKey.NOT_STARTED
    if state == "not_started" and start is None:
        return StatusKey.NOT_STARTED
    return StatusKey.ON_TRACK


def days_left(today: date, due: date | None) -> int | None:
    """Calendar days from today to due: negative when overdue, None without a due date."""
    return None if due is None else (due - today).days


def status_changes_after(
    state: str,
    start: date | None,
    due: date | None,
    completed_on: date | None,
    today: date,
    due_soon_days: int = 7,
) -> date | None:
    """The first day after today on which derive_status gives another key; None when it never will.

    derive_status depends on today only through three boundaries of open work: start (not started ->
    on track), due - due_soon_days (-> due soon) and due + 1 (-> overdue); it is constant between them.
    """
    if state in ("done", "paused", "cancelled"):
        return None
    now = derive_status(state, start, due, completed_on, today, due_soon_days)
    candidates = []
    if start is not None and start > today:
        candidates.append(start)
    if due is not None:
        soon = date.fromordinal(due.toordinal() - due_soon_days) if due.toordinal() > due_soon_days else None
        if soon is not None and soon > today:
            candidates.append(soon)
        if due >= today:
            candidates.append(date.fromordinal(due.toordinal() + 1))
    for day in sorted(candidates):
        if derive_status(state, start, due, completed_on, day, due_soon_days) != now:
            return day
    return None


def earliest_status_change(items, today: date, due_soon_days: int = 7) -> date | None:
    """The first day after today on which any of items (state, start, due, completed_on) changes status."""
    best = None
    tomorrow = date.fromordinal(today.toordinal() + 1)
    for state, start, due, completed_on in items:
        day = status_changes_after(state, start, due, completed_on, today, due_soon_days)
        if day is not None and (best is None or day < best):
            best = day
            if best == tomorrow:  # nothing can come sooner
                break
    return best
