"""Load a plan file into the database: skip on unchanged file hashes, else read, validate and store it."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plantrack.models.entities import AgencyDirectory, Deliverable, Indicator, Plan
from plantrack.models.plan.file import PlanLimits, load_key, plan_file_sha256, read_plan, text_file_sha256
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
