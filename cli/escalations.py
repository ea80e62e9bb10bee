"""plantrack escalations: today's escalations for scripts and people (read-only; never imports Prefect)."""
from __future__ import annotations

import json
from typing import Optional

import typer

from plantrack.cli.common import console, fail, flag, parse_today, print_out, require_schema, state, today_option


def escalations(
    today: Optional[str] = today_option("the day, YYYY-MM-DD (default: today)"),
    as_json: bool = flag("--json", help="one JSON object per escalation"),
    active: bool = flag("--active", help="every escalation still active, whenever it fired"),
    pending: bool = flag("--pending", help="what a run on that day would fire (nothing is written)"),
    lang: Optional[str] = typer.Option(None, "--lang", help="vi or en"),
):
    """Escalations that fired on a day (or are active, or would fire), by level and agency."""
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    from plantrack.models.deadlines import deadline_text
    from plantrack.models.entities import Agency, Deliverable, Plan
    from plantrack.models.escalation.table import Escalation

    settings = state.settings()
    lang = lang or settings.lang
    day = parse_today(today, settings.timezone)
    require_schema(settings.database_url)
    deadlines = state.deadlines()
    if pending:
        rows = _pending(day, lang)
    else:
        A = aliased(Agency)
        q = (select(Escalation, Plan.number, A.code, Deliverable.code, Deliverable.title, Deliverable.due_date,
                    Deliverable.due_wording, Deliverable.schedule, A.name)
             .join(Plan, Plan.id == Escalation.plan_id).join(A, A.id == Escalation.agency_id)
             .outerjoin(Deliverable, Deliverable.id == Escalation.deliverable_id)
             .order_by(Escalation.level.desc(), A.code, Deliverable.code, Escalation.id))
        q = q.where(Escalation.resolved_on.is_(None)) if active else q.where(Escalation.fired_on == day)
        with state.session_factory()() as s:
            rows = [{
                "fired_on": e.fired_on.isoformat(), "plan": number, "code": code, "title": title or name,
                "agency": agency, "reason": e.reason, "level": e.level, "at": e.rung_at,
                "deadline": e.deadline.isoformat() if e.deadline else None,
                "deadline_text": deadline_text(due, wording, e.deadline, lang) if due else None,
                "recipients": list(e.recipients or []),
                "resolved_on": e.resolved_on.isoformat() if e.resolved_on else None,
            } for e, number, agency, code, title, due, wording, schedule, name in s.execute(q).all()]
    if as_json:
        print_out("[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n]")
        return
    vi = lang == "vi"
    what = ("đang hiệu lực" if vi else "active") if active else (
        ("sẽ phát sinh" if vi else "would fire") if pending else ("ngày" if vi else "on"))
    title = f"{'Đôn đốc' if vi else 'Escalations'} {what}" + ("" if active else f" {day:%d/%m/%Y}")
    cal = deadlines.calendar
    if not rows:
        note = ""
        if not active and not cal.is_working_day(day):
            note = f" ({'ngày nghỉ' if vi else 'day off'}: {cal.why_off(day, lang)})"
        console().print(f"{title}: {'không có' if vi else 'none'}{note}", highlight=False)
        return
    from rich.table import Table

    table = Table(title=title)
    for col in (("Mức", "Level"), ("Cơ quan", "Agency"), ("Mã", "Code"), ("Lý do", "Reason"),
                ("Hạn", "Deadline"), ("Gửi", "To")):
        table.add_column(col[0] if vi else col[1], overflow="fold")
    for r in rows:
        table.add_row(f"{r['level']} ({r['at']:+d})", r["agency"], r["code"] or r["title"], r["reason"],
                      r["deadline_text"] or (r["deadline"] or ""), ", ".join(r["recipients"]) or "-")
    console().print(table)


def _pending(day, lang: str) -> list[dict]:
    """The rungs a run on day would fire, computed in a transaction that is rolled back."""
    from plantrack.models.deadlines import deadline_text
    from plantrack.models.entities import Agency, Deliverable, Plan
    from plantrack.models.escalation.ladder import cached_ladder
    from plantrack.models.escalation.sweep import sweep
    from plantrack.models.yamlconf import ConfigFileError

    settings = state.settings()
    deadlines = state.deadlines()
    try:
        ladder = cached_ladder(str(settings.escalation_file.resolve()) if settings.escalation_file else None)
    except ConfigFileError as exc:
        fail("bad escalation file:\n" + "\n".join(f"  {p}" for p in exc.problems))
    from sqlalchemy import select

    if not deadlines.calendar.is_working_day(day) and not ladder.send_on_days_off:
        return []  # a run on a day off fires nothing
    with state.session_factory()() as s:
        try:
            pairs, found, _ = sweep(s, day, ladder, deadlines)
            codes = dict(s.execute(select(Agency.id, Agency.code)).all())
            plans = dict(s.execute(select(Plan.id, Plan.number)).all())
            info = {i: (c, t, d, w) for i, c, t, d, w in s.execute(
                select(Deliverable.id, Deliverable.code, Deliverable.title, Deliverable.due_date,
                       Deliverable.due_wording).where(Deliverable.id.in_({p.deliverable_id for p in pairs
                                                                          if p.deliverable_id})))}
        finally:
            s.rollback()  # the sweep resolves stale rows first: a preview writes nothing
    out = []
    for p in sorted(pairs, key=lambda p: (-p.level, codes.get(p.agency_id, ""), p.deliverable_id or 0)):
        code, title, due, wording = info.get(p.deliverable_id, (None, None, None, None))
        out.append({"fired_on": None, "plan": plans[p.plan_id], "code": code,
                    "title": title or codes.get(p.agency_id, ""), "agency": codes.get(p.agency_id, "?"),
                    "reason": str(p.reason), "level": p.level, "at": p.at,
                    "deadline": p.deadline.isoformat() if p.deadline else None,
                    "deadline_text": deadline_text(due, wording, p.deadline, lang) if due else None,
                    "recipients": [], "resolved_on": None})
    return out
