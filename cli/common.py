"""What every command shares: settings, the session factory, --today, clean error exits."""
from __future__ import annotations

import sys
from pathlib import Path
from datetime import date, datetime
from zoneinfo import ZoneInfo

import typer

from plantrack.config.settings import Settings, load_settings


class _LazyConsole:
    """A rich Console made on first use: `status --json` never pays for importing rich."""

    def __init__(self, **options):
        self._options, self._console = options, None

    def __getattr__(self, name):
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


console = _LazyConsole()
err_console = _LazyConsole(stderr=True)


class State:
    db_url: str | None = None

    def settings(self) -> Settings:
        from pydantic import ValidationError

        try:
            return load_settings(database_url=self.db_url)
        except ValidationError as exc:
            problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
            fail(f"bad PLANTRACK_* setting: {problems}")

    def session_factory(self):
        from plantrack.models.db import session_factory

        return session_factory(self.settings().database_url)


state = State()


def fail(message: str, code: int = 1):
    """Print message to stderr and exit non-zero, without a traceback."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def parse_today(value: str | None, tz: str) -> date:
    """--today as a date, or the current date in the plan's time zone."""
    if value is None:
        return datetime.now(ZoneInfo(tz)).date()  # as Settings.today(), without building settings twice
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--today {value!r} is not a date (YYYY-MM-DD)")


def require_schema(url: str) -> None:
    """Exit with advice when the database was never initialised."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from plantrack.models.db import session_factory

    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
                and not Path(parsed.database).exists():  # connecting would create an empty file
            fail(f"no database at {parsed.database}: run 'plantrack init' first (or check --db)")
        engine = session_factory(url).kw["bind"]
        if not inspect(engine).has_table("deliverable"):
            fail(f"database {url} has no plantrack tables: run 'plantrack init' first")
    except Exception as exc:  # connection refused, bad URL, ...
        if isinstance(exc, (typer.Exit, SystemExit)):
            raise
        fail(f"cannot open database {url}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")


def print_out(text: str) -> None:
    sys.stdout.write(text)
    if not text.endswith("\n"):
        sys.stdout.write("\n")
