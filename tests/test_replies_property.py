"""Property tests of the reader (no database): 10,000 generated messages in all (1,000 arbitrary byte strings,
1,000 MIME trees, 1,000 replies with known lines drawn by Hypothesis' strategies; 7,000 more built from
Hypothesis-seeded randomness, which is cheaper to draw than strategies on these 2 cores).

- arbitrary bytes and arbitrary MIME trees never make it raise (nor hit its last-resort guard);
- a line is reported only when it was written as a complete, valid report line in the new text: lines with
  anything not understood, and valid lines inside quotes, are never reported.
"""
from __future__ import annotations

import base64
import quopri
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plantrack.notifications.mail.inbound.lines import CodeBook, Kind, Report, Target, read_lines
from plantrack.notifications.mail.inbound.reader import read_message

FAST = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)

BOOK = CodeBook([Target("III.4", Kind.DELIVERABLE), Target("III.5", Kind.DELIVERABLE),
                 Target("VI.1/SYT", Kind.DELIVERABLE), Target("V.8/UBND-TPLAOCAI", Kind.DELIVERABLE),
                 Target("II.1", Kind.INDICATOR, "%"), Target("II.7", Kind.INDICATOR, "đồng")])


def _assert_read(raw: bytes) -> None:
    r = read_message(raw)
    assert r.defect is None or not r.defect.startswith("unreadable message"), r.defect
    read_lines(r.new_text, BOOK, "SYT")


@settings(max_examples=1000, **FAST)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise(raw):
    _assert_read(raw)


_CTYPES = st.sampled_from(["text/plain", "text/html", "application/pdf", "message/rfc822", "message/delivery-status",
                           "text/rfc822-headers", "image/png", "text/x-unknown", "multipart/mixed", "x/y",
                           "text/plain; format=flowed", ""])
_CHARSETS = st.sampled_from(["utf-8", "windows-1258", "iso-8859-1", "us-ascii", "utf-16", "bogus-charset",
                             "base64", "rot13", "utf-7", "koi8-r", "", '"utf-8"', "unknown-8bit"])
_CTE = st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "binary", "bogus", ""])
_HEADER_NAMES = st.sampled_from(["Subject", "From", "To", "Cc", "Date", "Message-ID", "In-Reply-To", "References",
                                 "Auto-Submitted", "Precedence", "Return-Path", "Content-Disposition",
                                 "Authentication-Results", "Delivered-To", "List-Id", "X-Autoreply"])
_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200)


@st.composite
def _header_value(draw) -> bytes:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(_TEXT).encode("utf-8", "replace")
    if kind == 1:
        cs = draw(_CHARSETS)
        payload = base64.b64encode(draw(st.binary(max_size=60))).decode()
        return f"=?{cs}?{draw(st.sampled_from(['b', 'q', 'B', 'x']))}?{payload}?=".encode()
    if kind == 2:
        return draw(st.binary(max_size=80)).replace(b"\n", b" ").replace(b"\r", b" ")
    return b" <" + draw(_TEXT).encode("utf-8", "replace") + b"@x> (" + draw(st.binary(max_size=10)) + b")"


@st.composite
def _part(draw, depth: int = 0) -> bytes:
    headers = [(draw(_HEADER_NAMES), draw(_header_value())) for _ in range(draw(st.integers(0, 4)))]
    ctype = draw(_CTYPES)
    boundary = draw(st.sampled_from(["b1", "b2", "", "x" * 80, "--"]))
    if ctype.startswith("multipart") or (depth < 3 and draw(st.booleans()) and draw(st.booleans())):
        children = [draw(_part(depth + 1)) for _ in range(draw(st.integers(0, 3)))] if depth < 3 else []
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + c + b"\r\n" for c in children)
        if draw(st.booleans()):
            body += b"--" + boundary.encode() + b"--\r\n"
        ctype_line = f'multipart/{draw(st.sampled_from(["mixed", "alternative", "report", "related"]))}; ' \
                     f'boundary="{boundary}"; report-type=delivery-status'
    else:
        cte = draw(_CTE)
        data = draw(st.one_of(_TEXT.map(lambda t: t.encode("utf-8")), st.binary(max_size=500)))
        if cte == "base64" and draw(st.booleans()):
            data = base64.encodebytes(data)
        elif cte == "quoted-printable" and draw(st.booleans()):
            data = quopri.encodestring(data)
        headers.append(("Content-Transfer-Encoding", cte.encode()))
        ctype_line = f"{ctype}; charset={draw(_CHARSETS)}" + (
            f'; name="{draw(_TEXT)[:20]}"' if draw(st.booleans()) else "")
        body = data
    head = b"".join(n.encode() + b": " + v + b"\r\n" for n, v in headers)
    return head + b"Content-Type: " + ctype_line.encode("utf-8", "replace") + b"\r\n\r\n" + body


@settings(max_examples=1000, **FAST)
@given(_part())
def test_arbitrary_mime_trees_never_raise(raw):
    _assert_read(raw)


# Valid lines with what they must be read as; invalid lines that name a code but say more than a state.
_VALID = [("III.4: hoàn thành", ("III.4", "done", None, None)), ("iii 4: xong", ("III.4", "done", None, None)),
          ("III.5: 45%", ("III.5", "in_progress", 45, None)), ("III.5: đang làm - chờ", ("III.5", "in_progress", None, None)),
          ("VI.1/SYT: chua bat dau", ("VI.1/SYT", "not_started", None, None)),
          ("VI.1: HT", ("VI.1/SYT", "done", None, None)), ("II.1: 1,37%", ("II.1", None, None, Decimal("1.37"))),
          ("II.7: 850 triệu", ("II.7", None, None, Decimal("850000000"))),
          ("V.8/UBND-TPLAOCAI: tạm dừng", ("V.8/UBND-TPLAOCAI", "paused", None, None))]
_WORDS = st.sampled_from(["nhưng", "chưa rõ", "maybe", "khoảng", "gần", "sắp", "???", "abc", "và", "chờ", "xem"])
_CODES = st.sampled_from(["III.4", "III.5", "VI.1/SYT", "II.1", "II.7", "iii 5"])
_STATES = st.sampled_from(["hoàn thành", "xong", "đang làm", "45%", "chưa bắt đầu", "done", "1,37%", "vướng mắc"])


@st.composite
def _reply(draw):
    """(raw message, expected reports) with new lines, invalid lines, prose and a quoted original."""
    new, expected = [], set()
    for _ in range(draw(st.integers(0, 4))):
        choice = draw(st.integers(0, 2))
        if choice == 0:
            line, want = draw(st.sampled_from(_VALID))
            # one line per code: a second line for the same code would be reported as not understood
            if want[0] not in {e[0] for e in expected}:
                new.append(line)
                expected.add(want)
        elif choice == 1:
            new.append(f"{draw(_CODES)}: {draw(_STATES)} {draw(_WORDS)}")  # something more, no separator
        else:
            new.append(draw(st.sampled_from(["Kính gửi Văn phòng,", "Trân trọng", "Cảm ơn!", "Xem báo cáo kèm theo"])))
    quoted = [draw(st.sampled_from(_VALID))[0] for _ in range(draw(st.integers(1, 4)))]
    style = draw(st.integers(0, 4))
    body = "\n".join(new)
    if style == 0:
        body += "\n\nOn Mon, May 20, 2024 at 8:00 AM Theo doi <t@x.org> wrote:\n" + "\n".join("> " + q for q in quoted)
    elif style == 1:
        body += "\n\n-----Original Message-----\nFrom: Theo doi\nSent: Monday\nSubject: x\n\n" + "\n".join(quoted)
    elif style == 2:
        body = "Vào Th 2, 20 thg 5, 2024 lúc 08:00 X đã viết:\n" + "\n".join("> " + q for q in quoted) + "\n\n" + body
    elif style == 3:
        body += "\n\n-- \nNguyễn Văn A\n" + "\n".join(quoted)
    else:
        body += "\n\nSent from my iPhone\n\n> On 20 May 2024, at 08:00, X wrote:\n" + "\n".join("> " + q for q in quoted)
    charset = draw(st.sampled_from(["utf-8", "windows-1258"]))
    cte = draw(st.sampled_from(["8bit", "base64", "quoted-printable"]))
    from tests.reply_corpus import to_cp1258

    data = to_cp1258(body) if charset == "windows-1258" else body.encode("utf-8")
    if cte == "base64":
        data = base64.encodebytes(data)
    elif cte == "quoted-printable":
        data = quopri.encodestring(data)
    html = draw(st.booleans()) and style in (0, 2, 4)
    if html:  # the same reply as HTML only: quotes as blockquote
        new_html = "".join(f"<div>{ln}</div>" for ln in new)
        q = "<blockquote>" + "".join(f"<div>{x}</div>" for x in quoted) + "</blockquote>"
        data = ('<html><body>' + (q + new_html if style == 2 else new_html + '<div class="gmail_quote">' + q + "</div>")
                + "</body></html>").encode("utf-8")
        charset, cte = "utf-8", "8bit"
    raw = (b"From: a@b.example\r\nTo: t@x.org\r\nSubject: Re: x\r\nMIME-Version: 1.0\r\nContent-Type: text/"
           + (b"html" if html else b"plain") + b"; charset=" + charset.encode()
           + b"\r\nContent-Transfer-Encoding: " + cte.encode() + b"\r\n\r\n" + data)
    return raw, expected


@settings(max_examples=1000, **FAST)
@given(_reply())
def test_only_complete_new_lines_are_ever_reported(case):
    raw, expected = case
    lines = read_lines(read_message(raw).new_text, BOOK, "SYT")
    got = {(r.code, str(r.said) if r.said else None, r.progress, r.value) for r in lines.reports}
    got = {(c, s if s != "blocked" else s, p, v) for c, s, p, v in got}
    assert got == expected
    assert all(isinstance(r, Report) for r in lines.reports)


_PIECES = [b"From: a@b\r\n", b"Content-Type: multipart/mixed; boundary=b\r\n", b"--b\r\n", b"--b--\r\n",
           b"Content-Type: text/html; charset=windows-1258\r\n", b"Content-Transfer-Encoding: base64\r\n",
           b"Content-Transfer-Encoding: quoted-printable\r\n", b"Subject: =?utf-8?b?w6Fi?= =?x?q?=FF?=\r\n",
           b"Content-Type: message/rfc822\r\n", b"Content-Type: multipart/report; report-type=delivery-status; "
           b"boundary=b\r\n", b"Content-Type: message/delivery-status\r\n", b"\r\n", b"<blockquote>",
           b"</blockquote>", b"<div class=gmail_quote>", b"III.4: xong\r\n", b"> VI.1/SYT: 60%\r\n",
           b"On Mon, X wrote:\r\n", b"-----Original Message-----\r\n", b"=C3=A1=\r\n", b"\xff\xfe\x00",
           b"Final-Recipient: rfc822; x@y\r\nAction: failed\r\nStatus: 5.1.1\r\n", b"Auto-Submitted: \xc2\x80\r\n"]


def _corpus_seed() -> list[bytes]:
    from datetime import datetime, timezone

    from tests.reply_corpus import STYLES, Checkin, reply

    ck = Checkin("SYT", "theodoi+" + "a" * 40 + "@x.org", "<ck@x>", "[KH 60/KH-UBND #ABCDE] Cập nhật",
                 "daumoi.syt@x.org", "Lý Thị Hương", "Kính gửi\n  III.4: hoàn thành - ví dụ\n  II.1: 1,37%",
                 "<p>III.4: hoàn thành</p>", datetime(2024, 5, 20, tzinfo=timezone.utc), "ABCDE")
    return [reply(ck, "V.6: 60%\nVI.1/SYT: xong", style, attachments=(("a.pdf", "application/pdf", b"%PDF"),))
            for style in STYLES]


@settings(max_examples=35, **FAST)
@given(st.randoms(use_true_random=True))
def test_seven_thousand_mutated_and_assembled_messages_never_raise(rnd):
    seeds = _corpus_seed()
    for _ in range(200):
        kind = rnd.randrange(3)
        if kind == 0:  # a real reply with bytes flipped, cut or duplicated
            raw = bytearray(rnd.choice(seeds))
            for _ in range(rnd.randrange(1, 20)):
                if not raw:
                    break
                op, i = rnd.randrange(3), rnd.randrange(len(raw))
                if op == 0:
                    raw[i] = rnd.randrange(256)
                elif op == 1:
                    del raw[i:i + rnd.randrange(1, 200)]
                else:
                    raw[i:i] = raw[i:i + rnd.randrange(1, 200)]
            raw = bytes(raw)
        elif kind == 1:  # pieces of MIME syntax in random order
            raw = b"".join(rnd.choice(_PIECES) for _ in range(rnd.randrange(1, 40)))
        else:
            raw = rnd.randbytes(rnd.randrange(0, 2000))
        _assert_read(raw)
