"""Pydantic schemas of the plan file and the agency directory file (config/plans/*.yaml)."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from plantrack.models.enums import DIRECTION_ONLY, AgencyKind, Direction

CATEGORIES = (
    "communication", "training", "action_month", "forum", "model", "child_friendly_commune",
    "care_recreation", "violence_prevention", "injury_prevention", "child_labour",
    "fund_raising", "inspection", "duty", "report",
)
AGENCY_KINDS = tuple(k.value for k in AgencyKind)  # see AgencyKind: sector = ngành, political_social = tổ chức CT-XH
ROLES = ("focal_point", "deputy", "head")
CODE_RE = r"^[A-Z0-9][A-Z0-9-]*$"
DELIVERABLE_CODE_RE = r"^[IVX]+(\.[0-9]+)*(/[A-Z0-9-]+)?$"
INDICATOR_CODE_RE = r"^II\.[0-9]+[a-z]?$"  # the plan's own bullet number, a letter per target within it
EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
DIRECTIONS = tuple(d.value for d in Direction)  # increase / decrease: a direction only, no target number


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
    email: Annotated[str, Field(pattern=EMAIL_RE)]
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
    signer: str | None = None  # as printed under the signature, e.g. "Giàng Thị Dung, Phó Chủ tịch UBND tỉnh"
    signed_as: str | None = None  # the signing block, e.g. "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"
    signed_by: Annotated[str, Field(pattern=EMAIL_RE)] | None = None  # the signer's email in the directory
    digest_to: list[Annotated[str, Field(pattern=EMAIL_RE)]] = []  # directory people who get the weekly digest
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
    code: Annotated[str, Field(pattern=INDICATOR_CODE_RE)]
    text: str
    baseline: Decimal | None = None
    baseline_year: int | None = None
    target: Decimal | None = None  # required unless the direction is increase or decrease
    unit: str
    direction: Literal[DIRECTIONS]  # type: ignore[valid-type]
    owner: str
    due: Day | None = None  # defaults to the plan's period end
    assumption: str | None = None  # what the plan text does not say (e.g. the owner) and we chose

    @model_validator(mode="after")
    def _target_fits_direction(self):
        if self.direction in DIRECTION_ONLY and self.target is not None:
            raise ValueError(f"direction '{self.direction}' takes no target (the plan gives only a direction)")
        if self.direction not in DIRECTION_ONLY and self.target is None:
            raise ValueError(f"direction '{self.direction}' needs a target")
        return self


class PlanFile(Strict):
    """A whole plan (date order and agency references are checked in plantrack.models.plan.file): header, agency directory reference, indicators and deliverables."""

    plan: PlanHeader
    directory: str  # path of the agency directory file, relative to the plan file
    assumptions: list[str] = []
    indicators: list[IndicatorEntry] = []
    deliverables: list[DeliverableEntry]
