"""What every command shares: settings, the session factory, --today, clean error exits."""
from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import typer

from plantrack.config.settings import Settings, SettingsError, load_settings, mask_url


@lru_cache(maxsize=1)
def console():
    """The rich Console of standard output, made on first use (`status --json` never imports rich)."""
    from rich.console import Console

    return Console()


@lru_cache(maxsize=1)
def err_console():
    from rich.console import Console

    return Console(stderr=True)


class State:
    db_url: str | None = None

    _settings: Settings | None = None

    def settings(self) -> Settings:
        """The settings of this command (built once; a bad PLANTRACK_* value exits with its name)."""
        if self._settings is None:
            try:
                self._settings = load_settings(database_url=self.db_url)
            except SettingsError as exc:
                fail(f"bad setting: {exc}")
        return self._settings

    def deadlines(self):
        """The deadline policy of the settings, its working-days files checked (a bad one exits cleanly)."""
        from plantrack.models.deadlines import DeadlinePolicy
        from plantrack.models.yamlconf import ConfigFileError

        try:
            policy = DeadlinePolicy.from_settings(self.settings())
            policy.calendar  # noqa: B018  (loads and checks the files now)
        except ConfigFileError as exc:
            fail("bad working-days file:\n" + "\n".join(f"  {p}" for p in exc.problems))
        return policy

    def session_factory(self):
        from plantrack.models.db import session_factory

        return session_factory(self.settings().database_url)

    def engine(self):
        """The Core engine of the settings' database (read-only commands: no ORM to load)."""
        from plantrack.models.db import engine_for

        return engine_for(self.settings().database_url)


state = State()


def flag(*names: str, help: str | None = None):
    """A boolean option, listed in --help without a type (typer 0.29 printed '<bool>' beside flags, which read as if
    they took a value)."""
    return typer.Option(False, *names, help=help, metavar="")


def today_option(help: str = "evaluate as of YYYY-MM-DD"):
    """--today, shown as taking YYYY-MM-DD."""
    return typer.Option(None, "--today", help=help, metavar="YYYY-MM-DD")


def fail(message: str, code: int = 1):
    """Print message to stderr and exit non-zero, without a traceback; on a terminal it wraps between words, piped it
    stays one line."""
    from rich.markup import escape

    console = err_console()
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True,
                  soft_wrap=not console.is_terminal)
    raise typer.Exit(code)


def now() -> datetime:
    """The current time, aware UTC (tests replace it: no test waits on the wall clock)."""
    return datetime.now(timezone.utc)


def parse_port(value: int, option: str = "--port") -> int:
    """A TCP port number (0 = any free port), or a clean exit naming the option."""
    if not 0 <= value <= 65535:
        fail(f"{option} {value} is not a port number (0-65535)")
    return value


def listen_error(host: str, port: int, exc: BaseException) -> str:
    """One line saying why a server could not listen on host:port."""
    import errno
    import socket

    if isinstance(exc, socket.gaierror):
        why = f"unknown host name {host!r}"
    elif isinstance(exc, OverflowError):
        why = "not a port number (0-65535)"
    elif getattr(exc, "errno", None) == errno.EADDRINUSE:
        why = "the port is already in use (is another server running there?)"
    elif getattr(exc, "errno", None) == errno.EADDRNOTAVAIL:
        why = f"this machine has no address {host}"
    elif getattr(exc, "errno", None) == errno.EACCES:
        why = "permission denied (ports below 1024 need privileges)"
    else:
        why = getattr(exc, "strerror", None) or str(exc)
    return f"cannot listen on {host}:{port}: {why}"


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

    from plantrack.models.db import engine_for

    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
                and not Path(parsed.database).exists():  # connecting would create an empty file
            fail(f"no database at {parsed.database}: run 'plantrack init' first (or check --db)")
        shown = mask_url(url)
        if not inspect(engine_for(url)).has_table("deliverable"):
            fail(f"database {shown} has no plantrack tables: run 'plantrack init' first")
    except Exception as exc:  # connection refused, bad URL, ...
        if isinstance(exc, (typer.Exit, SystemExit)):
            raise
        fail(f"cannot open database {mask_url(url)}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")


def settings_for_flows() -> Settings:
    """The command's settings, with --db handed on to flows (they read settings themselves, never a URL parameter)."""
    import os

    settings = state.settings()
    os.environ["PLANTRACK_DATABASE_URL"] = settings.database_url
    return settings


def parse_lang(value: str | None, default: str) -> str:
    """--lang, or default; an unknown language exits listing the known ones."""
    from plantrack.config.i18n import languages

    if value is None or value in languages():
        return value or default
    fail(f"--lang {value!r} is not a language plantrack speaks (one of: {', '.join(languages())})")


def print_out(text: str) -> None:
    sys.stdout.write(text)
    if not text.endswith("\n"):
        sys.stdout.write("\n")


def print_wrapped(text: str) -> None:
    """Print text for a person: on a terminal, lines wider than it wrap between words (a file name or an address stays
    whole), continued two spaces further in than the line began; piped, each line stays whole for scripts."""
    if sys.stdout.isatty():
        import shutil
        import textwrap

        width = shutil.get_terminal_size().columns

        def fit(line: str) -> str:
            indent = line[:len(line) - len(line.lstrip())]
            return line if len(line) <= width else textwrap.fill(
                line, width, subsequent_indent=indent + "  ", break_long_words=False, break_on_hyphens=False)
        text = "\n".join(fit(line) for line in text.splitlines())
    print_out(text)
