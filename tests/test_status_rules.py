"""The Vietnamese tracking categories around each boundary date."""
from datetime import date

import pytest

from models.status import StatusKey as K
from models.status import derive_status, label

START, DUE = date(2024, 6, 1), date(2024, 6, 15)


@pytest.mark.parametrize(
    "state, today, completed, expected",
    [
        ("not_started", date(2024, 5, 31), None, K.NOT_STARTED),  # day before start
        ("not_started", date(2024, 6, 1), None, K.ON_TRACK),  # start day: work is expected
        ("in_progress", date(2024, 6, 7), None, K.ON_TRACK),  # 8 days left
        ("in_progress", date(2024, 6, 8), None, K.DUE_SOON),  # 7 days left: window opens
        ("in_progress", date(2024, 6, 15), None, K.DUE_SOON),  # the due day is still on time
        ("in_progress", date(2024, 6, 16), None, K.OVERDUE),  # day after due
        ("not_started", date(2024, 6, 16), None, K.OVERDUE),
        ("done", date(2024, 7, 1), date(2024, 6, 15), K.DONE_ON_TIME),  # finished on the due day
        ("done", date(2024, 7, 1), date(2024, 6, 16), K.DONE_LATE),  # a day late
        ("done", date(2024, 6, 1), None, K.DONE_ON_TIME),
        ("paused", date(2024, 7, 1), None, K.PAUSED),  # paused is not counted overdue
        ("cancelled", date(2024, 7, 1), None, K.CANCELLED),
    ],
)
def test_category_at_boundaries(state, today, completed, expected):
    assert derive_status(state, START, DUE, completed, today) == expected


def test_no_dates():
    assert derive_status("not_started", None, None, None, date(2030, 1, 1)) == K.NOT_STARTED
    assert derive_status("in_progress", None, None, None, date(2030, 1, 1)) == K.ON_TRACK


def test_report_without_start_is_not_started_until_due_soon():
    assert derive_status("not_started", None, DUE, None, date(2024, 6, 7)) == K.NOT_STARTED
    assert derive_status("not_started", None, DUE, None, date(2024, 6, 8)) == K.DUE_SOON


def test_due_soon_window_is_configurable():
    assert derive_status("in_progress", START, DUE, None, date(2024, 6, 12), due_soon_days=3) == K.DUE_SOON
    assert derive_status("in_progress", START, DUE, None, date(2024, 6, 11), due_soon_days=3) == K.ON_TRACK


def test_labels_are_vietnamese_first():
    assert label(K.OVERDUE) == "Quá hạn"
    assert label(K.DONE_LATE) == "Hoàn thành quá hạn"
    assert label(K.ON_TRACK, "en") == "In progress, on time"
    assert {label(k) for k in K} == {
        "Chưa bắt đầu", "Đang thực hiện trong hạn", "Sắp đến hạn", "Quá hạn",
        "Hoàn thành đúng hạn", "Hoàn thành quá hạn", "Tạm dừng", "Hủy",
    }
