"""The hand-written MIME builder (message.Message.as_bytes) against the stdlib `email` parser.

Property: on random Vietnamese/Unicode input, the parser reads back exactly the subject, the From,
To, Cc and Reply-To display names and addresses, and the text and HTML bodies the builder meant,
with no defect. (Bodies are meant as lines: the wire form ends each with CRLF, and a body always
ends with a line break.)

Display names are read with the stdlib's RFC 2047 decoder (email.utils.getaddresses +
email.header.decode_header). The newer address parser of `policy=default` keeps the folding space
between two adjacent encoded-words of a display name (RFC 2047 6.2: such whitespace is not
displayed), so a 20-letter Vietnamese name comes back with a space inside a word; it also does
this to names serialised by the stdlib itself. Addresses are checked with both parsers.
"""
from __future__ import annotations

import email
from email.header import decode_header, make_header
from email.policy import default
from email.utils import getaddresses

from hypothesis import HealthCheck, given, settings, strategies as st

from plantrack.notifications.mail.message import Contact, Message, mailbox, mailboxes

VIETNAMESE = "ạảãàáâậầấẩẫăắằặẳẵóòọõỏôộổỗồốơờớợởỡéèẻẹẽêếềệểễúùủũụưựữửừứíìỉĩịýỳỷỹỵđĐƯƠÂĂÊÔ"
# Display names and subjects: letters of every script, Vietnamese, ASCII punctuation that needs quoting
# ("\\ , ; < > @ ( ) [ ] :), spaces; never a control character (a header cannot carry one: issue 8).
_printable = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\x7f")
TEXT = st.text(alphabet=st.one_of(st.sampled_from(VIETNAMESE), st.sampled_from(' "\\,;<>@()[]:.-#'), _printable),
               max_size=60)
NAME = TEXT.map(lambda s: " ".join(s.split()))  # display names as people write them: single spaces, no edges
LOCAL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._+-", min_size=1, max_size=20).filter(
    lambda s: not s.startswith(".") and not s.endswith(".") and ".." not in s)
DOMAIN = st.from_regex(r"[a-z][a-z0-9-]{0,10}\.(vn|org|example)", fullmatch=True)
ADDRESS = st.builds(lambda l, d: f"{l}@{d}", LOCAL, DOMAIN)
CONTACT = st.builds(Contact, NAME, ADDRESS)
# Bodies: any text, lines ended by LF as the templates write them (no bare CR).
BODY = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=500)
SUBJECT_TEXT = NAME


def _addresses(header) -> list[tuple[str, str]]:
    return [(a.display_name, a.addr_spec) for a in header.addresses]


def _rfc2047(values: list[str]) -> list[tuple[str, str]]:
    """(display name, address) pairs of raw header values, names decoded as RFC 2047 says."""
    return [(str(make_header(decode_header(name))), addr) for name, addr in getaddresses(values)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sender=CONTACT, to=st.lists(CONTACT, min_size=1, max_size=3), cc=st.lists(CONTACT, max_size=2),
       reply_to=ADDRESS, subject=SUBJECT_TEXT, ref=st.from_regex(r"[A-Z2-7]{5}", fullmatch=True),
       text=BODY, html=BODY)
def test_email_parser_reads_back_what_the_builder_meant(sender, to, cc, reply_to, subject, ref, text, html):
    headers = [("From", mailbox(sender.name, sender.email)), ("To", mailboxes(tuple(to)))]
    if cc:
        headers.append(("Cc", mailboxes(tuple(cc))))
    headers += [("Reply-To", mailbox(sender.name, reply_to)), ("Message-ID", f"<ck.{ref.lower()}@laocai.example.org>")]
    meant_subject = f"[KH 60/KH-UBND #{ref}] {subject}".rstrip()
    msg = Message(subject=meant_subject, text=text, html=html, headers=tuple(headers), envelope_from=sender.email,
                  recipients=tuple(c.email for c in to + cc))
    raw = msg.as_bytes()
    assert raw.isascii()
    parsed = email.message_from_bytes(raw, policy=default)
    assert not parsed.defects and all(not part.defects for part in parsed.walk())
    assert parsed["Subject"] == meant_subject
    raw_headers = email.message_from_bytes(raw)  # compat32: header values as written
    meant = {"From": [(sender.name, sender.email)], "Reply-To": [(sender.name, reply_to)],
             "To": [(c.name, c.email) for c in to], "Cc": [(c.name, c.email) for c in cc]}
    for name, pairs in meant.items():
        if not pairs:
            assert parsed[name] is None
            continue
        assert _rfc2047(raw_headers.get_all(name)) == pairs, name
        assert [a for _, a in _addresses(parsed[name])] == [a for _, a in pairs], name
    assert parsed.get_content_type() == "multipart/alternative"
    parts = [p for p in parsed.iter_parts()]
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    for part, meant in zip(parts, (text, html)):
        got = part.get_content().replace("\r\n", "\n")
        assert got == (meant if meant.endswith("\n") else meant + "\n")
