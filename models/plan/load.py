"""Load plan files into the database: skip on unchanged file hashes, else read, validate and store each."""
from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from plantrack.models.entities import AgencyDirectory, Deliverable, Indicator, Plan
from plantrack.models.plan.file import (
    PlanLimits, collector_paused, load_key, plan_file_sha256, read_plan, read_plan_yaml, text_file_sha256,
)
from plantrack.models.plan.store import Counts, LoadSummary, store_plan


def unchanged_load(session: Session, path: Path) -> LoadSummary | None:
    """The summary of a load that would change nothing, judged from file hashes alone; None when unsure.

    Unchanged means: a plan row was stored from a file with this (NFC) text, the directory and source text
    it names hash as they did then, the loader version is the same, and the database still holds that
    directory as the file says (models.entities.AgencyDirectory). Reads files and a few rows; writes nothing.
    """
    file_sha = plan_file_sha256(path)  # the hashes read_plan stores, of the NFC text
    if file_sha is None:
        return None
    P = Plan.__table__.c
    row = session.execute(select(P.id, P.number, P.directory_ref, P.directory_sha256, P.source_ref, P.source_sha256,
                                 P.load_key).where(P.file_sha256 == file_sha)).first()
    if row is None or row.load_key is None or row.directory_ref is None:
        return None
    dir_sha = text_file_sha256((path.parent / row.directory_ref).resolve())
    source_sha = text_file_sha256(path.parent / row.source_ref) if row.source_ref else None
    if dir_sha is None or (row.source_ref and source_sha is None):
        return None  # let the full read name the missing file
    if load_key(file_sha, dir_sha, source_sha) != row.load_key:
        return None
    directory = session.get(AgencyDirectory, dir_sha)
    if directory is None:
        return None
    live = lambda model: session.scalar(  # noqa: E731
        select(func.count()).select_from(model).where(model.plan_id == row.id, model.archived.is_(False)))
    return LoadSummary(plan_number=row.number, plan_changed=False, agencies=Counts(unchanged=directory.agencies),
                       people=Counts(unchanged=directory.people), deliverables=Counts(unchanged=live(Deliverable)),
                       indicators=Counts(unchanged=live(Indicator)), files_unchanged=True)


def load_plan(session: Session, path: str | Path, now: datetime | None = None,
              limits: PlanLimits = PlanLimits()) -> LoadSummary:
    """Load the plan file at path and the directory it names (raises PlanFileError listing every problem).

    An unchanged file is recognised by its hashes before it is parsed, and nothing is written.
    """
    path = Path(path)
    quick = unchanged_load(session, path)
    if quick is not None:
        return quick
    return store_plan(session, read_plan(path, limits), now)


def load_plans(Session: sessionmaker, paths: list[str | Path], now: datetime | None = None,
               limits: PlanLimits = PlanLimits()) -> Iterator[tuple[Path, LoadSummary]]:
    """Load plan files in order, each in its own transaction as load_plan does; yields (path, summary) as each commits.

    The first file with problems raises PlanFileError: it writes nothing, the files before it stay loaded.
    While one plan is written, a second process parses the next changed file's YAML (most of reading a plan):
    on two cores the two overlap. (A thread would not: the parse holds the interpreter lock.)
    """
    paths = [Path(p) for p in paths]
    changed: list[Path] = []  # what to read ahead: one file is just read
    if len(paths) > 1:
        with Session() as s:  # a first look, to read ahead only files that will be read; each load looks again
            changed = [p for p in paths if unchanged_load(s, p) is None]
    # fork: the parser starts at once with what this process imported (a plan load runs no other thread)
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
        ahead: dict[Path, Future[tuple[str, object]]] = {}

        def read_after(path: Path | None) -> None:
            rest = changed[changed.index(path) + 1:] if path in changed else changed
            if rest and rest[0] not in ahead:
                ahead[rest[0]] = pool.submit(read_plan_yaml, rest[0], limits)

        read_after(None)
        wrote = False
        for path in paths:
            with collector_paused(), Session() as s, s.begin():
                summary = unchanged_load(s, path)
                if summary is None:
                    future = ahead.pop(path, None)
                    parsed = future.result() if future is not None else None
                    read_after(path)
                    summary = store_plan(s, read_plan(path, limits, parsed), now)
                    wrote = True
            yield path, summary
    if wrote:
        with Session() as s, s.begin():
            analyze_plan_tables(s)


def analyze_plan_tables(session: Session) -> None:
    """PostgreSQL: refresh the planner's statistics of the tables a plan load writes (autovacuum comes a minute
    later at best; in between a board of 100,000 rows planned on empty-table estimates scans in loops)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE agency, person, agency_contact, plan, deliverable, deliverable_support, indicator"))
