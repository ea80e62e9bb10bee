"""The board's summary view: one pass over streamed rows, counts per plan or lead agency and the most urgent rows,
in bounded memory (models/board.py streams the rows)."""
from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from plantrack.models.board import BoardRow
from plantrack.models.status import StatusKey

class GroupBy(StrEnum):
    PLAN = "plan"
    AGENCY = "agency"  # the lead agency now


# Most urgent first: overdue (longest late first), due soon, on track, not started, then closed work.
URGENCY = {StatusKey.OVERDUE: 0, StatusKey.DUE_SOON: 1, StatusKey.ON_TRACK: 2, StatusKey.NOT_STARTED: 3,
           StatusKey.PAUSED: 4, StatusKey.DONE_LATE: 5, StatusKey.DONE_ON_TIME: 6, StatusKey.CANCELLED: 7}
_LAST = len(URGENCY)  # a status added later sorts after these
STATUS_ORDER = tuple(sorted(StatusKey, key=lambda k: URGENCY.get(k, _LAST)))
_NO_DUE = 1 << 40


@dataclass
class Tally:
    """Counts of one group of rows: per status, and how many were never reported."""

    name: str
    total: int = 0
    never_reported: int = 0
    by_status: dict[StatusKey, int] = field(default_factory=dict)

    def count(self, key: StatusKey) -> int:
        return self.by_status.get(key, 0)

    def add(self, other: Tally) -> None:
        self.total += other.total
        self.never_reported += other.never_reported
        for k, v in other.by_status.items():
            self.by_status[k] = self.by_status.get(k, 0) + v


@dataclass
class BoardView:
    """The board as a person reads it: every row when few, else a summary and the most urgent rows."""

    total: Tally
    complete: bool  # rows holds every row, in plan order
    rows: list[BoardRow]  # every row (complete) or the most urgent ones, most urgent first
    group_by: GroupBy
    groups: list[Tally]  # most overdue first
    plans: int  # how many plans the rows come from


def urgency(row: BoardRow) -> tuple[int, int]:
    """Sort key, smallest most urgent: status rank, then days left (most days late first)."""
    return URGENCY.get(row.status_key, _LAST), _NO_DUE if row.days_left is None else row.days_left


def board_view(rows: Iterator[BoardRow], *, threshold: int = 200, limit: int | None = None,
               group_by: GroupBy | None = None) -> BoardView:
    """One pass over rows: tallies per plan and per lead agency, the first rows while they are few, the
    `limit` (default 20) most urgent; memory is bounded by threshold, limit and the number of groups.

    complete is True when there are at most threshold rows and no limit was asked for.
    """
    keep = limit if limit is not None else 20
    first: list[BoardRow] | None = []
    heap: list[tuple[tuple[int, int, int], BoardRow]] = []  # ((-rank, -days, -seq), row): heap[0] least urgent kept
    counts: dict[tuple[str, str, StatusKey, bool], int] = {}  # one dict update a row; groups are summed after
    seq = 0
    for row in rows:
        seq += 1
        key = row.status_key
        group = (row.plan, row.lead, key, row.last_report_at is None)
        counts[group] = counts.get(group, 0) + 1
        if first is not None:
            first.append(row)
            if len(first) > threshold:
                first = None
        if keep:
            rank = (-URGENCY.get(key, _LAST), -(_NO_DUE if row.days_left is None else row.days_left), -seq)
            if len(heap) < keep:
                heapq.heappush(heap, (rank, row))
            elif rank > heap[0][0]:
                heapq.heapreplace(heap, (rank, row))
    by_plan: dict[str, Tally] = {}
    by_agency: dict[str, Tally] = {}
    for (plan, lead, key, never), n in counts.items():
        for table, name in ((by_plan, plan), (by_agency, lead)):
            t = table.get(name)
            if t is None:
                t = table[name] = Tally(name)
            t.total += n
            t.never_reported += n if never else 0
            t.by_status[key] = t.by_status.get(key, 0) + n
    total = Tally("")
    for t in by_plan.values():
        total.add(t)
    if group_by is None:
        group_by = GroupBy.PLAN if len(by_plan) > 1 else GroupBy.AGENCY
    table = by_plan if group_by == GroupBy.PLAN else by_agency
    groups = sorted(table.values(), key=lambda t: (-t.count(StatusKey.OVERDUE), -t.total, t.name))
    complete = first is not None and limit is None
    if complete:
        shown = first
    else:
        shown = [row for _, row in sorted(heap, key=lambda item: item[0], reverse=True)]
    return BoardView(total=total, complete=complete, rows=shown, group_by=group_by, groups=groups,
                     plans=len(by_plan))
