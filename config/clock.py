"""The current time for everything that stamps or compares times: the system clock, or the demo's virtual one.

`plantrack demo` runs the plan year in minutes: before each flow it moves the clock of its own process to
that flow's scheduled moment (virtual = system + an offset, so time still passes within a run). Nothing
else moves it; a scheduled run or a worker always reads the system clock.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

_offset = timedelta(0)


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc) + _offset


def move_to(at: datetime | None) -> None:
    """Make now() read `at` (aware) from this moment on; None: back to the system clock."""
    global _offset
    _offset = timedelta(0) if at is None else at - datetime.now(timezone.utc)


@contextmanager
def moved_to(at: datetime) -> Iterator[None]:
    """now() reads from `at` on inside the block, the clock it had before after it."""
    global _offset
    before = _offset
    move_to(at)
    try:
        yield
    finally:
        _offset = before
