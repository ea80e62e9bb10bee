"""The fast plan load (issue 16) reads, refuses and stores exactly as before: same rows, same messages and lines."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select, text

from plantrack.models.bulk import bulk_insert
from plantrack.models.db import session_factory
from plantrack.models.entities import Deliverable, Plan
from plantrack.models.migrate import upgrade
from plantrack.models.plan.file import PlanFileError, read_plan
from tests.plan_helpers import copy_seed, edit

NOW = datetime(2024, 7, 1, 9, 30, 15, 123456, tzinfo=timezone.utc)


def _deliverable_rows(plan_id: int, lead_id: int, prefix: str) -> list[dict]:
    """Rows with every kind of value the plan store writes: dates or none, JSON empty or not, enums, flags."""
    rows = []
    for i in range(40):
        rows.append(dict(
            plan_id=plan_id, code=f"{prefix}.{i}", title=f"Tập huấn {i} — “trẻ em”", short_title=None if i % 3 else "ngắn",
            category=("training", "forum", "report")[i % 3], lead_agency_id=lead_id,
            report_to_agency_id=lead_id if i % 2 else None, description=None if i % 4 else "dòng 1\ndòng 2",
            quantities=[] if i % 5 else [{"what": "Lớp", "amount": i, "unit": "lớp"}, {"what": "x", "amount": 1.5, "unit": "%"}],
            funding=None, start_date=date(2024, 1, 1) + timedelta(days=i) if i % 6 else None,
            due_date=date(2024, 6, 30) if i % 7 else None, due_wording=("by", "before")[i % 2],
            schedule=("deadline", "span")[i % 2],
            milestones=[] if i % 8 else [{"key": "m1", "title": "Mốc", "start": "2024-02-10", "end": None}],
            assumption=None, position=i, archived=bool(i % 9 == 0), state="not_started",
            updated_at=NOW if i % 2 else NOW.replace(tzinfo=None),  # naive: taken as UTC
        ))
    return rows


def test_bulk_insert_stores_what_sqlalchemys_insert_stores(db_url):
    """bulk_insert (SQLite: the driver's executemany; PostgreSQL: COPY) stores the same values, as the database
    holds them, as an ORM-level insert of the same rows."""
    upgrade(db_url)
    Session = session_factory(db_url)
    with Session() as s, s.begin():
        plan = Plan(number="T/1", title="t", issuer="i", issued_on=date(2024, 1, 1), period_start=date(2024, 1, 1),
                    period_end=date(2024, 12, 31), loaded_at=NOW, file_sha256="0" * 64)
        s.add(plan)
        s.flush()
        s.execute(text("INSERT INTO agency (code, name, kind, aliases) VALUES ('A', 'A', 'department', '[]')"))
        lead_id = s.scalar(text("SELECT id FROM agency WHERE code = 'A'"))
        s.execute(insert(Deliverable.__table__), _deliverable_rows(plan.id, lead_id, "orm"))
        bulk_insert(s, Deliverable.__table__, _deliverable_rows(plan.id, lead_id, "bulk"))
    cols = [c.name for c in Deliverable.__table__.c if c.name not in ("id", "code")]
    with Session() as s:
        raw = {code: row for code, *row in s.execute(text(
            f"SELECT code, {', '.join(cols)} FROM deliverable ORDER BY id")).all()}  # as stored, not as read back
        orm = {code: row for code, *row in s.execute(select(Deliverable.code, *(Deliverable.__table__.c[c] for c in cols)))}
    assert len(raw) == 80
    for i in range(40):
        assert raw[f"bulk.{i}"] == raw[f"orm.{i}"], (i, dict(zip(cols, raw[f"bulk.{i}"])), dict(zip(cols, raw[f"orm.{i}"])))
        assert orm[f"bulk.{i}"] == orm[f"orm.{i}"]


def test_bad_references_get_the_same_messages_and_lines(tmp_path):
    """Unknown codes, groups and people anywhere in the plan: every one named, with its file and line."""
    plan_file = copy_seed(tmp_path)
    text_ = plan_file.read_text(encoding="utf-8")

    def line_of(s: str) -> int:
        assert text_.count(s) >= 1, s
        return text_.split(s)[0].count("\n") + 1

    edits = [
        ("  coordinator: SLDTBXH\n", "  coordinator: SNOPE\n"),
        ("  digest_to: [pct.giangthidung@laocai.example.org]\n", "  digest_to: [pct.giangthidung@laocai.example.org, ai@x.example.org]\n"),
        ("    lead: SLDTBXH\n    supporting: [STTTT]\n", "    lead: SLDTBXH\n    supporting: [STTTT, SMISSING]\n"),
        ('    supporting: ["@districts"]\n', '    supporting: ["@districts", "@nogroup"]\n'),
        ("    supporting: [STTTT, BAOLAOCAI, DAIPTTH, \"@districts\"]\n", "    supporting: [STTTT, BAOLAOCAI, DAIPTTH, \"@districts\"]\n    report_to: SREPORT\n"),
        ("    owner: SGDDT\n", "    owner: SOWNER\n"),
    ]
    lines = [line_of(old) for old, _ in edits]
    for old, new in edits:
        edit(plan_file, old, new)
    with pytest.raises(PlanFileError) as exc:
        read_plan(plan_file)
    groups = "departments, districts, political_social, sectors"
    assert exc.value.problems == [
        f"{plan_file}:{lines[1]}: plan.digest_to[1]: ai@x.example.org is not a person in the directory agencies-lao-cai.yaml",
        f"{plan_file}:{lines[0]}: plan.coordinator: unknown agency code 'SNOPE'",
        f"{plan_file}:{lines[2] + 1}: deliverables[0].supporting[1] (III.1): unknown agency code 'SMISSING'",
        f"{plan_file}:{lines[3]}: deliverables[1].supporting[1] (III.2): unknown agency group '@nogroup' (groups: {groups})",
        f"{plan_file}:{lines[4] + 1}: deliverables[2].report_to (III.3): unknown agency code 'SREPORT'",
        f"{plan_file}:{lines[5]}: indicators[3].owner (II.2c): unknown agency code 'SOWNER'",
    ]


def test_a_bad_value_deep_in_a_national_plan_is_named_with_its_line(tmp_path):
    """At size (3,000 deliverables), a bad date and a bad category are found on their own lines."""
    from bench.national import write_national

    plans, _ = write_national(tmp_path, provinces=2, agencies=60, people=80, deliverables=6000)
    plan_file = plans[1]
    lines = plan_file.read_text(encoding="utf-8").splitlines(keepends=True)
    dues = [i for i, ln in enumerate(lines) if ln.startswith("    due: ")]
    cats = [i for i, ln in enumerate(lines) if ln.startswith("    category: ")]
    bad_due, bad_cat = dues[2500], cats[2900]
    lines[bad_due] = "    due: 2024-02-30\n"
    lines[bad_cat] = "    category: festival\n"
    plan_file.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(PlanFileError) as exc:
        read_plan(plan_file)
    problems = exc.value.problems
    assert len(problems) == 2, problems
    assert problems[0].startswith(f"{plan_file}:{bad_due + 1}: deliverables[") and ".due (" in problems[0]
    assert "'2024-02-30' is not a date (use YYYY-MM-DD or DD/MM/YYYY)" in problems[0]
    assert problems[1].startswith(f"{plan_file}:{bad_cat + 1}: deliverables[") and ".category (" in problems[1]
