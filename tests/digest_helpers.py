"""A constructed fortnight of the Lào Cai plan for digest tests: check-in rounds sent on their Monday, replies
on chosen days (on time, late, none), a task done, a blocker, a target figure; digests on two Fridays."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from tests.checkin_smtp import identity

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PLAN = "60/KH-UBND"
MON_W23, MON_W24, MON_W25 = date(2024, 6, 3), date(2024, 6, 10), date(2024, 6, 17)
FRI_W24, FRI_W25 = date(2024, 6, 14), date(2024, 6, 21)
DEPUTY_CHAIR = "pct.giangthidung@laocai.example.org"


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), TZ).astimezone(timezone.utc)


def sending(transport=None):
    from plantrack.notifications.mail.checkins import SendOptions
    from plantrack.notifications.mail.transports import MemoryTransport

    return SendOptions(transport if transport is not None else MemoryTransport(), rate_per_minute=0)


def digest_options(url: str, transport=None, cc: tuple = (), lang: str = "vi"):
    from plantrack.models.digest.figures import FigureOptions
    from plantrack.notifications.mail.digest import DigestOptions

    return DigestOptions(url, identity(lang), sending(transport), FigureOptions(tz=TZ), cc)


def checkin_round(url: str, day: date, transport=None) -> None:
    """A check-in round opened and sent on day, its messages stamped as sent at 08:00 that day."""
    from plantrack.notifications.mail.checkins import CheckinOptions, run_checkin_round

    run_checkin_round(CheckinOptions(url, identity(), sending(transport)), day)
    stamp_round(url, day)


def stamp_round(url: str, day: date) -> None:
    """The check-ins of day's round marked as sent at 08:00 that day (real time is years later)."""
    from plantrack.models.db import session_factory
    from plantrack.models.mail.outbox import CheckinRound, Outbox
    from plantrack.notifications.mail.checkin_round import round_key

    with session_factory(url)() as s, s.begin():
        rid = s.scalar(select(CheckinRound.id).where(CheckinRound.key == round_key(day)))
        s.execute(update(Outbox).where(Outbox.round_id == rid).values(sent_at=at(day, 8)))


def reply(url: str, code: str, day: date, agency: str, hour: int = 10, **fields) -> None:
    """A report by email from agency (its focal point), recorded as the reply intake records one."""
    from plantrack.models.db import session_factory
    from plantrack.models.entities import Agency
    from plantrack.models.enums import Channel
    from plantrack.models.reports import ReportIn, record_report

    with session_factory(url)() as s, s.begin():
        agency_id = s.scalar(select(Agency.id).where(Agency.code == agency))
        record_report(s, PLAN, ReportIn(code=code, **fields), at=at(day, hour), channel=Channel.EMAIL,
                      agency_id=agency_id)


def first_week(url: str) -> None:
    """Rounds of W23 and W24; SYT answers on time, SGDDT late in W23 and not in W24, CAT never."""
    checkin_round(url, MON_W23)
    reply(url, "VI.1/SYT", date(2024, 6, 4), "SYT", progress=40)
    reply(url, "VI.1/SGDDT", date(2024, 6, 7), "SGDDT", progress=20)
    checkin_round(url, MON_W24)
    reply(url, "VI.1/SYT", date(2024, 6, 11), "SYT", progress=70)


def second_week(url: str) -> None:
    """W25: III.1 done, III.5 blocked (the reply intake's note), II.1 reported 1,37%, SYT answers on time."""
    checkin_round(url, MON_W25)
    reply(url, "III.1", date(2024, 6, 17), "SLDTBXH", state="done")
    reply(url, "VI.1/SYT", date(2024, 6, 18), "SYT", progress=90)
    reply(url, "III.5", date(2024, 6, 19), "SLDTBXH", note="Vướng mắc: chờ kinh phí từ Sở Tài chính")
    reply(url, "II.1", date(2024, 6, 20), "SLDTBXH", value=Decimal("1.37"))


def figures(url: str, day: date, lang: str = "vi"):
    from plantrack.models.db import session_factory
    from plantrack.models.digest.figures import FigureOptions, plan_figures, plans

    with session_factory(url)() as s:
        return plan_figures(s, plans(s, PLAN)[0], day, FigureOptions(tz=TZ), lang)
