"""The fast plan load (issue 16) reads, refuses and stores exactly as before: same rows, same messages and lines."""
from __future__ import annotations

import re
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


def _national(tmp_path):
    from bench.national import write_national

    plans, _ = write_national(tmp_path / "plans", provinces=4, agencies=80, people=120, deliverables=400)
    return plans


def test_load_plans_stores_what_loading_each_file_stores(db_url, tmp_path):
    """Several files at once (the next one read while one is written): the same rows as load_plan one by one."""
    from sqlalchemy.engine import make_url

    from plantrack.models.plan.load import load_plan, load_plans
    from tests.plan_helpers import snapshot

    plans = _national(tmp_path)
    one_by_one = (f"sqlite:///{tmp_path / 'one.db'}" if db_url.startswith("sqlite")
                  else str(make_url(db_url).set(database=make_url(db_url).database + "_one")))
    if not db_url.startswith("sqlite"):
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{make_url(one_by_one).database}"')
            conn.execute(f'CREATE DATABASE "{make_url(one_by_one).database}"')
    for url in (db_url, one_by_one):
        upgrade(url)
    loaded = list(load_plans(session_factory(db_url), plans, now=NOW))
    assert [p for p, _ in loaded] == plans and all(s.changed for _, s in loaded)
    assert sum(s.deliverables.created for _, s in loaded) == 400
    if not db_url.startswith("sqlite"):  # the planner knows the new sizes before autovacuum's first look
        from sqlalchemy import text

        with session_factory(db_url)() as s:
            stats = dict(s.execute(text("SELECT relname, reltuples FROM pg_class WHERE relname IN "
                                        "('deliverable', 'deliverable_support')")).all())
        assert stats["deliverable"] == 400 and stats["deliverable_support"] > 400, stats
    for f in plans:
        with session_factory(one_by_one)() as s, s.begin():
            load_plan(s, f, now=NOW)
    try:
        assert snapshot(db_url) == snapshot(one_by_one)
    finally:
        session_factory(one_by_one).kw["bind"].dispose()
        session_factory.cache_clear()
        if not db_url.startswith("sqlite"):
            with psycopg.connect("postgresql://postgres@127.0.0.1/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{make_url(one_by_one).database}" WITH (FORCE)')


def test_load_plans_stops_at_a_bad_file_which_writes_nothing(sqlite_url, tmp_path, monkeypatch):
    import plantrack.models.plan.load as load
    from tests.plan_helpers import snapshot

    plans = _national(tmp_path)
    edit(plans[2], "    category: ", "    category: festival\n    x: ")  # an unknown value and an unknown field
    upgrade(sqlite_url)
    Session = session_factory(sqlite_url)
    with pytest.raises(PlanFileError) as expected:
        read_plan(plans[2])
    got = load.load_plans(Session, plans)
    assert [next(got)[0], next(got)[0]] == plans[:2]
    with pytest.raises(PlanFileError) as exc:
        next(got)
    assert exc.value.problems == expected.value.problems
    with Session() as s:
        assert s.scalars(select(Plan.number).order_by(Plan.number)).all() == ["1/KH-UBND-P01", "2/KH-UBND-P02"]
    # loaded again: the first two are known by their hashes and not read; the bad one is refused again
    before = snapshot(sqlite_url)
    read = load.read_plan
    monkeypatch.setattr(load, "read_plan", lambda path, *a: pytest.fail("read") if path in plans[:2] else read(path, *a))
    got = load.load_plans(Session, plans)
    assert all(next(got)[1].files_unchanged for _ in range(2))
    with pytest.raises(PlanFileError):
        next(got)
    assert snapshot(sqlite_url) == before


def test_cli_loads_several_files_and_names_the_bad_one(cli, sqlite_url, tmp_path):
    from tests.plan_helpers import snapshot

    plans = _national(tmp_path)
    edit(plans[3], "lead: P04-UBND", "lead: P04-NOPE")
    assert cli(sqlite_url, "init")[0] == 0
    code, out, err = cli(sqlite_url, "plan", "load", *map(str, plans))
    assert code == 1
    assert re.findall(r"plan (\S+) loaded:", out) == [f"{n}/KH-UBND-P0{n}" for n in (1, 2, 3)]
    assert "1 problem, nothing was loaded" in err and "unknown agency code 'P04-NOPE'" in err
    assert " ".join(err.split()).count(f"{plans[3]}") == 2, err  # the file, then the file and line of the problem
    before = snapshot(sqlite_url)
    code, out, _ = cli(sqlite_url, "plan", "load", *map(str, plans[:3]))
    assert code == 0 and out.count(" unchanged: ") == 3
    assert snapshot(sqlite_url) == before
