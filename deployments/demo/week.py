"""One week of the demo's plan year: the five deployed flows at their scheduled times on the virtual clock.

Each flow runs as its own top-level flow run, as the deployments run them (plantrack serve); between them
the simulated focal points (focal_points.py, the world outside plantrack) answer. No parent flow: a
subflow costs ~0.25 s of Prefect bookkeeping here against ~0.17 s for a top-level run, and the weeks are
already the runs' names (flows/naming.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from plantrack.config import clock
from plantrack.config.settings import load_settings
from plantrack.deployments.demo.focal_points import Answered, FocalPointsOptions, answer_checkins, deliver_replies
from plantrack.flows import escalate_overdue, ingest_replies, publish_calendars, send_checkins, send_weekly_digest

# The five flows as deployed, called here with typed arguments (a date): Prefect's check of them would build a
# pydantic model of the flow's signature on every call (~5 ms a run here) and find nothing to convert.
escalate_overdue_flow = escalate_overdue.escalate_overdue_flow.with_options(validate_parameters=False)
send_checkins_flow = send_checkins.send_checkins.with_options(validate_parameters=False)
ingest_replies_flow = ingest_replies.ingest_replies_flow.with_options(validate_parameters=False)
publish_calendars_flow = publish_calendars.publish_calendars_flow.with_options(validate_parameters=False)
send_weekly_digest_flow = send_weekly_digest.send_weekly_digest.with_options(validate_parameters=False)


@dataclass(frozen=True)
class WeekResult:
    """What the flows did in one simulated week (counts for the demo's progress line and summary)."""

    monday: date
    checkins_sent: int
    answered: Answered
    delivered: int
    feeds_written: int
    replies_applied: int = 0
    receipts_sent: int = 0
    escalations: int = 0
    escalation_emails: int = 0
    digests: int = 0


def run_week(monday: date, seed: int = 1) -> WeekResult:
    """The week of monday, each flow at its scheduled time in the plan's zone (the clock moved there first):

    Monday 07:00 escalate-overdue (daily in the schedule; a day off sends nothing); 08:00 send-checkins;
    the focal points answer (replies written ahead, dated through the week; those due by Friday 15:00
    arrive in the Maildir); Friday 15:00 ingest-replies (the week's replies read and applied, receipts
    sent); 15:10 publish-calendars (hourly and after an intake that changed something in the schedule;
    unchanged feeds are not rewritten); 16:00 send-weekly-digest (the Deputy Chair's digest of the week).
    """
    settings = load_settings()
    tz = ZoneInfo(settings.timezone)
    friday = monday + timedelta(days=4)

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        moment = datetime.combine(day, time(hour, minute), tz)
        clock.move_to(moment)
        return moment

    people = FocalPointsOptions.from_settings(settings, seed)
    at(monday, 7)
    escalated = escalate_overdue_flow(today=monday)
    at(monday, 8)
    checkins = send_checkins_flow(today=monday)
    answered = answer_checkins(people, monday)
    delivered = deliver_replies(people, at(friday, 15))
    replies = ingest_replies_flow(today=friday)
    at(friday, 15, 10)
    feeds = publish_calendars_flow(today=friday)
    at(friday, 16)
    digest = send_weekly_digest_flow(today=friday)
    return WeekResult(monday, checkins.sent, answered, delivered, len(feeds.written),
                      replies_applied=replies.applied + replies.partial, receipts_sent=replies.receipts,
                      escalations=len(escalated.fired), escalation_emails=escalated.sent, digests=digest.sent)
