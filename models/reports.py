"""Record reports of progress: append a StatusReport and refresh the cached current status."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantrack.models.base import as_utc
from plantrack.models.entities import Deliverable, Indicator, Plan, StatusReport
from plantrack.models.enums import Channel, ReportedState


@dataclass(frozen=True)
class ReportIn:
    """What someone reported about one deliverable or indicator (by code)."""

    code: str
    state: ReportedState | None = None
    progress: int | None = None
    value: Decimal | None = None
    completed_on: date | None = None
    note: str | None = None


class UnknownCode(LookupError):
    pass


def _is_newest(at: datetime, last: datetime | None) -> bool:
    return last is None or as_utc(at) >= last


def record_report(session: Session, plan_number: str, report: ReportIn, *, at: datetime,
                  channel: Channel, reporter_email: str | None = None, agency_id: int | None = None,
                  source_message_id: str | None = None, update_current: bool = True,
                  item: Deliverable | Indicator | None = None) -> StatusReport:
    """Append one report and update the item's current state; raises UnknownCode or ValueError.

    update_current=False appends history only (a supporting agency's note to the lead); item: the
    deliverable or indicator of report.code when the caller has it loaded already (a batch of replies)."""
    try:
        state = ReportedState(report.state) if report.state is not None else None
    except ValueError:
        raise ValueError(f"unknown state {report.state!r} (one of {', '.join(ReportedState)})") from None
    if report.progress is not None and not 0 <= report.progress <= 100:
        raise ValueError(f"progress {report.progress} is not between 0 and 100")
    base = dict(reported_at=at, channel=channel, reporter_email=reporter_email, agency_id=agency_id,
                source_message_id=source_message_id, note=report.note)
    if item is None:
        plan_id = session.scalar(select(Plan.id).where(Plan.number == plan_number))
        ind = session.scalar(select(Indicator).where(Indicator.plan_id == plan_id, Indicator.code == report.code))
    else:
        ind = item if isinstance(item, Indicator) else None
    if ind is not None:
        if report.value is None:
            raise ValueError(f"{report.code} is an indicator: report a value")
        row = StatusReport(indicator_id=ind.id, value=report.value, **base)
        if update_current and _is_newest(at, ind.last_report_at):
            ind.last_value, ind.last_report_at = report.value, at
        session.add(row)
        return row
    d = item if item is not None else session.scalar(
        select(Deliverable).where(Deliverable.plan_id == plan_id, Deliverable.code == report.code))
    if d is None:
        raise UnknownCode(report.code)
    progress = report.progress
    if state is None and progress is not None:
        state = ReportedState.DONE if progress == 100 else ReportedState.IN_PROGRESS
    if state == ReportedState.DONE and progress is None:
        progress = 100
    completed_on = report.completed_on or (at.date() if state == ReportedState.DONE else None)
    row = StatusReport(deliverable_id=d.id, state=state, progress=progress,
                       completed_on=completed_on if state == ReportedState.DONE else None, **base)
    session.add(row)
    if update_current and _is_newest(at, d.last_report_at):  # a late-arriving old report keeps history only
        if state is not None:
            d.state = state
            d.completed_on = completed_on if state == ReportedState.DONE else None
        if progress is not None:
            d.progress = progress
        d.last_report_at = at
    return row
