"""Vietnamese working days around Tết 2024, the 30/4-1/5 bridge and its make-up Saturday, 2/9, year ends;
the `holidays` library agrees with config/workdays where both speak; bad entries name file and line."""
from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from plantrack.config import WORKDAYS_DIR
from plantrack.models.workdays import (
    DayKind,
    WorkdaysConfigError,
    add_working_days,
    default_calendar,
    effective_deadline,
    is_working_day,
    library_days,
    load_calendar,
    read_decisions,
    working_days_between,
)

D = date


@pytest.mark.parametrize("day, working, why", [
    (D(2024, 2, 7), True, "the Wednesday before Tết"),
    (D(2024, 2, 8), False, "29 tháng Chạp: off by decision (5015/TB-LĐTBXH)"),
    (D(2024, 2, 9), False, "Giao thừa"),
    (D(2024, 2, 10), False, "mùng 1 Tết (a Saturday)"),
    (D(2024, 2, 12), False, "mùng 3"),
    (D(2024, 2, 14), False, "mùng 5, the last day off"),
    (D(2024, 2, 15), True, "back to work"),
    (D(2024, 4, 18), False, "Giỗ Tổ Hùng Vương (10/3 âm lịch, from the library)"),
    (D(2024, 4, 26), True, "Friday before the bridge"),
    (D(2024, 4, 27), False, "Saturday"),
    (D(2024, 4, 29), False, "Monday swapped away (2450/VPCP-KGVX)"),
    (D(2024, 4, 30), False, "Ngày Chiến thắng"),
    (D(2024, 5, 1), False, "Quốc tế lao động"),
    (D(2024, 5, 2), True, "Thursday after"),
    (D(2024, 5, 4), True, "the make-up Saturday"),
    (D(2024, 5, 5), False, "Sunday"),
    (D(2024, 5, 11), False, "an ordinary Saturday"),
    (D(2024, 8, 30), True, "Friday before 2/9"),
    (D(2024, 8, 31), False, "Saturday in the 2/9 break"),
    (D(2024, 9, 2), False, "Quốc khánh"),
    (D(2024, 9, 3), False, "the extra day after 2/9"),
    (D(2024, 9, 4), True, "back to work"),
    (D(2023, 12, 29), True, "last working day of 2023"),
    (D(2024, 1, 1), False, "Tết Dương lịch 2024 (a Monday)"),
    (D(2024, 12, 31), True, "last working day of 2024"),
    (D(2025, 1, 1), False, "Tết Dương lịch 2025"),
    (D(2025, 1, 2), True, "first working day of 2025"),
])
def test_is_working_day(day, working, why):
    assert is_working_day(day) is working, why


@pytest.mark.parametrize("start, n, expected", [
    (D(2024, 2, 7), 1, D(2024, 2, 15)),  # over the whole Tết break
    (D(2024, 2, 15), -1, D(2024, 2, 7)),
    (D(2024, 2, 6), 2, D(2024, 2, 15)),
    (D(2024, 2, 10), 0, D(2024, 2, 10)),  # n = 0: the day itself
    (D(2024, 2, 7), 0, D(2024, 2, 7)),
    (D(2024, 4, 26), 1, D(2024, 5, 2)),  # over the 27/4-1/5 bridge
    (D(2024, 5, 3), 1, D(2024, 5, 4)),  # Friday -> the make-up Saturday
    (D(2024, 5, 4), 1, D(2024, 5, 6)),
    (D(2024, 5, 6), -1, D(2024, 5, 4)),
    (D(2024, 4, 17), 1, D(2024, 4, 19)),  # over Giỗ Tổ
    (D(2024, 8, 30), 1, D(2024, 9, 4)),  # over 31/8-3/9
    (D(2024, 6, 14), 5, D(2024, 6, 21)),
    (D(2024, 6, 14), -5, D(2024, 6, 7)),
    (D(2024, 12, 31), 1, D(2025, 1, 2)),  # year end
    (D(2025, 1, 2), -1, D(2024, 12, 31)),
    (D(2023, 12, 29), 1, D(2024, 1, 2)),
])
def test_add_working_days(start, n, expected):
    assert add_working_days(start, n) == expected


@pytest.mark.parametrize("start, end, expected", [
    (D(2024, 2, 7), D(2024, 2, 15), 1),
    (D(2024, 2, 15), D(2024, 2, 7), -1),
    (D(2024, 4, 26), D(2024, 5, 6), 4),  # 2/5, 3/5, the make-up 4/5 and 6/5
    (D(2024, 8, 30), D(2024, 9, 4), 1),
    (D(2024, 6, 14), D(2024, 7, 1), 11),
    (D(2024, 12, 31), D(2025, 1, 2), 1),  # across the year end
    (D(2023, 12, 31), D(2024, 12, 31), 251),  # 262 weekdays - 12 holidays + 1 make-up Saturday
    (D(2024, 6, 15), D(2024, 6, 16), 0),
])
def test_working_days_between(start, end, expected):
    assert working_days_between(start, end) == expected


def test_article_148_moves_a_last_day_off_to_the_next_working_day():
    assert effective_deadline(D(2024, 2, 10)) == D(2024, 2, 15)  # Tết
    assert effective_deadline(D(2024, 4, 27)) == D(2024, 5, 2)  # the 27/4-1/5 bridge
    assert effective_deadline(D(2024, 5, 4)) == D(2024, 5, 4)  # the make-up Saturday is a working day
    assert effective_deadline(D(2024, 8, 31)) == D(2024, 9, 4)
    assert effective_deadline(D(2024, 12, 31)) == D(2024, 12, 31)


def test_add_and_between_agree_on_random_days():
    rnd = random.Random(10)
    for _ in range(500):
        day = D(2023, 11, 1) + timedelta(days=rnd.randrange(500))
        n = rnd.randrange(1, 40)
        later = add_working_days(day, n)
        assert working_days_between(day, later) == n and is_working_day(later)
        assert working_days_between(day, later - timedelta(days=1)) == n - 1


def test_library_agrees_with_the_config_file_where_both_speak():
    cal = default_calendar()
    names, lib_work = library_days(2024)
    both = 0
    for d in read_decisions(WORKDAYS_DIR / "vn-2024.yaml"):
        if d.day in names:
            assert d.kind is DayKind.OFF, (d.day, names[d.day])
            both += 1
        if d.day in lib_work:
            assert d.kind is DayKind.WORK, d.day
            both += 1
    assert both >= 10  # Tết (7 days), 29/4, 30/4, 1/5, 2/9, 3/9, and the make-up Saturday 4/5
    # and what only the library says is still counted: every 2024 holiday is a day off
    assert all(not cal.is_working_day(day) for day in names)


def test_the_holiday_cache_gives_the_library_answer_and_survives_a_broken_file(tmp_path, monkeypatch):
    """library_days keeps the library's answer in the user's cache folder; the next process reads the same days
    from there, and a damaged file is recomputed and rewritten, not believed."""
    from plantrack.models import workdays

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    fresh = workdays._library_days(2025)
    library_days.cache_clear()
    assert library_days(2025) == fresh  # computed and written
    (cached,) = (tmp_path / "plantrack").glob("holidays-vn-*-2025.json")
    library_days.cache_clear()
    monkeypatch.setattr(workdays, "_library_days", lambda year: pytest.fail("the cache was not read"))
    assert library_days(2025) == fresh  # read back, identical
    cached.write_text('{"holidays": {"2025-13-01": "x"}', encoding="utf-8")
    library_days.cache_clear()
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert library_days(2025) == fresh
    assert "2025-01-29" in cached.read_text(encoding="utf-8")  # Tết rewritten
    library_days.cache_clear()


def test_every_entry_cites_its_decision():
    for d in read_decisions(WORKDAYS_DIR / "vn-2024.yaml"):
        assert "VPCP" in d.source or "LĐTBXH" in d.source, d


GOOD = """year: 2024
days:
  - {date: 2024-05-04, kind: work, name: "Làm bù", source: "Văn bản 2450/VPCP-KGVX"}
  - {from: 2024-08-31, to: 2024-09-03, kind: off, name: "Quốc khánh", source: "Văn bản 8662/VPCP-KGVX"}
"""

BAD = {
    "unknown kind": ("kind: work, name: \"Làm bù\"", "kind: holiday, name: \"Làm bù\"", 3, "unknown kind 'holiday'"),
    "malformed date": ("date: 2024-05-04", "date: 2024-13-04", 3, "is not a real date"),
    "not a date": ("date: 2024-05-04", "date: 4/5/2024", 3, "is not a date"),
    "make-up on a weekday": ("date: 2024-05-04", "date: 2024-05-08", 3, "is already a working day"),
    "make-up on a holiday": ("date: 2024-05-04", "date: 2024-02-10", 3, "public holiday"),  # mùng 1 Tết, a Saturday
    "to before from": ("to: 2024-09-03", "to: 2024-08-03", 4, "is before 'from'"),
    "outside the year": ("from: 2024-08-31", "from: 2023-08-31", 4, "outside 2024"),
    "no source": (", source: \"Văn bản 2450/VPCP-KGVX\"}", "}", 3, "'source' is required"),
    "unknown key": ("kind: off,", "kind: off, typo: 1,", 4, "unknown key 'typo'"),
    "off on a Sunday": ("{date: 2024-05-04, kind: work", "{date: 2024-05-05, kind: off", 3, "is already a day off"),
    "wrong year": ("year: 2024", "year: 2025", 1, "does not match the file name"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_entry_is_a_configuration_error_naming_file_and_line(tmp_path: Path, case):
    old, new, line, message = BAD[case]
    assert old in GOOD
    folder = tmp_path / "workdays"
    folder.mkdir()
    path = folder / "vn-2024.yaml"
    path.write_text(GOOD.replace(old, new), encoding="utf-8")
    with pytest.raises(WorkdaysConfigError) as err:
        load_calendar(folder)
    assert f"{path}:{line}:" in str(err.value) and message in str(err.value), str(err.value)


def test_good_file_loads_and_a_duplicate_names_both_lines(tmp_path: Path):
    folder = tmp_path / "wd"
    folder.mkdir()
    (folder / "vn-2024.yaml").write_text(GOOD, encoding="utf-8")
    assert load_calendar(folder).is_working_day(D(2024, 5, 4))
    (folder / "vn-2024.yaml").write_text(GOOD + "  - {date: 2024-09-02, kind: off, name: x, source: y}\n",
                                         encoding="utf-8")
    with pytest.raises(WorkdaysConfigError, match=r"vn-2024.yaml:5: 2024-09-02 is already listed at line 4"):
        load_calendar(folder)
    (folder / "vn-2024.yaml").rename(folder / "holidays.yaml")
    with pytest.raises(WorkdaysConfigError, match="named vn-<year>.yaml"):
        load_calendar(folder)
