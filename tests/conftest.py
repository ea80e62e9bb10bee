"""Shared fixtures: real databases (SQLite file and PostgreSQL), the seed plan loaded, the CLI."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from plantrack.config import SEED_PLAN

PG_ADMIN = os.environ.get("PLANTRACK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_available() -> bool:
    import psycopg

    try:
        psycopg.connect(PG_ADMIN.replace("+psycopg", ""), connect_timeout=3).close()
        return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin URL of a running PostgreSQL; skipped when none answers (CI must not skip)."""
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_ADMIN} does not answer, and CI must test it")
        pytest.skip(f"no PostgreSQL server at {PG_ADMIN}")
    return PG_ADMIN


def _fresh_pg_database(admin_url: str) -> tuple[str, callable]:
    import psycopg

    name = f"plantrack_t_{uuid.uuid4().hex[:12]}"
    dsn = admin_url.replace("+psycopg", "")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        from plantrack.models.db import session_factory

        session_factory.cache_clear()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return admin_url.rsplit("/", 1)[0] + f"/{name}", drop


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path) -> str:
    """An empty database URL, once on a SQLite file and once on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'plantrack.db'}"
        from plantrack.models.db import session_factory

        session_factory.cache_clear()
        return
    url, drop = _fresh_pg_database(request.getfixturevalue("pg_server"))
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite database URL (for tests that need not run twice)."""
    return f"sqlite:///{tmp_path / 'plantrack.db'}"


def init_and_load(url: str, plan_file: Path = SEED_PLAN):
    """Migrate url and load plan_file into it; returns the load summary."""
    from plantrack.models.db import session_factory
    from plantrack.models.migrate import upgrade
    from plantrack.models.plan.file import read_plan
    from plantrack.models.plan.store import store_plan

    upgrade(url)
    Session = session_factory(url)
    with Session() as s, s.begin():
        return store_plan(s, read_plan(plan_file))


@pytest.fixture
def loaded_db(db_url: str) -> str:
    """db_url with the schema created and the Lào Cai seed plan loaded."""
    init_and_load(db_url)
    return db_url


@pytest.fixture
def loaded_sqlite(sqlite_url: str) -> str:
    init_and_load(sqlite_url)
    return sqlite_url


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """Run the plantrack CLI in-process: cli(url, *args) -> (exit_code, stdout, stderr)."""
    from typer.testing import CliRunner

    from plantrack.cli.main import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANTRACK_DATABASE_URL", raising=False)  # `run ...` hands --db on through it

    def run(url: str | None, *args: str):
        runner = CliRunner()
        argv = (["--db", url] if url else []) + list(args)
        result = runner.invoke(app, argv, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return run


@pytest.fixture(scope="session")
def prefect_api():
    """One temporary Prefect API for the whole test session (it takes ~20 s to start here)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield
