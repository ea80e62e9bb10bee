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


def _fresh_pg_database(admin_url: str, template: str | None = None) -> tuple[str, callable]:
    import psycopg

    name = f"plantrack_t_{uuid.uuid4().hex[:12]}"
    dsn = admin_url.replace("+psycopg", "")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))

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
    from plantrack.models.plan.load import load_plan

    upgrade(url)
    Session = session_factory(url)
    with Session() as s, s.begin():
        return load_plan(s, plan_file)


@pytest.fixture(scope="session")
def seed_sqlite_file(tmp_path_factory) -> Path:
    """A SQLite file migrated and loaded with the seed plan once per session (tests get copies)."""
    from plantrack.models.db import session_factory

    path = tmp_path_factory.mktemp("seed") / "seed.db"
    url = f"sqlite:///{path}"
    init_and_load(url)
    session_factory(url).kw["bind"].dispose()  # the last close checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def seed_pg_template(pg_server) -> str:
    """The name of a PostgreSQL database migrated and loaded once per session, used as a TEMPLATE."""
    import psycopg

    from plantrack.models.db import session_factory

    url, drop = _fresh_pg_database(pg_server)
    init_and_load(url)
    session_factory(url).kw["bind"].dispose()  # CREATE DATABASE ... TEMPLATE needs it unused
    yield url.rsplit("/", 1)[1]
    drop()


def _copy_of_seed(request, tmp_path: Path):
    if request.param == "sqlite":
        import shutil

        shutil.copyfile(request.getfixturevalue("seed_sqlite_file"), tmp_path / "plantrack.db")
        yield f"sqlite:///{tmp_path / 'plantrack.db'}"
        from plantrack.models.db import session_factory

        session_factory.cache_clear()
        return
    url, drop = _fresh_pg_database(request.getfixturevalue("pg_server"),
                                   template=request.getfixturevalue("seed_pg_template"))
    try:
        yield url
    finally:
        drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def loaded_db(request, tmp_path: Path) -> str:
    """A database with the schema and the Lào Cai seed plan, on a SQLite file and on PostgreSQL (copies of a
    session template). Tests whose SQL cannot differ by dialect use loaded_sqlite (or SQLITE_ONLY)."""
    yield from _copy_of_seed(request, tmp_path)


@pytest.fixture(params=["sqlite"])
def loaded_sqlite(request, tmp_path: Path) -> str:
    yield from _copy_of_seed(request, tmp_path)


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """Run the plantrack CLI in-process: cli(url, *args) -> (exit_code, stdout, stderr)."""
    from typer.testing import CliRunner

    from plantrack.cli.common import console, err_console
    from plantrack.cli.main import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANTRACK_DATABASE_URL", raising=False)  # `run ...` hands --db on through it

    def run(url: str | None, *args: str):
        # A command's consoles are made on first use in its process, so they see COLUMNS as it is now (an
        # xdist worker sets COLUMNS=80; a console cached by an earlier command would keep that width).
        console.cache_clear()
        err_console.cache_clear()
        runner = CliRunner()
        argv = (["--db", url] if url else []) + list(args)
        result = runner.invoke(app, argv, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return run


_IMPORTS_AFTER_EACH = """
import json, sys
from typer.testing import CliRunner
from plantrack.cli.main import app
seen = []
for argv in json.loads(sys.argv[1]):
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, (argv, result.output)
    seen.append(sorted({name.split(".")[0] for name in sys.modules}))
print(json.dumps(seen))
"""


def top_modules_after_each(env: dict, *commands: list[str]) -> list[set[str]]:
    """The top-level modules a fresh interpreter has imported after each of commands, run in turn through the
    CLI's app (one interpreter for all: what a command imports shows after it, whatever ran before)."""
    import json
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", _IMPORTS_AFTER_EACH, json.dumps(commands)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [set(names) for names in json.loads(proc.stdout)]


_PREFECT: dict = {}

# Under xdist (addopts in pyproject.toml: -n 2 --dist loadgroup --no-loadscope-reorder) a work unit is a test file
# (its module fixtures are made once), or every test that needs the Prefect API (one worker, one server, no
# cross-talk between flow runs). The longest units start first, so that the last ones to finish are short:
# serial here, the scale-out test takes ~110 s, the Prefect group ~60 s, the demo ~40 s, the others < 30 s.
LONGEST_FIRST = ("tests/test_scale_out.py", "prefect", "tests/test_demo.py", "tests/test_replies_property.py",
                 "tests/test_packaging.py")


def _needs_prefect(item) -> bool:
    return "prefect_api" in getattr(item, "fixturenames", ())


@pytest.hookimpl(tryfirst=True)  # before xdist turns the groups into work units
def pytest_collection_modifyitems(session, config, items):
    """In an xdist worker: group the tests into work units, longest first. Alone: the tests that need the Prefect
    API run last, and its server starts now, in the background."""
    if hasattr(config, "workerinput"):
        unit = {it: "prefect" if _needs_prefect(it) else it.nodeid.split("::")[0] for it in items}
        for it in items:
            it.add_marker(pytest.mark.xdist_group(unit[it]))
        rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
        items.sort(key=lambda it: rank.get(unit[it], len(rank)))  # stable: the rest keep their order
        return
    needs = [it for it in items if _needs_prefect(it)]
    if not needs:
        return
    items[:] = [it for it in items if it not in needs] + needs
    if config.option.collectonly:
        return
    from plantrack.deployments.local_api import LocalPrefectServer

    _PREFECT["server"] = LocalPrefectServer()


@pytest.fixture(scope="session")
def prefect_api():
    """The session's Prefect API (~10-20 s to boot here: alone, started at collection while other tests run;
    under xdist, on first use by the one worker that runs the Prefect group). Stopped after the last test that
    needs it (see pytest_runtest_teardown)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    from contextlib import ExitStack

    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from plantrack.deployments.local_api import drain_workers

    server = _PREFECT.get("server")
    if server is None:  # under xdist, or a test asked for it without being collected as needing it
        from plantrack.deployments.local_api import LocalPrefectServer

        server = _PREFECT["server"] = LocalPrefectServer()
    stack = _PREFECT["stack"] = ExitStack()
    stack.callback(server.stop)
    server.wait_healthy()
    stack.enter_context(temporary_settings({PREFECT_API_URL: server.api_url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}))
    stack.callback(drain_workers)  # first on close: logs and events reach the API before it stops
    yield server.api_url
    _stop_prefect()


def _stop_prefect() -> None:
    """Flush to the session's Prefect API, leave its settings, stop its server; once."""
    stack = _PREFECT.pop("stack", None)
    if stack is not None:
        stack.close()


@pytest.hookimpl(trylast=True)  # after the test's own fixtures are torn down
def pytest_runtest_teardown(item, nextitem):
    """The Prefect server stops after the last test that needs it: its services cost CPU even when idle (~1 s a
    minute here), and under xdist its worker goes on with other tests for minutes."""
    if _needs_prefect(item) and (nextitem is None or not _needs_prefect(nextitem)):
        _stop_prefect()
