"""The plan's tables in SQLAlchemy Core: plans, agency directories, agencies, people, deliverables, indicators,
status reports. models/entities.py maps its ORM classes onto them; read paths (the board) use them directly.
"""
from __future__ import annotations

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

from plantrack.models.enums import (AgencyKind, Channel, ContactRole, Direction, DueWording, ReportedState, Schedule,
                                    db_enum)
from plantrack.models.sqltypes import UTCDateTime, metadata


def _pk() -> Column:
    return Column("id", Integer, primary_key=True)


plan = Table(
    "plan", metadata,
    _pk(),
    Column("number", String(64), nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("issuer", String(255), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("signer", String(255)),
    Column("signed_as", String(255)),  # "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / ..."
    Column("signed_by", String(320)),  # the signer's email (a person row)
    Column("digest_to", JSON, nullable=False, default=list, server_default=sql_text("'[]'")),  # emails
    # The office that runs the plan's monitoring and signs its check-ins (its 'coordinator' person is the contact).
    Column("coordinator_agency_id", Integer, ForeignKey("agency.id")),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("source_sha256", String(64)),
    Column("file_sha256", String(64), nullable=False),
    Column("loaded_at", UTCDateTime, nullable=False),
    # What the last load read, so an unchanged reload is known from file hashes before any parsing:
    # the plan file's `directory` and `source_text` as written, the directory's sha256, and a key over
    # all hashes and the loader version (models.plan.load).
    Column("directory_ref", String(1000)),
    Column("directory_sha256", String(64)),
    Column("source_ref", String(1000)),
    Column("load_key", String(64)),
)

# A directory file (by sha256) whose agencies, people and contacts the database holds as the file says.
# Loading a directory that changes any of those rows replaces every row here with its own: anything
# else that writes agency, person or agency_contact rows must delete these rows.
agency_directory = Table(
    "agency_directory", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("agencies", Integer, nullable=False),
    Column("people", Integer, nullable=False),
    Column("loaded_at", UTCDateTime, nullable=False),
)

agency = Table(
    "agency", metadata,
    _pk(),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("name_en", String(255)),
    Column("short_name", String(128)),
    Column("kind", db_enum(AgencyKind, 32), nullable=False),
    Column("aliases", JSON, nullable=False, default=list),
    Column("parent_code", String(64)),  # e.g. the province of a department
    Column("successor_id", Integer, ForeignKey("agency.id")),
)

person = Table(
    "person", metadata,
    _pk(),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("phone", String(32)),
    Column("position", String(255)),  # chức vụ / unit, as a letter names a contact
)

# A person's role (ContactRole) at an agency.
agency_contact = Table(
    "agency_contact", metadata,
    Column("agency_id", Integer, ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", Integer, ForeignKey("person.id"), primary_key=True),
    Column("role", db_enum(ContactRole, 32), primary_key=True),
)

deliverable = Table(
    "deliverable", metadata,
    _pk(),
    Column("plan_id", Integer, ForeignKey("plan.id"), nullable=False),  # indexed by (plan_id, code), (plan_id, position)
    Column("code", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("short_title", String(80)),  # for calendar titles (a month cell shows ~30 characters)
    Column("category", String(32), nullable=False, index=True),
    Column("lead_agency_id", Integer, ForeignKey("agency.id"), nullable=False, index=True),
    Column("report_to_agency_id", Integer, ForeignKey("agency.id")),
    Column("description", Text),
    Column("quantities", JSON, nullable=False, default=list),
    Column("funding", Text),
    Column("start_date", Date),
    Column("due_date", Date, index=True),  # as the plan writes it
    # the plan's wording: before ("trước ngày") | by ("đến ngày", "hạn"); models/deadlines.py counts it
    Column("due_wording", db_enum(DueWording, 8), nullable=False, default=DueWording.BY,
           server_default=DueWording.BY.value),
    Column("schedule", db_enum(Schedule, 16), nullable=False, default=Schedule.DEADLINE),
    Column("milestones", JSON, nullable=False, default=list),
    Column("assumption", Text),
    Column("position", Integer, nullable=False, default=0),
    Column("archived", Boolean, nullable=False, default=False),
    # Current reported status: a cache of the latest status report, written with it.
    Column("state", db_enum(ReportedState, 16), nullable=False, default=ReportedState.NOT_STARTED),
    Column("progress", Integer),
    Column("completed_on", Date),
    Column("last_report_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    # (plan_id, position): the board streams a plan in order from the index, without sorting 100,000 rows.
    UniqueConstraint("plan_id", "code"),
    Index("ix_deliverable_plan_position", "plan_id", "position"),
)

deliverable_support = Table(
    "deliverable_support", metadata,
    Column("deliverable_id", ForeignKey("deliverable.id", ondelete="CASCADE"), primary_key=True),
    Column("agency_id", ForeignKey("agency.id"), primary_key=True, index=True),
)

indicator = Table(
    "indicator", metadata,
    _pk(),
    Column("plan_id", Integer, ForeignKey("plan.id"), nullable=False),  # indexed by (plan_id, code), (plan_id, position)
    Column("code", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("baseline", Numeric(20, 4)),
    Column("baseline_year", Integer),
    Column("target", Numeric(20, 4)),  # None: a direction-only target
    Column("unit", String(32), nullable=False),
    Column("direction", db_enum(Direction, 16), nullable=False),
    Column("owner_agency_id", Integer, ForeignKey("agency.id"), nullable=False, index=True),
    Column("due_date", Date, nullable=False),
    Column("position", Integer, nullable=False, default=0),
    Column("archived", Boolean, nullable=False, default=False),
    Column("last_value", Numeric(20, 4)),
    Column("last_report_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("assumption", Text),  # what the plan does not say (e.g. the owner)
    UniqueConstraint("plan_id", "code"),
    Index("ix_indicator_plan_position", "plan_id", "position"),
)

# One report of progress as received; never updated, so history is kept.
status_report = Table(
    "status_report", metadata,
    _pk(),
    Column("deliverable_id", Integer, ForeignKey("deliverable.id"), index=True),
    Column("indicator_id", Integer, ForeignKey("indicator.id"), index=True),
    Column("reported_at", UTCDateTime, nullable=False),
    Column("reporter_email", String(320)),
    Column("agency_id", Integer, ForeignKey("agency.id")),
    Column("channel", db_enum(Channel, 16), nullable=False),
    Column("source_message_id", String(998)),
    Column("state", db_enum(ReportedState, 16)),
    Column("progress", Integer),
    Column("value", Numeric(20, 4)),
    Column("completed_on", Date),
    Column("note", Text),
)
