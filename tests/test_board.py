"""The board as people and scripts read it: the seed plan's JSON as main printed it, the summary view at size,
filters that agree with derive_status, and `status --json` streaming in flat memory."""
from __future__ import annotations

import json
import random
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Column, Date, Integer, MetaData, String, Table, create_engine, insert, select

from bench.national import write_national
from plantrack.models.board import BoardQuery, iter_board, status_prefilter
from plantrack.models.board_view import URGENCY
from plantrack.models.status import StatusKey, derive_status
from tests.conftest import init_and_load
from tests.plan_helpers import copy_seed, edit

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "status_seed.json"
TODAY = "2024-07-01"


def _canonical(objects: list[dict]) -> list[str]:
    """Objects as canonical text, sorted: equal lists mean equal sets (with repeats) of objects.

    `report --today D` records the current time of day on D, so a report time is compared by its day in
    the plan's time zone (the golden was written at another time of day).
    """
    from datetime import datetime
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    out = []
    for o in objects:
        if o.get("last_report_at"):
            o = {**o, "last_report_at": datetime.fromisoformat(o["last_report_at"]).astimezone(tz).date().isoformat()}
        out.append(json.dumps(o, sort_keys=True, ensure_ascii=False))
    return sorted(out)


def _objects(out: str) -> list[str]:
    return _canonical(json.loads(out))


def _run_json(cli, url: str, args: list[str]) -> list[str]:
    code, out, err = cli(url, *args)
    assert code == 0, err
    return _objects(out)


# ---- the seed plan: the same objects main printed (tests/golden/status_seed.json, written by main fd2c09e; ----
# ---- regenerated for the merge of issue 10 by branch escalate's list board(), the same scenarios and steps ----
# ---- as below: effective deadlines, working days left, due_written/due_wording/due_text/reported keys)  ----

def test_status_json_is_what_main_printed(cli, db_url, tmp_path):
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    scenarios = golden["scenarios"]
    init_and_load(db_url, copy_seed(tmp_path))
    for name in ("vi-2024-07-01", "en-2024-03-01", "overdue-2024-07-01", "agency-SYT-2024-07-01"):
        expected = _canonical(scenarios[name]["objects"])
        assert _run_json(cli, db_url, scenarios[name]["args"]) == expected, name
    for report in golden["reports"]:
        assert cli(db_url, *report)[0] == 0
    for name in ("reported-vi-2024-07-01", "reported-en-2024-07-01"):
        expected = _canonical(scenarios[name]["objects"])
        assert _run_json(cli, db_url, scenarios[name]["args"]) == expected, name


def test_status_json_of_a_merged_agency_is_what_main_printed(cli, sqlite_url, tmp_path):
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    plan_file = copy_seed(tmp_path)
    init_and_load(sqlite_url, plan_file)
    assert cli(sqlite_url, "report", "VI.1/STTTT", "--state", "done", "--today", "2024-06-10")[0] == 0
    directory = plan_file.parent / "agencies-lao-cai.yaml"
    edit(directory, "agencies:\n", golden["merge"][0])
    edit(directory, *golden["merge"][1])
    init_and_load(sqlite_url, plan_file)
    for name in ("merged-vi-2024-07-01", "merged-agency-SKHCN"):
        scenario = golden["scenarios"][name]
        expected = _canonical(scenario["objects"])
        assert _run_json(cli, sqlite_url, scenario["args"]) == expected, name


def test_seed_board_table_is_every_row(cli, loaded_sqlite, monkeypatch):
    """98 rows: the whole table as before (no summary), in plan order, counts per status at the end."""
    monkeypatch.setenv("COLUMNS", "250")
    _, out, _ = cli(loaded_sqlite, "status", "--json", "--today", TODAY)
    rows = json.loads(out)
    code, out, _ = cli(loaded_sqlite, "status", "--today", TODAY)
    assert code == 0
    assert "Tổng hợp" not in out and "--all" not in out
    assert _table_codes(out) == [r["code"] for r in rows] and len(rows) == 98
    first_seen: dict[str, int] = {}
    for r in rows:
        first_seen[r["status"]] = first_seen.get(r["status"], 0) + 1
    assert out.rstrip().splitlines()[-1] == ", ".join(f"{k}: {v}" for k, v in first_seen.items())
    assert "↑ %" in out  # a direction-only target (II.4b)


# ---- a generated national-shaped plan set: 2 provinces, 3,000 deliverables ---------------------------------

@dataclass(frozen=True)
class Generated:
    url: str
    plans: list[Path]
    provinces: list[dict]
    rows: list[dict]  # every object of `status --json --today TODAY`


def _generate(tmp: Path, provinces: int, agencies: int, deliverables: int) -> tuple[str, list[Path], list[dict]]:
    from plantrack.models.db import session_factory
    from plantrack.models.migrate import upgrade
    from plantrack.models.plan.load import load_plan

    plans, prov = write_national(tmp / "plans", provinces=provinces, agencies=agencies, people=agencies,
                                 deliverables=deliverables, seed=provinces * 1000 + deliverables)
    url = f"sqlite:///{tmp / 'board.db'}"
    upgrade(url)
    Session = session_factory(url)
    for f in plans:
        with Session() as s, s.begin():
            load_plan(s, f)
    Session.kw["bind"].dispose()
    return url, plans, prov


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Generated:
    from typer.testing import CliRunner

    from plantrack.cli.main import app

    url, plans, prov = _generate(tmp_path_factory.mktemp("board3k"), 2, 120, 3000)
    result = CliRunner().invoke(app, ["--db", url, "status", "--json", "--today", TODAY], catch_exceptions=False)
    return Generated(url, plans, prov, json.loads(result.stdout))


def _table_codes(out: str) -> list[str]:
    """The first cell of each body row of the last rich table printed (wrapped titles add lines without one)."""
    tables = out.split("┏")
    cells = [line.split("│")[1].strip() for line in tables[-1].splitlines() if line.startswith("│")]
    return [c for c in cells if c]


def _most_urgent(rows: list[dict], n: int) -> list[str]:
    order = sorted(range(len(rows)), key=lambda i: (URGENCY[StatusKey(rows[i]["status_key"])],
                                                      rows[i]["days_left"] if rows[i]["days_left"] is not None else 1 << 40, i))
    return [rows[i]["code"] for i in order[:n]]


def test_large_board_shows_a_summary_and_the_most_urgent_rows(cli, generated, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    total = len(generated.rows)
    assert total == 3004
    code, out, _ = cli(generated.url, "status", "--today", TODAY)
    assert code == 0
    assert "Tổng hợp theo kế hoạch" in out
    assert f"20 mục khẩn nhất trong {total:,} mục".replace(",", ".") in out
    assert "--all" in out and "--limit N" in out and "--status" in out
    overdue = sum(r["status_key"] == "overdue" for r in generated.rows)
    assert f"Quá hạn: {overdue:,}".replace(",", ".") in out.splitlines()[0]
    never = sum(r["last_report_at"] is None for r in generated.rows)
    assert f"chưa báo cáo: {never:,}".replace(",", ".") in out.splitlines()[0]
    assert _table_codes(out) == _most_urgent(generated.rows, 20)
    assert "┃ Kế hoạch" in out.split("mục khẩn nhất")[1]  # two plans: codes repeat, the plan is shown
    assert len(out.splitlines()) < 80  # an answer, not 3,000 lines

    _, out_en, _ = cli(generated.url, "status", "--today", TODAY, "--lang", "en", "--limit", "5")
    assert "5 most urgent of 3,004 items" in out_en and "Summary by plan" in out_en
    assert _table_codes(out_en) == _most_urgent(generated.rows, 5)


def test_filters_narrow_the_board(cli, generated, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    plan = generated.rows[0]["plan"]
    code, out, _ = cli(generated.url, "status", "--today", TODAY, "--plan", plan)
    assert code == 0 and "Tổng hợp theo cơ quan chủ trì" in out  # one plan: per lead agency
    in_plan = [r for r in generated.rows if r["plan"] == plan]
    assert f"trong {len(in_plan):,} mục".replace(",", ".") in out

    def expect(pred) -> list[str]:
        return sorted(json.dumps(r, sort_keys=True, ensure_ascii=False) for r in generated.rows if pred(r))

    got = _run_json(cli, generated.url, ["status", "--json", "--today", TODAY, "--plan", plan, "--category", "training"])
    assert got == expect(lambda r: r["plan"] == plan and r["category"] == "training") and got
    got = _run_json(cli, generated.url, ["status", "--json", "--today", TODAY, "--status", "due_soon,overdue"])
    assert got == expect(lambda r: r["status_key"] in ("due_soon", "overdue"))
    got = _run_json(cli, generated.url, ["status", "--json", "--today", TODAY, "--category", "indicator"])
    assert got == expect(lambda r: r["kind"] == "indicator") and len(got) == 4

    agency = generated.provinces[0]["agencies"][-2]  # a commune: a few rows, the whole table
    code, out, _ = cli(generated.url, "status", "--today", TODAY, "--agency", agency)
    assert code == 0 and "Tổng hợp" not in out
    mine = [r["code"] for r in generated.rows if agency == r["lead"] or agency in r["supporting"]]
    assert _table_codes(out) == mine and 0 < len(mine) <= 200

    for args, message in ((["--status", "late"], "--status 'late' is not a status"),
                          (["--category", "sport"], "--category 'sport' is not a category"),
                          (["--plan", "9/NOPE"], "no plan '9/NOPE'"), (["--by", "province"], "--by 'province'")):
        code, _, err = cli(generated.url, "status", "--today", TODAY, *args)
        assert code != 0 and message in err, err


def test_all_writes_every_row_as_plain_text(cli, generated):
    code, out, _ = cli(generated.url, "status", "--today", TODAY, "--all")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Tiến độ ngày 01/07/2024"
    assert lines[1].split()[:4] == ["Mã", "Kế", "hoạch", "Chủ"]
    body = lines[2:-1]
    assert len(body) == len(generated.rows)
    assert [line.split()[:2] for line in body] == [[r["code"], r["plan"]] for r in generated.rows]  # plan order
    assert lines[-1].startswith(f"{len(generated.rows):,} mục".replace(",", "."))
    assert not any(ch in out for ch in "│┏━")  # no rich table at this size


def test_status_filters_agree_with_derive_status(generated):
    """Each --status through the board equals derive_status over every row, on real data."""
    from plantrack.models.db import session_factory

    with session_factory(generated.url)() as s:
        for key in StatusKey:
            got = [(r.plan, r.code) for r in iter_board(s, date(2024, 7, 1), BoardQuery(statuses=frozenset({key})))]
            assert got == [(r["plan"], r["code"]) for r in generated.rows if r["status_key"] == key], key


def test_status_prefilter_admits_every_row_derive_status_keeps():
    """The SQL pre-filter (on the written deadline) is a superset of derive_status on the effective deadline,
    for random rows, wordings, days, deadline rules and sets of statuses ("trước ngày D" is due D - 1)."""
    from plantrack.models.deadlines import DeadlinePolicy, DeadlineRule

    rnd = random.Random(16)
    meta = MetaData()
    t = Table("t", meta, Column("id", Integer, primary_key=True), Column("state", String), Column("start", Date),
              Column("due", Date), Column("completed_on", Date))
    engine = create_engine("sqlite://")
    meta.create_all(engine)
    base = date(2024, 6, 1)
    day = lambda: base + timedelta(days=rnd.randrange(-40, 40)) if rnd.random() < 0.85 else None  # noqa: E731
    rows = [dict(id=i, state=rnd.choice(["not_started", "in_progress", "blocked", "done", "paused", "cancelled"]),
                 start=day(), due=day(), completed_on=day(), wording=rnd.choice(["before", "by"])) for i in range(600)]
    policies = [DeadlinePolicy(rule) for rule in DeadlineRule]
    keys = list(StatusKey)
    with engine.begin() as conn:
        conn.execute(insert(t), [{k: v for k, v in r.items() if k != "wording"} for r in rows])
        for _ in range(300):
            policy = rnd.choice(policies)
            today = base + timedelta(days=rnd.randrange(-45, 45))
            wanted = frozenset(rnd.sample(keys, rnd.randint(1, 3)))
            sql = set(conn.scalars(select(t.c.id).where(status_prefilter(t.c.state, t.c.due, wanted, today))))
            exact = {r["id"] for r in rows
                     if derive_status(r["state"], r["start"], policy.effective(r["due"], r["wording"]),
                                      r["completed_on"], today, cal=policy.calendar) in wanted}
            assert exact <= sql, (policy.rule, today, wanted, exact - sql)


# ---- streaming: memory of `status --json` does not grow with the board --------------------------------------

# The child's own peak (VmHWM), printed last on stderr. Not getrusage's ru_maxrss: on Linux it keeps the
# forking parent's size across exec, and the parent here is pytest (100+ MB), which would hide any growth.
_PEAK = """
import runpy, sys
sys.argv = ["plantrack", "--db", sys.argv[1], "status", "--json", "--today", "2024-07-01"]
try:
    runpy.run_module("plantrack.cli", run_name="__main__")
except SystemExit as exc:
    if exc.code:
        raise
with open("/proc/self/status") as fh:
    print(next(line.split()[1] for line in fh if line.startswith("VmHWM:")), file=sys.stderr)
"""


def _peak_kb(url: str, out: Path) -> tuple[int, int]:
    """(peak resident KB, objects written) of `status --json` in a fresh interpreter."""
    with out.open("wb") as fh:
        proc = subprocess.run([sys.executable, "-c", _PEAK, url], cwd=ROOT, stdout=fh, stderr=subprocess.PIPE,
                              text=False, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    return int(proc.stderr.decode().split()[-1]), len(json.loads(out.read_bytes()))


def test_status_json_streams_in_flat_memory(generated, tmp_path_factory):
    url_20k, _, _ = _generate(tmp_path_factory.mktemp("board20k"), 5, 500, 20_000)  # 4,000 a plan: under the item limit
    small_kb, small_n = _peak_kb(generated.url, tmp_path_factory.mktemp("o") / "3k.json")
    big_kb, big_n = _peak_kb(url_20k, tmp_path_factory.mktemp("o") / "20k.json")
    assert (small_n, big_n) == (3004, 20_010)
    # 17,000 more rows held in memory would cost ~70 MB (main: 518 MB for 100,000); streamed they cost ~nothing.
    assert big_kb - small_kb < 8 * 1024, (small_kb, big_kb)
    assert big_kb < 150 * 1024


# What every command imports before plantrack's own code runs: its floor on this machine.
LIBRARIES = "import sqlalchemy, typer, rich.console, yaml"


def _best_cpu(args: list[str]) -> float:
    """The least CPU time (user + system) of 3 runs of a fresh interpreter with args."""
    import os

    best = None
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, args
        cpu = usage.ru_utime + usage.ru_stime
        best = cpu if best is None else min(best, cpu)
    return best


def test_seed_status_cold_start_costs_at_most_0_4_s_above_its_libraries(loaded_sqlite):
    """`plantrack status` on the seed plan, in a fresh interpreter: at most 0.4 s of CPU more than importing the
    libraries every command needs (LIBRARIES), measured in the same test.

    Against the libraries, not a fixed figure: machines of this kind differ by 1.5x (`import sqlalchemy.orm`
    alone took 0.63 s of CPU on one, ~0.4 s on another), and a fixed limit failed on the slower one with
    nothing changed. Measured here (stop 18): libraries 0.92 s, status 1.37 s (0.44 s above; ~0.3 s more
    before the holidays cache, Babel shortcuts and one print). Stop 20: status loads neither the ORM nor
    pydantic any more (LIBRARIES is what it does load). CPU time, best of 3; above a load of one per
    core (besides the suite's other xdist workers) the figures mean nothing and the test says so instead of
    failing. The benchmark reports wall time.
    """
    import os

    # The suite's other xdist workers keep the other cores busy: one runnable process each is expected.
    if os.getloadavg()[0] > (os.cpu_count() or 1) + int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) - 1:
        pytest.skip(f"machine busy (load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores): cold start not measurable")
    floor = _best_cpu(["-c", LIBRARIES])
    status = _best_cpu(["-m", "plantrack.cli", "--db", loaded_sqlite, "status", "--today", TODAY])
    assert status - floor <= 0.4, f"cold start {status:.2f} s of CPU, {status - floor:.2f} s above the libraries"


def test_status_loads_neither_the_orm_nor_pydantic(loaded_sqlite):
    """The read path stays on SQLAlchemy Core and plain dataclasses: the ORM, pydantic and pydantic-settings cost a
    cold start ~0.4 s of CPU here, and this holds on a busy machine where the timing test above cannot tell."""
    code = ("import sys\nfrom plantrack.cli.main import app\n"
            f"sys.argv = ['plantrack', '--db', {loaded_sqlite!r}, 'status', '--today', {TODAY!r}]\n"
            "try:\n    app()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
            "print('LOADED', sorted(m for m in ('sqlalchemy.orm', 'pydantic', 'pydantic_settings') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "Tiến độ ngày 01/07/2024" in out
    assert out.rstrip().endswith("LOADED []"), out[-300:]


def test_help_and_mail_show_start_without_sqlalchemy(tmp_path):
    """Commands that read no database load no SQLAlchemy (~0.2 s of a start here): `--help` and `mail show`."""
    eml = tmp_path / "m.eml"
    eml.write_bytes(b"From: a@example.org\r\nTo: b@example.org\r\nSubject: =?utf-8?b?VGnhur9u?=\r\n"
                    b"Content-Type: text/plain; charset=utf-8\r\n\r\nXin ch\xc3\xa0o\r\n")
    for args in (["--help"], ["mail", "show", str(eml)]):
        code = ("import sys\nfrom plantrack.cli.main import app\n"
                f"sys.argv = ['plantrack', *{args!r}]\n"
                "try:\n    app()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
                "print('SQLALCHEMY', 'sqlalchemy' in sys.modules)")
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        assert out.rstrip().endswith("SQLALCHEMY False"), (args, out[-300:])
