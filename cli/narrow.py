"""The board in a terminal narrower than WIDE columns (80 included, and piped output): one block per item,
the summary as lines. Lines are broken between words only, so a code (VI.1/UBND-MUONGKHUONG) or a date
(31/12/2024) is never cut; every line fits the width."""
from __future__ import annotations

import textwrap
from datetime import date

WIDE = 120  # from this many columns on, the table (one row per item, seven columns) is readable
INDENT = "  "


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """text in lines of at most width columns, broken at spaces only (a longer word stays whole)."""
    return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent or INDENT,
                         break_long_words=False, break_on_hyphens=False) or [indent]


def fill(pieces: list[tuple[str, str]], width: int) -> list[list[tuple[str, str]]]:
    """(text, style) pieces laid out on lines of at most width columns, two spaces apart, never split;
    continuation lines are indented."""
    lines: list[list[tuple[str, str]]] = [[]]
    used = 0
    for text, style in pieces:
        if not text:
            continue
        gap = 2 if lines[-1] else 0
        if lines[-1] and used + gap + len(text) > width:
            lines.append([(INDENT, "")])
            used, gap = len(INDENT), 0
        if gap:
            lines[-1].append(("  ", ""))
        lines[-1].append((text, style))
        used += gap + len(text)
    return lines


def item_lines(r, w, width: int, with_plan: bool = False, style: str = "") -> list:
    """One item as rich Texts: code, due date, status, progress; the title; lead and supporting agencies."""
    from rich.text import Text

    _ = w._
    head = [(r.code, "bold")]
    if with_plan:
        head.append((r.plan, "dim"))
    due = w.due(r) if hasattr(w, "due") else ""  # the plan's wording and the effective day, when known
    if due or r.due:
        head.append((f"{_('Due')} {due or format(r.due, '%d/%m/%Y')}", ""))
    head.append((w.status(r), style))
    head.append((w.progress(r).strip(), ""))
    out = [Text.assemble(*line) for line in fill(head, width)]
    out += [Text(line) for line in wrap(r.title, width, INDENT)]
    who = f"{_('Lead')}: {w.lead(r)}"
    if r.supporting:  # the first three, as the wide table shows them (--json lists every one)
        s = r.supporting
        who += f" · {_('Supporting')}: " + ", ".join(s[:3]) + (f" +{len(s) - 3}" if len(s) > 3 else "")
    out += [Text(line, style="dim") for line in wrap(who, width, INDENT)]
    return out


def print_items(rows, w, width: int, heading: str, with_plan: bool = False, styles: dict | None = None) -> None:
    from plantrack.cli.common import console

    from rich.text import Text

    lines = [Text(line, style="bold") for line in wrap(heading, width)]
    for r in rows:
        lines.append(Text(""))
        lines += item_lines(r, w, width, with_plan, (styles or {}).get(r.status_key, ""))
    # One print of the whole block: rich costs ~0.5 ms per print call, more than the lines themselves.
    console().print(Text("\n").join(lines), highlight=False, soft_wrap=True)


def print_lines(text: str, width: int, style: str = "", indent: str = "") -> None:
    from plantrack.cli.common import console

    for line in wrap(text, width, indent):
        console().print(line, style=style, highlight=False, soft_wrap=True, markup=False)


def summary_lines(view, w, keys, width: int) -> None:
    """The summary table as one wrapped paragraph per plan or lead agency, then the total."""
    from plantrack.models.board_view import GroupBy, Tally

    _ = w._
    by_plan = view.group_by == GroupBy.PLAN
    print_lines(_("Summary by plan") if by_plan else _("Summary by lead agency"), width, "bold")

    def one(name: str, t) -> str:
        counts = " · ".join(f"{w.labels[k]} {w.number(t.count(k))}" for k in keys if t.count(k))
        return (f"{name}: {w.number(t.total)}" + (f" ({counts})" if counts else "")
                + f"; {_('Never reported')}: {w.number(t.never_reported)}")
    from plantrack.cli.board import GROUPS_SHOWN

    shown, rest = view.groups[:GROUPS_SHOWN], view.groups[GROUPS_SHOWN:]
    for g in shown:
        print_lines(one(g.name, g), width, indent=INDENT)
    if rest:
        other = Tally("")
        for g in rest:
            other.add(g)
        print_lines(one(_("… {n} more").format(n=w.number(len(rest))), other), width, "dim", INDENT)
    print_lines(one(_("All"), view.total), width, "bold", INDENT)
