"""Loading the Lào Cai plan: counts, idempotence, edits that keep history, succession."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from plantrack.models.board import board
from plantrack.models.db import session_factory
from plantrack.models.entities import Agency, AgencyContact, Deliverable, Indicator, Plan, StatusReport
from plantrack.models.reports import ReportIn, record_report
from tests.conftest import init_and_load
from tests.plan_helpers import copy_seed, edit, snapshot

DISTRICTS = {
    "UBND-TPLAOCAI", "UBND-SAPA", "UBND-BATXAT", "UBND-BAOTHANG", "UBND-BAOYEN",
    "UBND-BACHA", "UBND-MUONGKHUONG", "UBND-SIMACAI", "UBND-VANBAN",
}
POLITICAL_SOCIAL = {"TINHDOAN", "HLHPN", "LDLD", "HND", "HCCB"}
REPORTERS = {"SLDTBXH", "STC", "SGDDT", "SVHTT", "STTTT", "SYT", "CAT"} | POLITICAL_SOCIAL | DISTRICTS


def _rows(url, today=date(2024, 7, 1)):
    with session_factory(url)() as s:
        return {r.code: r for r in board(s, today)}


def test_seed_plan_loads_whole(loaded_db):
    with session_factory(loaded_db)() as s:
        plan = s.scalar(select(Plan))
        assert plan.number == "60/KH-UBND" and plan.issued_on == date(2024, 1, 30)
        assert "Giàng Thị Dung" in plan.signer and plan.source_sha256
        codes = set(s.scalars(select(Deliverable.code)))
        kinds = dict(s.execute(select(Agency.code, Agency.kind)).all())
        assert s.scalar(select(func.count()).select_from(Indicator)) == 14
        assert s.scalar(select(func.count()).select_from(AgencyContact).where(AgencyContact.role == "focal_point")) == 24
        assert plan.signed_by == "pct.giangthidung@laocai.example.org" and plan.digest_to == [plan.signed_by]
    assert len(codes) == 84
    assert {c for c in codes if c.startswith("III.")} == (
        {f"III.{i}" for i in range(1, 13) if i != 6} | {f"III.6/{d}" for d in DISTRICTS} | {"III.8/CAT"})
    assert {c for c in codes if c.startswith("VI.")} == {f"VI.{n}/{a}" for n in (1, 2) for a in REPORTERS}
    assert {c for c in codes if c.startswith("V.")} >= {f"V.{i}" for i in range(1, 7)} | {f"V.8/{d}" for d in DISTRICTS}
    assert {a for a, k in kinds.items() if k == "district"} == DISTRICTS
    assert {a for a, k in kinds.items() if k == "political_social"} == POLITICAL_SOCIAL and kinds["CAT"] == "sector"
    rows = _rows(loaded_db)
    assert rows["III.4"].lead == "SLDTBXH" and set(rows["III.4"].supporting) == {"TINHDOAN", "SGDDT"}
    assert set(rows["III.5"].supporting) == DISTRICTS  # "UBND các huyện, thị xã, thành phố" = the nine
    # the plan's dates as written (BoardRow.due is the effective deadline since issue 10: 14/06, 14/11)
    assert rows["VI.1/SYT"].lead == "SYT" and rows["VI.1/SYT"].due_written == date(2024, 6, 15)
    assert rows["VI.2/UBND-VANBAN"].due_written == date(2024, 11, 15) and rows["VI.2/UBND-VANBAN"].due_wording == "before"
    assert (rows["III.3"].start, rows["III.3"].due_written) == (date(2024, 6, 1), date(2024, 6, 30))
    trung_thu = {m.key: m.start for m in rows["III.7"].milestones}
    assert date(2024, 9, 17) in trung_thu.values()  # 15/8 lunar 2024
    assert date(2024, 2, 10) in trung_thu.values()  # Tết Nguyên đán 2024
    ii1 = rows["II.1"]
    assert (ii1.baseline, ii1.target, ii1.unit, ii1.direction) == (1.38, 1.36, "%", "at_most")
    assert rows["II.7"].target == 1_000_000_000
    assert rows["II.4b"].target is None and rows["II.4b"].direction == "increase"


def test_reload_same_file_changes_nothing(loaded_db):
    before = snapshot(loaded_db)
    summary = init_and_load(loaded_db)
    assert not summary.changed
    assert summary.deliverables.unchanged == 84 and summary.indicators.unchanged == 14
    assert snapshot(loaded_db) == before


def test_edit_and_reload_keeps_status_history(db_url, tmp_path):
    plan_file = copy_seed(tmp_path)
    init_and_load(db_url, plan_file)
    Session = session_factory(db_url)
    at = datetime(2024, 5, 2, 3, 0, tzinfo=timezone.utc)
    with Session() as s, s.begin():
        record_report(s, "60/KH-UBND", ReportIn(code="III.4", progress=40, note="đang chuẩn bị"), at=at, channel="cli")
        record_report(s, "60/KH-UBND", ReportIn(code="II.1", value=1.37), at=at, channel="cli")
    edit(plan_file, "supporting: [TINHDOAN, SGDDT]", "supporting: [TINHDOAN, SGDDT, SYT]")
    edit(plan_file, "title: Tổ chức Diễn đàn trẻ em", "title: Tổ chức Diễn đàn trẻ em tỉnh Lào Cai năm 2024")
    edit(plan_file, "due: 2024-06-15", "due: 2024-06-20")  # the first 6-month report gets an extension
    summary = init_and_load(db_url, plan_file)
    assert summary.deliverables.updated == 2 and summary.deliverables.created == 0
    rows = _rows(db_url)
    assert rows["III.4"].title.endswith("năm 2024") and "SYT" in rows["III.4"].supporting
    assert rows["III.4"].progress == 40 and rows["III.4"].state == "in_progress"  # status survives the edit
    assert rows["II.1"].last_value == 1.37
    changed = [c for c, r in rows.items() if r.due_written == date(2024, 6, 20)]
    assert len(changed) == 1
    with Session() as s:
        assert s.scalar(select(func.count()).select_from(StatusReport)) == 2


def test_removed_deliverable_is_archived_not_deleted(sqlite_url, tmp_path):
    plan_file = copy_seed(tmp_path)
    init_and_load(sqlite_url, plan_file)
    with session_factory(sqlite_url)() as s, s.begin():
        record_report(s, "60/KH-UBND", ReportIn(code="III.12", progress=10), at=datetime.now(timezone.utc), channel="cli")
    text = plan_file.read_text(encoding="utf-8")
    start = text.index("  - code: III.12")
    end = text.index("  - code:", start + 10)
    plan_file.write_text(text[:start] + text[end:], encoding="utf-8")
    summary = init_and_load(sqlite_url, plan_file)
    assert summary.deliverables.archived == 1
    assert "III.12" not in _rows(sqlite_url)
    with session_factory(sqlite_url)() as s:
        assert s.scalar(select(func.count()).select_from(StatusReport)) == 1
    plan_file.write_text(text, encoding="utf-8")  # put back: revived with its history
    assert init_and_load(sqlite_url, plan_file).deliverables.updated == 1
    assert _rows(sqlite_url)["III.12"].progress == 10


def test_successor_takes_over_open_work_with_history(db_url, tmp_path):
    plan_file = copy_seed(tmp_path)
    init_and_load(db_url, plan_file)
    with session_factory(db_url)() as s, s.begin():
        record_report(s, "60/KH-UBND", ReportIn(code="VI.1/STTTT", state="done"),
                      at=datetime(2024, 6, 10, tzinfo=timezone.utc), channel="cli")
    directory = plan_file.parent / "agencies-lao-cai.yaml"
    edit(directory, "agencies:\n", "agencies:\n  - code: SKHCN\n    name: Sở Khoa học và Công nghệ\n"
         "    kind: department\n    parent: UBND-TINH\n")
    edit(directory, '    short_name: "Sở TT&TT"\n', '    short_name: "Sở TT&TT"\n    successor: SKHCN\n')
    init_and_load(db_url, plan_file)
    rows = _rows(db_url)
    assert rows["VI.2/STTTT"].lead == "SKHCN" and rows["VI.2/STTTT"].planned_lead == "STTTT"
    assert rows["VI.1/STTTT"].lead == "STTTT"  # finished before the merger: stays with who did it
    assert "SKHCN" in rows["III.1"].supporting and "STTTT" not in rows["III.1"].supporting
    with session_factory(db_url)() as s:
        assert {r.code for r in board(s, date(2024, 7, 1), agency="SKHCN")} >= {"VI.2/STTTT", "V.5", "III.1"}


def test_unchanged_files_are_known_by_their_hashes_before_parsing(sqlite_url, tmp_path, monkeypatch):
    import plantrack.models.plan.load as load

    plan_file = copy_seed(tmp_path)
    first = init_and_load(sqlite_url, plan_file)
    before = snapshot(sqlite_url)
    monkeypatch.setattr(load, "read_plan", lambda path: pytest.fail("an unchanged file was parsed"))
    summary = init_and_load(sqlite_url, plan_file)
    assert summary.files_unchanged and not summary.changed
    assert (summary.deliverables.unchanged, summary.indicators.unchanged) == (first.deliverables.created, first.indicators.created)
    assert (summary.agencies.unchanged, summary.people.unchanged) == (first.agencies.created, first.people.created)
    assert snapshot(sqlite_url) == before


@pytest.mark.parametrize("changed", ["directory", "source text", "loader version"])
def test_a_changed_input_is_read_again(sqlite_url, tmp_path, monkeypatch, changed):
    import plantrack.models.plan.file as file

    plan_file = copy_seed(tmp_path)
    init_and_load(sqlite_url, plan_file)
    if changed == "directory":
        edit(plan_file.parent / "agencies-lao-cai.yaml", 'name: "Trần Thị Hoa"', 'name: "Trần Thị Hòa"')
    elif changed == "source text":
        (plan_file.parent / "60-KH-UBND-2024-lao-cai.txt").write_text("bản sửa", encoding="utf-8")
    else:
        monkeypatch.setattr(file, "LOADER_VERSION", file.LOADER_VERSION + "-next")
    summary = init_and_load(sqlite_url, plan_file)
    assert not summary.files_unchanged
    assert summary.changed == (changed != "loader version")
    if changed == "directory":
        assert summary.people.updated == 1
    assert init_and_load(sqlite_url, plan_file).files_unchanged  # and now it is known again


def test_another_directory_that_changed_agencies_makes_a_reload_read_again(sqlite_url, tmp_path):
    """Plan A names directory X; plan B names Y, which renames an agency X also lists: reloading A must
    put X's name back, not trust its unchanged files."""
    plan_a = copy_seed(tmp_path / "a")
    plan_b = copy_seed(tmp_path / "b")
    edit(plan_b, "  number: 60/KH-UBND", "  number: 61/KH-UBND")
    edit(plan_b.parent / "agencies-lao-cai.yaml", 'short_name: "UBND tỉnh Lào Cai"', 'short_name: "UBND tỉnh"')
    init_and_load(sqlite_url, plan_a)
    assert init_and_load(sqlite_url, plan_b).agencies.updated == 1
    summary = init_and_load(sqlite_url, plan_a)
    assert not summary.files_unchanged and summary.agencies.updated == 1
    with session_factory(sqlite_url)() as s:
        assert "UBND tỉnh Lào Cai" in s.scalars(select(Agency.short_name))
    assert init_and_load(sqlite_url, plan_a).files_unchanged
