"""Reply intake from a real Dovecot over TLS and STARTTLS: UIDs since the checkpoint, UIDVALIDITY, moves."""
from __future__ import annotations

import pytest

from plantrack.models.db import session_factory
from plantrack.notifications.mail.inbound.ingest import ingest_replies
from plantrack.notifications.mail.inbound.sources import SourceUnavailable
from tests.dovecot import dovecot  # noqa: F401
from tests.replies_fixtures import REPLY_DAY, board_of, intake_options, receipts, replies_db, replies_template, \
    seed_checkins  # noqa: F401
from tests.reply_corpus import out_of_office, reply


@pytest.fixture
def imap(dovecot):
    dovecot.reset()
    return dovecot


def _append(server, *messages):
    c = server.client()
    for m in messages:
        c.append("INBOX", m)
    c.logout()


def _folder(server, name):
    c = server.client()
    if not c.folder_exists(name):
        c.logout()
        return []
    c.select_folder(name, readonly=True)
    uids = c.search()
    out = [bytes(d[b"BODY[]"]) for d in c.fetch(uids, ["BODY.PEEK[]"]).values()] if uids else []
    c.logout()
    return out


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_imap_replies_are_applied_and_moved(imap, replies_db, seed_checkins, security):
    ck = seed_checkins["SYT"]
    good = reply(ck, "V.6: 60% - đang tổng hợp", "outlook", message_id="<i1@x>")
    stranger = reply(ck, "V.6: 99%", sender="ke.la@example.net", message_id="<i2@x>")
    _append(imap, good, stranger, out_of_office(ck, "en", "until May 31"))
    res = ingest_replies(intake_options(replies_db, imap=imap.options(security)), REPLY_DAY)
    assert (res.fetched, res.applied, res.rejected, res.automated, res.removed) == (3, 1, 1, 1, 3)
    assert board_of(replies_db)["V.6"].progress == 60
    assert _folder(imap, "INBOX") == []
    assert len(_folder(imap, "Processed")) == 2 and _folder(imap, "Rejected") == [stranger]
    assert len(receipts(replies_db)) == 2


def test_only_new_uids_are_read_and_uidvalidity_is_respected(imap, replies_db, seed_checkins):
    from plantrack.models.mail.inbound import checkpoint, save_checkpoint

    ck = seed_checkins["SYT"]
    opts = intake_options(replies_db, imap=imap.options(use_move=False))  # COPY + \Deleted path
    _append(imap, reply(ck, "V.6: 10%", message_id="<u1@x>"))
    first = ingest_replies(opts, REPLY_DAY)
    assert first.fetched == 1 and _folder(imap, "INBOX") == [] and len(_folder(imap, "Processed")) == 1
    with session_factory(replies_db)() as s:
        validity, last = checkpoint(s, opts.imap.box)
    assert last >= 1
    # A message put back with a UID at or below the checkpoint is not read again ...
    again = ingest_replies(opts, REPLY_DAY)
    assert again.fetched == 0
    # ... unless the folder's UIDVALIDITY changed: then everything is read, and stored bytes are recognised
    with session_factory(replies_db)() as s, s.begin():
        save_checkpoint(s, opts.imap.box, validity - 1, 10**6)
    _append(imap, reply(ck, "V.6: 10%", message_id="<u1@x>"), reply(ck, "V.6: 20%", message_id="<u2@x>"))
    third = ingest_replies(opts, REPLY_DAY)
    assert (third.fetched, third.stored, third.applied) == (2, 1, 1)
    assert board_of(replies_db)["V.6"].progress == 20


def test_batches_leave_the_rest_for_the_next_call(imap, replies_db, seed_checkins):
    ck = seed_checkins["SYT"]
    _append(imap, *[reply(ck, f"V.6: {p}%", message_id=f"<b{p}@x>") for p in (1, 2, 3)])
    opts = intake_options(replies_db, imap=imap.options())
    a = ingest_replies(opts, REPLY_DAY, limit=2)
    b = ingest_replies(opts, REPLY_DAY, limit=2)
    assert (a.fetched, a.more, b.fetched, b.more) == (2, True, 1, False)


def test_wrong_password_or_untrusted_certificate_is_unavailable(imap, replies_db):
    from dataclasses import replace

    good = imap.options()
    for opts in (replace(good, password="wrong"), replace(good, cafile=None)):
        with pytest.raises(SourceUnavailable):
            ingest_replies(intake_options(replies_db, imap=opts), REPLY_DAY)
