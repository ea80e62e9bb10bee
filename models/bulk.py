"""Insert many rows in one go: COPY on PostgreSQL, one driver-level executemany on SQLite (the session's transaction)."""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import JSON, Table, insert
from sqlalchemy.orm import Session

from plantrack.models.base import UTCDateTime, as_utc


def bulk_insert(session: Session, table: Table, rows: list[dict]) -> None:
    """Insert rows (dicts with the same keys) into table; nothing is returned.

    Columns a row leaves out get the database's default (or NULL), not a Python-side default.
    PostgreSQL's COPY costs a fraction of row-by-row INSERTs (psycopg pipelines one statement a row);
    values are converted here as the column types would bind them (JSON as text, datetimes in UTC).
    """
    if not rows:
        return
    bind = session.connection()
    if bind.dialect.name == "sqlite":
        _executemany(bind, table, rows)
        return
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


# Values whose bound form depends on the value alone, and that never equal a value of another of these types.
_SCALARS = frozenset({str, date, datetime, bool})
_EMPTY_LIST = ()  # the memo key of [] (a list does not hash)


def _executemany(bind, table: Table, rows: list[dict]) -> None:
    """One INSERT (qmark parameters: sqlite3) executed for every row by the driver, values bound by the
    columns' own processors.

    SQLAlchemy's executemany builds a parameter dict per row and runs it through the compiler
    (construct_params): at 10,000 rows a plan that was most of the write on SQLite.
    """
    dialect = bind.dialect
    cols = list(rows[0])
    procs = [(i, p) for i, c in enumerate(cols)
             if (p := table.c[c].type.dialect_impl(dialect).bind_processor(dialect)) is not None]
    preparer = dialect.identifier_preparer
    sql = (f"INSERT INTO {preparer.format_table(table)} ({', '.join(preparer.quote(c) for c in cols)}) "
           f"VALUES ({', '.join(['?'] * len(cols))})")

    def values():
        memos = [{} for _ in procs]
        for row in rows:
            out = [row[c] for c in cols]
            for (i, fn), memo in zip(procs, memos):
                v = out[i]
                # Dates, enum words, flags, one 'now', empty JSON lists: a few hundred values, bound once each.
                key = v if v.__class__ in _SCALARS else _EMPTY_LIST if v.__class__ is list and not v else None
                if key is None:
                    out[i] = fn(v)
                    continue
                try:
                    out[i] = memo[key]
                except KeyError:
                    out[i] = memo[key] = fn(v)
            yield out

    cursor = bind.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(sql, values())
    finally:
        cursor.close()
