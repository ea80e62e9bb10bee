"""The board in an 80-column terminal (and piped): no line wider than 80, no code or date cut in two."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest


def _status(url: str, *args: str, columns: int = 80) -> str:
    env = {**os.environ, "COLUMNS": str(columns), "PLANTRACK_DATABASE_URL": url}
    out = subprocess.run([sys.executable, "-m", "plantrack.cli", "status", *args], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("view", [(), ("--limit", "6")], ids=["every-item", "summary"])
def test_board_fits_80_columns_with_codes_and_dates_whole(cli, loaded_sqlite, lang, view):
    text = _status(loaded_sqlite, "--today", "2024-07-01", "--lang", lang, *view)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80, [line for line in lines if len(line) > 80][:3]
    rows = json.loads(cli(loaded_sqlite, "status", "--today", "2024-07-01", "--json")[1])  # the items, any width
    tokens = set(re.split(r"[\s(),·:]+", text))
    shown = [r for r in rows if r["code"] in tokens]
    assert len(shown) >= (6 if view else len(rows)), "codes cut or missing"
    for r in shown:  # each item's due date is printed whole
        if r["due"]:
            y, m, d = r["due"].split("-")
            assert f"{d}/{m}/{y}" in tokens
    if not view:  # every item, one block each: code, due date and status on its first line
        assert re.search(r"^VI\.1/UBND-MUONGKHUONG +\S+ 15/06/2024 ", text, re.MULTILINE) or \
            re.search(r"^VI\.1/UBND-MUONGKHUONG\s", text, re.MULTILINE)


def test_plurals_are_right_in_both_languages(loaded_sqlite):
    # III.3 is due 30/06/2024, a Sunday: counted to the end of Monday 01/07, one working day late on 02/07.
    en = _status(loaded_sqlite, "--today", "2024-07-02", "--lang", "en")
    assert "(1 working day late)" in en and re.search(r"\(\d\d+ working days late\)", en)
    assert not re.search(r"\b1 working days\b", en)
    vi = _status(loaded_sqlite, "--today", "2024-07-02", "--lang", "vi")
    assert "(quá 1 ngày làm việc)" in vi
    # the summary's counts (it read "SYT: 1 items" and "1 most urgent of 1 items")
    one = _status(loaded_sqlite, "--today", "2024-07-01", "--lang", "en", "--agency", "SYT", "--status", "overdue",
                  "--limit", "1")
    assert "SYT: 1 item;" in one and "1 most urgent of 1 item\n" in one and " 1 items" not in one
    many = _status(loaded_sqlite, "--today", "2024-07-01", "--lang", "en", "--limit", "1")
    assert re.search(r": \d\d+ items;", many) and re.search(r"\b1 most urgent of \d\d+ items\n", many)


def test_a_wide_terminal_gets_the_table(loaded_sqlite):
    text = _status(loaded_sqlite, "--today", "2024-07-01", columns=160)
    assert "┃ Mã" in text and max(len(line) for line in text.splitlines()) <= 160


def test_mail_show_wraps_between_words_on_a_terminal(tmp_path):
    """`plantrack mail show` at 80 columns: no line wider, every word whole, continued lines indented; piped, the
    message's own lines."""
    from tests.terminal import on_terminal

    long = ("Chủ trì: Liên đoàn Lao động tỉnh Lào Cai | Hạn: trước 15/06/2024 (thứ Bảy), tính đến hết 14/06/2024 "
            "(thứ Sáu)")
    eml = tmp_path / "m.eml"
    eml.write_bytes(("From: theodoi@laocai.example.org\r\nTo: daumoi@laocai.example.org\r\nSubject: =?utf-8?q?=C4=90=C3=B4n_=C4=91=E1=BB=91c?=\r\n"
                     "Content-Type: text/plain; charset=utf-8\r\n\r\n- VI.1/LDLD: Báo cáo 6 tháng\r\n  "
                     + long + "\r\n").encode())
    env = {**os.environ, "COLUMNS": "80", "LINES": "40", "TERM": "xterm"}
    args = [sys.executable, "-m", "plantrack.cli", "mail", "show", str(eml)]
    piped = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60).stdout
    assert f"  {long}" in piped.splitlines()
    code, shown = on_terminal(args, env)
    lines = shown.rstrip("\n").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("  Chủ trì: "))
    assert code == 0 and all(len(line) <= 80 for line in lines) and "Subject: Đôn đốc" in lines, lines
    assert all(line.startswith("    ") for line in lines[start + 1:]) and len(lines) > start + 1, lines[start:]
    assert " ".join(line.strip() for line in lines[start:]) == long
