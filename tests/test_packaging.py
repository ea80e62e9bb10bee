"""The wheel installs one top-level name, plantrack, and every module under it imports from there."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

IMPORT_ALL = """
import importlib, pkgutil, sys, site
import plantrack
prefix = sys.argv[1]
names = []
for mod in pkgutil.walk_packages(plantrack.__path__, "plantrack."):
    if ".migrations" in mod.name or mod.name.endswith(".__main__"):
        continue  # Alembic scripts run inside Alembic, and __main__ runs the CLI
    m = importlib.import_module(mod.name)
    assert m.__file__.startswith(prefix), (mod.name, m.__file__)
    names.append(mod.name)
print(len(names))
"""


def test_wheel_installs_only_plantrack_and_every_module_imports(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels),
                    str(ROOT)], check=True, capture_output=True, cwd=tmp_path)
    (wheel,) = wheels.glob("plantrack-*.whl")
    top = {name.split("/", 1)[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in top if not t.endswith(".dist-info")} == {"plantrack"}
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in ("plantrack/config/plans/60-KH-UBND-2024-lao-cai.yaml", "plantrack/models/migrations/env.py",
                    "plantrack/config/locale/vi/LC_MESSAGES/plantrack.mo"):
        assert shipped in names

    venv = tmp_path / "venv"  # the dependencies come from this interpreter's site-packages
    # Without a pip of its own (ensurepip costs seconds): this pip installs into it.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True)
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    out = subprocess.run([py, "-c", IMPORT_ALL, site], capture_output=True, text=True, cwd=tmp_path,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-3000:]
    assert int(out.stdout.strip()) > 30
