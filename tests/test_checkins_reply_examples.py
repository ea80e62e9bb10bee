"""A reply written from a check-in's instructions alone is understood, for every agency of the seed round.

main has no reply reader yet (issue 9): until it lands, this reads replies with a small parser of the
grammar the instructions teach (`code: status or % - note`, `không thay đổi`), whose state words come
from models/reply_words.py (the module the reader is to use). Swap `_read` for the real reader then.
"""
from __future__ import annotations

import email
import re
from datetime import date
from email.policy import default

import pytest
from babel.numbers import NumberFormatError, parse_decimal
from sqlalchemy import select

from plantrack.models.reply_words import STATE_WORDS, ReplyWord, spellings

LINE = re.compile(r"^\s*(?P<code>[IVX]+(?:\.\d+[a-z]?)*(?:/[A-Z0-9-]+)?)\s*:\s*(?P<what>.+?)(?:\s+-\s+(?P<note>.+))?\s*$")
WORDS = {s.casefold(): w for w in ReplyWord for s in spellings(w)}


def _value(text: str, lang: str):
    """'60%' -> ('%', 60); '1,38%' / '1 tỷ đồng' / 'VND 1 billion' -> ('value', Decimal)."""
    text = text.strip()
    scales = {"tỷ": 10 ** 9, "triệu": 10 ** 6, "billion": 10 ** 9, "million": 10 ** 6}
    m = re.fullmatch(r"(?:VND\s+)?([\d.,]+)\s*(%|tỷ|triệu|billion|million)?\s*(?:đồng)?", text)
    if not m:
        return None
    for locale in (lang, "vi", "en"):
        try:
            number = parse_decimal(m.group(1), locale=locale, strict=True)
            break
        except NumberFormatError:
            continue
    else:
        return None
    unit = m.group(2)
    return ("%", number) if unit == "%" else ("value", number * scales.get(unit, 1))


def _read(body: str, lang: str) -> list[tuple[str, object]]:
    """(code or '*', ReplyWord or value) per line; raises ValueError on a line it does not understand."""
    out = []
    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            continue
        if WORDS.get(line.casefold()) == ReplyWord.NO_CHANGE:
            out.append(("*", ReplyWord.NO_CHANGE))
            continue
        m = LINE.match(line)
        if not m:
            raise ValueError(f"not understood: {line!r}")
        what = m.group("what").strip()
        word = WORDS.get(what.casefold())
        if word is not None and word != ReplyWord.NO_CHANGE:
            out.append((m.group("code"), word))
            continue
        value = _value(what, lang)
        if value is None:
            raise ValueError(f"not understood: {line!r}")
        out.append((m.group("code"), value))
    return out


def _round(url: str, lang: str) -> dict[str, tuple[str, set[str], set[str]]]:
    """agency -> (text part, codes it leads or supports, indicator codes) for the 20/05/2024 round."""
    from plantrack.models.board import board
    from plantrack.models.db import session_factory
    from plantrack.models.entities import Agency
    from plantrack.models.mail.outbox import Outbox
    from plantrack.notifications.mail.checkin_round import MailIdentity, enqueue_round

    Session = session_factory(url)
    ident = MailIdentity(mail_from="theodoi@laocai.example.org", secret="reply-test", lang=lang)
    with Session() as s, s.begin():
        enqueue_round(s, date(2024, 5, 20), ident)
    with Session() as s:
        rows = board(s, date(2024, 5, 20))
        texts = {code: email.message_from_bytes(bytes(raw), policy=default).get_body(("plain",)).get_content()
                 for code, raw in s.execute(select(Agency.code, Outbox.message)
                                            .join(Agency, Agency.id == Outbox.agency_id)).all()}
    out = {}
    for code, text in texts.items():
        work = {r.code for r in rows if r.kind == "deliverable" and (r.lead == code or code in r.supporting)}
        targets = {r.code for r in rows if r.kind == "indicator" and r.lead == code}
        out[code] = (text, work, targets)
    return out


def _instructions(text: str, lang: str) -> tuple[list[str], list[str], str]:
    """What a focal point reads in the box: the example lines, the listed status words, the 'no change' line."""
    lines = text.replace("\r\n", "\n").split("\n")
    start = lines.index("Ví dụ:" if lang == "vi" else "For example:") + 1
    examples = []
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        examples.append(line.strip())
    listed = next(l for l in lines if l.startswith(("Tình trạng ghi bằng", "Status words:")))
    words = [w.strip() for w in listed.split(":", 1)[1].split(";")[0].split(",")]
    no_change = next(l for l in lines if l.startswith(("Nếu không có gì thay đổi", "If nothing changed")))
    return examples, words, no_change.rsplit(":", 1)[1].strip()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_instruction_examples_and_a_reply_written_from_them_are_understood(loaded_sqlite, lang):
    agencies = _round(loaded_sqlite, lang)
    assert len(agencies) == 23
    for code, (text, work, targets) in agencies.items():
        examples, words, no_change = _instructions(text, lang)
        assert examples, code
        read = _read("\n".join(examples), lang)
        assert len(read) == len(examples)
        for item, what in read:  # the recipient's own codes, never another agency's
            assert item in work | targets, (code, item)
            if item in targets:  # a target's figure, percent or amount
                assert not isinstance(what, ReplyWord), (code, item, what)
            else:  # a state word or a whole percentage of progress
                assert isinstance(what, ReplyWord) or (what[0] == "%" and what[1] == int(what[1]) <= 100), (code, what)
        # the words the message lists are exactly the words the reader accepts, in the message's language
        assert [WORDS[w.casefold()] for w in words] == list(STATE_WORDS), (code, words)
        assert WORDS[no_change.casefold()] == ReplyWord.NO_CHANGE
        # a reply written from the instructions: every listed word once, then "no change" for the rest
        mine = sorted(work)
        reply = [f"{mine[i % len(mine)]}: {w} - ghi chú {i}" for i, w in enumerate(words)] + ["", no_change]
        got = _read("\n".join(reply), lang)
        assert [w for _, w in got] == list(STATE_WORDS) + [ReplyWord.NO_CHANGE]


def test_a_line_outside_the_grammar_is_not_understood():
    for line in ("III.4 xong rồi", "III.4: sắp xong", "hoàn thành", "III.4: 60 phần trăm"):
        with pytest.raises(ValueError):
            _read(line, "vi")
