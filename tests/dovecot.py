"""A real Dovecot IMAP server on loopback for the test session: TLS (imaps) and STARTTLS, a trustme CA.

Unprivileged: imap-login runs as dovenull, mail as the dovecot user (first_valid_uid = 0), passwords in a
passwd-file. Debian package: dovecot-imapd.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import ssl
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

USER, PASSWORD = "theodoi", "imap-test-password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Dovecot:
    host: str
    imaps_port: int
    imap_port: int
    cafile: str
    root: Path

    def client(self):
        from imapclient import IMAPClient

        c = IMAPClient(self.host, port=self.imaps_port, ssl=True,
                       ssl_context=ssl.create_default_context(cafile=self.cafile))
        c.login(USER, PASSWORD)
        return c

    def reset(self) -> None:
        """Empty every folder (a fresh mailbox for the next test)."""
        c = self.client()
        for _, _, name in c.list_folders():
            if name != "INBOX":
                c.delete_folder(name)
        c.select_folder("INBOX")
        uids = c.search()
        if uids:
            c.delete_messages(uids)
            c.expunge()
        c.logout()

    def options(self, security: str = "tls", **kw):
        from plantrack.notifications.mail.inbound.sources import ImapOptions

        port = self.imaps_port if security == "tls" else self.imap_port
        return ImapOptions(self.host, port, security, USER, PASSWORD, cafile=self.cafile, **kw)


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)


@pytest.fixture(scope="session")
def dovecot() -> Dovecot:
    binary = dovecot_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("dovecot is not installed (apt-get install -y dovecot-imapd), and CI must test IMAP")
        pytest.skip("dovecot is not installed (apt-get install -y dovecot-imapd)")
    try:
        with start_dovecot(binary) as server:
            yield server
    except RuntimeError as exc:
        pytest.fail(str(exc))


@contextmanager
def start_dovecot(binary: str):
    """A Dovecot serving one user on free loopback ports until the block ends."""
    import trustme

    import tempfile

    # Not under pytest's basetemp: that is mode 0700 and Dovecot's auth process runs as the dovecot user.
    root = Path(tempfile.mkdtemp(prefix="plantrack-dovecot-"))
    root.chmod(0o755)
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_pem.write_to_path(str(root / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(root / "cert.pem"))
    ca.cert_pem.write_to_path(str(root / "ca.pem"))
    (root / "home").mkdir()
    mail_user = pwd.getpwnam("dovecot")
    if os.geteuid() == 0:
        os.chown(root / "home", mail_user.pw_uid, mail_user.pw_gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    imaps, imap = _free_port(), _free_port()
    (root / "dovecot.conf").write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain
first_valid_uid = 0
default_internal_user = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
""")
    proc = subprocess.Popen([binary, "-F", "-c", str(root / "dovecot.conf")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    server = Dovecot("127.0.0.1", imaps, imap, str(root / "ca.pem"), root)
    deadline = time.monotonic() + 20
    while True:
        try:
            server.client().logout()
            break
        except Exception:  # noqa: BLE001 - not listening yet
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                raise RuntimeError(f"dovecot did not start: {proc.stderr.read().decode()} {log[-2000:]}")
            time.sleep(0.05)
    try:
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(root, ignore_errors=True)
