"""Declarative base of the ORM classes, on the shared metadata (models/sqltypes.py)."""
from sqlalchemy.orm import DeclarativeBase

from plantrack.models.sqltypes import NAMING, UTCDateTime, as_utc, metadata  # noqa: F401  (re-exported)


class Base(DeclarativeBase):
    metadata = metadata
