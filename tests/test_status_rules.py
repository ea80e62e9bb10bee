"""The Vietnamese tracking categories around each boundary date.

"Sắp đến hạn" counts WORKING days since issue 10 (default 5): with DUE Saturday 15/06/2024 the window
opens on Friday 07/06 (10-14/06 left), not on 08/06 (7 calendar days) as before.
"""
from datetime import date

import pytest

from plantrack.models.status import StatusKey as K
from plantrack.models.status import derive_status, earliest_status_change, label, status_changes_after

START, DUE = date(2024, 6, 1), date(2024, 6, 15)


@pytest.mark.parametrize(
    "state, today, completed, expected",
    [
        ("not_started", date(2024, 5, 31), None, K.NOT_STARTED),  # day before start
        ("not_started", date(2024, 6, 1), None, K.ON_TRACK),  # start day: work is expected
        ("in_progress", date(2024, 6, 6), None, K.ON_TRACK),  # 6 working days left
        ("in_progress", date(2024, 6, 7), None, K.DUE_SOON),  # 5 working days left: window opens
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
    assert derive_status("not_started", None, DUE, None, date(2024, 6, 6)) == K.NOT_STARTED
    assert derive_status("not_started", None, DUE, None, date(2024, 6, 7)) == K.DUE_SOON


def test_due_soon_window_is_configurable():
    assert derive_status("in_progress", START, DUE, None, date(2024, 6, 11), due_soon_days=3) == K.DUE_SOON
    assert derive_status("in_progress", START, DUE, None, date(2024, 6, 10), due_soon_days=3) == K.ON_TRACK


def test_labels_are_vietnamese_first():
    assert label(K.OVERDUE) == "Quá hạn"
    assert label(K.DONE_LATE) == "Hoàn thành quá hạn"
    assert label(K.ON_TRACK, "en") == "In progress, on time"
    assert {label(k) for k in K} == {
        "Chưa bắt đầu", "Đang thực hiện trong hạn", "Sắp đến hạn", "Quá hạn",
        "Hoàn thành đúng hạn", "Hoàn thành quá hạn", "Tạm dừng", "Hủy",
    }


@pytest.mark.parametrize(
    "state, start, due, today, expected",
    [
        ("not_started", START, DUE, date(2024, 5, 20), date(2024, 6, 1)),  # starts -> on track
        ("not_started", START, DUE, date(2024, 5, 31), date(2024, 6, 1)),
        ("in_progress", START, DUE, date(2024, 6, 1), date(2024, 6, 7)),  # due-soon window opens
        ("in_progress", START, DUE, date(2024, 6, 6), date(2024, 6, 7)),
        ("in_progress", START, DUE, date(2024, 6, 7), date(2024, 6, 16)),  # the due day is still due soon
        ("in_progress", START, DUE, date(2024, 6, 15), date(2024, 6, 16)),
        ("in_progress", START, DUE, date(2024, 6, 16), None),  # overdue stays overdue
        ("not_started", date(2024, 6, 10), DUE, date(2024, 6, 1), date(2024, 6, 7)),  # window before start
        ("not_started", None, DUE, date(2024, 6, 1), date(2024, 6, 7)),
        ("in_progress", None, None, date(2024, 6, 1), None),
        ("not_started", START, None, date(2024, 5, 1), date(2024, 6, 1)),
        ("done", START, DUE, date(2024, 5, 1), None),
        ("paused", START, DUE, date(2024, 5, 1), None),
        ("cancelled", START, DUE, date(2024, 5, 1), None),
    ],
)
def test_status_changes_after_at_boundaries(state, start, due, today, expected):
    assert status_changes_after(state, start, due, None, today) == expected


def test_status_changes_after_matches_a_day_by_day_scan():
    import random
    from datetime import timedelta

    rnd = random.Random(5)
    base = date(2024, 1, 1)
    for _ in range(400):
        state = rnd.choice(["not_started", "in_progress", "done", "paused"])
        start = base + timedelta(days=rnd.randrange(60)) if rnd.random() < 0.6 else None
        due = base + timedelta(days=rnd.randrange(90)) if rnd.random() < 0.8 else None
        today = base + timedelta(days=rnd.randrange(100))
        window = rnd.choice([0, 3, 7])
        now = derive_status(state, start, due, None, today, window)
        scan = next((today + timedelta(days=k) for k in range(1, 200)
                     if derive_status(state, start, due, None, today + timedelta(days=k), window) != now), None)
        assert status_changes_after(state, start, due, None, today, window) == scan


def test_earliest_status_change_over_many():
    items = [("in_progress", None, DUE, None), ("not_started", START, DUE, None), ("done", None, DUE, None)]
    assert earliest_status_change(items, date(2024, 5, 1)) == date(2024, 6, 1)
    assert earliest_status_change(items, date(2024, 6, 1)) == date(2024, 6, 7)
    assert earliest_status_change(items, date(2024, 7, 1)) is None
    assert earliest_status_change([], date(2024, 7, 1)) is None
