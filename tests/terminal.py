"""Run a command with its stdout and stderr on a pseudo-terminal, as a person at a terminal would see its output."""
from __future__ import annotations

import os
import pty
import re
import subprocess


def on_terminal(args: list[str], env: dict[str, str], timeout: float = 300) -> tuple[int, str]:
    """(exit code, what the terminal received with ANSI control sequences removed and CRLF as \\n)."""
    leader, follower = pty.openpty()
    with subprocess.Popen(args, env=env, stdout=follower, stderr=follower, stdin=subprocess.DEVNULL) as proc:
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        code = proc.wait(timeout)
    os.close(leader)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen.decode(errors="replace"))
    return code, text.replace("\r\n", "\n")
