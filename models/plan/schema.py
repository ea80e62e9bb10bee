"""Pydantic schemas of the plan file and the agency directory file (config/plans/*.yaml)."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from plantrack.models.enums import DIRECTION_ONLY, AgencyKind, Direction

CATEGORIES = (
    "communication", "training", "action_month", "forum", "model", "child_friendly_commune",
    "care_recreation", "violence_prevention", "injury_prevention", "child_labour",
    "fund_raising", "inspection", "duty", "report",
)
AGENCY_KINDS = tuple(k.value for k in AgencyKind)  # see AgencyKind: sector = ngành, political_social = tổ chức CT-XH
ROLES = ("focal_point", "deputy", "head", "coordinator")
CODE_RE = r"^[A-Z0-9][A-Z0-9-]*$"
DELIVERABLE_CODE_RE = r"^[IVX]+(\.[0-9]+)*(/[A-Z0-9-]+)?$"
INDICATOR_CODE_RE = r"^II\.[0-9]+[a-z]?$"  # the plan's own bullet number, a letter per target within it
# One-line fields (names, titles, codes, units) may reach a mail header or a calendar property: no
# control character at all (CR/LF would start a new header line), nor the Unicode line separators.
LINE_RE = r"^[^\x00-\x1F\x7F-\x9F\x{2028}\x{2029}]*$"
# Free text (descriptions, assumptions) may hold line breaks and tabs, but no other control character.
TEXT_RE = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*$"
DIRECTIONS = tuple(d.value for d in Direction)  # increase / decrease: a direction only, no target number


_DMY = re.compile(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*")


def _parse_date(value):
    """Accept ISO dates (YAML gives date objects) and Vietnamese dd/mm/yyyy strings."""
    if isinstance(value, date) or value is None:
        return value
    if isinstance(value, str):
        m = _DMY.fullmatch(value) if "/" in value else None  # a plan has thousands of ISO dates
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
Line = Annotated[str, Field(pattern=LINE_RE)]
Text = Annotated[str, Field(pattern=TEXT_RE)]


def _email(value: str) -> str:
    """A deliverable address in ASCII form (IDN domain as punycode); non-ASCII mailbox names are refused."""
    from email_validator import EmailNotValidError, validate_email  # 20 ms of regexes: only when a directory is read

    try:
        found = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        hint = (" (plantrack sends without SMTPUTF8: give the mailbox's ASCII address)"
                if not value.partition("@")[0].isascii() else "")
        raise ValueError(f"{value!r} is not a usable email address: {exc}{hint}") from None
    return found.ascii_email


Email = Annotated[str, Field(pattern=LINE_RE), AfterValidator(_email)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LunarDay(Strict):
    """A date on the lunar calendar (year, month, day), converted to the solar date on load."""

    lunar: Annotated[str, Field(pattern=r"^\d{4}-\d{1,2}-\d{1,2}$")]


DayOrLunar = Day | LunarDay


class PersonEntry(Strict):
    name: Line
    email: Email
    role: Literal[ROLES]  # type: ignore[valid-type]
    # As a letter names a contact: "0214 3840 123", "Chuyên viên Phòng Trẻ em".
    phone: Annotated[str, Field(pattern=r"^\+?[0-9][0-9 .()-]{5,30}$")] | None = None
    position: Annotated[str, Field(pattern=LINE_RE, max_length=255)] | None = None


class AgencyEntry(Strict):
    code: Annotated[str, Field(pattern=CODE_RE)]
    name: Line
    name_en: Line | None = None
    short_name: Line | None = None
    kind: Literal[AGENCY_KINDS]  # type: ignore[valid-type]
    aliases: list[Line] = Field(default_factory=list)
    parent: Line | None = None
    successor: Line | None = None
    people: list[PersonEntry] = Field(default_factory=list)


class DirectoryFile(Strict):
    """The agency directory: agencies, their people, and named groups of agencies."""

    agencies: list[AgencyEntry]
    groups: dict[Line, list[Line]] = Field(default_factory=dict)


class PlanHeader(Strict):
    number: Line
    title: Line
    issuer: Line
    issued_on: Day
    signer: Line | None = None  # as printed under the signature, e.g. "Giàng Thị Dung, Phó Chủ tịch UBND tỉnh"
    signed_as: Line | None = None  # the signing block, e.g. "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"
    signed_by: Email | None = None  # the signer's email in the directory
    digest_to: list[Email] = Field(default_factory=list)  # directory people who get the weekly digest
    # The agency whose office monitors the plan and signs its check-ins (its 'coordinator' person is the contact).
    coordinator: Annotated[str, Field(pattern=CODE_RE)] | None = None
    period_start: Day
    period_end: Day
    source_text: Line | None = None  # file beside the plan file, hashed on load


class Quantity(Strict):
    what: Line
    amount: Decimal
    unit: Line


class Milestone(Strict):
    key: Annotated[str, Field(pattern=r"^[a-z0-9_-]+$")]
    title: Line
    start: DayOrLunar
    end: DayOrLunar | None = None
    assumption: Text | None = None


class DeliverableEntry(Strict):
    code: Annotated[str, Field(pattern=DELIVERABLE_CODE_RE)]
    title: Line
    short_title: Annotated[str, Field(pattern=LINE_RE, max_length=60)] | None = None  # calendar titles; default: the title, shortened
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    lead: Line
    supporting: list[Line] = Field(default_factory=list)  # agency codes or @group names
    report_to: Line | None = None
    description: Text | None = None
    quantities: list[Quantity] = Field(default_factory=list)
    funding: Text | None = None
    start: Day | None = None
    due: Day | None = None
    # The plan's wording of the deadline: "trước ngày" -> before, "đến ngày" / "hạn" -> by (the default).
    due_wording: Literal["before", "by"] = "by"
    schedule: Literal["deadline", "span"] = "deadline"
    milestones: list[Milestone] = Field(default_factory=list)
    assumption: Text | None = None  # what the plan text does not say and we chose


class IndicatorEntry(Strict):
    code: Annotated[str, Field(pattern=INDICATOR_CODE_RE)]
    text: Text
    baseline: Decimal | None = None
    baseline_year: int | None = None
    target: Decimal | None = None  # required unless the direction is increase or decrease
    unit: Line
    direction: Literal[DIRECTIONS]  # type: ignore[valid-type]
    owner: Line
    due: Day | None = None  # defaults to the plan's period end
    assumption: Text | None = None  # what the plan text does not say (e.g. the owner) and we chose

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
    directory: Line  # path of the agency directory file, relative to the plan file
    assumptions: list[Text] = Field(default_factory=list)
    indicators: list[IndicatorEntry] = Field(default_factory=list)
    deliverables: list[DeliverableEntry]
