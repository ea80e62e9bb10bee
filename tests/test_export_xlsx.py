"""`plantrack export --xlsx`: the board as a workbook that opens with openpyxl: four sheets, one row per item,
real dates shown dd/mm/yyyy, Vietnamese (or English) headers, frozen header row, filters, coloured statuses."""
from __future__ import annotations

import json
from datetime import date, datetime

from tests.digest_helpers import FRI_W25, first_week, second_week


def _open(path):
    import openpyxl

    return openpyxl.load_workbook(path)


def test_workbook_of_the_plan(loaded_sqlite, cli, tmp_path):
    from plantrack.notifications.palette import PALETTE
    from plantrack.models.status import StatusKey

    first_week(loaded_sqlite)
    second_week(loaded_sqlite)
    path = tmp_path / "bang-theo-doi.xlsx"
    code, out, err = cli(loaded_sqlite, "export", "--xlsx", str(path), "--today", FRI_W25.isoformat())
    assert code == 0, err
    assert "Nhiệm vụ 84, Cơ quan" in " ".join(out.split())
    wb = _open(path)
    assert wb.sheetnames == ["Nhiệm vụ", "Cơ quan", "Chỉ tiêu", "Quá hạn"]
    code, status, _ = cli(loaded_sqlite, "status", "--json", "--today", FRI_W25.isoformat())
    rows = json.loads(status)
    deliverables = [r for r in rows if r["kind"] == "deliverable"]
    indicators = [r for r in rows if r["kind"] == "indicator"]

    ws = wb["Nhiệm vụ"]
    head = [c.value for c in ws[1]]
    assert head[:3] == ["Mã", "Nội dung", "Lĩnh vực"] and "Hạn tính" in head and "Trạng thái" in head
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}85"
    assert ws.max_row == 1 + len(deliverables) == 85
    by_code = {ws.cell(i, 1).value: i for i in range(2, ws.max_row + 1)}
    due, status_col, last = head.index("Hạn tính") + 1, head.index("Trạng thái") + 1, head.index("Báo cáo gần nhất") + 1
    for r in deliverables:
        i = by_code[r["code"]]
        cell = ws.cell(i, due)
        assert cell.is_date and cell.number_format == "DD/MM/YYYY"
        assert cell.value.date() == date.fromisoformat(r["due"])
        assert ws.cell(i, status_col).value == r["status"]
        fill = ws.cell(i, status_col).fill.fgColor.rgb
        assert fill.endswith(PALETTE[StatusKey(r["status_key"])].tint.lstrip("#").upper())
    syt = by_code["VI.1/SYT"]
    assert ws.cell(syt, last).value == datetime(2024, 6, 18) and ws.cell(syt, last).number_format == "DD/MM/YYYY"
    assert ws.column_dimensions["B"].width == 60 and ws.cell(2, 2).alignment.wrap_text  # long titles wrap
    assert 4 <= ws.column_dimensions["A"].width <= 30

    ws = wb["Quá hạn"]
    late = [r for r in deliverables if r["status_key"] == "overdue"]
    assert [c.value for c in ws[1]] == ["Mã", "Nội dung", "Chủ trì", "Hạn tính", "Số ngày làm việc quá hạn",
                                        "Mức đôn đốc", "Báo cáo gần nhất"]
    assert {ws.cell(i, 1).value for i in range(2, ws.max_row + 1)} == {r["code"] for r in late}
    assert all(ws.cell(i, 4).is_date for i in range(2, ws.max_row + 1))

    ws = wb["Chỉ tiêu"]
    assert ws.max_row == 1 + len(indicators)
    ii1 = next(i for i in range(2, ws.max_row + 1) if ws.cell(i, 1).value == "II.1")
    values = {ws.cell(1, c).value: ws.cell(ii1, c).value for c in range(1, ws.max_column + 1)}
    assert (values["Giá trị gốc"], values["Mục tiêu"], values["Số liệu gần nhất"], values["Chiều"]) == \
        (1.38, 1.36, 1.37, "tối đa")
    assert values["Báo cáo gần nhất"] == datetime(2024, 6, 20)

    ws = wb["Cơ quan"]
    head = [c.value for c in ws[1]]
    row = next(i for i in range(2, ws.max_row + 1) if ws.cell(i, 1).value == "SYT")
    values = dict(zip(head, (c.value for c in ws[row])))
    assert values["Tỷ lệ đúng hạn"] == 1.0 and ws.cell(row, head.index("Tỷ lệ đúng hạn") + 1).number_format == "0%"
    assert values["Trả lời kỳ gần nhất"] == "có" and values["Số nhiệm vụ chủ trì"] == sum(r["lead"] == "SYT" for r in deliverables)
    assert sum(ws.cell(i, head.index("Quá hạn") + 1).value for i in range(2, ws.max_row + 1)) == len(late)


def test_english_headers_and_bad_paths(loaded_sqlite, cli, tmp_path):
    path = tmp_path / "board.xlsx"
    code, _, err = cli(loaded_sqlite, "export", "--xlsx", str(path), "--today", "2024-07-15", "--lang", "en")
    assert code == 0, err
    wb = _open(path)
    assert wb.sheetnames == ["Deliverables", "Agencies", "Indicators", "Overdue"]
    assert [c.value for c in wb["Overdue"][1]][:4] == ["Code", "Title", "Lead", "Effective deadline"]
    code, _, err = cli(loaded_sqlite, "export", "--xlsx", str(tmp_path / "board.csv"))
    assert code == 1 and ".xlsx" in err
    code, _, err = cli(loaded_sqlite, "export", "--xlsx", str(tmp_path / "nowhere" / "b.xlsx"))
    assert code == 1 and "no such folder" in err and not (tmp_path / "nowhere").exists()


def test_export_does_not_import_prefect(loaded_sqlite, tmp_path):
    import os

    from tests.conftest import top_modules_after_each

    (imported,) = top_modules_after_each(dict(os.environ), ["--db", loaded_sqlite, "export", "--xlsx",
                                                            str(tmp_path / "b.xlsx"), "--today", "2024-07-15"])
    assert "prefect" not in imported and (tmp_path / "b.xlsx").exists()
