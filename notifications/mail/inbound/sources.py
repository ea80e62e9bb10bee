"""Where replies come from: an IMAP folder (TLS or STARTTLS, by UID since a checkpoint), a Maildir, stdin.

A source hands over raw messages with a reference (IMAP `uidvalidity:uid`, Maildir file name); the
caller stores them and commits, then tells the source each message's outcome, and only then does the
source remove it (IMAP: MOVE to the processed or rejected folder, or COPY + \\Deleted where MOVE is
missing; Maildir: rename into the .Processed or .Rejected sub-folder).
"""
from __future__ import annotations

import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from plantrack.models.mail.inbound import Outcome, RawIn, Source, checkpoint, save_checkpoint


class SourceUnavailable(ConnectionError):
    """The mailbox cannot be reached or opened (nothing was taken from it)."""


class MailSource(Protocol):
    box: str

    def fetch(self, session: Session, limit: int) -> list[RawIn]: ...

    def checkpoint(self, session: Session, items: list[RawIn]) -> None: ...

    def remove(self, outcomes: dict[str, str]) -> list[str]: ...

    def more(self) -> bool: ...

    def close(self) -> None: ...


def _target(outcome: str) -> str:
    return "rejected" if outcome == Outcome.REJECTED else "processed"


# Maildir ---------------------------------------------------------------------------------------------

class MaildirSource:
    """A Maildir (new/ and cur/); handled messages are renamed into its .Processed / .Rejected folders."""

    def __init__(self, path: Path, processed: str = ".Processed", rejected: str = ".Rejected"):
        self.path = Path(path)
        self.box = f"maildir:{self.path.resolve()}"
        self.folders = {"processed": self.path / processed, "rejected": self.path / rejected}
        self._left = 0
        if not (self.path / "new").is_dir() or not (self.path / "cur").is_dir():
            raise SourceUnavailable(f"{self.path} is not a Maildir (no new/ and cur/ folders)")

    def _names(self) -> list[str]:
        out = []
        for sub in ("new", "cur"):
            with os.scandir(self.path / sub) as it:
                out += [f"{sub}/{e.name}" for e in it if not e.name.startswith(".") and e.is_file()]
        # Maildir names start with the delivery time: sorting keeps arrival order
        return sorted(out, key=lambda n: n.split("/", 1)[1])

    def fetch(self, session: Session, limit: int) -> list[RawIn]:
        names = self._names()
        self._left = max(0, len(names) - limit)
        out = []
        for name in names[:limit]:
            try:
                out.append(RawIn((self.path / name).read_bytes(), Source.MAILDIR, self.box, name))
            except FileNotFoundError:  # taken by another reader meanwhile
                continue
        return out

    def checkpoint(self, session: Session, items: list[RawIn]) -> None:
        pass  # the files themselves are the checkpoint: they stay until removed

    def remove(self, outcomes: dict[str, str]) -> list[str]:
        done = []
        for ref, outcome in outcomes.items():
            folder = self.folders[_target(outcome)]
            for sub in ("tmp", "new", "cur"):
                (folder / sub).mkdir(parents=True, exist_ok=True)
            src = self.path / ref
            base = ref.split("/", 1)[1]
            if ":2," not in base:
                base += ":2,S"
            try:
                os.replace(src, folder / "cur" / base)
            except FileNotFoundError:
                pass  # already moved: nothing left to do
            done.append(ref)
        return done

    def more(self) -> bool:
        return self._left > 0

    def close(self) -> None:
        pass


# IMAP ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImapOptions:
    """An IMAP mailbox to read replies from (the password never shows in a repr)."""

    host: str
    port: int = 993
    security: str = "tls"  # tls | starttls | none
    user: str = ""
    password: str = field(default="", repr=False)
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    rejected_folder: str = "Rejected"
    cafile: str | None = None  # a CA bundle to trust (a private CA); default: the system's
    timeout: float = 30.0
    use_move: bool = True  # False: COPY + \Deleted even where MOVE is offered

    @property
    def box(self) -> str:
        return f"imap://{self.user}@{self.host}:{self.port}/{self.folder}"


class ImapSource:
    """Reads new messages by UID since the stored checkpoint (reset when UIDVALIDITY changes)."""

    def __init__(self, opts: ImapOptions):
        from imapclient import IMAPClient

        self.opts = opts
        self.box = opts.box
        self._left = 0
        ctx = ssl.create_default_context(cafile=opts.cafile)
        try:
            self.client = IMAPClient(opts.host, port=opts.port, ssl=opts.security == "tls", ssl_context=ctx,
                                     timeout=opts.timeout)
            if opts.security == "starttls":
                self.client.starttls(ctx)
            self.client.login(opts.user, opts.password)
            info = self.client.select_folder(opts.folder)
        except Exception as exc:  # noqa: BLE001 - connection, TLS, login or folder: all mean "not now"
            raise SourceUnavailable(f"IMAP {opts.host}:{opts.port}/{opts.folder}: {exc.__class__.__name__}: {exc}") \
                from exc
        self.uidvalidity = int(info[b"UIDVALIDITY"])
        caps = set(self.client.capabilities())
        self.can_move = opts.use_move and b"MOVE" in caps
        self.uidplus = b"UIDPLUS" in caps
        self._ensured: set[str] = set()

    def fetch(self, session: Session, limit: int) -> list[RawIn]:
        mark = checkpoint(session, self.box)
        last = mark[1] if mark and mark[0] == self.uidvalidity else 0
        uids = sorted(u for u in self.client.search(["UID", f"{last + 1}:*"]) if u > last)
        self._left = max(0, len(uids) - limit)
        out = []
        for i in range(0, min(limit, len(uids)), 200):
            chunk = uids[i:min(i + 200, limit)]
            got = self.client.fetch(chunk, ["BODY.PEEK[]"])
            for uid in chunk:
                data = got.get(uid, {}).get(b"BODY[]")
                if data is not None:
                    out.append(RawIn(bytes(data), Source.IMAP, self.box, f"{self.uidvalidity}:{uid}"))
        return out

    def checkpoint(self, session: Session, items: list[RawIn]) -> None:
        if items:
            save_checkpoint(session, self.box, self.uidvalidity, max(int(i.ref.split(":")[1]) for i in items))

    def _ensure(self, folder: str) -> None:
        if folder not in self._ensured:
            if not self.client.folder_exists(folder):
                self.client.create_folder(folder)
            self._ensured.add(folder)

    def remove(self, outcomes: dict[str, str]) -> list[str]:
        groups: dict[str, list[int]] = {}
        done = []
        for ref, outcome in outcomes.items():
            validity, _, uid = ref.partition(":")
            if int(validity) != self.uidvalidity:
                done.append(ref)  # the folder was rebuilt: that UID means nothing any more
                continue
            folder = self.opts.rejected_folder if _target(outcome) == "rejected" else self.opts.processed_folder
            groups.setdefault(folder, []).append(int(uid))
        for folder, uids in groups.items():
            self._ensure(folder)
            if self.can_move:
                self.client.move(uids, folder)
            else:
                self.client.copy(uids, folder)
                self.client.add_flags(uids, [b"\\Deleted"])
                if self.uidplus:
                    self.client.uid_expunge(uids)
            done += [f"{self.uidvalidity}:{u}" for u in uids]
        return done

    def more(self) -> bool:
        return self._left > 0

    def close(self) -> None:
        try:
            self.client.logout()
        except Exception:  # noqa: BLE001 - the server may be gone already
            pass
