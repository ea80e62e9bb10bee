"""Golden check-in renderings of the seed plan: deterministic rounds whose stored outbox rows are hashed.

The golden file tests/golden/checkins_seed.json was written by the straightforward renderer (one Jinja
render of checkin.*.j2 per message, before per-round fragment reuse) with `python -m tests.checkin_golden`;
the test compares the current renderer's rows against it byte for byte (by SHA-256 and length). When the
seed plan itself changed (issue 15: 84 deliverables, 14 indicators, 24 agencies), it was regenerated with
the renderer of main at 17494a9, which still reproduced the previous golden file byte for byte.
"""
from __future__ import annotations

import hashlib
import itertools
import json
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import select, update

GOLDEN = Path(__file__).resolve().parent / "golden" / "checkins_seed.json"
SECRET = "golden-secret"
MAIL_FROM = "theodoi@laocai.example.org"
# (today, lang, period, demo): weeks with many overdue items, a month round, English, demo mode.
SCENARIOS = [
    (date(2024, 2, 5), "vi", "week", False),
    (date(2024, 5, 20), "vi", "week", False),
    (date(2024, 5, 27), "en", "week", False),  # previous round sent, one agency answered: others 'missed'
    (date(2024, 6, 3), "vi", "week", True),
    (date(2024, 11, 15), "en", "month", True),
    (date(2024, 12, 30), "vi", "week", False),  # 2025-W01, mostly overdue; titles/names with <&"'>
]


class _Clock:
    """Stands in for checkin_round.datetime: a fixed, aware 'now' (everything else delegates)."""

    @staticmethod
    def now(tz=None):
        return datetime(2024, 5, 20, 0, 30, 15, tzinfo=timezone.utc)

    def __getattr__(self, name):
        return getattr(datetime, name)


class _Secrets:
    def __init__(self):
        self.n = itertools.count()

    def token_hex(self, nbytes):
        return f"{next(self.n):0{2 * nbytes}x}"


def render_scenarios(url: str, patch) -> dict[str, dict]:
    """Run SCENARIOS on a database with the seed plan loaded; patch(obj, name, value) is monkeypatch.setattr."""
    import plantrack.notifications.mail.checkin_round as cr
    from plantrack.models.db import session_factory
    from plantrack.models.entities import Agency, Deliverable, StatusReport
    from plantrack.models.mail.outbox import SENT, Outbox

    patch(cr, "datetime", _Clock())
    patch(cr, "secrets", _Secrets())
    Session = session_factory(url)
    out: dict[str, dict] = {}
    for today, lang, period, demo in SCENARIOS:
        if today == date(2024, 12, 30):
            with Session() as s, s.begin():
                s.execute(update(Deliverable).where(Deliverable.code == "III.4")
                          .values(title='Diễn đàn <trẻ em> & "hội nghị" \'2024\''))
                s.execute(update(Agency).where(Agency.code == "SLDTBXH")
                          .values(name='Sở LĐ-TB&XH <"test">', name_en="Labour & <Social> 'Affairs'"))
        ident = cr.MailIdentity(mail_from=MAIL_FROM, secret=SECRET, lang=lang, demo=demo)
        with Session() as s, s.begin():
            cr.enqueue_round(s, today, ident, period=period)
        with Session() as s, s.begin():
            rows = s.scalars(select(Outbox).where(Outbox.status != SENT).order_by(Outbox.idempotency_key)).all()
            for r in rows:
                out[r.idempotency_key] = {
                    "sha256": hashlib.sha256(bytes(r.message)).hexdigest(), "bytes": len(r.message),
                    "subject": r.subject, "recipients": list(r.recipients), "ref": r.ref,
                    "message_id": r.message_id, "envelope_from": r.envelope_from,
                    "round_id": r.round_id, "agency_id": r.agency_id, "person_id": r.person_id}
            s.execute(update(Outbox).where(Outbox.status != SENT)
                      .values(status=SENT, sent_at=datetime(2024, 1, 1, tzinfo=timezone.utc)))
            if today == date(2024, 5, 20):
                agency_id = s.scalar(select(Agency.id).where(Agency.code == "SYT"))
                s.add(StatusReport(reported_at=datetime(2024, 5, 22, tzinfo=timezone.utc), agency_id=agency_id,
                                   channel="email", note="golden"))
    return out


if __name__ == "__main__":  # regenerate the golden file (only with the reference renderer!)
    import tempfile

    from tests.conftest import init_and_load

    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'golden.db'}"
    init_and_load(url)
    rows = render_scenarios(url, setattr)
    GOLDEN.write_text(json.dumps(rows, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(rows)} rows -> {GOLDEN}")
