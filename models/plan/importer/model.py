"""What the importer's steps hand each other: the draft plan, its notes, and the import options."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path


class PlanImportError(Exception):
    """The input is not a plan the importer can read; str(self) is one line saying what was expected."""

    def __init__(self, vi: str, en: str):
        super().__init__(vi)
        self.vi, self.en = vi, en

    def message(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi


class Severity(enum.StrEnum):
    REVIEW = "review"      # a coordinator must decide: the text is ambiguous or names what the directory lacks
    INFERRED = "inferred"  # filled in by a stated rule (a date from "năm 2024", a default lead); check it


class NoteKind(enum.StrEnum):
    AGENCY_UNKNOWN = "agency_unknown"
    AGENCY_FUZZY = "agency_fuzzy"
    AGENCY_GROUP = "agency_group"
    AGENCY_GENERIC = "agency_generic"
    LEAD_MISSING = "lead_missing"
    SUPPORT_PROPOSED = "support_proposed"
    OWNER = "owner"
    DATE = "date"
    TARGET = "target"
    CATEGORY = "category"
    HEADER = "header"
    REPORT = "report"
    SCHEMA = "schema"


@dataclass(frozen=True)
class Note:
    """One line of the review list, attached to a plan entry ('where' is its code or a header field)."""

    severity: Severity
    kind: NoteKind
    where: str
    line: int | None
    vi: str
    en: str

    def text(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi


@dataclass(frozen=True)
class Line:
    """A logical line of the document: text after joining hard breaks, and where it starts in the source."""

    no: int
    text: str


@dataclass(frozen=True)
class Header:
    number: str
    doc_type: str
    issuer: str
    place: str | None
    issued_on: date
    title: str
    signer: str | None
    signer_role: str | None
    period_start: date
    period_end: date
    years: tuple[int, ...]
    signed_as: str | None = None


@dataclass(frozen=True)
class Quantity:
    what: str
    amount: Decimal
    unit: str


@dataclass(frozen=True)
class Milestone:
    key: str
    title: str
    start: date | tuple[int, int, int]  # a tuple is a lunar (year, month, day)
    end: date | None = None


@dataclass(frozen=True)
class DraftDeliverable:
    code: str
    title: str
    category: str
    lead: str
    supporting: tuple[str, ...] = ()
    report_to: str | None = None
    description: str | None = None
    quantities: tuple[Quantity, ...] = ()
    funding: str | None = None
    start: date | None = None
    due: date | None = None
    due_wording: str = "by"  # "before" where the text says "trước (ngày)" (models/deadlines.py)
    schedule: str = "deadline"
    milestones: tuple[Milestone, ...] = ()
    assumption: str | None = None
    lines: tuple[int, int] | None = None
    section: str = "activities"  # activities | duties | reports


@dataclass(frozen=True)
class DraftIndicator:
    code: str
    text: str
    target: Decimal | None
    unit: str
    direction: str
    owner: str
    baseline: Decimal | None = None
    baseline_year: int | None = None
    due: date | None = None
    assumption: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class ProposedAgency:
    """A name the directory lacks, proposed as a new entry (code made up, kind guessed)."""

    code: str
    name: str
    kind: str
    parent: str | None
    seen: tuple[int, ...]


@dataclass(frozen=True)
class DraftPlan:
    header: Header
    indicators: tuple[DraftIndicator, ...]
    deliverables: tuple[DraftDeliverable, ...]
    assumptions: tuple[str, ...]
    proposed: tuple[ProposedAgency, ...]
    notes: tuple[Note, ...]

    def notes_for(self, where: str) -> list[Note]:
        return [n for n in self.notes if n.where == where]

    def count(self, severity: Severity) -> int:
        return sum(1 for n in self.notes if n.severity == severity)


@dataclass(frozen=True)
class ImportOptions:
    """Built once by the caller: where the agency directory is, and the language of the review list."""

    directory: Path | None = None
    lang: str = "vi"


@dataclass(frozen=True)
class ImportResult:
    """A draft ready to write: the plan YAML, the proposed-agencies YAML (or None), and the notes."""

    draft: DraftPlan
    plan_yaml: str
    proposed_yaml: str | None
    proposed_path: Path | None
    source: Path
    out: Path
    directory_ref: str
