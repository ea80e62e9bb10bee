"""The closed sets of values the domain uses: one StrEnum each, stored as their string values."""
from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Enum as SAEnum


class ReportedState(StrEnum):
    """What an agency says about a deliverable (timeliness is derived apart, in models.status)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    BLOCKED = "blocked"  # vướng mắc: open work waiting on something; it goes up the escalation ladder at once


CLOSED_STATES = frozenset({ReportedState.DONE, ReportedState.PAUSED, ReportedState.CANCELLED})


class AgencyKind(StrEnum):
    DEPARTMENT = "department"  # a sở of the provincial People's Committee
    DISTRICT = "district"
    COMMUNE = "commune"
    ORGANISATION = "organisation"  # any other body (a newspaper, a broadcaster, ...)
    PROVINCE = "province"
    SECTOR = "sector"  # a "ngành" answering to a central ministry (Công an tỉnh)
    POLITICAL_SOCIAL = "political_social"  # a "tổ chức chính trị - xã hội" (Constitution art. 9(2))


class ContactRole(StrEnum):
    FOCAL_POINT = "focal_point"
    DEPUTY = "deputy"
    HEAD = "head"
    COORDINATOR = "coordinator"  # the person a plan's coordinating office names as contact in check-ins


class Schedule(StrEnum):
    """A deliverable due by a date, or one that runs over a span (e.g. the Action Month)."""

    DEADLINE = "deadline"
    SPAN = "span"


class DueWording(StrEnum):
    """How the plan words a deadline (models/deadlines.py turns it into the effective deadline)."""

    BEFORE = "before"  # "trước ngày D": on time until the end of the day before D
    BY = "by"  # "đến ngày D", "hạn D": on time until the end of D


class Direction(StrEnum):
    """How an indicator's value must compare with its target (increase/decrease: no target, the plan
    gives a direction only, "Tăng dần ...", judged against the baseline if there is one)."""

    AT_MOST = "at_most"
    AT_LEAST = "at_least"
    MORE_THAN = "more_than"
    INCREASE = "increase"
    DECREASE = "decrease"


DIRECTION_ONLY = frozenset({Direction.INCREASE, Direction.DECREASE})


class Channel(StrEnum):
    """How a status report arrived."""

    EMAIL = "email"
    CLI = "cli"
    IMPORT = "import"


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxKind(StrEnum):
    CHECKIN = "checkin"
    RECEIPT = "receipt"  # the answer to a reply (notifications/mail/inbound)
    ESCALATION = "escalation"  # reminders and notices of the escalation ladder (issue 10)
    DIGEST = "digest"  # the Deputy Chair's weekly digest (issue 12)


class EscalationReason(StrEnum):
    """Why a rung of the escalation ladder fired (models/escalation)."""

    DEADLINE = "deadline"  # the ladder around the effective deadline (reminders before it, overdue after it)
    SILENT = "silent"  # the agency skipped K check-in rounds in a row (agency-level: no deliverable)
    BLOCKED = "blocked"  # the deliverable is reported blocked (vướng mắc)


class RoundPeriod(StrEnum):
    WEEK = "week"
    MONTH = "month"


def db_enum(enum: type[StrEnum], length: int) -> SAEnum:
    """A column type storing enum members as their values in a VARCHAR(length), no CHECK constraint.

    No constraint so that adding a member never needs a migration; the ORM refuses unknown values.
    """
    from sqlalchemy import Enum as SAEnum  # here: the CLI and the mail builders use the enums without SQLAlchemy

    return SAEnum(enum, native_enum=False, create_constraint=False, length=length,
                  values_callable=lambda e: [m.value for m in e], validate_strings=True)
