"""National-scale benchmark of the plantrack foundation (plan loading, the board, the CLI).

Generates one national agency directory and one plan file per province (bench/national.py, fixed seed),
then for SQLite and PostgreSQL, in one run each, measures:
  (1) the first load of the 34 plans (load_plan's steps timed apart: hash check, parse + validate, write), and
      again into another empty database as `plan load FILE...` does it (load_plans: the next file read ahead);
  (2) an unchanged reload (recognised by file hashes; must write nothing);
  (3) CLI commands as subprocesses, cold start included, each with its peak memory (the process's own
      VmHWM; see PEAK): `status --overdue` (the table), `status --json` (every object), `status --overdue
      --json` against a bare SQL count of the rows it reads (the ratio), `status --all` (plain text),
      `status --agency CODE`, and `plan load` of an edited plan;
and last the cold start of `plantrack status` on the Lào Cai seed plan. Goals (issue 16) are printed
beside the figures; the load average is printed at start and end (the machine may be shared).

    python bench/bench_foundation.py [--deliverables 100000] [--agencies 5000] [--people 10000]
                                     [--provinces 34] [--skip-pg] [--out DIR] [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from datetime import date
from pathlib import Path
from time import perf_counter, process_time

import psycopg
from sqlalchemy import text

from plantrack.config import SEED_PLAN
from plantrack.models.board import BoardQuery, iter_board
from plantrack.models.db import make_engine, session_factory
from plantrack.models.migrate import upgrade
from plantrack.models.plan.file import read_plan
from plantrack.models.plan.load import load_plan, load_plans, unchanged_load
from plantrack.models.plan.store import store_plan
from plantrack.models.status import StatusKey

try:
    from bench.national import write_national  # python -m bench.bench_foundation
except ModuleNotFoundError:
    from national import write_national  # python bench/bench_foundation.py: this folder is on sys.path

ROOT = Path(__file__).resolve().parents[1]
TODAY = "2024-07-01"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# The rows `status --overdue` reads: its SQL pre-filter on the written deadline (since issue 10 a superset of
# the overdue rows: the exact test is on the effective deadline, per row).
COUNT_SQL = text("SELECT count(*) FROM deliverable WHERE archived = false AND due_date <= '2024-07-01' "
                 "AND state NOT IN ('done','cancelled','paused')")
TABLES = ("agency", "person", "agency_contact", "plan", "deliverable", "deliverable_support", "indicator")
GOALS = {"table": 1.5, "json": 2.0, "ratio": 15.0, "memory_mb": 150.0, "first_load": 20.0, "reload": 3.0, "seed": 0.8}
RESULTS: list[tuple[str, str, str, str]] = []  # (db, what, figure, verdict)


def show(db: str, what: str, value: str) -> None:
    print(f"{db:<10} {what:<62} {value}", flush=True)


def verdict(value: float, goal: float) -> str:
    return f"goal <= {goal:g}: {'OK' if value <= goal else 'MISSED'}"


def record(db: str, what: str, figure: str, value: float, goal: float) -> None:
    RESULTS.append((db, what, figure, verdict(value, goal)))


# `python -m plantrack.cli ARGS`, then the peak resident size of this process on stderr. The peak is the
# kernel's VmHWM of the process's own memory: getrusage's ru_maxrss (RUSAGE_SELF, RUSAGE_CHILDREN, wait4)
# keeps the forking parent's size across exec on Linux, so a child of this 150 MB benchmark would report 150 MB.
PEAK = """
import runpy, sys
sys.argv = ["plantrack", *sys.argv[1:]]
try:
    runpy.run_module("plantrack.cli", run_name="__main__")
except SystemExit as exc:
    if exc.code:
        raise
with open("/proc/self/status") as fh:
    print("PEAK_KB", next(line.split()[1] for line in fh if line.startswith("VmHWM:")), file=sys.stderr)
"""


def run_cli(args: list[str], out: Path) -> tuple[float, float, float]:
    """`plantrack ARGS` in a fresh interpreter, stdout to a file: (wall s, CPU s, peak resident MB).

    CPU is the child's user + system time (os.wait4): a busy shared machine inflates it much less than wall.
    """
    with out.open("wb") as fh:
        t0 = perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", PEAK, *args], cwd=ROOT, stdout=fh, stderr=subprocess.PIPE)
        err = proc.stderr.read().decode()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code or "PEAK_KB" not in err:
        raise SystemExit(f"plantrack {' '.join(args)} failed ({code}):\n{err[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime, int(err.rsplit("PEAK_KB", 1)[1].split()[0]) / 1024


def cli(n: int, args: list[str], out: Path) -> tuple[float, float, float]:
    """Median wall time, smallest CPU time and largest peak memory (MB) of n runs."""
    runs = [run_cli(args, out) for _ in range(n)]
    return statistics.median(r[0] for r in runs), min(r[1] for r in runs), max(r[2] for r in runs)


def count_fresh(url: str) -> tuple[float, float, int]:
    """Create an engine, connect, count, dispose: the whole cost of a bare SQL count (wall s, CPU s, count)."""
    t0, c0, eng = perf_counter(), process_time(), make_engine(url)
    with eng.connect() as conn:
        n = conn.execute(COUNT_SQL).scalar_one()
    eng.dispose()
    return perf_counter() - t0, process_time() - c0, n


def compile_package() -> None:
    """Byte-compile plantrack's modules first, as any installed or once-run package is.

    An editable install leaves no .pyc files, and with PYTHONDONTWRITEBYTECODE set (as on these machines)
    every CLI subprocess would compile plantrack from source (~0.1-0.3 s a start): a cost no installed
    copy pays, which would hide the start-up these figures are about.
    """
    import compileall
    import importlib.util

    dirs = [d for name in ("cli", "config", "models", "notifications", "flows", "tasks", "deployments")
            for d in importlib.util.find_spec(f"plantrack.{name}").submodule_search_locations]
    ok = all(compileall.compile_dir(d, quiet=1) for d in dirs)
    print(f"plantrack byte-compiled ({len(dirs)} folders from {Path(dirs[0]).parent}): {'ok' if ok else 'FAILED'}\n")


def code_version() -> str:
    """The commit the CLI subprocesses run: the files may change while the benchmark runs."""
    git = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True)
    return git.stdout.strip()


def bench_load(db: str, url: str, plans: list[Path]) -> None:
    Session = session_factory(url)
    check = parse = write = 0.0
    t_all, c_all = perf_counter(), process_time()
    for f in plans:  # load_plan's three steps, timed apart
        with Session() as s, s.begin():
            t0 = perf_counter()
            assert unchanged_load(s, f) is None
            t1 = perf_counter()
            rp = read_plan(f)
            t2 = perf_counter()
            store_plan(s, rp)
        check, parse, write = check + t1 - t0, parse + t2 - t1, write + perf_counter() - t2
        del rp
    first, first_cpu = perf_counter() - t_all, process_time() - c_all
    with Session() as s:
        rows = {t: s.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
    show(db, f"first load: hash check / parse+validate / write (x{len(plans)})",
         f"{check:6.2f} / {parse:6.2f} / {write:6.2f} s")
    show(db, "first load of every plan (load_plan, one transaction each)",
         f"{first:8.2f} s  (CPU here {first_cpu:.2f} s)  {rows['deliverable'] / first:7.0f} deliverables/s  "
         f"{verdict(first, GOALS['first_load'])}")
    show(db, "  rows in database", ", ".join(f"{t}={n}" for t, n in rows.items()))
    record(db, "first load of the plans", f"{first:.2f} s (CPU in this process {first_cpu:.2f} s)", first,
           GOALS["first_load"])

    t0 = perf_counter()
    for f in plans:
        with Session() as s, s.begin():
            summary = load_plan(s, f)
            assert summary.files_unchanged and not summary.changed, f"reload of {f.name}: {summary}"
            assert not s.new and not s.dirty
    reload = perf_counter() - t0
    show(db, f"unchanged reload (load_plan x{len(plans)}, file hashes)", f"{reload:8.2f} s  {verdict(reload, GOALS['reload'])}")
    record(db, "unchanged reload", f"{reload:.2f} s", reload, GOALS["reload"])


def bench_load_many(db: str, url: str, plans: list[Path]) -> None:
    """The first load of every plan as `plantrack plan load FILE...` does it (load_plans: each file in its own
    transaction, the next one read in a thread while one is written), into an empty database."""
    upgrade(url)
    Session = session_factory(url)
    t0, c0 = perf_counter(), process_time()
    n = sum(summary.deliverables.created for _, summary in load_plans(Session, plans))
    first, first_cpu = perf_counter() - t0, process_time() - c0
    show(db, f"first load, plan load of the {len(plans)} files at once (read ahead)",
         f"{first:8.2f} s  (CPU here {first_cpu:.2f} s)  {n / first:7.0f} deliverables/s  "
         f"{verdict(first, GOALS['first_load'])}")
    record(db, "first load, plan load FILE... (read ahead)", f"{first:.2f} s (CPU in this process {first_cpu:.2f} s)",
           first, GOALS["first_load"])
    session_factory(url).kw["bind"].dispose()


def figure(t: float, cpu: float, mb: float) -> str:
    return f"{t:.3f} s (CPU {cpu:.3f} s), {mb:.0f} MB"


def bench_cli(db: str, url: str, plans: list[Path], some_agency: str, out: Path, runs: int) -> None:
    sink = out / f"cli-{db}.out"
    base = ["--db", url, "status", "--today", TODAY]

    t, cpu, mb = cli(runs, base + ["--overdue"], sink)
    lines = sink.read_text(encoding="utf-8").count("\n")
    show(db, f"status --overdue (table: summary + most urgent; median of {runs})",
         f"{figure(t, cpu, mb)}  {lines} lines  {verdict(t, GOALS['table'])}")
    record(db, "status --overdue (table)", figure(t, cpu, mb), t, GOALS["table"])
    record(db, "  peak memory", f"{mb:.0f} MB", mb, GOALS["memory_mb"])

    t, cpu, mb = cli(runs, base + ["--json"], sink)
    n_all = len(json.loads(sink.read_bytes()))
    show(db, f"status --json, every object (median of {runs})",
         f"{figure(t, cpu, mb)}  {n_all} objects  {verdict(t, GOALS['json'])}")
    record(db, f"status --json ({n_all} objects)", figure(t, cpu, mb), t, GOALS["json"])
    record(db, "  peak memory", f"{mb:.0f} MB", mb, GOALS["memory_mb"])

    t_over, cpu_over, mb = cli(runs, base + ["--overdue", "--json"], sink)
    n_json = len(json.loads(sink.read_bytes()))
    counts = [count_fresh(url) for _ in range(runs)]
    t_sql, n_sql = statistics.median(c[0] for c in counts), counts[0][2]
    assert n_json <= n_sql, f"status --overdue --json gave {n_json} objects, more than the SQL count {n_sql}"
    ratio = t_over / t_sql
    show(db, f"status --overdue --json (median of {runs})", f"{figure(t_over, cpu_over, mb)}  {n_json} objects")
    show(db, "bare SQL count of the rows it reads, fresh engine (median)",
         f"{t_sql:8.4f} s (CPU here {min(c[1] for c in counts):.4f} s)  {n_sql} rows")
    show(db, "ratio status --overdue --json / bare count", f"{ratio:8.1f} x  {verdict(ratio, GOALS['ratio'])}")
    record(db, "ratio --overdue --json / bare count", f"{ratio:.1f} x ({t_over:.3f} / {t_sql:.4f} s)", ratio, GOALS["ratio"])
    record(db, "  peak memory", f"{mb:.0f} MB", mb, GOALS["memory_mb"])

    Session = session_factory(url)
    with Session() as s:
        t0, c0 = perf_counter(), process_time()
        n = sum(1 for _ in iter_board(s, date.fromisoformat(TODAY),
                                      BoardQuery(statuses=frozenset({StatusKey.OVERDUE}), indicators=False)))
        show(db, "  iter_board(overdue) in process, warm (no start-up)",
             f"{perf_counter() - t0:8.3f} s (CPU {process_time() - c0:.3f} s)  {n} rows")
    assert n == n_json, f"status --overdue --json gave {n_json} objects, iter_board {n}"

    t, cpu, mb = cli(1, base + ["--all"], sink)
    lines = sink.read_text(encoding="utf-8").count("\n")
    show(db, "status --all (plain fixed-width text, every row)", f"{figure(t, cpu, mb)}  {lines} lines")
    record(db, "status --all", figure(t, cpu, mb), mb, GOALS["memory_mb"])

    t, cpu, mb = cli(runs, base + ["--agency", some_agency], sink)
    lines = sink.read_text(encoding="utf-8").count("\n")
    show(db, f"status --agency {some_agency} (median of {runs})", f"{figure(t, cpu, mb)}  {lines} lines")

    edited = plans[0].with_name("edited-" + plans[0].name)
    shutil.copyfile(plans[0], edited)
    text_ = edited.read_text(encoding="utf-8")
    edited.write_text(text_.replace("    title: ", "    title: (sửa) ", 1), encoding="utf-8")
    t, cpu, mb = cli(1, ["--db", url, "plan", "load", str(edited)], sink)
    show(db, f"plan load of an edited plan (CLI, {plans[0].name})", f"{figure(t, cpu, mb)}  {sink.read_text().strip()[:50]}")
    record(db, "plan load (edited plan, CLI)", figure(t, cpu, mb), mb, GOALS["memory_mb"])
    t, cpu, mb = cli(1, ["--db", url, "plan", "load", str(edited)], sink)
    show(db, "plan load of the same file again (CLI)", f"{figure(t, cpu, mb)}  {sink.read_text().strip()[:50]}")
    edited.unlink()


def pg_database() -> tuple[str | None, object, str]:
    """A fresh PostgreSQL database: (url, drop function, note); url is None when PG does not answer."""
    dsn = PG_ADMIN.replace("+psycopg", "")
    try:
        psycopg.connect(dsn, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        return None, None, f"PostgreSQL at {PG_ADMIN} does not answer: {str(exc).splitlines()[0]}"
    name = f"plantrack_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"

    def drop() -> None:
        session_factory(url).kw["bind"].dispose()
        session_factory.cache_clear()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url, drop, f"database {name}"


def bench_db(db: str, url: str, plans: list[Path], some_agency: str, out: Path, runs: int) -> None:
    t0 = perf_counter()
    upgrade(url)
    show(db, "upgrade(url) on an empty database", f"{perf_counter() - t0:8.2f} s")
    bench_load(db, url, plans)
    session_factory(url).kw["bind"].dispose()
    bench_cli(db, url, plans, some_agency, out, runs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in (("deliverables", 100_000), ("agencies", 5_000), ("people", 10_000), ("provinces", 34)):
        ap.add_argument(f"--{name}", type=int, default=default)
    ap.add_argument("--skip-pg", action="store_true")
    ap.add_argument("--runs", type=int, default=3, help="runs of each timed CLI command (the median is shown)")
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: a new temp folder)")
    a = ap.parse_args()
    out = (a.out or Path(tempfile.mkdtemp(prefix="plantrack_bench_"))).resolve()
    print(f"load average at start: {os.getloadavg()}  (cpus: {os.cpu_count()}); code {code_version()}")
    print(f"sizes: {a.provinces} provinces, {a.agencies} agencies, {a.people} people, "
          f"{a.deliverables} deliverables; today {TODAY}; out {out}")
    compile_package()

    t0 = perf_counter()
    plans, provinces = write_national(out / "plans", a.provinces, a.agencies, a.people, a.deliverables)
    size = sum(f.stat().st_size for f in (out / "plans").iterdir()) / 1e6
    show("gen", f"directory + {len(plans)} plan files ({size:.1f} MB)", f"{perf_counter() - t0:8.2f} s")
    some_agency = provinces[0]["agencies"][-2]

    bench_db("sqlite", f"sqlite:///{out / f'bench-{uuid.uuid4().hex[:8]}.db'}", plans, some_agency, out, a.runs)
    bench_load_many("sqlite", f"sqlite:///{out / f'bench-many-{uuid.uuid4().hex[:8]}.db'}", plans)
    print(f"load average after SQLite: {os.getloadavg()}", flush=True)

    url, drop, note = (None, None, "--skip-pg") if a.skip_pg else pg_database()
    show("postgres", "skipped" if url is None else "fresh database", note)
    if url is not None:
        try:
            bench_db("postgres", url, plans, some_agency, out, a.runs)
        finally:
            drop()
        url, drop, note = pg_database()
        show("postgres", "fresh database", note)
        try:
            bench_load_many("postgres", url, plans)
        finally:
            drop()

    with tempfile.TemporaryDirectory(prefix="plantrack_seed_") as tmp:
        url = f"sqlite:///{tmp}/seed.db"
        cli(1, ["--db", url, "init"], Path(tmp) / "o")
        cli(1, ["--db", url, "plan", "load", str(SEED_PLAN)], Path(tmp) / "o")
        t_seed, cpu, mb = cli(5, ["--db", url, "status", "--today", TODAY], Path(tmp) / "o")
        show("seed", "status --today (Lào Cai seed, SQLite, median of 5)",
             f"{figure(t_seed, cpu, mb)}  {verdict(t_seed, GOALS['seed'])}")
        record("seed", "status cold start (seed plan)", figure(t_seed, cpu, mb), t_seed, GOALS["seed"])
    times = {}
    for code in ("pass", "import plantrack.cli.main"):
        runs = []
        for _ in range(5):
            t0 = perf_counter()
            subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
            runs.append(perf_counter() - t0)
        times[code] = statistics.median(runs)
    show("seed", "  python -c pass / -c 'import plantrack.cli.main'", f"{times['pass']:8.3f} s / {times['import plantrack.cli.main']:.3f} s")

    print(f"\nload average at end: {os.getloadavg()}; code {code_version()}\n")
    print("| database | measure | figure | goal |\n| --- | --- | --- | --- |")
    for db, what, shown, v in RESULTS:
        print(f"| {db} | {what} | {shown} | {v} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
