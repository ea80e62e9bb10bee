"""Schedules are real cron schedules in the plan's time zone, configurable by settings."""
from plantrack.config.settings import load_settings
from plantrack.deployments.serve import deployments


def test_every_schedule_carries_the_plan_time_zone():
    deps = {d.flow_name: d for d in deployments(load_settings(checkins_cron="30 7 * * 2"))}
    assert set(deps) == {"publish-calendars", "send-checkins"}
    for d in deps.values():
        (s,) = d.schedules
        assert s.schedule.timezone == "Asia/Ho_Chi_Minh"
    assert deps["send-checkins"].schedules[0].schedule.cron == "30 7 * * 2"
    assert deps["publish-calendars"].schedules[0].schedule.cron == "0 * * * *"
