"""A local Prefect API for one process: `plantrack run ...` without PREFECT_API_URL, and the test session.

Prefect's own ephemeral server outlives a killed parent (it is left with parent PID 1); this one is
started with PR_SET_PDEATHSIG, so the kernel stops it when the process that started it dies, however
it dies. It takes ~10-20 s to become healthy here: start it early, wait for it late.
"""
from __future__ import annotations

import ctypes
import os
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
    """

    def __init__(self, home: Path | None = None) -> None:
        from plantrack.notifications.mail.local_smtp import free_port

        self.home = Path(home) if home else Path(tempfile.mkdtemp(prefix="plantrack-prefect-"))
        self.home.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        env = {**os.environ, "PREFECT_HOME": str(self.home), "PREFECT_UI_ENABLED": "0",
               "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
               "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{self.home / 'prefect.db'}"}
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
            yield server.api_url
            drain_workers()
    finally:
        server.stop()


def drain_workers() -> None:
    """Flush logs and events to the API before it stops (else they are reported as lost at exit)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    try:
        APILogWorker.instance().drain()
    except RuntimeError:  # never started
        pass
    EventsWorker.drain_all()
