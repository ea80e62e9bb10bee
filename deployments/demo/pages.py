"""The pages of the sent messages, written by a worker process while the demo's year runs.

A page costs ~2 ms a message here (parsing it back, most of it), ~4.5 s for a year's 2,100 messages after the
year when written at the end; the year's own processes (ours and the Prefect API's) leave the second core
mostly idle. Run as `python -m plantrack.deployments.demo.pages OUT`: one .eml path a line on standard input.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path


class PageWriter:
    """The worker, from the demo's side: add_new() after each week, finish() before the site is written."""

    def __init__(self, out: Path):
        from plantrack.deployments.local_api import _die_with_parent

        self.out = out
        self.queued: set[str] = set()
        self.log = out / ".state" / "pages.log"
        with self.log.open("ab") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", __name__, str(out)], stdin=subprocess.PIPE,
                                         stderr=err, text=True, preexec_fn=_die_with_parent)

    def add_new(self) -> None:
        """Queue the .eml files of out/mail/ not queued yet (call it between flow runs: files are complete)."""
        new = sorted(p for p in (self.out / "mail").glob("*.eml") if p.name not in self.queued)
        self.queued.update(p.name for p in new)
        if new:
            self.proc.stdin.write("".join(f"{p}\n" for p in new))
            self.proc.stdin.flush()

    def finish(self) -> set[str]:
        """Wait for the worker; the names of the .eml files whose page it wrote."""
        self.proc.communicate()
        if self.proc.returncode != 0:
            raise RuntimeError(f"the page writer failed: {self.log.read_text(errors='replace')[-2000:]}")
        return self.queued


def main() -> None:
    out = Path(sys.argv[1])
    for line in sys.stdin:  # imports once the first week has sent mail: while the demo starts, both cores are busy
        from plantrack.deployments.demo.site import write_page

        write_page(out, Path(line.rstrip("\n")), 1)


if __name__ == "__main__":
    main()
