"""The embedded mail relay: an aiosmtpd server on loopback that writes each message as an .eml file."""
from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from aiosmtpd.controller import Controller

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


class EmlWriter:
    """aiosmtpd handler: one .eml file per message (atomic rename), named by time and Message-ID."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        m = re.search(rb"^Message-ID:\s*<([^>]*)>", data, re.IGNORECASE | re.MULTILINE)
        stem = _UNSAFE.sub("_", m.group(1).decode("ascii", "replace"))[:120] if m else "no-id"
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        path = self.folder / f"{stamp}-{stem}.eml"
        tmp = path.with_suffix(".tmp")
        envelope_lines = f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        tmp.write_bytes(envelope_lines.encode() + data)
        os.replace(tmp, path)
        self.count += 1
        return "250 Message accepted for delivery"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def controller(handler, host: str = "127.0.0.1", port: int = 0) -> Controller:
    """An aiosmtpd Controller for handler on host:port (0: a free port), not started; 8BITMIME/SMTPUTF8 on."""
    return Controller(handler, hostname=host, port=port or free_port(host), enable_SMTPUTF8=True,
                      data_size_limit=0, ready_timeout=10)


@contextmanager
def local_relay(folder: Path, host: str = "127.0.0.1", port: int = 0) -> Iterator[tuple[str, int]]:
    """Run the .eml-writing server for the duration of the block; yields (host, port)."""
    ctl = controller(EmlWriter(folder), host, port)
    ctl.start()
    try:
        yield ctl.hostname, ctl.port
    finally:
        ctl.stop()
