"""Insert many rows in one go: COPY on PostgreSQL, one executemany elsewhere (the session's transaction)."""
from __future__ import annotations

import json

from sqlalchemy import JSON, Table, insert
from sqlalchemy.orm import Session

from plantrack.models.base import UTCDateTime, as_utc


def bulk_insert(session: Session, table: Table, rows: list[dict]) -> None:
    """Insert rows (dicts with the same keys) into table; nothing is returned.

    PostgreSQL's COPY costs a fraction of row-by-row INSERTs (psycopg pipelines one statement a row);
    values are converted here as the column types would bind them (JSON as text, datetimes in UTC).
    """
    if not rows:
        return
    bind = session.connection()
    if bind.dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    cols = list(rows[0])
    convert = []
    for i, name in enumerate(cols):
        kind = table.c[name].type
        if isinstance(kind, JSON):
            convert.append((i, lambda v: None if v is None else json.dumps(v)))
        elif isinstance(kind, UTCDateTime):
            convert.append((i, lambda v: None if v is None else as_utc(v)))
    names = ", ".join(f'"{c}"' for c in cols)
    cursor = bind.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                values = [row[c] for c in cols]
                for i, fn in convert:
                    values[i] = fn(values[i])
                copy.write_row(values)
    finally:
        cursor.close()
