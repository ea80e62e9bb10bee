"""The pages of the demo's messages, written by a worker process while the demo's year runs.

A page costs ~2 ms a message here (parsing it back, most of it), ~4.5 s for a year's 2,100 sent messages and ~1.3 s
for its ~950 replies when written at the end; the year's own processes (ours and the Prefect API's) leave the second
core mostly idle. Run as `python -m plantrack.deployments.demo.pages OUT`: one .eml path a line on standard input.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path


class PageWriter:
    """The worker, from the demo's side: add_new() after each week, finish() before the site is written."""

    def __init__(self, out: Path, maildir: Path):
        from plantrack.deployments.local_api import _die_with_parent

        self.out, self.maildir = out, maildir
        self.queued: set[str] = set()
        self.replies: set[str] = set()  # names in out/replies/ copied from the Maildir, their page queued
        self.log = out / ".state" / "pages.log"
        with self.log.open("ab") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", __name__, str(out)], stdin=subprocess.PIPE,
                                         stderr=err, text=True, preexec_fn=_die_with_parent)

    def add_new(self) -> None:
        """Queue the .eml files of out/mail/ not queued yet, and copy the replies that reached the Maildir since
        the last call into out/replies/ and queue them (call it between flow runs: files are complete)."""
        mail = self.out / "mail"
        new = [mail / name for name in sorted(_names(mail)) if name.endswith(".eml") and name not in self.queued]
        self.queued.update(p.name for p in new)
        (self.out / "replies").mkdir(exist_ok=True)
        for _, p in maildir_files(self.maildir):
            copy = reply_copy(self.out, p)
            if copy.name not in self.replies:
                shutil.copyfile(p, copy)
                self.replies.add(copy.name)
                new.append(copy)
        if new:
            self.proc.stdin.write("".join(f"{p}\n" for p in new))
            self.proc.stdin.flush()

    def finish(self) -> tuple[set[str], set[str]]:
        """Wait for the worker; the names of the sent .eml files and of the reply copies whose page it wrote."""
        self.proc.communicate()
        if self.proc.returncode != 0:
            raise RuntimeError(f"the page writer failed: {self.log.read_text(errors='replace')[-2000:]}")
        return self.queued, self.replies


def maildir_files(maildir: Path) -> list[tuple[str, Path]]:
    """(folder name, file) of every message in the Maildir and its folders (.Processed, ...), read or not."""
    found = []
    folders = sorted(maildir / name for name in _names(maildir) if name.startswith(".") and (maildir / name).is_dir())
    for folder in [maildir] + folders:
        for sub in ("new", "cur"):
            found += [(folder.name if folder != maildir else "", folder / sub / name)
                      for name in sorted(_names(folder / sub))]
    return found


def _names(folder: Path) -> list[str]:
    """The names in folder (none when it is missing): os.scandir, no Path per entry (the demo lists its folders
    after every week, ~3,000 files by the end)."""
    try:
        with os.scandir(folder) as it:
            return [e.name for e in it]
    except (FileNotFoundError, NotADirectoryError):
        return []


def reply_copy(out: Path, message: Path) -> Path:
    """Where a reply in the Maildir is copied: out/replies/ under its Maildir name without flags (the same name
    before and after intake moves it to a folder)."""
    return out / "replies" / _copy_name(message.name.split(":")[0])


@lru_cache(maxsize=None)
def _copy_name(base: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", base)[:100] + ".eml"


def main() -> None:
    out = Path(sys.argv[1])
    for line in sys.stdin:  # imports once the first week has sent mail: while the demo starts, both cores are busy
        from plantrack.deployments.demo.site import write_page

        write_page(out, Path(line.rstrip("\n")), 1)


if __name__ == "__main__":
    main()
