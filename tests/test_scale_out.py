"""Scale-out as the README describes it: the application database and a Prefect server on PostgreSQL (each its
own database), deployments/prefect.yaml deployed to a process pool, two workers. Runs of the check-in, calendar
(and escalation, when deployed) deployments are taken by either worker; the results are in the application
database; every message reaches the relay exactly once."""
from __future__ import annotations

import asyncio
import email
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.checkin_smtp import MAIL_FROM, SECRET, Recorder, smtp_server
from tests.conftest import _fresh_pg_database

ROOT = Path(__file__).resolve().parents[1]
RUNS = {  # flow name -> deployment runs asked for (two each: one waits for the other, the second sends nothing)
    "send-checkins": [{"today": "2024-06-03"}, {"today": "2024-06-03"}],
    "publish-calendars": [{"today": "2024-06-03"}, {"today": "2024-06-04"}],
    "escalate-overdue": [{"today": "2024-06-18"}, {"today": "2024-06-18"}],
}


def _die_with_parent():
    from plantrack.deployments.local_api import _die_with_parent as die

    die()


@pytest.fixture
def prefect_on_postgres(pg_server, tmp_path):
    """`prefect server start` on its own PostgreSQL database; yields the API URL."""
    from plantrack.notifications.mail.local_smtp import free_port

    url, drop = _fresh_pg_database(pg_server)
    async_url = url.replace("postgresql+psycopg://", "postgresql+asyncpg://")
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_UI_ENABLED": "false",
           "PREFECT_SERVER_DATABASE_CONNECTION_URL": async_url, "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "DO_NOT_TRACK": "1"}
    env.pop("PREFECT_API_URL", None)
    log = open(tmp_path / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=log, stderr=log, preexec_fn=_die_with_parent)
    api = f"http://127.0.0.1:{port}/api"
    end = time.monotonic() + 240
    while True:
        assert proc.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2):
                break
        except OSError:
            assert time.monotonic() < end, "Prefect server on PostgreSQL not healthy"
            time.sleep(0.5)
    try:
        yield api
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        drop()


def assert_deployed_as_specified() -> None:
    """At the current PREFECT_API_URL: every spec is a deployment of the pool with its cron in the plan's time zone, one run at a time, active;
    the automation after an intake that changed reports runs the calendars' deployment."""
    from prefect.client.orchestration import get_client

    from plantrack.deployments.specs import REPORTS_CHANGED, SPECS, full_name
    from tests.test_deployments import WANTED

    async def read_back():
        async with get_client() as client:
            deployments = {spec.flow_name: await client.read_deployment_by_name(full_name(spec, pool=True))
                           for spec in SPECS}
            return deployments, await client.read_automations()

    deployments, automations = asyncio.run(read_back())
    schedules = {}
    for name, dep in deployments.items():
        (sched,) = dep.schedules
        schedules[name] = (sched.schedule.cron, sched.schedule.timezone, dep.work_pool_name,
                           dep.global_concurrency_limit and dep.global_concurrency_limit.limit, sched.active)
    for name, cron in WANTED.items():
        assert schedules[name] == (cron, "Asia/Ho_Chi_Minh", "plantrack", 1, True), name
    after_intake = [a for a in automations if REPORTS_CHANGED in a.trigger.expect]
    assert after_intake and all(getattr(act, "deployment_id", None) == deployments["publish-calendars"].id
                                for a in after_intake for act in a.actions)


def test_two_workers_share_the_pool_and_send_each_message_once(prefect_on_postgres, pg_server, seed_pg_template,
                                                               tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from sqlalchemy import func, select

    from plantrack.deployments.specs import SPECS, apply_mail_limit, full_name
    from plantrack.models.db import session_factory
    from plantrack.models.mail.outbox import Outbox

    api = prefect_on_postgres
    app_url, drop_app = _fresh_pg_database(pg_server, template=seed_pg_template)
    recorder = Recorder()
    try:
        with smtp_server(recorder) as (host, port), temporary_settings({PREFECT_API_URL: api}):
            async def setup():
                async with get_client() as client:
                    await client.create_work_pool(WorkPoolCreate(name="plantrack", type="process"), overwrite=True)
                    await apply_mail_limit(client, 6000)
            asyncio.run(setup())
            env = {**os.environ, "PREFECT_API_URL": api}
            out = subprocess.run([sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--prefect-file",
                                  "deployments/prefect.yaml", "--all"], cwd=ROOT, env=env, capture_output=True,
                                 text=True, timeout=300)
            assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
            assert_deployed_as_specified()

            deployed = [s for s in SPECS if s.flow_name in RUNS]
            assert {"send-checkins", "publish-calendars"} <= {s.flow_name for s in deployed}

            async def create_runs():
                ids = {}
                async with get_client() as client:
                    for spec in deployed:
                        dep = await client.read_deployment_by_name(full_name(spec, pool=True))
                        for params in RUNS[spec.flow_name]:
                            run = await client.create_flow_run_from_deployment(dep.id, parameters=params)
                            ids[str(run.id)] = spec.flow_name
                return ids
            runs = asyncio.run(create_runs())

            feeds = tmp_path / "feeds"
            worker_env = {**env, "PLANTRACK_DATABASE_URL": app_url, "PLANTRACK_FEEDS_DIR": str(feeds),
                          "PLANTRACK_SMTP_HOST": host, "PLANTRACK_SMTP_PORT": str(port),
                          "PLANTRACK_SECRET_KEY": SECRET, "PLANTRACK_MAIL_FROM": MAIL_FROM,
                          "PLANTRACK_SMTP_RATE_PER_MINUTE": "6000", "PREFECT_WORKER_QUERY_SECONDS": "1",
                          "PREFECT_LOGGING_LEVEL": "INFO"}
            workers, logs = [], []
            for name in ("worker-a", "worker-b"):
                log = tmp_path / f"{name}.log"
                logs.append(log)
                workers.append(subprocess.Popen(
                    [sys.executable, "-m", "prefect", "worker", "start", "--pool", "plantrack", "--name", name,
                     "--limit", "1"], cwd=tmp_path, env=worker_env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                    preexec_fn=_die_with_parent))
            try:
                async def states():
                    async with get_client() as client:
                        return {i: (await client.read_flow_run(uuid.UUID(i))).state for i in runs}
                end = time.monotonic() + 400
                while True:
                    now = asyncio.run(states())
                    if all(s.is_final() for s in now.values()):
                        break
                    assert time.monotonic() < end, {i: s.name for i, s in now.items()}
                    time.sleep(1)
            finally:
                for w in workers:
                    w.send_signal(signal.SIGTERM)
                for w in workers:
                    try:
                        w.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        w.kill()
            failed = {runs[i]: s.message for i, s in now.items() if not s.is_completed()}
            assert not failed, failed

        # Each worker took some of the runs.
        taken = {log.stem: {i for i in runs if i in log.read_text(errors="replace")} for log in logs}
        assert taken["worker-a"] and taken["worker-b"], taken
        assert taken["worker-a"] | taken["worker-b"] == set(runs)

        # Results in the application database; every message reached the relay exactly once.
        with session_factory(app_url)() as s:
            sent = s.scalar(select(func.count()).select_from(Outbox).where(Outbox.status == "sent"))
            checkins = s.scalar(select(func.count()).select_from(Outbox).where(Outbox.kind == "checkin"))
            from plantrack.models.calendar_store import published_feeds
            from plantrack.models.escalation.table import Escalation

            feeds_recorded = published_feeds(s)
            pairs = s.execute(select(Escalation.deliverable_id, Escalation.agency_id, Escalation.reason,
                                     Escalation.level)).all()
            escalation_mail = s.scalar(select(func.count()).select_from(Outbox).where(Outbox.kind == "escalation"))
        ids = Counter(email.message_from_bytes(raw)["Message-ID"] for raw in recorder.accepted)
        assert checkins > 10 and sent >= checkins
        assert len(ids) == sent and max(ids.values()) == 1, [k for k, n in ids.items() if n > 1]
        assert (feeds / "plan.ics").exists() and "plan.ics" in feeds_recorded
        # Two escalation runs of the same day, on whichever workers: each rung recorded once, mailed once.
        assert pairs and len(pairs) == len(set(pairs)) and escalation_mail > 0
    finally:
        from plantrack.models.db import session_factory as sf

        sf.cache_clear()
        drop_app()
