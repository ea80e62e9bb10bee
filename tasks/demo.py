"""Prefect tasks of the demo's week: the simulated focal points (deployments/demo/focal_points.py)."""
from __future__ import annotations

from datetime import date, datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from plantrack.deployments.demo import focal_points
from plantrack.deployments.demo.focal_points import Answered, FocalPointsOptions


@task(cache_policy=NO_CACHE)
def answer_checkins(opts: FocalPointsOptions, today: date) -> Answered:
    """Every focal point asked in today's round answers (or not): replies written ahead, dated in the week."""
    return focal_points.answer_checkins(opts, today)


@task(cache_policy=NO_CACHE)
def deliver_replies(opts: FocalPointsOptions, until: datetime) -> int:
    """The replies dated up to `until` arrive in the Maildir."""
    return focal_points.deliver_replies(opts, until)
