"""`status --json` built by the database (models/board_sql.py) gives exactly the objects of the reference path
(iter_board, then as_json), in the same order, on SQLite and PostgreSQL: on a generated plan set whose
deliverables were reported in every state, late and on time, by agencies some of which were merged since."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select, update

from bench.national import write_national
from plantrack.models.board import BoardQuery, iter_board
from plantrack.models.board_sql import board_json
from plantrack.models.db import session_factory
from plantrack.models.entities import Agency, Deliverable
from plantrack.models.migrate import upgrade
from plantrack.models.plan.load import load_plan
from plantrack.models.status import StatusKey
from tests.conftest import _fresh_pg_database

TODAY = date(2024, 7, 1)


def _report_everything(url: str, seed: int = 7) -> list[str]:
    """Give deliverables every reported state, completion days around their deadline, report times with and
    without microseconds; merge some agencies into others (chains of two); archive a few. Returns the codes
    of the agencies that absorbed others."""
    rnd = random.Random(seed)
    Session = session_factory(url)
    with Session() as s, s.begin():
        ids = s.execute(select(Deliverable.id, Deliverable.due_date)).all()
        for did, due in ids:
            roll = rnd.random()
            values: dict = {}
            if roll < 0.25:
                values = {"state": "done", "progress": 100,
                          "completed_on": None if rnd.random() < 0.1 else (due or TODAY) + timedelta(rnd.randint(-20, 20))}
            elif roll < 0.30:
                values = {"state": "paused"}
            elif roll < 0.33:
                values = {"state": "cancelled"}
            elif roll < 0.55:
                values = {"state": rnd.choice(["in_progress", "blocked"]), "progress": rnd.randint(0, 99)}
            elif roll < 0.57:
                values = {"archived": True}
            if values and "archived" not in values:
                values["last_report_at"] = datetime(2024, 6, rnd.randint(1, 30), rnd.randint(0, 23), rnd.randint(0, 59),
                                                    rnd.randint(0, 59), rnd.choice([0, 1, 120000, 999999]), timezone.utc)
            if values:
                s.execute(update(Deliverable).where(Deliverable.id == did).values(**values))
        agencies = s.execute(select(Agency.id, Agency.code).order_by(Agency.id)).all()
        merged = rnd.sample(agencies, 24)
        absorbing = []
        for (old, _), (mid, mid_code), (new, new_code) in zip(merged[0::3], merged[1::3], merged[2::3]):
            s.execute(update(Agency).where(Agency.id == old).values(successor_id=mid))
            s.execute(update(Agency).where(Agency.id == mid).values(successor_id=new))
            absorbing += [mid_code, new_code]
    return absorbing


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def reported(request, tmp_path_factory) -> tuple[str, list[str]]:
    tmp = tmp_path_factory.mktemp("boardsql")
    plans, _ = write_national(tmp / "plans", provinces=2, agencies=90, people=90, deliverables=1500, seed=42)
    if request.param == "sqlite":
        url, drop = f"sqlite:///{tmp / 'board.db'}", lambda: None
    else:
        url, drop = _fresh_pg_database(request.getfixturevalue("pg_server"))
    upgrade(url)
    Session = session_factory(url)
    for f in plans:
        with Session() as s, s.begin():
            load_plan(s, f)
    try:
        yield url, _report_everything(url)
    finally:
        session_factory(url).kw["bind"].dispose()
        drop()


def _reference(url: str, day: date, query: BoardQuery, lang: str) -> list[dict]:
    with session_factory(url)() as s:
        return [orjson.loads(orjson.dumps(r.as_json(lang))) for r in iter_board(s, day, query)]


def _fast(url: str, day: date, query: BoardQuery, lang: str) -> list[dict]:
    with session_factory(url)() as s:
        return [orjson.loads(text) for text in board_json(s, day, query, lang)]


def _queries(absorbing: list[str]) -> list[BoardQuery]:
    return [
        BoardQuery(),
        BoardQuery(statuses=frozenset({StatusKey.OVERDUE}), indicators=False),
        BoardQuery(statuses=frozenset({StatusKey.DUE_SOON, StatusKey.NOT_STARTED, StatusKey.DONE_LATE})),
        BoardQuery(agency=absorbing[-1]),
        BoardQuery(agency=absorbing[0], statuses=frozenset({StatusKey.ON_TRACK, StatusKey.OVERDUE})),
        BoardQuery(category="training"),
        BoardQuery(category="indicator"),
        BoardQuery(due_soon_days=10),
    ]


@pytest.mark.parametrize("day", [TODAY, date(2024, 12, 30)])
def test_the_database_builds_exactly_the_reference_objects(reported, day):
    url, absorbing = reported
    for query in _queries(absorbing):
        for lang in ("vi", "en"):
            expected = _reference(url, day, query, lang)
            got = _fast(url, day, query, lang)
            assert len(got) == len(expected), (query, lang)
            for n, (g, e) in enumerate(zip(got, expected)):
                assert g == e, (query, lang, n, {k: (g.get(k), e.get(k)) for k in set(g) | set(e) if g.get(k) != e.get(k)})


def test_the_generated_board_covers_what_the_fast_path_derives(reported):
    """The comparison above means something: every status, merged leads, several supporters, reports."""
    url, _ = reported
    objects = _fast(url, TODAY, BoardQuery(indicators=False), "vi")
    assert {o["status_key"] for o in objects} == {k.value for k in StatusKey}
    assert any("planned_lead" in o for o in objects)
    assert any(len(o["supporting"]) > 2 for o in objects)
    assert any(o["last_report_at"] and "." in o["last_report_at"] for o in objects)
    assert any(o["last_report_at"] and "." not in o["last_report_at"] for o in objects)
    assert any(o["milestones"] for o in objects) and any(o["quantities"] for o in objects)
    assert any(o["due_written"] != o["due"] for o in objects)


def test_an_unknown_agency_is_refused_before_anything_is_written(reported):
    url, _ = reported
    with session_factory(url)() as s, pytest.raises(LookupError):
        board_json(s, TODAY, BoardQuery(agency="NO-SUCH-AGENCY"))


@pytest.mark.parametrize("limit", [None, 7, 0])
def test_the_database_counts_and_ranks_the_summary_as_board_view_does(reported, limit):
    from plantrack.models.board_sql import board_summary
    from plantrack.models.board_view import GroupBy, board_view

    url, absorbing = reported
    summaries = 0
    for query in _queries(absorbing):
        for group_by in (None, GroupBy.AGENCY):
            with session_factory(url)() as s:
                expected = board_view(iter_board(s, TODAY, query), threshold=200, limit=limit, group_by=group_by)
            with session_factory(url)() as s:
                got = board_summary(s, TODAY, query, threshold=200, limit=limit, group_by=group_by)
            if expected.complete:
                assert got is None, query
                continue
            assert got is not None and not got.complete, query
            assert (got.total, got.groups, got.group_by, got.plans) == \
                (expected.total, expected.groups, expected.group_by, expected.plans), query
            assert [(r.plan, r.code) for r in got.rows] == [(r.plan, r.code) for r in expected.rows], (query, limit)
            assert got.rows == expected.rows
            summaries += 1
    assert summaries >= 8  # most queries of the generated board are summaries, not whole tables
