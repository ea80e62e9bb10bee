"""A real CalDAV server (Radicale on loopback) accepts every event of the plan feed, and reads back the same."""
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date

import caldav
import icalendar
import pytest

from tests.plan_helpers import publish


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def radicale(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}", "--auth-type", "none",
         "--rights-type", "owner_only", "--storage-filesystem-folder", str(tmp_path / "collections"),
         "--logging-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:  # poll for readiness
        try:
            urllib.request.urlopen(url, timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"radicale did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)


def _split_feed(body: bytes) -> list[bytes]:
    """Each VEVENT of our feed as its own VCALENDAR, keeping our bytes as they are."""
    text = body.decode()
    head, *blocks = text.removesuffix("END:VCALENDAR\r\n").split("BEGIN:VEVENT\r\n")
    return [(head + "BEGIN:VEVENT\r\n" + b + "END:VCALENDAR\r\n").encode() for b in blocks]


def test_radicale_accepts_every_event(loaded_sqlite, tmp_path, radicale):
    publish(loaded_sqlite, tmp_path / "feeds", date(2024, 3, 1), force=True)
    body = (tmp_path / "feeds" / "plan.ics").read_bytes()
    events = icalendar.Calendar.from_ical(body).walk("VEVENT")
    client = caldav.DAVClient(url=radicale, username="plantrack", password="x")
    calendar = client.principal().make_calendar(name="Kế hoạch 60/KH-UBND")
    base = str(calendar.url).rstrip("/")
    for i, one in enumerate(_split_feed(body)):
        req = urllib.request.Request(f"{base}/event-{i}.ics", data=one, method="PUT", headers={
            "Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 201
    back = {}
    for obj in calendar.events():
        for ev in icalendar.Calendar.from_ical(obj.data).walk("VEVENT"):
            back[str(ev["UID"])] = ev
    assert len(back) == len(events) == 90
    for ev in events:
        got = back[str(ev["UID"])]
        for prop in ("SUMMARY", "DESCRIPTION", "STATUS", "CATEGORIES"):
            assert got[prop].to_ical() == ev[prop].to_ical(), prop
        for prop in ("DTSTART", "DTEND", "SEQUENCE", "LAST-MODIFIED"):
            assert got.decoded(prop) == ev.decoded(prop), prop
        assert len(got.walk("VALARM")) == len(ev.walk("VALARM"))
