"""Schedules: real cron schedules in the plan's time zone from one list, served or deployed to a work pool
(deployed and run by workers: tests/test_scale_out.py)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from plantrack.config.settings import load_settings
from plantrack.deployments.serve import deployments
from plantrack.deployments.specs import MAIL_LIMIT, SPECS, apply_mail_limit, prefect_yaml

ROOT = Path(__file__).resolve().parents[1]
# What the issue asks of each flow's schedule (cron in Asia/Ho_Chi_Minh), by flow name.
WANTED = {"publish-calendars": "0 * * * *", "send-checkins": "0 8 * * 1", "ingest-replies": "*/10 * * * *",
          "escalate-overdue": "0 7 * * *"}


def test_every_schedule_carries_the_plan_time_zone():
    deps = {d.flow_name: d for d in deployments(load_settings(checkins_cron="30 7 * * 2"))}
    assert set(deps) == {s.flow_name for s in SPECS} >= set(WANTED)
    for d in deps.values():
        (s,) = d.schedules
        assert s.schedule.timezone == "Asia/Ho_Chi_Minh"
        assert "Asia/Ho_Chi_Minh" in d.description and s.schedule.cron in d.description
        assert d.concurrency_limit == 1
    assert deps["send-checkins"].schedules[0].schedule.cron == "30 7 * * 2"
    assert deps["publish-calendars"].schedules[0].schedule.cron == "0 * * * *"
    assert deps["escalate-overdue"].schedules[0].schedule.cron == "0 7 * * *"  # daily; days off send nothing
    assert deps["send-weekly-digest"].schedules[0].schedule.cron == "0 16 * * 5"  # Friday 16:00, plan time
    assert len({d.name for d in deps.values()}) == len(deps)  # distinct names


def test_specs_name_the_flows_they_import():
    from prefect.utilities.importtools import import_object

    for spec in SPECS:
        assert import_object(spec.flow).name == spec.flow_name


def test_prefect_yaml_is_generated_from_the_same_list(monkeypatch):
    for name in list(os.environ):
        if name.startswith("PLANTRACK_"):
            monkeypatch.delenv(name)
    text = (ROOT / "deployments" / "prefect.yaml").read_text(encoding="utf-8")
    assert text == prefect_yaml(load_settings()), "regenerate: python -m plantrack.deployments.specs"
    served = {(d.flow_name, d.name) for d in deployments(load_settings())}
    import yaml

    pool = {d["name"] for d in yaml.safe_load(text)["deployments"]}
    assert pool == {f"{s.name}-pool" for s in SPECS} and not pool & {n for _, n in served}


# prefect.yaml deployed to a process pool, its schedules and automation read back, and workers running its
# deployments: tests/test_scale_out.py (on PostgreSQL, two workers).


def test_serve_without_a_server_says_how_in_one_line(cli, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    code, out, err = cli(None, "serve")
    assert code == 1 and "prefect server start" in err and "PREFECT_API_URL" in err and "Traceback" not in err


def test_serve_stops_within_ten_seconds_of_sigterm(prefect_api, loaded_sqlite, tmp_path):
    import signal
    import time

    env = {**os.environ, "PREFECT_API_URL": prefect_api, "PLANTRACK_DATABASE_URL": loaded_sqlite}
    log = tmp_path / "serve.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "plantrack.cli", "serve"], env=env, stdout=fh, stderr=fh,
                                cwd=tmp_path)
    end = time.monotonic() + 120
    while b"being served" not in log.read_bytes():
        assert proc.poll() is None and time.monotonic() < end, log.read_text()
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    t = time.monotonic()
    proc.wait(timeout=30)
    assert time.monotonic() - t < 10
    assert "Traceback" not in log.read_text()


def test_killed_run_leaves_no_prefect_server_behind(loaded_sqlite, tmp_path):
    """SIGKILL of `plantrack run calendars` while its local API server runs: the server dies with it."""
    import signal
    import time

    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PLANTRACK_DATABASE_URL=loaded_sqlite, PLANTRACK_FEEDS_DIR=str(tmp_path / "feeds"))
    proc = subprocess.Popen([sys.executable, "-m", "plantrack.cli", "run", "calendars", "--today", "2024-03-01"],
                            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def children() -> list[int]:
        try:
            return [int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
        except FileNotFoundError:
            return []
    end = time.monotonic() + 60
    while not children():
        assert proc.poll() is None and time.monotonic() < end
        time.sleep(0.05)
    (server,) = children()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    end = time.monotonic() + 10
    while Path(f"/proc/{server}").exists() and "zombie" not in Path(f"/proc/{server}/status").read_text():
        assert time.monotonic() < end, "the local Prefect server outlived the killed run"
        time.sleep(0.05)


def test_one_mail_rate_for_every_sender(prefect_api):
    """The shared limit: once one sender took this second's slots, any other (flow, worker) has to wait."""
    import asyncio

    import pytest
    from prefect.client.orchestration import get_client
    from prefect.concurrency.asyncio import rate_limit

    from plantrack.tasks.mail_rate import SharedMailRate

    async def scenario():
        async with get_client() as client:
            await apply_mail_limit(client, 60)  # one slot, back after a second
            gcl = await client.read_global_concurrency_limit_by_name(MAIL_LIMIT)
            assert (gcl.limit, gcl.slot_decay_per_second, gcl.active) == (1, 1.0, True)
        first = SharedMailRate(60)
        await first.acquire()
        with pytest.raises(TimeoutError):
            await rate_limit(MAIL_LIMIT, occupy=1, timeout_seconds=0.3)
        async with get_client() as client:
            await apply_mail_limit(client, 0)  # no rate: the limit stays, inactive
            assert not (await client.read_global_concurrency_limit_by_name(MAIL_LIMIT)).active

    asyncio.run(scenario())


def test_failed_run_on_its_own_local_api_ends_with_its_error_line_only(loaded_sqlite, tmp_path):
    """Without PREFECT_API_URL, a run that fails (here: the relay is down) ends with the command's one error line and
    exit code 1: the failed run's logs reach the local API before it stops (no 'Error logging to API')."""
    from plantrack.notifications.mail.local_smtp import free_port
    from tests.checkin_smtp import MAIL_FROM, SECRET

    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PLANTRACK_DATABASE_URL=loaded_sqlite, PLANTRACK_SMTP_HOST="127.0.0.1",
               PLANTRACK_SMTP_PORT=str(free_port()), PLANTRACK_SMTP_MAX_ATTEMPTS="1", PLANTRACK_SECRET_KEY=SECRET,
               PLANTRACK_MAIL_FROM=MAIL_FROM, PLANTRACK_DATA_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "plantrack.cli", "run", "checkins", "--today", "2024-05-20"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("error: SMTP relay unreachable (127.0.0.1:") and "stay queued" in line, proc.stderr


def test_retry_warnings_print_above_the_spinner_and_the_error_fits_the_terminal(loaded_sqlite, tmp_path):
    """On a terminal at 80 columns: each connection retry's warning is printed on its own line above the spinner (not
    glued onto the spinner's text), and the error line wraps between words."""
    from plantrack.notifications.mail.local_smtp import free_port
    from tests.checkin_smtp import MAIL_FROM, SECRET
    from tests.terminal import on_terminal

    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PLANTRACK_DATABASE_URL=loaded_sqlite, PLANTRACK_SMTP_HOST="127.0.0.1",
               PLANTRACK_SMTP_PORT=str(free_port()), PLANTRACK_SMTP_MAX_ATTEMPTS="3",
               PLANTRACK_SMTP_RETRY_SECONDS="0.5", PLANTRACK_SECRET_KEY=SECRET, PLANTRACK_MAIL_FROM=MAIL_FROM,
               PLANTRACK_DATA_DIR=str(tmp_path), COLUMNS="80", LINES="24", TERM="xterm")
    code, shown = on_terminal([sys.executable, "-m", "plantrack.cli", "run", "checkins", "--today", "2024-05-20"], env)
    assert code == 1 and "send-checkins: running" in shown, shown
    assert shown.count("relay unreachable (127.0.0.1:") >= 3  # two retry warnings, then the error
    assert "connection try 2 of 3 failed" in shown and not re.search(r"Prefect UI\)\d", shown), shown
    error = shown[shown.index("error: "):].rstrip("\n").split("\n")
    assert len(error) > 1 and all(len(line) <= 80 for line in error), error
    assert " ".join(error).replace("  ", " ").endswith("messages stay queued for the next run"), error
