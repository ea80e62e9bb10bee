"""Under the session's Prefect API: every flow run ends by publishing the status board (`plan-status-board`,
`overdue`) as the plan stands after it; runs are named for what they did; `plantrack run digest` sends the
digest whose figures are those of `plantrack status --json` for the same day."""
from __future__ import annotations

import asyncio
import email
import json
from collections import Counter
from datetime import date
from email.policy import default

from tests.replies_fixtures import replies_db, replies_template, seed_checkins  # noqa: F401
from tests.digest_helpers import (DEPUTY_CHAIR, FRI_W24, FRI_W25, digest_options, first_week, reply, second_week,
                                  stamp_round)


def _run(state) -> tuple[str, dict[str, list[dict]]]:
    """The run's name and the board artifacts it published, by key."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    run_id = state.state_details.flow_run_id

    async def read():
        async with get_client() as client:
            run = await client.read_flow_run(run_id)
            arts = await client.read_artifacts(artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["plan-status-board", "overdue"]), flow_run_id=ArtifactFilterFlowRunId(
                    any_=[run_id])))
            latest = await client.read_latest_artifacts(artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["plan-status-board", "overdue"])))
            return run.name, arts, latest
    name, arts, latest = asyncio.run(read())
    assert sorted(a.key for a in arts) == ["overdue", "plan-status-board"]
    assert {c.key: c.latest_id for c in latest} == {a.key: a.id for a in arts}  # the latest shows this run's board
    assert all(a.type == "table" for a in arts)
    return name, {a.key: json.loads(a.data) for a in arts}


def _expected(url: str, day: date):
    from plantrack.models.board import board
    from plantrack.models.db import session_factory
    from plantrack.notifications.board import BoardOptions, agency_table, overdue_table, status_board

    b = status_board(BoardOptions(url), day)
    with session_factory(url)() as s:
        late = {r.code for r in board(s, day, overdue_only=True)}
    return agency_table(b, "vi"), overdue_table(b, "vi"), late


def _check(tables: dict[str, list[dict]], url: str, day: date) -> None:
    agencies, overdue, late = _expected(url, day)
    assert tables["plan-status-board"] == agencies and tables["overdue"] == overdue
    assert {r["Mã"] for r in tables["overdue"]} == late  # the items `status --overdue` lists
    assert sum(int(r["Quá hạn"]) for r in tables["plan-status-board"]) == len(late)  # under 1.000 each here
    for r in tables["overdue"]:
        assert set(r) == {"Mã", "Nội dung", "Chủ trì", "Hạn tính", "Số ngày làm việc quá hạn", "Mức đôn đốc",
                          "Báo cáo gần nhất"}


def test_each_flow_run_publishes_the_board_under_its_keys(prefect_api, loaded_sqlite, monkeypatch, tmp_path):
    from plantrack.flows.escalate_overdue import escalate_overdue_flow
    from plantrack.flows.publish_calendars import publish_calendars_flow
    from plantrack.flows.send_checkins import send_checkins
    from plantrack.flows.send_weekly_digest import send_weekly_digest

    for k, v in {"DATABASE_URL": loaded_sqlite, "FEEDS_DIR": str(tmp_path / "feeds"),
                 "OUTBOX_DIR": str(tmp_path / "outbox"), "SMTP_RATE_PER_MINUTE": "0"}.items():
        monkeypatch.setenv(f"PLANTRACK_{k}", v)
    monkeypatch.delenv("PLANTRACK_SMTP_HOST", raising=False)
    monkeypatch.delenv("PLANTRACK_SECRET_KEY", raising=False)

    name, tables = _run(publish_calendars_flow(today=date(2024, 7, 15), return_state=True))
    assert name == "publish-calendars 2024-07-15"
    _check(tables, loaded_sqlite, date(2024, 7, 15))
    assert len(tables["overdue"]) > 0

    name, tables = _run(send_checkins(today=date(2024, 7, 15), return_state=True))
    assert name == "send-checkins 60/KH-UBND 2024-W29"
    _check(tables, loaded_sqlite, date(2024, 7, 15))
    # asked on Monday, REPLY BY Wednesday 16:00: nobody is late yet
    assert {r["Trả lời kỳ gần nhất"] for r in tables["plan-status-board"]} == {"chưa đến hạn trả lời"}

    name, tables = _run(escalate_overdue_flow(today=date(2024, 7, 15), return_state=True))
    assert name == "escalate-overdue 2024-07-15"
    _check(tables, loaded_sqlite, date(2024, 7, 15))
    levels = {r["Mã"]: r["Mức đôn đốc"] for r in tables["overdue"]}
    assert levels["VI.1/SYT"] == 4 and set(levels.values()) <= {2, 3, 4}  # fired just now, by the ladder

    stamp_round(loaded_sqlite, date(2024, 7, 15))
    reply(loaded_sqlite, "VI.1/SYT", date(2024, 7, 16), "SYT", state="done")  # late, but done: off the list
    name, tables = _run(send_weekly_digest(today=date(2024, 7, 19), return_state=True))
    assert name == "send-weekly-digest 60/KH-UBND 2024-W29"
    _check(tables, loaded_sqlite, date(2024, 7, 19))
    assert "VI.1/SYT" not in {r["Mã"] for r in tables["overdue"]}
    assert {r["Cơ quan"]: r["Trả lời kỳ gần nhất"] for r in tables["plan-status-board"]}["SYT"] == "có"

    digests = [m for m in (email.message_from_bytes(p.read_bytes(), policy=default)
                           for p in (tmp_path / "outbox").glob("*.eml"))
               if (m["X-Plantrack-Ref"] or "").startswith("digest")]
    assert len(digests) == 1 and digests[0]["To"].addresses[0].addr_spec == DEPUTY_CHAIR
    text = digests[0].get_body(("plain",)).get_content()
    top = [r["Mã"] for r in tables["overdue"] if r["Mức đôn đốc"] == 4]
    assert top and "ĐỀ NGHỊ ĐỒNG CHÍ CHỈ ĐẠO" in text and all(code in text for code in top)


def test_run_digest_sends_what_status_json_says_for_that_day(prefect_api, loaded_sqlite, cli, monkeypatch, tmp_path):
    """The issue's 'done when': with replies and escalations recorded, `plantrack run digest --today 2024-06-21`."""
    from plantrack.notifications.mail.digest import run_digest
    from plantrack.notifications.mail.transports import MemoryTransport

    first_week(loaded_sqlite)
    run_digest(digest_options(loaded_sqlite, MemoryTransport()), FRI_W24)  # last week's digest and snapshot
    second_week(loaded_sqlite)
    outbox = tmp_path / "mail"
    monkeypatch.setenv("PLANTRACK_OUTBOX_DIR", str(outbox))
    monkeypatch.setenv("PLANTRACK_DIGEST_CC", "SLDTBXH:head")
    monkeypatch.delenv("PLANTRACK_SMTP_HOST", raising=False)
    code, out, err = cli(loaded_sqlite, "run", "escalate", "--today", FRI_W25.isoformat())
    assert code == 0 and "fired" in out, err
    code, out, err = cli(loaded_sqlite, "run", "digest", "--today", FRI_W25.isoformat())
    assert code == 0, err
    assert "digest 60/KH-UBND 2024-W25: queued now; to " + DEPUTY_CHAIR + ", cc giamdoc.sldtbxh" in out
    assert "sent 1," in out and "DEMO MODE" in out
    msgs = [email.message_from_bytes(p.read_bytes(), policy=default) for p in outbox.glob("*.eml")]
    (msg,) = [m for m in msgs if m["X-Plantrack-Ref"].startswith("digest")]
    text = msg.get_body(("plain",)).get_content()

    code, status, _ = cli(loaded_sqlite, "status", "--json", "--today", FRI_W25.isoformat())
    rows = [r for r in json.loads(status) if r["kind"] == "deliverable"]
    for key, n in Counter(r["status"] for r in rows).items():
        assert f"\n{key}: {n} (" in text
    assert f"Chưa báo cáo: {sum(r['last_report_at'] is None for r in rows)} (" in text
    for r in rows:
        if r["status_key"] == "overdue":
            assert r["code"] in text
    code, listed, _ = cli(loaded_sqlite, "escalations", "--active", "--json")
    levels = {}
    for e in json.loads(listed):
        if e.get("code"):
            levels[e["code"]] = max(levels.get(e["code"], 0), e["level"])
    late = {r["code"] for r in rows if r["status_key"] == "overdue"}
    assert levels and set(levels) & late
    lines = text.splitlines()
    for code_, level in levels.items():  # every escalated overdue item carries its level in the digest
        if code_ in late:
            at = next(i for i, line in enumerate(lines) if f"({code_})" in line or line.startswith(f"- {code_}:"))
            assert f"đôn đốc mức {level}" in " ".join(lines[at:at + 2]), lines[at:at + 2]
    before = len(list(outbox.glob("*.eml")))
    code, out, _ = cli(loaded_sqlite, "run", "digest", "--today", FRI_W25.isoformat())
    assert code == 0 and "already queued this week (not sent again)" in out and len(list(outbox.glob("*.eml"))) == before


def test_run_digest_refuses_a_bad_cc_setting(prefect_api, loaded_sqlite, cli, monkeypatch):
    monkeypatch.setenv("PLANTRACK_DIGEST_CC", "SLDTBXH")
    code, _, err = cli(loaded_sqlite, "run", "digest", "--today", "2024-06-21")
    assert code == 1 and "PLANTRACK_DIGEST_CC" in err and "Traceback" not in err


def test_board_tables_keep_the_most_urgent_rows_and_say_how_many_there_are(loaded_sqlite):
    from plantrack.notifications.board import BoardOptions, agency_table, board_description, overdue_table, status_board

    b = status_board(BoardOptions(loaded_sqlite), date(2024, 7, 15))
    assert len(b.overdue) > 5
    rows = overdue_table(b, "vi", 5)
    assert [r["Mã"] for r in rows] == [o.code for o in b.overdue[:5]]
    assert [r["Số ngày làm việc quá hạn"] for r in overdue_table(b, "vi")] == \
        [str(n) for n in sorted((o.working_days_late for o in b.overdue), reverse=True)]
    assert len(agency_table(b, "vi", 3)) == 3
    _, text = board_description(b, "vi", 5)
    assert text == f"{len(b.overdue)} nhiệm vụ quá hạn tính đến 15/07/2024, quá hạn lâu nhất xếp trước " \
                   f"(5 mục đầu trong số {len(b.overdue)})"
    assert "mục đầu" not in board_description(b, "vi")[1]
    assert board_description(b, "en")[1] == f"{len(b.overdue)} overdue items as of 15/07/2024, most late first"


def test_board_artifacts_group_counts_as_each_language_writes_them():
    """1.049 (vi), 1,049 (en) in both descriptions and in the count cells, as the run reports write counts."""
    from plantrack.models.digest.sources import LastAnswer
    from plantrack.models.status import StatusKey
    from plantrack.notifications.board import (AgencyRow, OverdueRow, StatusBoard, agency_table, board_description,
                                               overdue_table)

    by_status = tuple((k, {StatusKey.OVERDUE: 1049, StatusKey.ON_TRACK: 2500}.get(k, 0)) for k in StatusKey)
    agencies = tuple(AgencyRow("60/KH-UBND", f"A{i}", f"Cơ quan {i}", by_status, 3549, 1200, LastAnswer.MISSED)
                     for i in range(1001))
    overdue = tuple(OverdueRow("60/KH-UBND", f"X.{i}", "Tập huấn", "SYT", date(2020, 1, 15), 1100 - i // 100, 2,
                               None) for i in range(1049))
    b = StatusBoard(date(2024, 7, 15), ("60/KH-UBND",), agencies, overdue)

    assert board_description(b, "vi", 1000) == (
        "Nhiệm vụ chủ trì của từng cơ quan theo trạng thái, tính đến 15/07/2024: 1.050.049 quá hạn "
        "(1.000 mục đầu trong số 1.001)",
        "1.049 nhiệm vụ quá hạn tính đến 15/07/2024, quá hạn lâu nhất xếp trước (1.000 mục đầu trong số 1.049)")
    assert board_description(b, "en", 1000) == (
        "Lead items of each agency by status, as of 15/07/2024: 1,050,049 overdue (the first 1,000 of 1,001)",
        "1,049 overdue items as of 15/07/2024, most late first (the first 1,000 of 1,049)")
    vi, en = agency_table(b, "vi", 1)[0], agency_table(b, "en", 1)[0]
    assert (vi["Quá hạn"], vi["Đang thực hiện trong hạn"], vi["Số nhiệm vụ chủ trì"], vi["Chưa báo cáo"]) \
        == ("1.049", "2.500", "3.549", "1.200")
    assert (en["Overdue"], en["In progress, on time"], en["Lead items"], en["Never reported"]) \
        == ("1,049", "2,500", "3,549", "1,200")
    assert overdue_table(b, "vi", 1)[0]["Số ngày làm việc quá hạn"] == "1.100"
    assert overdue_table(b, "en", 1)[0]["Working days overdue"] == "1,100"
    assert overdue_table(b, "en", 1)[0]["Escalation level"] == 2  # a level, not a count


def test_replies_reach_the_board_and_the_digest(prefect_api, replies_db, seed_checkins, monkeypatch, tmp_path):
    """Real replies through the intake (issue 9): the answer counts on the board, "vướng mắc" is a new blocker."""
    from plantrack.flows.ingest_replies import ingest_replies_flow
    from tests.checkin_smtp import MAIL_FROM, SECRET
    from tests.reply_corpus import reply as reply_mail, write_maildir

    md = write_maildir(tmp_path / "Maildir", [
        reply_mail(seed_checkins["SLDTBXH"], "III.5: vướng mắc - chờ kinh phí\nIII.1: 70%", message_id="<b1@x>"),
        reply_mail(seed_checkins["SYT"], "VI.1/SYT: 50%", message_id="<b2@x>")])
    for k, v in {"SECRET_KEY": SECRET, "MAIL_FROM": MAIL_FROM, "MAILDIR": str(md), "DATABASE_URL": replies_db,
                 "OUTBOX_DIR": str(tmp_path / "outbox"), "SMTP_RATE_PER_MINUTE": "0"}.items():
        monkeypatch.setenv(f"PLANTRACK_{k}", v)
    monkeypatch.delenv("PLANTRACK_SMTP_HOST", raising=False)
    day = date(2024, 5, 24)  # the Friday after the round of Monday 20/05; REPLY BY was Wednesday 16:00
    name, tables = _run(ingest_replies_flow(today=day, return_state=True))
    assert name == f"ingest-replies {day.isoformat()}"
    _check(tables, replies_db, day)
    answered = {r["Cơ quan"]: r["Trả lời kỳ gần nhất"] for r in tables["plan-status-board"]}
    assert answered["SLDTBXH"] == "có" and answered["SYT"] == "có" and answered["CAT"] == "không"

    from tests.digest_helpers import figures

    f = figures(replies_db, day)
    (blocker,) = f.changes.new_blockers
    assert (blocker.code, blocker.note, blocker.reported_by) == ("III.5", "chờ kinh phí", "SLDTBXH")
    by = {a.code: a for a in f.agencies}
    assert (by["SYT"].reports_on_time, by["SYT"].reports_due) == (1, 1)  # answered Tuesday 09:00
