"""Insert many rows in one go: COPY on PostgreSQL, one driver-level executemany on SQLite (the session's transaction)."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime

from sqlalchemy import JSON, Table, insert
from sqlalchemy.orm import Session

from plantrack.models.base import UTCDateTime, as_utc


def bulk_insert(session: Session, table: Table, rows: list[dict]) -> None:
    """Insert rows (dicts with the same keys) into table; nothing is returned.

    Columns a row leaves out get the database's default (or NULL), not a Python-side default.
    SQLAlchemy's own executemany builds and compiles a parameter dict per row (most of a plan's write on
    SQLite), and psycopg sends one statement a row: the driver is handed plain values instead.
    """
    if not rows:
        return
    bind = session.connection()
    if bind.dialect.name == "sqlite":
        _executemany(bind, table, rows)
    elif bind.dialect.name == "postgresql":
        _copy(bind, table, rows)
    else:
        session.execute(insert(table), rows)


def _copy(bind, table: Table, rows: list[dict]) -> None:
    """PostgreSQL's COPY, values converted as the column types would bind them (JSON as text, datetimes in UTC)."""
    cols = list(rows[0])
    convert = {}
    for name in cols:
        kind = table.c[name].type
        if isinstance(kind, JSON):
            convert[name] = lambda v: None if v is None else json.dumps(v)
        elif isinstance(kind, UTCDateTime):
            convert[name] = lambda v: None if v is None else as_utc(v)
    names = ", ".join(f'"{c}"' for c in cols)
    cursor = bind.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for values in _converted(rows, cols, convert):
                copy.write_row(values)
    finally:
        cursor.close()


def _executemany(bind, table: Table, rows: list[dict]) -> None:
    """One INSERT (qmark parameters: sqlite3) run by the driver for every row, values bound by the columns'
    own bind processors."""
    dialect = bind.dialect
    cols = list(rows[0])
    convert = {c: p for c in cols if (p := table.c[c].type.dialect_impl(dialect).bind_processor(dialect)) is not None}
    preparer = dialect.identifier_preparer
    sql = (f"INSERT INTO {preparer.format_table(table)} ({', '.join(preparer.quote(c) for c in cols)}) "
           f"VALUES ({', '.join(['?'] * len(cols))})")
    cursor = bind.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(sql, _converted(rows, cols, convert))
    finally:
        cursor.close()


# Values whose converted form depends on the value alone, and that never equal a value of another of these types.
_SCALARS = frozenset({str, date, datetime, bool})
_EMPTY_LIST = ()  # the memo key of [] (a list does not hash)


def _converted(rows: list[dict], cols: list[str], convert: dict[str, Callable]) -> Iterator[list]:
    """Each row's values in cols order, converted by column; dates, enum words, flags, one 'now' and empty
    JSON lists (a few hundred distinct values in 100,000 rows) are converted once each."""
    procs = [(i, convert[c], {}) for i, c in enumerate(cols) if c in convert]
    for row in rows:
        out = [row[c] for c in cols]
        for i, fn, memo in procs:
            v = out[i]
            key = v if v.__class__ in _SCALARS else _EMPTY_LIST if v.__class__ is list and not v else None
            if key is None:
                out[i] = fn(v)
                continue
            try:
                out[i] = memo[key]
            except KeyError:
                out[i] = memo[key] = fn(v)
        yield out
