"""Reply intake through a Maildir into the database: who may change what, in what order, and every reply answered."""
from __future__ import annotations

import html
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from plantrack.models.db import session_factory
from plantrack.models.entities import StatusReport
from plantrack.models.mail.inbound import InboundAttachment, InboundMessage, Outcome, PersonAway, \
    UndeliverableAddress
from plantrack.notifications.mail.inbound.ingest import ingest_replies
from tests.checkin_smtp import SECRET
from tests.replies_fixtures import REPLY_DAY, board_of, intake_options, receipts, replies_db, replies_template, \
    seed_checkins  # noqa: F401
from tests.reply_corpus import STYLES, TZ7, dsn, out_of_office, raw_8bit, reply, write_maildir


def ingest(url, tmp_path, messages, today=REPLY_DAY, **cfg):
    md = write_maildir(tmp_path / f"Maildir{len(list(tmp_path.glob('Maildir*')))}", messages)
    return ingest_replies(intake_options(url, md, **cfg), today), md


def outcomes(url) -> list[tuple[str, str]]:
    with session_factory(url)() as s:
        return [(o, r or "") for o, r in s.execute(select(InboundMessage.outcome, InboundMessage.reason)
                                                   .order_by(InboundMessage.id))]


@pytest.mark.parametrize("style", STYLES)
def test_each_client_style_updates_what_the_agency_leads(replies_db, seed_checkins, tmp_path, style):
    ck = seed_checkins["SYT"]
    res, md = ingest(replies_db, tmp_path, [reply(ck, "V.6: 60% - đang tổng hợp\nVI.1/SYT: hoan thanh\nII.5: 98,5%",
                                                  style)])
    assert (res.applied, res.rejected, res.receipts, res.reports) == (1, 0, 1, 3), res.details
    b = board_of(replies_db)
    assert (b["V.6"].state, b["V.6"].progress) == ("in_progress", 60)
    assert b["VI.1/SYT"].state == "done"
    assert b["II.5"].last_value == 98.5
    # nothing of the quoted check-in's examples applied (III.4 is not SYT's anyway; VI.1/SYT would be)
    assert b["III.4"].state == "not_started"
    assert [p.name for p in (md / "new").iterdir()] == [] and len(list((md / ".Processed" / "cur").iterdir())) == 1


def test_reply_quoting_the_whole_checkin_applies_none_of_its_examples(replies_db, seed_checkins, tmp_path):
    """SLDTBXH leads III.4 and III.5 and owns II.1: the examples would all apply if a quote slipped through."""
    ck = seed_checkins["SLDTBXH"]
    msgs = [reply(ck, "III.1: 30%", style) for style in ("outlook", "windows_mail", "android", "zimbra")]
    msgs = [m.replace(b"Message-ID: <", b"Message-ID: <%d" % i, 1) for i, m in enumerate(msgs)]
    pasted = raw_8bit(ck, "III.2: 20%\n\n" + ck.text, "utf-8")  # pasted with no header and no '>'
    res, _ = ingest(replies_db, tmp_path, msgs + [pasted])
    assert res.handled == 5 and res.rejected == 0
    b = board_of(replies_db)
    assert b["III.1"].progress == 30 and b["III.2"].progress == 20
    for code in ("III.4", "III.5"):
        assert b[code].state == "not_started", code
    assert b["II.1"].last_value is None


def test_sender_rules(replies_db, seed_checkins, tmp_path):
    syt, sgd = seed_checkins["SYT"], seed_checkins["SGDDT"]
    msgs = [
        reply(syt, "V.6: 10%", sender="stranger@gmail.example", message_id="<a1@x>"),  # unknown address
        reply(syt, "V.6: 20%", sender=sgd.focal, message_id="<a2@x>"),  # a person of another agency
        reply(syt, "V.6: 30%", sender="PhoGiamDoc.SYT@laocai.example.org", message_id="<a3@x>"),  # colleague, case
    ]
    res, md = ingest(replies_db, tmp_path, msgs)
    got = outcomes(replies_db)
    assert got[0][0] == Outcome.REJECTED and "unknown sender" in got[0][1]
    assert got[1][0] == Outcome.REJECTED and "is not a person of SYT" in got[1][1]
    assert got[2][0] == Outcome.APPLIED
    assert board_of(replies_db)["V.6"].progress == 30
    assert set(res.rejected_senders) == {"stranger@gmail.example", sgd.focal}
    # every one answered; the rejected ones say why and whom to contact
    rc = receipts(replies_db)
    assert len(rc) == 3
    stranger = next(m for m in rc if m["To"].addresses[0].addr_spec == "stranger@gmail.example")
    body = stranger.get_body(("plain",)).get_content()
    assert "KHÔNG ghi nhận" in body and "chưa được đăng ký" in body and "Người liên hệ: theodoi@" in body
    assert "Lò Thị Thanh" not in body  # the office's address, not an official's name and phone, to an unknown sender
    assert len(list((md / ".Rejected" / "cur").iterdir())) == 2


# The plan's coordinating office's contact person, as the check-ins name her (config/plans/agencies-lao-cai.yaml)
CONTACT_LINE = {
    "vi": "Người liên hệ: Lò Thị Thanh, Chuyên viên Phòng Trẻ em, Sở LĐ-TB&XH; ĐT: 0214 0000 001; "
          "treem.sldtbxh@laocai.example.org",
    "en": "Contact: Lò Thị Thanh, Chuyên viên Phòng Trẻ em, Sở LĐ-TB&XH; tel. 0214 0000 001; "
          "treem.sldtbxh@laocai.example.org",
}


def _text_and_html(m) -> tuple[str, str]:
    return m.get_body(("plain",)).get_content(), html.unescape(m.get_body(("html",)).get_content())


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_receipts_name_the_checkins_person_to_known_senders_only(replies_db, seed_checkins, tmp_path, lang):
    """The receipts of an applied and a partly understood reply: one contact line, the check-in's, in text and HTML.
    A rejected reply that matched nobody (an unknown sender; a message answering no check-in) names the configured
    address alone: an official's name and phone are not handed to whoever writes in."""
    syt = seed_checkins["SYT"]
    assert CONTACT_LINE["vi"] in syt.text  # what the check-in itself says
    msgs = [reply(syt, "V.6: 30%", message_id="<c1@x>", date_=datetime(2024, 5, 21, 9, tzinfo=TZ7)),
            reply(syt, "V.6: 40%\nIII.1: xong", message_id="<c2@x>", date_=datetime(2024, 5, 21, 10, tzinfo=TZ7)),
            reply(syt, "V.6: 10%", sender="stranger@gmail.example", message_id="<c3@x>",
                  date_=datetime(2024, 5, 21, 11, tzinfo=TZ7)),
            reply(syt, "V.6: 23%", to="theodoi@laocai.example.org", in_reply_to=False, message_id="<c4@x>",
                  subject="cap nhat tien do", date_=datetime(2024, 5, 21, 12, tzinfo=TZ7))]
    res, _ = ingest(replies_db, tmp_path, msgs, lang=lang, contact="vanphong@laocai.example.org")
    assert (res.applied, res.partial, res.rejected, res.receipts) == (1, 1, 2, 4), res.details
    assert sorted(r.partition(":")[0] for o, r in outcomes(replies_db) if o == Outcome.REJECTED) == [
        "no_checkin", "unknown_sender"]
    label = CONTACT_LINE[lang].partition(" Lò")[0]
    rejected = None
    for m in receipts(replies_db):
        text, page = _text_and_html(m)
        matched = m["In-Reply-To"] in ("<c1@x>", "<c2@x>")
        line = CONTACT_LINE[lang] if matched else f"{label} vanphong@laocai.example.org"
        assert text.count(line) == 1 and page.count(line) == 1 and text.count(label) == 1, (m["In-Reply-To"], text)
        rejected = text if m["To"].addresses[0].addr_spec == "stranger@gmail.example" else rejected
    assert "Lò Thị Thanh" not in rejected and "0214" not in rejected, rejected
    below = {"vi": "hoặc liên hệ theo thông tin dưới đây.", "en": "or use the contact below."}[lang]
    assert below in rejected and rejected.index(below) < rejected.index(f"{label} vanphong@laocai.example.org")
    no_plan = [t for t in (_text_and_html(m)[0] for m in receipts(replies_db)) if "60/KH-UBND" not in t]
    office = {"vi": "Văn phòng theo dõi kế hoạch đã nhận thư", "en": "The plan monitoring office received"}[lang]
    assert len(no_plan) == 1 and office in no_plan[0], no_plan  # not 'Kế hoạch  đã nhận' (no plan number)
    signed = {"vi": "Trân trọng,\r\nVăn phòng theo dõi kế hoạch\r\n", "en": "Plan monitoring office\r\n"}[lang]
    assert signed in no_plan[0] and "\r\ntheodoi@" not in no_plan[0], no_plan  # not signed with our own address


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_receipts_name_the_configured_address_when_the_plan_names_nobody(replies_db, seed_checkins, tmp_path, lang):
    from plantrack.models.entities import Plan

    with session_factory(replies_db)() as s, s.begin():
        s.execute(update(Plan).values(coordinator_agency_id=None))
    syt = seed_checkins["SYT"]
    msgs = [reply(syt, "V.6: 30%", message_id="<d1@x>"),
            reply(syt, "V.6: 10%", sender="stranger@gmail.example", message_id="<d2@x>")]
    ingest(replies_db, tmp_path, msgs, lang=lang, contact="vanphong@laocai.example.org")
    label = CONTACT_LINE[lang].partition(" Lò")[0]
    for m in receipts(replies_db):
        for part in _text_and_html(m):
            assert f"{label} vanphong@laocai.example.org" in part.splitlines() and "Lò Thị Thanh" not in part, part


def test_supporting_agency_line_is_a_note_to_the_lead(replies_db, seed_checkins, tmp_path):
    ck = seed_checkins["SYT"]  # SYT supports III.8 (lead SLDTBXH) and has nothing to do with III.1
    res, _ = ingest(replies_db, tmp_path, [reply(ck, "III.8: hoàn thành - đã tập huấn 3 huyện\nIII.1: xong")])
    assert res.partial == 1
    b = board_of(replies_db)
    assert b["III.8"].state == "not_started" and b["III.1"].state == "not_started"
    with session_factory(replies_db)() as s:
        notes = s.execute(select(StatusReport.note, StatusReport.state)).all()
    assert notes == [("[SYT] III.8: hoàn thành - đã tập huấn 3 huyện", None)]
    body = receipts(replies_db)[0].get_body(("plain",)).get_content()
    assert "ý kiến phối hợp" in body and "III.1: xong" in body and "không chủ trì" in body


def test_tokens(replies_db, seed_checkins, tmp_path):
    from plantrack.notifications.mail.tokens import ReplyClaims, reply_address, sign_reply_token

    syt, sgd = seed_checkins["SYT"], seed_checkins["SGDDT"]
    claims = ReplyClaims(round_id=1, agency_id=0, person_id=0, expires=date(2024, 7, 4))
    forged = reply_address("theodoi@laocai.example.org", sign_reply_token("not-our-key", claims))
    msgs = [
        reply(syt, "V.6: 11%", to=forged, in_reply_to=False, message_id="<t1@x>"),
        # SGDDT's token on a reply to SYT's check-in: the token of another agency/round than the thread
        reply(syt, "V.6: 12%", to=sgd.reply_to, message_id="<t2@x>"),
        reply(syt, "V.6: 13%", message_id="<t3@x>"),
    ]
    ingest(replies_db, tmp_path, msgs)
    got = outcomes(replies_db)
    assert got[0][0] == Outcome.REJECTED and "bad signature" in got[0][1]
    assert got[1][0] == Outcome.REJECTED and "token_mismatch" in got[1][1]
    assert got[2][0] == Outcome.APPLIED and board_of(replies_db)["V.6"].progress == 13


def test_expired_token(replies_db, seed_checkins, tmp_path):
    res, _ = ingest(replies_db, tmp_path, [reply(seed_checkins["SYT"], "V.6: 50%")], today=date(2024, 8, 1))
    assert res.rejected == 1 and "expired" in outcomes(replies_db)[0][1]
    assert board_of(replies_db)["V.6"].progress is None
    assert "hết hạn" in receipts(replies_db)[0].get_body(("plain",)).get_content()


def test_matching_without_token_by_thread_then_by_subject_tag(replies_db, seed_checkins, tmp_path):
    ck = seed_checkins["SYT"]
    by_thread = reply(ck, "V.6: 21%", to="theodoi@laocai.example.org", message_id="<m1@x>",
                      date_=datetime(2024, 5, 21, 9, tzinfo=TZ7))
    by_tag = reply(ck, "V.6: 22%", to="theodoi@laocai.example.org", in_reply_to=False, message_id="<m2@x>",
                   subject=f"Tra loi [KH 60/KH-UBND #{ck.ref}] tien do", date_=datetime(2024, 5, 21, 10, tzinfo=TZ7))
    nothing = reply(ck, "V.6: 23%", to="theodoi@laocai.example.org", in_reply_to=False, message_id="<m3@x>",
                    subject="cap nhat tien do", date_=datetime(2024, 5, 21, 11, tzinfo=TZ7))
    ingest(replies_db, tmp_path, [by_thread, by_tag, nothing])
    got = outcomes(replies_db)
    assert [o for o, _ in got] == [Outcome.APPLIED, Outcome.APPLIED, Outcome.REJECTED]
    assert board_of(replies_db)["V.6"].progress == 22


def test_same_message_twice_and_older_after_newer(replies_db, seed_checkins, tmp_path):
    ck = seed_checkins["SYT"]
    newer = reply(ck, "V.6: 70%", message_id="<new@x>", date_=datetime(2024, 5, 22, 9, tzinfo=TZ7))
    older = reply(ck, "V.6: 40%", message_id="<old@x>", date_=datetime(2024, 5, 21, 9, tzinfo=TZ7))
    ingest(replies_db, tmp_path, [newer, newer])  # the same bytes twice: stored once
    redelivered = newer.replace(b"Subject:", b"X-Forwarded-By: relay2\r\nSubject:", 1)  # same Message-ID
    res, _ = ingest(replies_db, tmp_path, [redelivered, older], today=date(2024, 5, 23))
    assert res.duplicates == 1
    assert board_of(replies_db)["V.6"].progress == 70  # the older report is history, not the state
    with session_factory(replies_db)() as s:
        assert s.scalar(select(func.count()).select_from(InboundMessage)) == 3
        history = s.scalars(select(StatusReport.progress).order_by(StatusReport.reported_at)).all()
    assert history == [40, 70]
    assert len(receipts(replies_db)) == 2  # the duplicate is not answered again


def test_reports_apply_in_date_order_within_a_batch(replies_db, seed_checkins, tmp_path):
    ck = seed_checkins["SYT"]
    msgs = [reply(ck, f"V.6: {p}%", message_id=f"<o{p}@x>", date_=datetime(2024, 5, 21, h, tzinfo=TZ7))
            for p, h in ((80, 15), (20, 9), (50, 12))]
    ingest(replies_db, tmp_path, msgs)
    assert board_of(replies_db)["V.6"].progress == 80


def test_out_of_office_sends_the_next_checkin_to_the_deputy(replies_db, seed_checkins, tmp_path):
    from tests.checkin_smtp import queue_round

    ck = seed_checkins["SYT"]
    res, _ = ingest(replies_db, tmp_path, [out_of_office(ck, "vi", "đến hết ngày 31/5/2024"),
                                           out_of_office(seed_checkins["SGDDT"], "en", "until May 24")])
    assert res.automated == 2 and res.receipts == 0 and res.reports == 0
    with session_factory(replies_db)() as s:
        assert s.scalars(select(PersonAway.until).order_by(PersonAway.id)).all() == [date(2024, 5, 31),
                                                                                      date(2024, 5, 24)]
    queue_round(replies_db, date(2024, 5, 27))
    from tests.reply_corpus import checkins

    nxt = {c.agency: c for c in checkins(replies_db).values() if "W22" in c.message_id}
    import email

    with session_factory(replies_db)() as s:
        from plantrack.models.mail.outbox import Outbox

        raw = s.scalar(select(Outbox.message).where(Outbox.message_id == nxt["SYT"].message_id))
        raw_sgd = s.scalar(select(Outbox.message).where(Outbox.message_id == nxt["SGDDT"].message_id))
    m, m2 = email.message_from_bytes(raw, policy=email.policy.default), email.message_from_bytes(
        raw_sgd, policy=email.policy.default)
    assert [a.addr_spec for a in m["To"].addresses] == ["phogiamdoc.syt@laocai.example.org"]
    assert [a.addr_spec for a in m["Cc"].addresses] == [ck.focal]
    assert m2["To"].addresses[0].addr_spec == seed_checkins["SGDDT"].focal  # back on 24/5: asked again


def test_a_reply_ends_the_away_notice(replies_db, seed_checkins, tmp_path):
    ck = seed_checkins["SYT"]
    ingest(replies_db, tmp_path, [out_of_office(ck, "en", "until May 31"),
                                  reply(ck, "V.6: 5%", date_=datetime(2024, 5, 23, 9, tzinfo=TZ7))])
    from plantrack.models.mail.inbound import away_people

    with session_factory(replies_db)() as s:
        assert away_people(s, date(2024, 5, 27)) == set()


def test_bounce_marks_the_address_undeliverable(replies_db, seed_checkins, tmp_path, cli):
    ck = seed_checkins["SYT"]
    res, _ = ingest(replies_db, tmp_path, [dsn(ck, ck.focal), dsn(ck, "daumoi.sgddt@laocai.example.org", "4.2.2",
                                                                  "delayed")])
    assert res.bounces == 2 and res.receipts == 0 and res.undeliverable == (ck.focal,)
    with session_factory(replies_db)() as s:
        assert s.scalars(select(UndeliverableAddress.email)).all() == [ck.focal]
    code, out, _ = cli(replies_db, "inbox")
    assert code == 0 and f"Undeliverable addresses (check-ins bounced): {ck.focal} (5.1.1)" in out.replace("\n", "")


def test_automated_mail_changes_nothing_and_gets_no_answer(replies_db, seed_checkins, tmp_path):
    ck = seed_checkins["SYT"]
    msgs = [reply(ck, "V.6: 99%", headers=(h,), message_id=f"<auto{i}@x>") for i, h in enumerate(
        [("Auto-Submitted", "auto-replied"), ("Precedence", "list"), ("List-Id", "<l.example>")])]
    res, _ = ingest(replies_db, tmp_path, msgs)
    assert res.automated == 3 and res.receipts == 0 and board_of(replies_db)["V.6"].progress is None


def test_failed_dmarc_from_the_trusted_server_rejects_without_answer(replies_db, seed_checkins, tmp_path):
    ck = seed_checkins["SYT"]
    bad = reply(ck, "V.6: 66%", headers=(("Authentication-Results",
                                          "mx.laocai.example.org; spf=fail smtp.mailfrom=laocai.example.org; "
                                          "dmarc=fail header.from=laocai.example.org"),))
    res, _ = ingest(replies_db, tmp_path, [bad], trusted_authserv_id="mx.laocai.example.org")
    assert res.rejected == 1 and res.receipts == 0 and "dmarc=fail" in outcomes(replies_db)[0][1]
    assert board_of(replies_db)["V.6"].progress is None


def test_attachments_are_kept_and_linked(replies_db, seed_checkins, tmp_path):
    ck = seed_checkins["SYT"]
    pdf = b"%PDF-1.4 " + b"x" * 2000
    msgs = [reply(ck, "VI.1/SYT: hoàn thành", attachments=(("bao-cao.pdf", "application/pdf", pdf),),
                  message_id="<att1@x>"),
            reply(ck, "Gửi kèm báo cáo.", attachments=(("bc2.docx", "application/vnd.openxmlformats-officedocument"
                                                                   ".wordprocessingml.document", b"PK" * 10),
                                                        ("big.zip", "application/zip", b"z" * 5000)),
                  message_id="<att2@x>")]
    res, _ = ingest(replies_db, tmp_path, msgs, attachment_max_bytes=4000)
    from plantrack.models.entities import Deliverable

    with session_factory(replies_db)() as s:
        rows = s.execute(select(InboundAttachment.filename, InboundAttachment.size, InboundAttachment.content,
                                Deliverable.code).outerjoin(Deliverable, Deliverable.id ==
                                                            InboundAttachment.deliverable_id)
                         .order_by(InboundAttachment.id)).all()
    assert [(f, n, c is not None, code) for f, n, c, code in rows] == [
        ("bao-cao.pdf", len(pdf), True, "VI.1/SYT"),
        ("bc2.docx", 20, True, "VI.1/SYT"),  # no line names one: the report SYT owes next
        ("big.zip", 5000, False, "VI.1/SYT")]
    assert res.unclear == 1  # the second names no line: answered with an example
    body = receipts(replies_db)[1].get_body(("plain",)).get_content()
    assert "big.zip" in body and "V.6: 60% - đang tổng hợp" in body


def test_receipt_is_threaded_and_says_what_was_not_understood(replies_db, seed_checkins, tmp_path):
    ck = seed_checkins["SYT"]
    ingest(replies_db, tmp_path, [reply(ck, "V.6: 60% - ok\nVI.1/SYT: xong 60%\nII.5: 850 triệu",
                                        message_id="<thread1@syt.example>")], lang="en")
    [m] = receipts(replies_db)
    assert m["In-Reply-To"] == "<thread1@syt.example>"
    assert m["References"].split() == [ck.message_id, "<thread1@syt.example>"]
    assert str(m["Subject"]) == "Re: " + ck.subject
    assert m["Auto-Submitted"] == "auto-replied" and m["To"].addresses[0].addr_spec == ck.focal
    assert m["Reply-To"].addresses[0].addr_spec == ck.reply_to
    body = m.get_body(("plain",)).get_content()
    assert "RECORDED (1)" in body and "V.6: In progress, 60% - ok" in body
    assert '"VI.1/SYT: xong 60%"' in body and "Write for example: VI.1/SYT: 60% - compiling" in body
    assert '"II.5: 850 triệu"' in body and "does not match the indicator (%)" in body \
        and "Write for example: II.5: 1,37%" in body


def test_answered_the_round_counts_email_and_report_by(replies_db, seed_checkins, tmp_path, cli):
    from plantrack.models.mail.outbox import latest_reports, unanswered

    ingest(replies_db, tmp_path, [reply(seed_checkins["SYT"], "V.6: 60%")])
    code, _, err = cli(replies_db, "report", "V.3", "--progress", "10", "--by", "SGDDT", "--today", "2024-05-21")
    assert code == 0, err
    code, _, err = cli(replies_db, "report", "V.4", "--progress", "10", "--today", "2024-05-21")  # no --by: nobody's
    assert code == 0, err
    code, _, err = cli(replies_db, "report", "V.4", "--progress", "10", "--by", "NOPE")
    assert code == 1 and "NOPE" in err
    with session_factory(replies_db)() as s:
        missing = unanswered(s, 1)
        assert unanswered(s, 1, latest_reports(s)) == missing  # the escalation sweep's way: reports read once
        from plantrack.models.entities import Agency

        codes = {a.id: a.code for a in s.scalars(select(Agency))}
    missing = {codes[a] for a in missing}
    asked = set(seed_checkins)
    assert missing == asked - {"SYT", "SGDDT"} and "SVHTT" in missing


def test_nothing_is_lost_when_reading_fails_after_the_store(replies_db, seed_checkins, tmp_path, monkeypatch):
    from plantrack.notifications.mail.inbound import apply

    ck = seed_checkins["SYT"]
    md = write_maildir(tmp_path / "md", [reply(ck, "V.6: 33%")])

    def boom(*a, **k):
        raise RuntimeError("crash while reading")
    monkeypatch.setattr(apply.Intake, "handle", boom)
    with pytest.raises(RuntimeError):
        ingest_replies(intake_options(replies_db, md), REPLY_DAY)
    assert outcomes(replies_db) == [(Outcome.PENDING, "")]
    assert len(list((md / "new").iterdir())) == 1  # still in the source
    monkeypatch.undo()
    res = ingest_replies(intake_options(replies_db, md), REPLY_DAY)
    assert res.applied == 1 and res.stored == 0 and board_of(replies_db)["V.6"].progress == 33
    assert list((md / "new").iterdir()) == []
