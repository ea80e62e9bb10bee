"""Plan import: a plan's text (.txt, .docx, PDF) becomes a draft plan file plus a review list (issue 14)."""
from __future__ import annotations

import os
from pathlib import Path

from plantrack.models.plan.importer.agencies import Directory
from plantrack.models.plan.importer.model import ImportOptions, ImportResult, PlanImportError, Severity
from plantrack.models.plan.importer.pipeline import import_draft
from plantrack.models.plan.importer.writer import check_loadable, render_plan, render_proposed, write_atomically

__all__ = ["ImportOptions", "ImportResult", "PlanImportError", "Severity", "import_plan", "write_result",
           "proposed_path_for"]


def proposed_path_for(out: Path, with_directory: bool) -> Path:
    """Where the proposed agencies go: '<out>.new-agencies.yaml' beside a directory, else a new '<out>.agencies.yaml'."""
    return out.with_name(out.stem + (".new-agencies.yaml" if with_directory else ".agencies.yaml"))


def import_plan(source: Path, out: Path, options: ImportOptions) -> ImportResult:
    """Read the plan at source and render the draft meant for out (nothing is written); PlanImportError on bad input."""
    source, out = Path(source), Path(out)
    directory = Directory.load(options.directory)
    draft = import_draft(source, directory)
    out_dir = out.resolve().parent
    if options.directory is not None:
        directory_ref = os.path.relpath(Path(options.directory).resolve(), out_dir)
        proposed_path = proposed_path_for(out, True) if draft.proposed else None
    else:
        proposed_path = proposed_path_for(out, False)
        directory_ref = proposed_path.name
    src = source.resolve()
    source_ref = os.path.relpath(src, out_dir) if src.is_relative_to(out_dir) else None
    plan_yaml = render_plan(draft, source_name=source.name, source_ref=source_ref, directory_ref=directory_ref,
                            proposed_file=proposed_path.name if proposed_path and options.directory else None,
                            lang=options.lang)
    check_loadable(plan_yaml)
    proposed_yaml = None
    if proposed_path is not None:
        proposed_yaml = render_proposed(draft.proposed, plan_file=out.name,
                                        directory_ref=directory_ref if options.directory else None)
    return ImportResult(draft, plan_yaml, proposed_yaml, proposed_path, source, out, directory_ref)


def write_result(result: ImportResult) -> list[Path]:
    """Write the plan file (and the proposed agencies) all or nothing; returns the paths written."""
    files = [(result.out, result.plan_yaml)]
    if result.proposed_path is not None and result.proposed_yaml is not None:
        files.insert(0, (result.proposed_path, result.proposed_yaml))
    write_atomically(files)
    return [p for p, _ in files]
