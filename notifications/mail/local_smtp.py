"""The embedded mail relay: an aiosmtpd server on loopback that writes each message as an .eml file."""
from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiosmtpd.controller import Controller

from plantrack.notifications.mail.transports import write_eml


class EmlWriter:
    """aiosmtpd handler: one .eml file per message (atomic rename), named by time and Message-ID."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope) -> str:
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        write_eml(self.folder, envelope.mail_from, envelope.rcpt_tos, data)
        return "250 Message accepted for delivery"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def controller(handler, host: str = "127.0.0.1", port: int = 0) -> Controller:
    """An aiosmtpd Controller for handler on host:port (0: a free port), not started; 8BITMIME/SMTPUTF8 on."""
    return Controller(handler, hostname=host, port=port or free_port(host), enable_SMTPUTF8=True,
                      data_size_limit=0, ready_timeout=10)


def _check_bindable(host: str, port: int) -> None:
    """Raise at once what binding host:port would raise: aiosmtpd 1.4's start() reports a bind error only after
    its ready_timeout (its server thread ends without telling it), so a busy port took 10 s to be named."""
    for family, kind, proto, _, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                              flags=socket.AI_PASSIVE):
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's server binds
            probe.bind(address)


@contextmanager
def local_relay(folder: Path, host: str = "127.0.0.1", port: int = 0) -> Iterator[tuple[str, int]]:
    """Run the .eml-writing server for the duration of the block; yields (host, port)."""
    ctl = controller(EmlWriter(folder), host, port)
    _check_bindable(ctl.hostname, ctl.port)
    ctl.start()
    try:
        yield ctl.hostname, ctl.port
    finally:
        ctl.stop()
