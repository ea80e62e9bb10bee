"""A bad setting or option never prints a traceback: one line that names it and what is allowed, exit 1."""
from __future__ import annotations

import os

import pytest

BAD = [
    ({}, ["status", "--lang", "fr"], "--lang 'fr'"),
    ({"PLANTRACK_TIMEZONE": "Mars/Olympus"}, ["status"], "PLANTRACK_TIMEZONE"),
    ({"PLANTRACK_TIMEZONE": "Mars/Olympus"}, ["report", "III.1", "--progress", "10"], "PLANTRACK_TIMEZONE"),
    ({"PLANTRACK_TIMEZONE": "Mars/Olympus"}, ["run", "calendars"], "PLANTRACK_TIMEZONE"),
    ({"PLANTRACK_TIMEZONE": "Mars/Olympus"}, ["run", "checkins"], "PLANTRACK_TIMEZONE"),
    ({"PLANTRACK_DUE_SOON_DAYS": "-3"}, ["status"], "PLANTRACK_DUE_SOON_DAYS"),
    ({"PLANTRACK_DUE_SOON_DAYS": "abc"}, ["status"], "PLANTRACK_DUE_SOON_DAYS"),
    ({"PLANTRACK_LANG": "fr"}, ["status"], "PLANTRACK_LANG"),
    ({"PLANTRACK_SMTP_SECURITY": "ssl"}, ["run", "checkins"], "PLANTRACK_SMTP_SECURITY"),
    ({"PLANTRACK_SMTP_PORT": "99999"}, ["run", "checkins"], "PLANTRACK_SMTP_PORT"),
    ({"PLANTRACK_CHECKIN_PERIOD": "day"}, ["run", "checkins"], "PLANTRACK_CHECKIN_PERIOD"),
    ({"PLANTRACK_CALENDAR_ALARMS": "soon"}, ["run", "calendars"], "PLANTRACK_CALENDAR_ALARMS"),
]


@pytest.mark.parametrize("env,args,named", BAD, ids=[f"{' '.join(a)} {e}" for e, a, _ in BAD])
def test_bad_value_is_one_line_naming_it(cli, loaded_sqlite, monkeypatch, tmp_path, env, args, named):
    monkeypatch.setenv("PLANTRACK_OUTBOX_DIR", str(tmp_path / "outbox"))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    code, out, err = cli(loaded_sqlite, *args)
    assert code == 1
    assert named in err and "Traceback" not in out + err
    assert len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "outbox").exists()  # nothing was sent


def test_settings_messages_list_what_is_allowed():
    from plantrack.config.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="PLANTRACK_LANG='fr'.*vi, en"):
        load_settings(lang="fr")
    with pytest.raises(SettingsError, match="PLANTRACK_DUE_SOON_DAYS=-3: .*greater than or equal to 0"):
        load_settings(due_soon_days=-3)


def test_settings_convert_each_value_to_its_type_given_over_environment_over_default(monkeypatch):
    from datetime import time
    from pathlib import Path

    from plantrack.config.settings import Settings, SettingsError
    from plantrack.models.enums import RoundPeriod

    for name in [n for n in os.environ if n.upper().startswith("PLANTRACK_")]:  # the suite sets some
        monkeypatch.delenv(name)
    for k, v in {"PLANTRACK_SMTP_PORT": " 587 ", "plantrack_smtp_verify_cert": "no", "PLANTRACK_CHECKIN_PERIOD": "month",
                 "PLANTRACK_CALENDAR_ALARM_TIME": "07:30", "PLANTRACK_SMTP_TIMEOUT": "2.5", "PLANTRACK_LANG": "en",
                 "PLANTRACK_DATA_DIR": "/srv/pt", "PLANTRACK_NOT_A_SETTING": "x"}.items():
        monkeypatch.setenv(k, v)
    s = Settings(lang="vi", smtp_password="mật-khẩu")
    assert (s.smtp_port, s.smtp_verify_cert, s.checkin_period, s.calendar_alarm_time, s.smtp_timeout) == \
        (587, False, RoundPeriod.MONTH, time(7, 30), 2.5)
    assert s.lang == "vi" and s.due_soon_days == 5  # given beats the environment; unset keeps the default
    assert s.data_dir == Path("/srv/pt") and s.database_url == "sqlite:////srv/pt/plantrack.db"
    assert "mật-khẩu" not in repr(s) and not hasattr(s, "not_a_setting")
    monkeypatch.setenv("PLANTRACK_SMTP_PORT", "0")
    monkeypatch.setenv("PLANTRACK_CALENDAR_ALARM_TIME", "sáng")
    with pytest.raises(SettingsError) as bad:
        Settings()
    assert str(bad.value) == ("PLANTRACK_SMTP_PORT='0': must be greater than or equal to 1; "
                              "PLANTRACK_CALENDAR_ALARM_TIME='sáng': must be a time of day, HH:MM")
