"""The status board task every flow run ends with: table artifacts `plan-status-board` and `overdue` under
stable keys, so that the latest of each shows the plan now and the Prefect UI keeps their history.

In a flow:  publish_status_board(BoardOptions.from_settings(settings), day)
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from plantrack.notifications.board import (BOARD_KEY, OVERDUE_KEY, BoardOptions, agency_table, board_description,
                                           overdue_table, status_board)


@dataclass(frozen=True)
class BoardPublished:
    """What the artifacts hold: how many agency rows and overdue items, as of which day."""

    today: date
    agencies: int
    overdue: int


@task(cache_policy=NO_CACHE)
def publish_status_board(opts: BoardOptions, today: date) -> BoardPublished:
    """Publish the `plan-status-board` and `overdue` table artifacts as of today (at most opts.max_rows rows each,
    the most urgent; the description says when there are more)."""
    board = status_board(opts, today)
    board_text, overdue_text = board_description(board, opts.lang, opts.max_rows)
    create_table_artifact(key=BOARD_KEY, table=agency_table(board, opts.lang, opts.max_rows), description=board_text)
    create_table_artifact(key=OVERDUE_KEY, table=overdue_table(board, opts.lang, opts.max_rows),
                          description=overdue_text)
    return BoardPublished(today, len(board.agencies), len(board.overdue))
