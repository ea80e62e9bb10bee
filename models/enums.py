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
    DEPARTMENT = "department"
    DISTRICT = "district"
    COMMUNE = "commune"
    ORGANISATION = "organisation"
    PROVINCE = "province"


class ContactRole(StrEnum):
    FOCAL_POINT = "focal_point"
    DEPUTY = "deputy"
    HEAD = "head"


class Schedule(StrEnum):
    """A deliverable due by a date, or one that runs over a span (e.g. the Action Month)."""

    DEADLINE = "deadline"
    SPAN = "span"


class Direction(StrEnum):
    """How an indicator's value must compare with its target."""

    AT_MOST = "at_most"
    AT_LEAST = "at_least"
    MORE_THAN = "more_than"


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


class RoundPeriod(StrEnum):
    WEEK = "week"
    MONTH = "month"


def db_enum(enum: type[StrEnum], length: int) -> SAEnum:
    """A column type storing enum members as their values in a VARCHAR(length), no CHECK constraint.

    No constraint so that adding a member never needs a migration; the ORM refuses unknown values.
    """
    return SAEnum(enum, native_enum=False, create_constraint=False, length=length,
                  values_callable=lambda e: [m.value for m in e], validate_strings=True)
