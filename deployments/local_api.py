"""A local Prefect API for one process: `plantrack run ...` without PREFECT_API_URL, and the test session.

Prefect's own ephemeral server outlives a killed parent (it is left with parent PID 1); this one is
started with PR_SET_PDEATHSIG, so the kernel stops it when the process that started it dies, however
it dies. It takes ~10-20 s to become healthy here: start it early, wait for it late.
"""
from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _die_with_parent() -> None:
    """In the child before exec: receive SIGTERM when the parent dies (Linux)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class LocalPrefectServer:
    """`uvicorn prefect.server.api.server:create_app` on a free loopback port with its own SQLite database.

    home: where its database lives (a new temporary folder by default; a fixed one keeps run history).
    lean: only what running flows in this process needs. Off: the scheduler and the other background
    services (nothing here is scheduled, retried late or cancelled from outside), and the task-run
    recorder, which writes a row per task run from events: with SQLite its writes hold the database
    lock and make every other API call wait (~5x the wall time of a run here). Task runs still run
    through Prefect's engine and emit their events; the server only does not keep their history,
    which nobody can read once this temporary server has stopped.
    """

    LEAN_OFF = ("SCHEDULER", "LATE_RUNS", "FOREMAN", "CANCELLATION_CLEANUP", "PAUSE_EXPIRATIONS", "REPOSSESSOR",
                "TRIGGERS", "CLEANUP_RECONCILER", "TASK_RUN_RECORDER", "EVENT_PERSISTER")

    def __init__(self, home: Path | None = None, lean: bool = False) -> None:
        from plantrack.notifications.mail.local_smtp import free_port

        self.home = Path(home) if home else Path(tempfile.mkdtemp(prefix="plantrack-prefect-"))
        self.home.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        db = self.home / "prefect.db"
        self._template = _migrated_template()
        copied = not db.exists() and _copy_template(self._template, db)
        self._save_template = not db.exists()
        env = {**os.environ, "PREFECT_HOME": str(self.home), "PREFECT_UI_ENABLED": "0",
               "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
               "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{self.home / 'prefect.db'}"}
        if copied:  # the template was kept once its server was healthy: its block types are registered (~0.4 s)
            env["PREFECT_SERVER_REGISTER_BLOCKS_ON_START"] = "false"
        if lean:
            env.update({f"PREFECT_SERVER_SERVICES_{name}_ENABLED": "false" for name in self.LEAN_OFF})
        env.pop("PREFECT_API_URL", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error", "--lifespan", "on"],
            env=env, stdout=subprocess.DEVNULL, stderr=open(self.home / "server.log", "ab"),
            preexec_fn=_die_with_parent)

    def wait_healthy(self, timeout: float = 180.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                log = (self.home / "server.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the local Prefect server exited: {log}")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as r:
                    if r.status == 200:
                        if self._save_template:
                            _keep_template(self.home / "prefect.db", self._template)
                            self._save_template = False
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"Prefect server at {self.api_url} not healthy after {timeout} s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _migrated_template() -> Path:
    """Where a freshly migrated Prefect database of this Prefect version is kept (a user cache)."""
    from importlib.metadata import version

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "plantrack"
    return base / f"prefect-{version('prefect')}.db"


def _copy_template(template: Path, db: Path) -> bool:
    """Start from the migrated template (half of a fresh server's start-up is its migrations); False if none."""
    try:
        shutil.copyfile(template, db)
        return True
    except OSError:
        return False


def _keep_template(db: Path, template: Path) -> None:
    """Keep a copy of a just-migrated, still empty database for the next server (best effort: a cache)."""
    import sqlite3

    tmp = template.with_name(f".{template.name}.{os.getpid()}.tmp")
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(db) as src, sqlite3.connect(tmp) as dst:
            src.backup(dst)  # a consistent copy while the server has it open (WAL)
        os.replace(tmp, template)
    except (OSError, sqlite3.Error):
        tmp.unlink(missing_ok=True)


@contextmanager
def prefect_api() -> Iterator[str]:
    """The Prefect API to run flows against: PREFECT_API_URL when set, else a local server for this block."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value():
        yield PREFECT_API_URL.value()
        return
    server = LocalPrefectServer()
    try:
        server.wait_healthy()
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            try:
                yield server.api_url
            finally:  # a failed run's logs too: left unsent, they are retried against the stopped server for ~70 s
                drain_workers()
    finally:
        server.stop()


@contextmanager
def events_kept_nowhere() -> Iterator[None]:
    """Flow and task runs in this block send no events: for a lean LocalPrefectServer, which has nothing to keep or
    act on them (its event persister, task-run recorder and triggers are off).

    Sending them costs the demo's year ~10 % of its CPU here (serialising, the websocket, the server's receiving).
    """
    from prefect.events.clients import NullEventsClient
    from prefect.events.worker import EventsWorker

    EventsWorker.set_client_override(NullEventsClient)
    try:
        yield
    finally:
        EventsWorker.drain_all()
        EventsWorker.set_client_override(None)


def drain_workers() -> None:
    """Flush logs and events to the API before it stops (else they are reported as lost at exit)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    try:
        APILogWorker.instance().drain()
    except RuntimeError:  # never started
        pass
    EventsWorker.drain_all()
