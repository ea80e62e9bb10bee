"""A round survives one bad message; no plan field reaches a mail header with a line break; long lists are cut."""
from __future__ import annotations

import dataclasses
import email
import re
from datetime import date
from email.policy import default

import pytest
from sqlalchemy import select, update

from plantrack.models.db import session_factory
from plantrack.models.entities import Agency, Person
from plantrack.models.mail.outbox import Outbox
from tests.checkin_smtp import Recorder, identity, queue_round, send_all, smtp_server

CRLF = "\r\nBcc: evil@example.com"


def _rows(url):
    with session_factory(url)() as s:
        return s.scalars(select(Outbox).order_by(Outbox.id)).all()


# --- 1. one message that cannot be built or sent fails alone -------------------------------------------------

def test_one_unbuildable_message_is_marked_failed_and_the_others_go_out(loaded_db):
    """An address stored before load-time validation existed: the round goes on without it."""
    with session_factory(loaded_db)() as s, s.begin():
        s.execute(update(Person).where(Person.email == "daumoi.syt@laocai.example.org")
                  .values(email="đầumối.syt@laocai.example.org"))
    summary = queue_round(loaded_db)
    n = summary.queued  # every agency with open work, SYT's row included (as failed)
    assert n > 10 and [nb.agency for nb in summary.not_built] == ["SYT"]
    assert "not ASCII" in summary.not_built[0].reason
    failed = [r for r in _rows(loaded_db) if r.status == "failed"]
    assert len(failed) == 1 and failed[0].recipients == ["đầumối.syt@laocai.example.org"]
    assert "not ASCII" in failed[0].last_error and failed[0].attempts == 0
    rec = Recorder()
    with smtp_server(rec) as (host, port):
        report = send_all(loaded_db, host, port)
    assert report.sent == n - 1 and len(rec.accepted) == n - 1


def test_a_message_not_built_is_built_again_once_the_data_is_fixed(loaded_sqlite):
    with session_factory(loaded_sqlite)() as s, s.begin():  # as if written to the database by an older version
        s.execute(update(Agency).where(Agency.code == "SYT").values(name="Sở Y tế" + CRLF))
    first = queue_round(loaded_sqlite)
    n = first.queued
    assert [nb.agency for nb in first.not_built] == ["SYT"] and "Subject header" in first.not_built[0].reason
    with session_factory(loaded_sqlite)() as s, s.begin():
        s.execute(update(Agency).where(Agency.code == "SYT").values(name="Sở Y tế"))
    again = queue_round(loaded_sqlite)
    assert again.queued == 1 and again.already_queued == n - 1 and again.not_built == []
    rec = Recorder()
    with smtp_server(rec) as (host, port):
        assert send_all(loaded_sqlite, host, port).sent == n
    assert all("Bcc" not in m for m in rec.parsed())


def test_a_message_that_cannot_be_sent_fails_alone(loaded_sqlite):
    """A relay without SMTPUTF8 and a stored non-ASCII recipient: that message fails at once, the others go out."""
    from plantrack.notifications.mail.local_smtp import free_port
    from aiosmtpd.controller import Controller

    n = queue_round(loaded_sqlite).queued
    with session_factory(loaded_sqlite)() as s, s.begin():
        first = s.scalars(select(Outbox).order_by(Outbox.id)).first()
        first.recipients = ["đầumối.syt@laocai.example.org"]
    rec = Recorder()
    ctl = Controller(rec, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=False)
    ctl.start()
    try:
        report = send_all(loaded_sqlite, ctl.hostname, ctl.port)
    finally:
        ctl.stop()
    assert (report.sent, report.failed) == (n - 1, 1) and len(rec.accepted) == n - 1
    row = [r for r in _rows(loaded_sqlite) if r.status == "failed"][0]
    assert row.attempts == 1 and "cannot be sent" in row.last_error and "UnicodeEncodeError" in row.last_error
    from plantrack.notifications.run_reports.common import failure_reason

    assert failure_reason(report.failures[0], "vi").startswith("không thể gửi thư này: `UnicodeEncodeError")


# --- 2. the builder refuses CR/LF in any header --------------------------------------------------------------

def _seed_data(url, monkeypatch) -> list:
    """The CheckinData of every message of a round of the seed plan (captured from the real round code)."""
    import plantrack.notifications.mail.checkin_round as cr

    captured = []
    real = cr.build_checkin_message

    def spy(data, *a, **k):
        captured.append(data)
        return real(data, *a, **k)

    monkeypatch.setattr(cr, "build_checkin_message", spy)
    queue_round(url)
    return captured


def _paths(value, path=()):
    """(path, string) of every string inside a CheckinData: fields, contacts, items, indicators."""
    if isinstance(value, str):
        yield path, value
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from _paths(getattr(value, f.name), path + (f.name,))
    elif isinstance(value, tuple):
        for i, v in enumerate(value):
            yield from _paths(v, path + (i,))


def _replace(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, tuple):
        return value[:head] + (_replace(value[head], rest, new),) + value[head + 1:]
    return dataclasses.replace(value, **{head: _replace(getattr(value, head), rest, new)})


def _head(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0]


HEADER_FIELDS = {"plan", "round_key", "agency_code", "agency_name", "ref", "mail_from", "office",
                 "reply_to", "message_id"}  # plan.number (subject), office.short_name (From and Reply-To names)


def test_every_field_of_the_seed_with_injected_crlf_never_makes_a_header(loaded_sqlite, monkeypatch):
    from plantrack.notifications.mail.checkin_message import build_checkin_message

    datas = _seed_data(loaded_sqlite, monkeypatch)
    assert len(datas) > 10
    refused, checked = set(), 0
    for data in datas:
        clean = email.message_from_bytes(build_checkin_message(data).as_bytes(), policy=default)
        for path, value in _paths(data):
            bad = _replace(data, path, value + CRLF)
            checked += 1
            try:
                raw = build_checkin_message(bad).as_bytes()
            except ValueError:
                refused.add(path[0])
                continue
            assert b"Bcc" not in _head(raw), path  # a body field: the break stays in the body
            got = email.message_from_bytes(raw, policy=default)
            assert got.keys() == clean.keys() and got["Subject"] == clean["Subject"], path
    assert checked > 1000, checked
    print(f"\n{checked} injected fields, {len(refused)} header fields refused")
    assert HEADER_FIELDS | {"to", "cc"} <= refused


def test_plan_number_with_crlf_written_to_the_database_gives_no_bcc(loaded_sqlite):
    """The second line of defence alone: a plan row edited behind the loader's back."""
    from plantrack.models.entities import Plan

    with session_factory(loaded_sqlite)() as s, s.begin():
        s.execute(update(Plan).values(number="60/KH-UBND" + CRLF))
    summary = queue_round(loaded_sqlite)
    assert summary.queued > 10 and len(summary.not_built) == summary.queued
    rec = Recorder()
    with smtp_server(rec) as (host, port):
        send_all(loaded_sqlite, host, port)
    assert rec.arrived == []


# --- 6. at most N items in full --------------------------------------------------------------------------------

def test_long_check_in_lists_n_items_and_summarises_the_rest(loaded_sqlite):
    from plantrack.notifications.mail.checkin_round import enqueue_round

    ident = dataclasses.replace(identity(), max_items=5)
    with session_factory(loaded_sqlite)() as s, s.begin():
        enqueue_round(s, date(2024, 5, 20), ident)
    rows = {r.agency_id: r for r in _rows(loaded_sqlite)}
    with session_factory(loaded_sqlite)() as s:
        sld = s.scalar(select(Agency.id).where(Agency.code == "SLDTBXH"))
    m = email.message_from_bytes(bytes(rows[sld].message), policy=default)
    text = m.get_body(("plain",)).get_content()
    html = m.get_body(("html",)).get_content()
    listed = [line for line in text.splitlines()
              if line.startswith("- ") and ": " in line and not re.match(r"- II\.\d+[a-z]?:", line)]  # not indicators
    assert len(listed) == 5
    assert "NHIỆM VỤ CHỦ TRÌ (" in text and "nhiệm vụ khác không liệt kê ở đây" in text
    assert "nhiệm vụ khác không liệt kê ở đây" in html
    # deliverable cards (a bold first line); target cards are all listed and have no bold first line
    assert len(re.findall(r'<div style="font-weight:bold">', html)) == 5


def test_a_district_with_thousands_of_items_gets_a_bounded_message(tmp_path, sqlite_url):
    from plantrack.models.plan.file import PlanLimits, read_plan
    from plantrack.models.migrate import upgrade
    from plantrack.models.plan.store import store_plan
    from tests.plan_helpers import copy_seed
    from tests.test_plan_hardening import _with_extra_deliverables

    plan_file = copy_seed(tmp_path)
    _with_extra_deliverables(plan_file, 3_000, lead="UBND-SAPA")
    upgrade(sqlite_url)
    with session_factory(sqlite_url)() as s, s.begin():
        store_plan(s, read_plan(plan_file, PlanLimits(max_items=10_000)))
    queue_round(sqlite_url)
    with session_factory(sqlite_url)() as s:
        sapa = s.scalar(select(Agency.id).where(Agency.code == "UBND-SAPA"))
    row = [r for r in _rows(sqlite_url) if r.agency_id == sapa][0]
    assert len(row.message) < 60_000  # 40 items in full: 25 KB; all 3,000 listed were 1.4 MB
    text = email.message_from_bytes(bytes(row.message), policy=default).get_body(("plain",)).get_content()
    assert "NHIỆM VỤ CHỦ TRÌ (3" in text and "nhiệm vụ khác không liệt kê ở đây" in text


@pytest.mark.parametrize("bad", ["0", "-1", "many"])
def test_bad_max_items_setting_is_named(bad, monkeypatch):
    from plantrack.config.settings import SettingsError, load_settings

    monkeypatch.setenv("PLANTRACK_CHECKIN_MAX_ITEMS", bad)
    with pytest.raises(SettingsError, match="PLANTRACK_CHECKIN_MAX_ITEMS"):
        load_settings()
