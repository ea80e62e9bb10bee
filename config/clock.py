"""The current time for everything that stamps or compares times: the system clock, or the demo's virtual one.

`plantrack demo` runs the plan year in minutes: before each flow it moves the clock of its own process to
that flow's scheduled moment. The virtual clock moves on by one millisecond at each reading, not with the
system clock, so time still passes within a run and a demo's mail, file names and stamps are the same for
the same seed. Nothing else moves it; a scheduled run or a worker always reads the system clock.
"""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

STEP = timedelta(milliseconds=1)  # how far the virtual clock moves at each reading
_virtual: datetime | None = None
_readings = itertools.count()  # next() is atomic: readings from several threads never share a moment


def now() -> datetime:
    """The current time, aware, in UTC."""
    if _virtual is None:
        return datetime.now(timezone.utc)
    return _virtual + next(_readings) * STEP


def move_to(at: datetime | None) -> None:
    """Make now() read `at` (aware), then a millisecond later at each reading; None: back to the system clock."""
    global _virtual, _readings
    _virtual, _readings = (None if at is None else at.astimezone(timezone.utc)), itertools.count()
