"""plantrack plan import / accept-agencies: a plan's text -> a draft plan file to review (no database, no Prefect)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from plantrack.cli.common import console, fail, flag, parse_lang, state


def _lang(lang: str | None) -> str:
    return parse_lang(lang, state.settings().lang)


def register(plan_app: typer.Typer) -> None:
    """Attach the import commands to the 'plan' group."""
    plan_app.command("import")(plan_import)
    plan_app.command("accept-agencies")(plan_accept_agencies)


def plan_import(
    file: Path = typer.Argument(..., help="the plan's text: .txt (UTF-8), .docx, or a PDF with a text layer"),
    out: Optional[Path] = typer.Option(None, "-o", "--out", help="draft plan file to write (default: ./<FILE stem>.yaml)"),
    directory: Optional[Path] = typer.Option(None, "--directory", help="agency directory YAML to match names against"),
    force: bool = flag("--force", help="overwrite OUT if it exists"),
    lang: Optional[str] = typer.Option(None, "--lang", help="vi or en for the review list"),
):
    """Read a plan's text and write a draft plan file plus a review list of everything it was unsure of."""
    from plantrack.models.plan.importer import ImportOptions, PlanImportError, import_plan, write_result

    lang = _lang(lang)
    out = out or Path(file.stem + ".yaml")
    if out.exists() and not force:
        fail(f"{out} đã có; dùng --force để ghi đè" if lang == "vi" else f"{out} exists; use --force to overwrite it")
    try:
        result = import_plan(file, out, ImportOptions(directory=directory, lang=lang))
    except PlanImportError as exc:
        fail(exc.message(lang))
    try:
        written = write_result(result)
    except OSError as exc:
        fail(f"{out}: {exc.strerror}")
    _print_review(result, written, lang)


def plan_accept_agencies(
    plan_file: Path = typer.Argument(..., help="the draft plan file written by 'plantrack plan import'"),
    proposed: Optional[Path] = typer.Option(None, "--from", help="proposed agencies (default: <plan>.new-agencies.yaml)"),
    lang: Optional[str] = typer.Option(None, "--lang", help="vi or en"),
):
    """Append the proposed (reviewed) agencies to the directory the plan names; then the plan loads."""
    from plantrack.models.plan.importer import PlanImportError
    from plantrack.models.plan.importer.accept import accept_agencies

    lang = _lang(lang)
    try:
        res = accept_agencies(plan_file, proposed)
    except PlanImportError as exc:
        fail(exc.message(lang))
    if lang == "vi":
        console().print(f"đã thêm {len(res.added)} cơ quan vào {res.directory}: {', '.join(res.added)}; "
                      f"tiếp theo: plantrack plan load {plan_file}", highlight=False)
    else:
        console().print(f"added {len(res.added)} agencies to {res.directory}: {', '.join(res.added)}; "
                      f"next: plantrack plan load {plan_file}", highlight=False)


def _print_review(result, written: list[Path], lang: str) -> None:
    from rich.markup import escape

    from plantrack.models.plan.importer import Severity

    draft = result.draft
    vi = lang == "vi"
    by_section: dict[str, int] = {}
    for d in draft.deliverables:
        by_section[d.section] = by_section.get(d.section, 0) + 1
    names = {"activities": ("hoạt động", "activities"), "duties": ("nhiệm vụ", "duties"), "reports": ("báo cáo", "reports")}
    parts = ", ".join(f"{n} {names[s][0 if vi else 1]}" for s, n in by_section.items())
    h = draft.header
    console().print(f"[bold]{escape(h.number)}[/] {escape(h.title)}", highlight=False)
    console().print((f"{len(draft.indicators)} chỉ tiêu, {len(draft.deliverables)} sản phẩm ({parts}) -> "
                   if vi else f"{len(draft.indicators)} indicators, {len(draft.deliverables)} deliverables ({parts}) -> ")
                  + ", ".join(str(p) for p in written), highlight=False)
    review = [n for n in draft.notes if n.severity == Severity.REVIEW]
    inferred = [n for n in draft.notes if n.severity == Severity.INFERRED]
    console().print(f"\n[bold]{'Cần xem lại' if vi else 'To review'} ({len(review)})[/]", highlight=False)
    for n in review:
        where = f"dòng {n.line}" if vi and n.line else (f"line {n.line}" if n.line else "")
        console().print(f"  [yellow]{escape(n.where)}[/] {where}: {escape(n.text(lang))}", highlight=False)
    console().print(f"\n[bold]{'Suy luận theo quy tắc' if vi else 'Inferred by a rule'} ({len(inferred)})[/]", highlight=False)
    groups: dict[str, list[str]] = {}
    for n in inferred:
        groups.setdefault(n.text(lang), []).append(n.where)
    for text, wheres in groups.items():
        shown = ", ".join(dict.fromkeys(wheres))
        if len(shown) > 100:
            shown = shown[:100].rsplit(",", 1)[0] + f", ... ({len(set(wheres))})"
        console().print(f"  [dim]{escape(shown)}[/]: {escape(text)}", highlight=False)
    if draft.proposed:
        console().print(f"\n[bold]{'Cơ quan mới đề xuất' if vi else 'Proposed new agencies'} ({len(draft.proposed)})[/] -> "
                      f"{result.proposed_path}", highlight=False)
        for p in draft.proposed:
            console().print(f"  {p.code} ({p.kind}): {escape(p.name)}", highlight=False)
    nxt = []
    if draft.proposed and result.proposed_path and result.proposed_path.name.endswith(".new-agencies.yaml"):
        nxt.append(f"plantrack plan accept-agencies {result.out}")
    nxt.append(f"plantrack plan load {result.out}")
    console().print(escape(("\nTiếp theo: xem lại các mục [xem lại] trong tệp, rồi " if vi else
                          "\nNext: review the [xem lại] items in the file, then ") + "; ".join(nxt)), highlight=False)
