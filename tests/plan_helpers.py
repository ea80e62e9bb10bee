"""Helpers for tests that edit copies of the seed plan and compare database contents."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from plantrack.config import PLANS_DIR, SEED_PLAN
from plantrack.models.db import session_factory


# Tests whose SQL cannot differ by dialect run on SQLite only (loaded_db is parametrized over both).
SQLITE_ONLY = pytest.mark.parametrize("loaded_db", ["sqlite"], indirect=True)


def copy_seed(tmp_path: Path) -> Path:
    """A writable copy of config/plans; returns the plan file path inside it."""
    dest = tmp_path / "plans"
    shutil.copytree(PLANS_DIR, dest)
    for f in dest.iterdir():
        f.chmod(0o644)
    return dest / SEED_PLAN.name


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace old by new in a file, failing loudly if old is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def snapshot(url: str) -> dict[str, list]:
    """Every row of every table, sorted, to prove that nothing was written."""
    engine = session_factory(url).kw["bind"]
    meta = MetaData()
    meta.reflect(engine)
    out = {}
    with engine.connect() as conn:
        for name, table in meta.tables.items():
            out[name] = sorted(map(repr, conn.execute(select(table)).all()))
    return out


def publish(url: str, out: Path, today, events=None, *, force: bool = False):
    """Run the publish use case on url into folder out (EventOptions events, default options otherwise)."""
    from plantrack.notifications.calendar.events import EventOptions
    from plantrack.notifications.calendar.publish import PublishOptions, publish_calendars

    opts = PublishOptions(url, Path(out), events or EventOptions())
    return publish_calendars(opts, today, force=force)
