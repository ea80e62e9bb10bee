"""Pydantic schemas of the plan file and the agency directory file (config/plans/*.yaml)."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

CATEGORIES = (
    "communication", "training", "action_month", "forum", "model", "child_friendly_commune",
    "care_recreation", "violence_prevention", "injury_prevention", "child_labour",
    "fund_raising", "inspection", "duty", "report",
)
AGENCY_KINDS = ("department", "district", "commune", "organisation", "province")
ROLES = ("focal_point", "deputy", "head")
CODE_RE = r"^[A-Z0-9][A-Z0-9-]*$"
DELIVERABLE_CODE_RE = r"^[IVX]+(\.[0-9]+)*(/[A-Z0-9-]+)?$"


def _parse_date(value):
    """Accept ISO dates (YAML gives date objects) and Vietnamese dd/mm/yyyy strings."""
    if isinstance(value, date) or value is None:
        return value
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*", value)
        if m:
            d, mth, y = (int(x) for x in m.groups())
            try:
                return date(y, mth, d)
            except ValueError as exc:
                raise ValueError(f"'{value}' is not a real date ({exc})") from None
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"'{value}' is not a date (use YYYY-MM-DD or DD/MM/YYYY)") from None
    raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")


Day = Annotated[date, BeforeValidator(_parse_date)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LunarDay(Strict):
    """A date on the lunar calendar (year, month, day), converted to the solar date on load."""

    lunar: Annotated[str, Field(pattern=r"^\d{4}-\d{1,2}-\d{1,2}$")]


DayOrLunar = Day | LunarDay


class PersonEntry(Strict):
    name: str
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    role: Literal[ROLES]  # type: ignore[valid-type]


class AgencyEntry(Strict):
    code: Annotated[str, Field(pattern=CODE_RE)]
    name: str
    name_en: str | None = None
    short_name: str | None = None
    kind: Literal[AGENCY_KINDS]  # type: ignore[valid-type]
    aliases: list[str] = []
    parent: str | None = None
    successor: str | None = None
    people: list[PersonEntry] = []


class DirectoryFile(Strict):
    """The agency directory: agencies, their people, and named groups of agencies."""

    agencies: list[AgencyEntry]
    groups: dict[str, list[str]] = {}


class PlanHeader(Strict):
    number: str
    title: str
    issuer: str
    issued_on: Day
    signer: str | None = None
    period_start: Day
    period_end: Day
    source_text: str | None = None  # file beside the plan file, hashed on load


class Quantity(Strict):
    what: str
    amount: Decimal
    unit: str


class Milestone(Strict):
    key: Annotated[str, Field(pattern=r"^[a-z0-9_-]+$")]
    title: str
    start: DayOrLunar
    end: DayOrLunar | None = None
    assumption: str | None = None


class DeliverableEntry(Strict):
    code: Annotated[str, Field(pattern=DELIVERABLE_CODE_RE)]
    title: str
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    lead: str
    supporting: list[str] = []  # agency codes or @group names
    report_to: str | None = None
    description: str | None = None
    quantities: list[Quantity] = []
    funding: str | None = None
    start: Day | None = None
    due: Day | None = None
    schedule: Literal["deadline", "span"] = "deadline"
    milestones: list[Milestone] = []
    assumption: str | None = None  # what the plan text does not say and we chose


class IndicatorEntry(Strict):
    code: Annotated[str, Field(pattern=r"^II\.[0-9]+$")]
    text: str
    baseline: Decimal | None = None
    baseline_year: int | None = None
    target: Decimal
    unit: str
    direction: Literal["at_most", "at_least", "more_than"]
    owner: str
    due: Day | None = None  # defaults to the plan's period end


class PlanFile(Strict):
    """A whole plan (date order and agency references are checked in plantrack.models.plan.file): header, agency directory reference, indicators and deliverables."""

    plan: PlanHeader
    directory: str  # path of the agency directory file, relative to the plan file
    assumptions: list[str] = []
    indicators: list[IndicatorEntry] = []
    deliverables: list[DeliverableEntry]
