"""A real CalDAV server (Radicale on loopback) accepts every event of every feed, and reads back the same."""
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


def _put_all(base: str, objects: list[bytes]) -> None:
    """PUT each object as a new item; a few at a time (Radicale syncs each item to disk)."""
    from concurrent.futures import ThreadPoolExecutor

    def put(item: tuple[int, bytes]) -> int:
        req = urllib.request.Request(f"{base}/event-{item[0]}.ics", data=item[1], method="PUT", headers={
            "Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert set(pool.map(put, enumerate(objects))) == {201}


def test_radicale_accepts_every_event(loaded_sqlite, tmp_path, radicale):
    publish(loaded_sqlite, tmp_path / "feeds", date(2024, 7, 1), force=True)
    body = (tmp_path / "feeds" / "plan.ics").read_bytes()
    events = icalendar.Calendar.from_ical(body).walk("VEVENT")
    client = caldav.DAVClient(url=radicale, username="plantrack", password="x")
    principal = client.principal()
    calendar = principal.make_calendar(name="Kế hoạch 60/KH-UBND")
    _put_all(str(calendar.url).rstrip("/"), _split_feed(body))
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
        assert [a["TRIGGER"].to_ical() for a in got.walk("VALARM")] == [a["TRIGGER"].to_ical() for a in ev.walk("VALARM")]
    # every other feed's events: titles, categories and alarms differ by role (lead, support), so each
    # distinct VEVENT is stored once per role in a calendar of its own (a UID is unique per calendar)
    by_role: dict[bytes, dict[bytes, bytes]] = {}
    for path in sorted((tmp_path / "feeds").glob("*.ics")):
        for one in _split_feed(path.read_bytes()):
            cats = [c for c in one.replace(b"\r\n ", b"").split(b"\r\n") if c.startswith(b"CATEGORIES:")][0].decode()
            role = b"lead" if cats.endswith(",Chủ trì") else b"support" if cats.endswith(",Phối hợp") else b"none"
            event = one[one.index(b"BEGIN:VEVENT"):]
            by_role.setdefault(role, {}).setdefault(event, one)
    assert len(by_role.pop(b"none")) == 90  # category feeds hold the plan's events, stored above
    for role, objects in by_role.items():
        cal = principal.make_calendar(name=f"role-{role.decode()}")
        uids = [o.split(b"UID:", 1)[1].split(b"\r\n", 1)[0] for o in objects.values()]
        assert len(set(uids)) == len(uids), role
        _put_all(str(cal.url).rstrip("/"), list(objects.values()))
        assert len(cal.events()) == len(objects), role
