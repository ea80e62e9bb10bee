"""What every table shares, without the ORM: the metadata (with stable constraint names) and UTC datetimes.

Core only, so that read paths (the board, `plantrack status`) load no ORM: importing sqlalchemy.orm and
mapping the classes cost a cold start ~0.1 s here.
"""
from datetime import datetime, timezone

from sqlalchemy import DateTime, MetaData
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already (how SQLite stores them)."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class UTCDateTime(TypeDecorator):
    """DateTime(timezone=True) that stores UTC and always reads back an aware UTC datetime.

    SQLite keeps no offset and hands back naive values; without this every comparison with an
    aware 'now' would need its own normalising helper.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else as_utc(value)

    def process_result_value(self, value, dialect):
        return None if value is None else as_utc(value)
