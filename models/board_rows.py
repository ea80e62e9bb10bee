"""The board's rows as people and scripts read them: typed deliverable and indicator rows and their JSON objects
(models/board.py reads them from the database)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import ClassVar

from plantrack.models.deadlines import deadline_text
from plantrack.models.enums import Direction, DueWording, ReportedState, Schedule
from plantrack.models.status import StatusKey, label, not_reported

Number = int | float


class RowKind(StrEnum):
    DELIVERABLE = "deliverable"
    INDICATOR = "indicator"


@dataclass(frozen=True, slots=True)
class QuantityItem:
    """A planned quantity of a deliverable (e.g. 9 classes)."""

    what: str
    amount: Number
    unit: str


@dataclass(frozen=True, slots=True)
class MilestoneItem:
    """A dated step of a deliverable; start is None when the stored date is unreadable."""

    key: str
    title: str
    start: date | None
    end: date | None
    assumption: str | None = None


class _RowWords:
    """What a deliverable and an indicator row say alike about their deadline and their reports."""

    __slots__ = ()

    @property
    def reported(self) -> bool:
        """False: nobody has ever reported on it ("chưa có báo cáo")."""
        return self.last_report_at is not None

    @property
    def due_differs(self) -> bool:
        """The effective deadline is another day than the written one."""
        return self.due != self.due_written

    def due_text(self, lang: str = "vi") -> str:
        """'trước 15/06/2024 (thứ Bảy), tính đến hết 14/06/2024 (thứ Sáu)'; an indicator's: '31/12/2025 (thứ Tư)'."""
        return deadline_text(self.due_written, self.due_wording, self.due, lang)

    def status_text(self, lang: str = "vi") -> str:
        """The derived status, with 'chưa có báo cáo' beside it when nothing was ever reported."""
        return _status_text(self.status_key, self.last_report_at is not None, lang)


@dataclass(slots=True)  # not frozen: a frozen __init__ costs a setattr call per field on 100,000 rows
class DeliverableRow(_RowWords):
    """One deliverable on the board, with its derived status."""

    kind: ClassVar[RowKind] = RowKind.DELIVERABLE

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
    state: ReportedState
    progress: int | None
    status_key: StatusKey
    days_left: int | None
    last_report_at: datetime | None
    schedule: Schedule
    milestones: tuple[MilestoneItem, ...]
    quantities: tuple[QuantityItem, ...]
    short_title: str | None  # for calendar titles (a month cell shows ~30 characters)
    description: str | None
    assumption: str | None  # what the plan file chose itself (dates the plan does not give)
    due_written: date | None  # the deadline as the plan writes it
    due_wording: DueWording  # before ("trước ngày") | by
    working_days_left: int | None  # to the effective deadline; negative: working days overdue

    def as_json(self, lang: str = "vi", labels: dict[StatusKey, str] | None = None) -> dict:
        """The object `status --json` prints (stable keys; planned_lead only when it differs from lead).

        Values are as orjson writes them: dates and datetimes become ISO 8601 text. Enums are given as plain
        text (orjson's enum path calls back into Python: +0.3 us a value).
        """
        labels = labels or json_labels(lang)
        out = {
            "kind": "deliverable", "plan": self.plan, "code": self.code, "title": self.title,
            "category": self.category, "lead": self.lead, "supporting": self.supporting,
            "report_to": self.report_to, "start": self.start, "due": self.due, "state": str(self.state),
            "status": labels[self.status_key], "status_key": str(self.status_key), "progress": self.progress,
            "days_left": self.days_left, "last_report_at": self.last_report_at,
            "due_written": self.due_written, "due_wording": str(self.due_wording),
            "due_text": self.due_text(lang) if self.due_written else None,
            "working_days_left": self.working_days_left, "reported": self.last_report_at is not None,
        }
        if self.planned_lead != self.lead:
            out["planned_lead"] = self.planned_lead
        out["schedule"] = str(self.schedule)
        out["milestones"] = [_milestone_json(m) for m in self.milestones] if self.milestones else []
        out["quantities"] = [{"what": q.what, "amount": q.amount, "unit": q.unit} for q in self.quantities] \
            if self.quantities else []
        return out


@dataclass(slots=True)
class IndicatorRow(_RowWords):
    """One target (chỉ tiêu) of a plan on the board, with its derived status and last reported value."""

    kind: ClassVar[RowKind] = RowKind.INDICATOR
    category: ClassVar[str] = "indicator"
    supporting: ClassVar[tuple[str, ...]] = ()
    progress: ClassVar[None] = None
    due_wording: ClassVar[DueWording] = DueWording.BY  # a target's period end: 'by' that day

    plan: str
    code: str
    title: str
    lead: str  # the owner now
    planned_lead: str
    start: date | None  # the plan's period start
    due: date | None  # the effective deadline, as for deliverables
    state: ReportedState  # in_progress once a value is reported
    status_key: StatusKey
    days_left: int | None
    last_report_at: datetime | None
    baseline: Number | None
    baseline_year: int | None
    target: Number | None  # None for a direction-only target (increase / decrease)
    unit: str
    direction: Direction
    last_value: Number | None
    achieved: bool | None
    due_written: date | None = None  # the deadline as the plan writes it
    working_days_left: int | None = None  # to the effective deadline; negative: working days overdue

    def as_json(self, lang: str = "vi", labels: dict[StatusKey, str] | None = None) -> dict:
        """The object `status --json` prints for an indicator (values as orjson writes them, as for deliverables)."""
        labels = labels or json_labels(lang)
        out = {
            "kind": "indicator", "plan": self.plan, "code": self.code, "title": self.title,
            "category": "indicator", "lead": self.lead, "supporting": [], "report_to": None,
            "start": self.start, "due": self.due, "state": str(self.state), "status": labels[self.status_key],
            "status_key": str(self.status_key), "progress": None, "days_left": self.days_left,
            "last_report_at": self.last_report_at,
            "due_written": self.due_written, "due_wording": str(self.due_wording),
            "due_text": self.due_text(lang) if self.due_written else None,
            "working_days_left": self.working_days_left, "reported": self.last_report_at is not None,
        }
        if self.planned_lead != self.lead:
            out["planned_lead"] = self.planned_lead
        out.update(baseline=self.baseline, baseline_year=self.baseline_year, target=self.target, unit=self.unit,
                   direction=str(self.direction), last_value=self.last_value, achieved=self.achieved)
        return out


BoardRow = DeliverableRow | IndicatorRow


@lru_cache(maxsize=8)
def json_labels(lang: str) -> dict[StatusKey, str]:
    """The status word of every key in lang (looked up once, not once a row)."""
    return {k: label(k, lang) for k in StatusKey}


def _status_text(key: StatusKey, reported: bool, lang: str) -> str:
    text = label(key, lang)
    return text if reported else f"{text} ({not_reported(lang)})"


def _milestone_json(m: MilestoneItem) -> dict:
    out = {"key": m.key, "title": m.title, "start": m.start, "end": m.end}
    if m.assumption:
        out["assumption"] = m.assumption
    return out
