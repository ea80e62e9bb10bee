"""Deadlines keep the plan's wording; the effective deadline follows the configured rule (Article 148 by default)."""
from __future__ import annotations

from datetime import date

import pytest

from plantrack.models.deadlines import DeadlinePolicy, DeadlineRule, deadline_text, written_text

D = date
CIVIL, WRITTEN, AS = DeadlineRule.CIVIL_CODE_148, DeadlineRule.WRITTEN_DATE_148, DeadlineRule.AS_WRITTEN


@pytest.mark.parametrize("written, wording, rule, expected", [
    (D(2024, 6, 15), "before", CIVIL, D(2024, 6, 14)),  # "trước ngày 15/6" (Sat): last day Fri 14/6
    (D(2024, 6, 15), "before", WRITTEN, D(2024, 6, 17)),  # 15/6 inclusive, a Saturday -> Monday
    (D(2024, 6, 15), "before", AS, D(2024, 6, 15)),  # plantrack before issue 10
    (D(2024, 6, 15), "by", CIVIL, D(2024, 6, 17)),  # "đến ngày 15/6": a Saturday -> Monday
    (D(2024, 11, 15), "before", CIVIL, D(2024, 11, 14)),  # the annual report
    (D(2024, 8, 31), "by", CIVIL, D(2024, 9, 4)),  # Saturday, then the 2/9 break until 3/9
    (D(2024, 2, 15), "before", CIVIL, D(2024, 2, 15)),  # the day before is Tết: next working day is 15/2
    (D(2024, 2, 8), "by", CIVIL, D(2024, 2, 15)),
    (D(2024, 4, 29), "by", CIVIL, D(2024, 5, 2)),
    (D(2024, 5, 4), "by", CIVIL, D(2024, 5, 4)),  # the make-up Saturday is a working day
    (D(2025, 1, 2), "before", CIVIL, D(2025, 1, 2)),  # 1/1/2025 is off
    (D(2024, 12, 31), "by", CIVIL, D(2024, 12, 31)),
])
def test_effective_deadline(written, wording, rule, expected):
    assert DeadlinePolicy(rule).effective(written, wording) == expected


def test_a_span_ends_on_its_effective_deadline_too():
    # The Action Month 01/06-30/06/2024 ends on a Sunday: its work is due by the end of Monday 01/07
    assert DeadlinePolicy().effective(D(2024, 6, 30), "by", "span") == D(2024, 7, 1)
    assert DeadlinePolicy().effective(None, "before") is None


def test_texts_show_wording_weekday_and_the_effective_day_when_it_differs():
    assert written_text(D(2024, 6, 15), "before") == "trước 15/06/2024 (thứ Bảy)"
    assert deadline_text(D(2024, 6, 15), "before", D(2024, 6, 14)) == \
        "trước 15/06/2024 (thứ Bảy), tính đến hết 14/06/2024 (thứ Sáu)"
    assert deadline_text(D(2024, 12, 31), "by", D(2024, 12, 31)) == "31/12/2024 (thứ Ba)"
    assert deadline_text(D(2024, 6, 15), "before", D(2024, 6, 14), "en") == \
        "before 15/06/2024 (Saturday), counted to the end of 14/06/2024 (Friday)"


def test_rule_is_a_setting_with_a_clear_error():
    from plantrack.config.settings import SettingsError, load_settings

    assert DeadlinePolicy.from_settings(load_settings(deadline_rule="written_date_148")).rule == WRITTEN
    with pytest.raises(SettingsError, match="PLANTRACK_DEADLINE_RULE='tomorrow'.*civil_code_148"):
        load_settings(deadline_rule="tomorrow")
