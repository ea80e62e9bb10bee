"""`plantrack feeds serve` as a real process: a burst of 500 concurrent fetches, conditional GETs, no Prefect.

The burst is an office whose calendar clients all refresh at opening time. Bounded: every fetch must
finish within 20 s and the whole burst within 60 s, or the test fails (it never hangs CI).
"""
from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import date
from email.utils import formatdate

import pytest

from plantrack.models.calendar_store import add_token
from plantrack.models.db import session_factory

N = 500
PER_FETCH_TIMEOUT, BURST_TIMEOUT = 20.0, 60.0


@pytest.fixture
def published(loaded_sqlite, tmp_path):
    from tests.plan_helpers import publish

    feeds = tmp_path / "feeds"
    publish(loaded_sqlite, feeds, date(2024, 5, 20))
    with session_factory(loaded_sqlite)() as s, s.begin():
        token = add_token(s, "Văn phòng UBND tỉnh", "plan")
    env = {**os.environ, "PLANTRACK_DATABASE_URL": loaded_sqlite, "PLANTRACK_FEEDS_DIR": str(feeds)}
    return env, token, (feeds / "plan.ics").read_bytes(), tmp_path


@contextmanager
def feeds_serve(env, cwd, *prefix: str):
    """`plantrack feeds serve --port 0` in its own process; yields (port, process, stderr file)."""
    err_path = cwd / "serve.err"
    with open(err_path, "w+") as err:
        proc = subprocess.Popen([sys.executable, *prefix, "-m", "plantrack.cli", "feeds", "serve", "--port", "0"],
                                cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        try:
            found: list[int] = []

            def read_port():
                for line in proc.stdout:
                    m = re.search(r"http://[0-9.]+:(\d+)/", line)
                    if m:
                        found.append(int(m.group(1)))
                        return

            reader = threading.Thread(target=read_port, daemon=True)
            reader.start()
            reader.join(60)
            assert found, f"feeds serve did not start: {err_path.read_text()}"
            yield found[0], proc, err_path
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


async def _fetch(port: int, path: str, headers: str = "") -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n".encode())
        await writer.drain()
        data = await reader.read()
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


async def _burst(port: int, path: str) -> tuple[list, float]:
    t0 = time.perf_counter()
    results = await asyncio.wait_for(
        asyncio.gather(*(asyncio.wait_for(_fetch(port, path), PER_FETCH_TIMEOUT) for _ in range(N)),
                       return_exceptions=True), BURST_TIMEOUT)
    return results, time.perf_counter() - t0


def test_burst_of_500_concurrent_fetches_all_answered(published):
    env, token, body, cwd = published
    with feeds_serve(env, cwd) as (port, proc, _):
        results, wall = asyncio.run(_burst(port, f"/feeds/{token}.ics"))
        assert proc.poll() is None  # still serving
    errors = [r for r in results if isinstance(r, BaseException)]
    wrong = [r for r in results if not isinstance(r, BaseException) and (r[0] != 200 or r[1] != body)]
    print(f"\nfeed burst: {N} concurrent GETs of a {len(body):,}-byte feed, wall {wall:.2f} s, "
          f"{len(errors)} errors, {len(wrong)} wrong answers")
    assert not errors, f"{len(errors)} of {N} failed, e.g. {errors[0]!r}"
    assert not wrong


def test_conditional_get_and_no_prefect_in_the_server_process(published):
    """If-Modified-Since alone gives 304 (ETag still does too); the serving process never imported Prefect."""
    env, token, body, cwd = published
    probe = ("import atexit, sys; atexit.register(lambda: sys.stderr.write('PREFECT-MODULES %d\\n' % "
             "sum(m == 'prefect' or m.startswith('prefect.') for m in sys.modules)))")
    # `python -m` cannot also take -c: a sitecustomize on PYTHONPATH registers the probe at start-up
    probe_dir = cwd / "probe"
    probe_dir.mkdir()
    (probe_dir / "sitecustomize.py").write_text(probe + "\n")
    env = {**env, "PYTHONPATH": os.pathsep.join([str(probe_dir), env.get("PYTHONPATH", "")])}
    with feeds_serve(env, cwd) as (port, proc, err_path):
        path = f"/feeds/{token}.ics"
        status, got = asyncio.run(_fetch(port, path))
        assert status == 200 and got == body
        mtime = (cwd / "feeds" / "plan.ics").stat().st_mtime
        last_modified = formatdate(mtime, usegmt=True)
        assert asyncio.run(_fetch(port, path, f"If-Modified-Since: {last_modified}\r\n")) == (304, b"")
        older = formatdate(mtime - 3600, usegmt=True)
        status, got = asyncio.run(_fetch(port, path, f"If-Modified-Since: {older}\r\n"))
        assert status == 200 and got == body
        assert asyncio.run(_fetch(port, path, "If-Modified-Since: not a date\r\n"))[0] == 200
        # If-None-Match wins over If-Modified-Since (RFC 9110): a stale ETag gets the body
        status, _ = asyncio.run(_fetch(port, path, f'If-None-Match: "stale"\r\nIf-Modified-Since: {last_modified}\r\n'))
        assert status == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0
    err = err_path.read_text()
    assert "Traceback" not in err and token not in err
    assert "PREFECT-MODULES 0" in err, err[-2000:]
