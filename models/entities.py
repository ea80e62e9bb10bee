"""ORM classes of the plan, mapped onto the Core tables of models/tables.py (where the columns are declared)."""
from __future__ import annotations

from sqlalchemy.orm import relationship

from plantrack.models import tables
from plantrack.models.base import Base
from plantrack.models.tables import deliverable_support  # noqa: F401  (re-exported: callers import it from here)


class Plan(Base):
    __table__ = tables.plan


class AgencyDirectory(Base):
    """A directory file whose agencies, people and contacts the database holds as the file says (see the table)."""

    __table__ = tables.agency_directory


class Agency(Base):
    __table__ = tables.agency

    successor = relationship("Agency", remote_side=[tables.agency.c.id])


class Person(Base):
    __table__ = tables.person


class AgencyContact(Base):
    """A person's role (ContactRole) at an agency."""

    __table__ = tables.agency_contact


class Deliverable(Base):
    __table__ = tables.deliverable

    supporting = relationship(Agency, secondary=deliverable_support, order_by=tables.agency.c.code)
    lead = relationship(Agency, foreign_keys=[tables.deliverable.c.lead_agency_id])


class Indicator(Base):
    __table__ = tables.indicator

    owner = relationship(Agency)


class StatusReport(Base):
    """One report of progress as received; never updated, so history is kept."""

    __table__ = tables.status_report
