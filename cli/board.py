"""How `plantrack status` prints the board: streamed JSON, a summary with the most urgent rows, plain text at size."""
from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from datetime import date

from plantrack.config.i18n import format_number, gettext_for, ngettext_for
from plantrack.models.board import BoardRow, IndicatorRow, json_labels
from plantrack.models.board_view import STATUS_ORDER, BoardView, GroupBy, Tally
from plantrack.models.status import OPEN_STATUSES, StatusKey, not_reported

STATUS_STYLE = {
    "not_started": "dim", "on_track": "cyan", "due_soon": "yellow", "overdue": "bold red",
    "done_on_time": "green", "done_late": "dark_orange", "paused": "magenta", "cancelled": "strike dim",
}
DIRECTION_MARK = {"increase": "↑", "decrease": "↓"}  # a target given only as a direction
RICH_MAX_ROWS = 200  # above this a rich table costs seconds: the summary view or the plain writer instead
GROUPS_SHOWN = 15
JSON_CHUNK = 1000


def write_json(rows: Iterable[BoardRow], lang: str, out=None) -> int:
    """Stream rows as a JSON array, one object a line ("[", objects joined by ",", "]"); returns the count.

    Objects are written as they come from the database, JSON_CHUNK at a time: memory does not grow
    with the board.
    """
    import orjson

    labels = json_labels(lang)
    out = out or sys.stdout.buffer
    sys.stdout.flush()
    out.write(b"[\n")
    n, sep, chunk = 0, b"", []
    dumps = orjson.dumps
    for row in rows:
        chunk.append(dumps(row.as_json(lang, labels)))
        if len(chunk) >= JSON_CHUNK:
            out.write(sep + b",\n".join(chunk))
            n, sep = n + len(chunk), b",\n"
            chunk.clear()
    if chunk:
        out.write(sep + b",\n".join(chunk))
        n += len(chunk)
    out.write(b"\n]\n")
    out.flush()
    return n


class Words:
    """The board's words in one language."""

    def __init__(self, lang: str):
        self.lang = lang
        self._ = gettext_for(lang)
        self._n = ngettext_for(lang)
        self.labels = json_labels(lang)
        self.not_reported = not_reported(lang)

    def days(self, days: int | None) -> str:
        """Working days left or overdue: 'còn 3 ngày làm việc' / 'quá 2 ngày làm việc'."""
        n = self._n
        if days is None:
            return ""
        if days < 0:
            return n("{n} working day late", "{n} working days late", -days).format(n=-days)
        return n("{n} working day left", "{n} working days left", days).format(n=days)

    def status(self, row: BoardRow) -> str:
        """The status, working days to the effective deadline for open work, and 'chưa có báo cáo' when never reported."""
        text = self.labels[row.status_key]
        if row.status_key in OPEN_STATUSES and row.due is not None:
            text += f" ({self.days(row.working_days_left)})"
        if row.last_report_at is None:
            text += f"; {self.not_reported}"
        return text

    def due(self, row: BoardRow) -> str:
        """The deadline as the plan words it, and the effective day when it is another one."""
        return row.due_text(self.lang) if row.due_written else ""

    def progress(self, row: BoardRow) -> str:
        if isinstance(row, IndicatorRow):
            target = row.target if row.target is not None else DIRECTION_MARK.get(row.direction, "?")
            return f"{row.last_value if row.last_value is not None else '?'} / {target} {row.unit}"
        return "" if row.progress is None else f"{row.progress}%"

    def lead(self, row: BoardRow) -> str:
        return row.lead if row.lead == row.planned_lead else f"{row.lead} ({self._('for')} {row.planned_lead})"

    def number(self, n: int) -> str:
        return format_number(n, self.lang, 0) if n >= 1000 else str(n)

    def items(self, n: int) -> str:
        """'1 item', '1.234 items' / '1 mục'."""
        return self._n("{n} item", "{n} items", n).format(n=self.number(n))

    def most_urgent(self, shown: int, total: int) -> str:
        """'5 most urgent of 1.234 items' / '5 mục khẩn nhất trong 1.234 mục'."""
        return self._n("{shown} most urgent of {total} item", "{shown} most urgent of {total} items", total).format(
            shown=self.number(shown), total=self.number(total))

    def title(self, day: date, agency: str | None) -> str:
        return f"{self._('Status as of')} {day:%d/%m/%Y}" + (f" - {agency}" if agency else "")


def _supporting(row: BoardRow) -> str:
    s = row.supporting
    return ", ".join(s[:3]) + (f" +{len(s) - 3}" if len(s) > 3 else "")


def _rich_rows(rows: list[BoardRow], w: Words, title: str, with_plan: bool = False):
    from rich.table import Table

    _ = w._
    table = Table(title=title)
    cols = [(_("Code"), None), (_("Title"), 3), (_("Lead"), None), (_("Supporting"), 1), (_("Due"), None),
            (_("Progress"), None), (_("Status"), None)]
    if with_plan:  # codes repeat from plan to plan
        cols.insert(1, (_("Plan"), None))
    # Never cut a code, a plan number or a date: codes and plans do not wrap; the due column wraps between
    # words but is at least a date wide.
    whole = {_("Code"), _("Plan")}
    for col, ratio in cols:
        table.add_column(col, overflow="fold", ratio=ratio, no_wrap=col in whole,
                         min_width=10 if col == _("Due") else None)
    for r in rows:
        cells = [r.code, r.title, w.lead(r), _supporting(r), w.due(r), w.progress(r),
                 f"[{STATUS_STYLE.get(r.status_key, 'none')}]{w.status(r)}[/]"]
        if with_plan:
            cells.insert(1, r.plan)
        table.add_row(*cells)
    return table


def _status_counts(total: Tally, w: Words) -> str:
    return ", ".join(f"{w.labels[k]}: {w.number(total.count(k))}" for k in STATUS_ORDER if total.count(k)) \
        or w._("(nothing)")


def print_small(view: BoardView, w: Words, day: date, agency: str | None) -> None:
    """Every row in a rich table (one block per item below narrow.WIDE columns), then the counts per status."""
    from plantrack.cli import narrow
    from plantrack.cli.common import console

    width = console().width
    if width < narrow.WIDE:
        narrow.print_items(view.rows, w, width, w.title(day, agency), styles=STATUS_STYLE)
        console().print("", soft_wrap=True)
    else:
        console().print(_rich_rows(view.rows, w, w.title(day, agency)))
    # Counts in the order statuses first appear on the board, as the board always printed them.
    counts: dict[StatusKey, int] = {}
    for r in view.rows:
        counts[r.status_key] = counts.get(r.status_key, 0) + 1
    text = ", ".join(f"{w.labels[k]}: {v}" for k, v in counts.items()) or w._("(nothing)")
    if width < narrow.WIDE:
        narrow.print_lines(text, width)
    else:
        console().print(text, highlight=False)


def _summary_table(view: BoardView, w: Words):
    from rich.table import Table

    _ = w._
    keys = [k for k in STATUS_ORDER if view.total.count(k)]
    by_plan = view.group_by == GroupBy.PLAN
    table = Table(title=_("Summary by plan") if by_plan else _("Summary by lead agency"), show_footer=True)
    table.add_column(_("Plan") if by_plan else _("Lead"), footer=_("All"))
    table.add_column(_("Total"), justify="right", footer=w.number(view.total.total))
    for k in keys:
        table.add_column(f"[{STATUS_STYLE.get(k, 'none')}]{w.labels[k]}[/]", justify="right", footer=w.number(view.total.count(k)))
    table.add_column(_("Never reported"), justify="right", footer=w.number(view.total.never_reported))
    shown, rest = view.groups[:GROUPS_SHOWN], view.groups[GROUPS_SHOWN:]
    for g in shown:
        table.add_row(g.name, w.number(g.total), *(w.number(g.count(k)) for k in keys), w.number(g.never_reported))
    if rest:
        other = Tally("")
        for g in rest:
            other.add(g)
        table.add_row(_("… {n} more").format(n=w.number(len(rest))), w.number(other.total),
                      *(w.number(other.count(k)) for k in keys), w.number(other.never_reported), style="dim")
    return table


def print_summary(view: BoardView, w: Words, day: date, agency: str | None) -> None:
    """Counts per plan or lead agency, then the most urgent rows, then how to see the rest."""
    from plantrack.cli.common import console

    from plantrack.cli import narrow

    _ = w._
    con = console()
    width = con.width
    head = (f"{w.title(day, agency)}: " + w.items(view.total.total) + "; "
            + _status_counts(view.total, w) + "; " + _("never reported: {n}").format(n=w.number(view.total.never_reported)))
    hint = _("See the rest: --all (every row, plain text), --limit N (the N most urgent), --plan NUMBER, "
             "--agency CODE, --category KEY, --status KEY, --json (for scripts)")
    if width < narrow.WIDE:  # every line within the width, codes and dates whole
        narrow.print_lines(head, width, "bold")
        con.print("", soft_wrap=True)
        narrow.summary_lines(view, w, [k for k in STATUS_ORDER if view.total.count(k)], width)
        con.print("", soft_wrap=True)
        if view.rows:
            narrow.print_items(view.rows, w, width, w.most_urgent(len(view.rows), view.total.total), with_plan=view.plans > 1,
                styles=STATUS_STYLE)
            con.print("", soft_wrap=True)
        narrow.print_lines(hint, width, "dim")
        return
    con.print(f"[bold]{w.title(day, agency)}[/]: "
              + w.items(view.total.total) + "; " + _status_counts(view.total, w)
              + "; " + _("never reported: {n}").format(n=w.number(view.total.never_reported)), highlight=False,
              soft_wrap=True)
    con.print(_summary_table(view, w))
    if view.rows:
        heading = w.most_urgent(len(view.rows), view.total.total)
        if len(view.rows) <= RICH_MAX_ROWS:
            con.print(_rich_rows(view.rows, w, heading, with_plan=view.plans > 1))
        else:
            con.print(heading, highlight=False)
            write_plain(view.rows, w)
    con.print(_("See the rest: --all (every row, plain text), --limit N (the N most urgent), --plan NUMBER, "
                "--agency CODE, --category KEY, --status KEY, --json (for scripts)"), highlight=False, style="dim",
              soft_wrap=True)


PLAIN_COLUMNS = (("Code", 16), ("Plan", 16), ("Lead", 14), ("Supporting", 26), ("Due", 10), ("Progress", 9),
                 ("Status", 48))


def _plain_line(cells: Iterable[str], title: str) -> str:
    return " ".join(c.ljust(width) for c, (_, width) in zip(cells, PLAIN_COLUMNS)) + " " + title + "\n"


def write_plain(rows: Iterable[BoardRow], w: Words, out=None) -> Tally:
    """Fixed-width text, one line a row, written as rows come; returns the counts of what it wrote."""
    out = out or sys.stdout
    out.write(_plain_line((w._(c) for c, _ in PLAIN_COLUMNS), w._("Title")))
    total = Tally("")
    buf: list[str] = []
    for r in rows:
        total.total += 1
        total.by_status[r.status_key] = total.by_status.get(r.status_key, 0) + 1
        total.never_reported += r.last_report_at is None
        # Due: the effective deadline (what the status counts), compact; the rich table words it in full.
        buf.append(_plain_line((r.code, r.plan, w.lead(r), _supporting(r), f"{r.due:%d/%m/%Y}" if r.due else "",
                                w.progress(r).rjust(8), w.status(r)), r.title))
        if len(buf) >= JSON_CHUNK:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))
    return total


def print_all(rows: Iterator[BoardRow], w: Words, day: date, agency: str | None) -> None:
    """Every row: a rich table while there are few, plain fixed-width text beyond RICH_MAX_ROWS (streamed)."""
    from plantrack.cli.common import console
    from plantrack.models.board_view import board_view

    head: list[BoardRow] = []
    for r in rows:
        head.append(r)
        if len(head) > RICH_MAX_ROWS:
            break
    else:
        print_small(board_view(iter(head), threshold=RICH_MAX_ROWS), w, day, agency)
        return
    sys.stdout.write(w.title(day, agency) + "\n")

    def chained() -> Iterator[BoardRow]:
        yield from head
        head.clear()  # the first rows need not outlive their line
        yield from rows

    total = write_plain(chained(), w)
    sys.stdout.flush()
    console().print(w.items(total.total) + "; " + _status_counts(total, w), highlight=False,
                    soft_wrap=True)
