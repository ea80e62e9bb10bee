"""ORM tables of the plan: plans, agency directories, agencies, people, deliverables, indicators, status reports."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text as sql_text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plantrack.models.base import Base, UTCDateTime
from plantrack.models.enums import (AgencyKind, Channel, ContactRole, Direction, DueWording, ReportedState, Schedule,
                                    db_enum)

deliverable_support = Table(
    "deliverable_support",
    Base.metadata,
    Column("deliverable_id", ForeignKey("deliverable.id", ondelete="CASCADE"), primary_key=True),
    Column("agency_id", ForeignKey("agency.id"), primary_key=True, index=True),
)


class Plan(Base):
    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text)
    issuer: Mapped[str] = mapped_column(String(255))
    issued_on: Mapped[date] = mapped_column(Date)
    signer: Mapped[str | None] = mapped_column(String(255))
    signed_as: Mapped[str | None] = mapped_column(String(255))  # "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / ..."
    signed_by: Mapped[str | None] = mapped_column(String(320))  # the signer's email (a person row)
    digest_to: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=sql_text("'[]'"))  # emails
    # The office that runs the plan's monitoring and signs its check-ins (its 'coordinator' person is the contact).
    coordinator_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    file_sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What the last load read, so an unchanged reload is known from file hashes before any parsing:
    # the plan file's `directory` and `source_text` as written, the directory's sha256, and a key over
    # all hashes and the loader version (models.plan.load).
    directory_ref: Mapped[str | None] = mapped_column(String(1000))
    directory_sha256: Mapped[str | None] = mapped_column(String(64))
    source_ref: Mapped[str | None] = mapped_column(String(1000))
    load_key: Mapped[str | None] = mapped_column(String(64))


class AgencyDirectory(Base):
    """A directory file (by sha256) whose agencies, people and contacts the database holds as the file says.

    Loading a directory that changes any of those rows replaces every row here with its own: anything
    else that writes agency, person or agency_contact rows must delete these rows.
    """

    __tablename__ = "agency_directory"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    agencies: Mapped[int] = mapped_column(Integer)
    people: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Agency(Base):
    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str | None] = mapped_column(String(255))
    short_name: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[AgencyKind] = mapped_column(db_enum(AgencyKind, 32))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    parent_code: Mapped[str | None] = mapped_column(String(64))  # e.g. the province of a department
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    successor: Mapped[Agency | None] = relationship(remote_side=[id])


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[str | None] = mapped_column(String(255))  # chức vụ / unit, as a letter names a contact


class AgencyContact(Base):
    """A person's role (ContactRole) at an agency."""

    __tablename__ = "agency_contact"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    role: Mapped[ContactRole] = mapped_column(db_enum(ContactRole, 32), primary_key=True)


class Deliverable(Base):
    __tablename__ = "deliverable"
    # (plan_id, position): the board streams a plan in order from the index, without sorting 100,000 rows.
    __table_args__ = (UniqueConstraint("plan_id", "code"), Index("ix_deliverable_plan_position", "plan_id", "position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))  # indexed by (plan_id, code), (plan_id, position)
    code: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    short_title: Mapped[str | None] = mapped_column(String(80))  # for calendar titles (a month cell shows ~30 characters)
    category: Mapped[str] = mapped_column(String(32), index=True)
    lead_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    report_to_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    description: Mapped[str | None] = mapped_column(Text)
    quantities: Mapped[list[dict]] = mapped_column(JSON, default=list)
    funding: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date, index=True)  # as the plan writes it
    # the plan's wording: before ("trước ngày") | by ("đến ngày", "hạn"); models/deadlines.py counts it
    due_wording: Mapped[DueWording] = mapped_column(db_enum(DueWording, 8), default=DueWording.BY,
                                                    server_default=DueWording.BY.value)
    schedule: Mapped[Schedule] = mapped_column(db_enum(Schedule, 16), default=Schedule.DEADLINE)
    milestones: Mapped[list[dict]] = mapped_column(JSON, default=list)
    assumption: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # Current reported status: a cache of the latest StatusReport, written with it.
    state: Mapped[ReportedState] = mapped_column(db_enum(ReportedState, 16), default=ReportedState.NOT_STARTED)
    progress: Mapped[int | None] = mapped_column(Integer)
    completed_on: Mapped[date | None] = mapped_column(Date)
    last_report_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    supporting: Mapped[list[Agency]] = relationship(secondary=deliverable_support, order_by=Agency.code)
    lead: Mapped[Agency] = relationship(foreign_keys=[lead_agency_id])


class Indicator(Base):
    __tablename__ = "indicator"
    __table_args__ = (UniqueConstraint("plan_id", "code"), Index("ix_indicator_plan_position", "plan_id", "position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))  # indexed by (plan_id, code), (plan_id, position)
    code: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    baseline: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    target: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))  # None: a direction-only target
    unit: Mapped[str] = mapped_column(String(32))
    direction: Mapped[Direction] = mapped_column(db_enum(Direction, 16))
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    due_date: Mapped[date] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer, default=0)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    last_value: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    last_report_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assumption: Mapped[str | None] = mapped_column(Text)  # what the plan does not say (e.g. the owner)

    owner: Mapped[Agency] = relationship()


class StatusReport(Base):
    """One report of progress as received; never updated, so history is kept."""

    __tablename__ = "status_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    deliverable_id: Mapped[int | None] = mapped_column(ForeignKey("deliverable.id"), index=True)
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicator.id"), index=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reporter_email: Mapped[str | None] = mapped_column(String(320))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    channel: Mapped[Channel] = mapped_column(db_enum(Channel, 16))
    source_message_id: Mapped[str | None] = mapped_column(String(998))
    state: Mapped[ReportedState | None] = mapped_column(db_enum(ReportedState, 16))
    progress: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    completed_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
