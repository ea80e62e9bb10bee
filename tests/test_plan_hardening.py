"""Plan files a coordinator might really produce: odd addresses, injected line breaks, NFD text, huge files."""
from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from sqlalchemy import select

from plantrack.models.db import session_factory
from plantrack.models.entities import Person
from plantrack.models.plan.file import PlanFileError, read_plan
from tests.conftest import init_and_load
from tests.plan_helpers import copy_seed, edit, snapshot

INJECT = "\\r\\nBcc: evil@example.com"  # as written inside a YAML double-quoted scalar


def _line_of(path, needle: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert needle in text, needle
    return text.split(needle)[0].count("\n") + 1


# --- 1. addresses -------------------------------------------------------------------------------------------

def test_non_ascii_mailbox_is_refused_at_load_with_file_and_line(tmp_path, cli, sqlite_url):
    plan_file = copy_seed(tmp_path)
    directory = plan_file.parent / "agencies-lao-cai.yaml"
    line = _line_of(directory, "email: daumoi.syt@")
    edit(directory, "email: daumoi.syt@laocai.example.org", "email: đầumối.syt@laocai.example.org")
    with pytest.raises(PlanFileError) as err:
        read_plan(plan_file)
    assert f"{directory}:{line}: agencies[4].people[0].email (SYT): 'đầumối.syt@laocai.example.org'" in str(err.value)
    assert "SMTPUTF8" in str(err.value)
    cli(sqlite_url, "init")
    code, out, errtext = cli(sqlite_url, "plan", "load", str(plan_file))
    assert code == 1 and f"{directory}:{line}:" in errtext and "Traceback" not in out + errtext
    assert snapshot(sqlite_url)["person"] == []


def test_idn_domain_is_stored_in_ascii_and_mail_reaches_it(tmp_path, sqlite_url):
    from tests.checkin_smtp import Recorder, queue_round, send_all, smtp_server

    plan_file = copy_seed(tmp_path)
    directory = plan_file.parent / "agencies-lao-cai.yaml"
    edit(directory, "email: daumoi.syt@laocai.example.org", "email: daumoi.syt@sởytế.example.org")
    edit(directory, "email: daumoi.stc@laocai.example.org", "email: DauMoi.STC@LAOCAI.Example.ORG")
    init_and_load(sqlite_url, plan_file)
    with session_factory(sqlite_url)() as s:
        emails = set(s.scalars(select(Person.email)))
    assert "daumoi.syt@xn--syt-9jz5g.example.org" in emails  # punycode, as SMTP needs it
    assert "daumoi.stc@laocai.example.org" in emails  # one address, one person, whatever its case
    rec = Recorder()
    n = queue_round(sqlite_url).queued
    with smtp_server(rec) as (host, port):
        report = send_all(sqlite_url, host, port)
    assert n > 10 and report.sent == n and report.failed == 0
    assert any("daumoi.syt@xn--syt-9jz5g.example.org" in m["To"] for m in rec.parsed())


# --- 2. control characters in one-line fields ----------------------------------------------------------------

PLAN_FIELDS = {  # field -> (text in the seed plan, its replacement with an injected CRLF)
    "plan.number": ("  number: 60/KH-UBND ", f'  number: "60/KH-UBND{INJECT}" '),
    "plan.issuer": ("  issuer: UBND tỉnh Lào Cai ", f'  issuer: "UBND tỉnh Lào Cai{INJECT}" '),
    "plan.signer": ("  signer: Giàng Thị Dung, Phó Chủ tịch UBND tỉnh ", f'  signer: "Giàng Thị Dung{INJECT}" '),
    "plan.signed_as": ("  signed_as: TM. ỦY BAN NHÂN DÂN ", f'  signed_as: "TM. ỦY BAN NHÂN DÂN{INJECT}" #'),
    "deliverable.title": ("    title: Tổ chức Diễn đàn trẻ em\n", f'    title: "Tổ chức Diễn đàn trẻ em{INJECT}"\n'),
    "deliverable.lead": ("    lead: SYT\n", f'    lead: "SYT{INJECT}"\n'),
}
DIRECTORY_FIELDS = {
    "agency.name": ('    name: "Sở Y tế"\n', f'    name: "Sở Y tế{INJECT}"\n'),
    "agency.short_name": ('    short_name: "UBND tỉnh Lào Cai"\n', f'    short_name: "UBND tỉnh{INJECT}"\n'),
    "agency.alias": ('      - "UBND tỉnh"\n', f'      - "UBND tỉnh{INJECT}"\n'),
    "person.name": ('      - name: "Lý Thị Hương"\n', f'      - name: "Lý Thị Hương{INJECT}"\n'),
    "person.email": ("        email: daumoi.syt@laocai.example.org\n",
                     f'        email: "daumoi.syt@laocai.example.org{INJECT}"\n'),
}


@pytest.mark.parametrize("field", sorted(PLAN_FIELDS) + sorted(DIRECTORY_FIELDS))
def test_line_break_in_a_one_line_field_is_refused_with_its_place(tmp_path, field):
    plan_file = copy_seed(tmp_path)
    target = plan_file if field in PLAN_FIELDS else plan_file.parent / "agencies-lao-cai.yaml"
    old, new = (PLAN_FIELDS | DIRECTORY_FIELDS)[field]
    line = _line_of(target, old)
    edit(target, old, new)
    with pytest.raises(PlanFileError) as err:
        read_plan(plan_file)
    problems = [p for p in err.value.problems if p.startswith(f"{target}:{line}:")]
    assert problems, err.value.problems
    assert "control character U+000D (CARRIAGE RETURN)" in problems[0] or "U+000D" in problems[0], problems[0]


def test_line_breaks_stay_allowed_in_descriptions(tmp_path):
    plan_file = copy_seed(tmp_path)
    edit(plan_file, "assumptions:\n", 'assumptions:\n  - "dòng một\\ndòng hai\\tcột"\n')
    assert read_plan(plan_file).plan.assumptions[0] == "dòng một\ndòng hai\tcột"
    edit(plan_file, '"dòng một\\ndòng hai\\tcột"', '"chuông \\a"')
    with pytest.raises(PlanFileError, match="U\\+0007"):
        read_plan(plan_file)


# --- 5. Unicode normal forms ---------------------------------------------------------------------------------

def _nfd_copy(plan_file):
    for f in plan_file.parent.iterdir():
        f.write_text(unicodedata.normalize("NFD", f.read_text(encoding="utf-8")), encoding="utf-8")


def test_reloading_an_nfd_copy_changes_nothing(tmp_path, sqlite_url):
    from plantrack.models.calendar_store import published_events
    from tests.plan_helpers import publish

    plan_file = copy_seed(tmp_path)
    init_and_load(sqlite_url, plan_file)
    feeds = tmp_path / "feeds"
    publish(sqlite_url, feeds, date(2024, 5, 20))
    with session_factory(sqlite_url)() as s:
        events = published_events(s)
    before = snapshot(sqlite_url)
    _nfd_copy(plan_file)
    assert "Tổ chức" not in plan_file.read_text(encoding="utf-8")  # really NFD on disk
    summary = init_and_load(sqlite_url, plan_file)
    assert not summary.changed and summary.deliverables.updated == 0 and summary.agencies.updated == 0
    assert summary.people.updated == 0 and summary.indicators.updated == 0
    assert snapshot(sqlite_url) == before  # not even the plan row's hash or load time
    assert publish(sqlite_url, feeds, date(2024, 5, 20)).unchanged  # the fast path: nothing to rebuild
    again = publish(sqlite_url, feeds, date(2024, 5, 20), force=True)  # and rebuilt, nothing differs
    assert again.written == () and again.changed_events == () and again.new_events == 0
    with session_factory(sqlite_url)() as s:
        assert published_events(s) == events  # no new SEQUENCE


def test_nfd_file_is_stored_in_nfc(tmp_path, sqlite_url, cli):
    plan_file = copy_seed(tmp_path)
    _nfd_copy(plan_file)
    init_and_load(sqlite_url, plan_file)
    code, out, _ = cli(sqlite_url, "status", "--json", "--today", "2024-07-01")
    assert code == 0 and unicodedata.is_normalized("NFC", out)
    assert "Tổ chức Diễn đàn trẻ em" in out and "Sở Y tế" in cli(sqlite_url, "agencies")[1]


# --- 6. limits ----------------------------------------------------------------------------------------------

def _with_extra_deliverables(plan_file, n: int, lead: str = "UBND-SAPA") -> None:
    extra = "".join(f"  - code: III.99.{i}\n    title: Nhiệm vụ bổ sung số {i} của huyện\n    category: model\n"
                    f"    lead: {lead}\n    due: 2024-06-30\n" for i in range(n))
    with plan_file.open("a", encoding="utf-8") as f:
        f.write(extra)


def test_too_many_items_is_refused_by_default_and_the_setting_raises_it(tmp_path, cli, sqlite_url, monkeypatch):
    plan_file = copy_seed(tmp_path)
    seed = read_plan(plan_file).plan
    n_deliverables, n_items = len(seed.deliverables) + 5_000, len(seed.deliverables) + len(seed.indicators) + 5_000
    assert plan_file.read_text(encoding="utf-8").rstrip().splitlines()[-1].startswith("    ")  # deliverables last
    _with_extra_deliverables(plan_file, 5_000)
    cli(sqlite_url, "init")
    code, out, err = cli(sqlite_url, "plan", "load", str(plan_file))
    assert code == 1 and f"{n_items:,} deliverables and indicators" in err and "PLANTRACK_PLAN_MAX_ITEMS" in err
    assert "Traceback" not in out + err and snapshot(sqlite_url)["deliverable"] == []
    monkeypatch.setenv("PLANTRACK_PLAN_MAX_ITEMS", "6000")
    code, out, err = cli(sqlite_url, "plan", "load", str(plan_file))
    assert code == 0, err
    assert f"{n_deliverables} new" in out


def test_too_large_a_file_is_refused_before_reading(tmp_path, cli, sqlite_url, monkeypatch):
    from plantrack.models.plan.file import PlanLimits

    plan_file = copy_seed(tmp_path)
    size = plan_file.stat().st_size
    with pytest.raises(PlanFileError, match="PLANTRACK_PLAN_MAX_BYTES"):
        read_plan(plan_file, PlanLimits(max_bytes=size - 1))
    assert read_plan(plan_file, PlanLimits(max_bytes=size)).plan.plan.number == "60/KH-UBND"
    cli(sqlite_url, "init")
    monkeypatch.setenv("PLANTRACK_PLAN_MAX_BYTES", "50000")
    code, _, err = cli(sqlite_url, "plan", "load", str(plan_file))
    assert code == 1 and f"{plan_file}: {size:,} bytes, more than the 50,000 allowed" in err
    monkeypatch.setenv("PLANTRACK_PLAN_MAX_BYTES", "0")
    code, _, err = cli(sqlite_url, "plan", "load", str(plan_file))
    assert code == 1 and "PLANTRACK_PLAN_MAX_BYTES" in err and "Traceback" not in err
