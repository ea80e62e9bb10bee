"""The closed sets of values the domain uses: one StrEnum each, stored as their string values."""
from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum as SAEnum


class ReportedState(StrEnum):
    """What an agency says about a deliverable (timeliness is derived apart, in models.status)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    PAUSED = "paused"
    CANCELLED = "cancelled"


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


class RoundPeriod(StrEnum):
    WEEK = "week"
    MONTH = "month"


def db_enum(enum: type[StrEnum], length: int) -> SAEnum:
    """A column type storing enum members as their values in a VARCHAR(length), no CHECK constraint.

    No constraint so that adding a member never needs a migration; the ORM refuses unknown values.
    """
    return SAEnum(enum, native_enum=False, create_constraint=False, length=length,
                  values_callable=lambda e: [m.value for m in e], validate_strings=True)
