"""`casemgr mail fetch` against a real dovecot IMAP server started here on 127.0.0.1."""

from __future__ import annotations

import imaplib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casemgr.cases.attachments import LocalAttachmentStore
from casemgr.cases.models import Attachment, Case, CaseEvent
from casemgr.channels.imap import FILED, ImapSource, fetch_once, wait_for_mail
from casemgr.channels.mail import MailSettings, ingest
from tests.conftest import skip_or_fail
from tests.factories import T0
from tests.large_mail import MB, write_message

MAIL = Path(__file__).resolve().parent.parent / "data" / "mail"
DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
USER, PASSWORD = "support@casemgr.example.com", "imap-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dovecot():
    if DOVECOT is None:
        skip_or_fail("dovecot is not installed (apt-get install dovecot-imapd; scripts/setup.sh does it as root)")
    # not under pytest's tmp_path: dovecot's own users must be able to reach the folder (0700 there)
    root = Path(tempfile.mkdtemp(prefix="casemgr-dovecot-"))
    root.chmod(0o755)
    (root / "mail").mkdir(parents=True)
    (root / "state").mkdir()
    port = _free_port()
    as_root = os.getuid() == 0
    uid, gid = (65534, 65534) if as_root else (os.getuid(), os.getgid())
    if as_root:
        os.chown(root / "mail", uid, gid)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    unprivileged = (
        ""
        if as_root
        else "default_internal_user = {u}\ndefault_internal_group = {g}\ndefault_login_user = {u}\n"
        "service anvil {{\n  chroot =\n}}\n".format(u=os.environ.get("USER", "nobody"), g="nogroup")
    )
    (root / "dovecot.conf").write_text(
        f"""base_dir = {root}/run
state_dir = {root}/state
instance_name = casemgr-test-{port}
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = 1
auth_failure_delay = 0
{unprivileged}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  {"" if as_root else "chroot ="}
}}
namespace inbox {{
  inbox = yes
}}
"""
    )
    proc = subprocess.Popen([DOVECOT, "-F", "-c", str(root / "dovecot.conf")], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"dovecot did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
            time.sleep(0.05)  # waiting for a server to listen, not for time to pass
    yield ImapSource("127.0.0.1", port, USER, PASSWORD, use_ssl=False, timeout=10)
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stderr:
        proc.stderr.close()
    shutil.rmtree(root, ignore_errors=True)


def deliver(source: ImapSource, *names: str | bytes) -> None:
    conn = imaplib.IMAP4(source.host, source.port)
    conn.login(source.user, source.password)
    for name in names:
        data = name if isinstance(name, bytes) else (MAIL / name).read_bytes()
        typ, _ = conn.append("INBOX", None, imaplib.Time2Internaldate(time.time()), data.replace(b"\n", b"\r\n"))
        assert typ == "OK"
    conn.logout()


def flags(source: ImapSource) -> list[str]:
    conn = imaplib.IMAP4(source.host, source.port)
    conn.login(source.user, source.password)
    conn.select("INBOX")
    _typ, data = conn.fetch("1:*", "(FLAGS)")
    conn.logout()
    return [d.decode() for d in data if d]


@pytest.fixture
def fetch_app(app, tmp_path, dovecot):
    app.config.update(
        MAIL_REPLY_TO="support@casemgr.example.com",
        MAIL_TRUSTED_AUTHSERV=("mx.casemgr.example.com",),
        MAIL_DEAD_LETTER_DIR=str(tmp_path / "dead"),
        IMAP_URL=f"imap://{USER.replace('@', '%40')}:{PASSWORD}@127.0.0.1:{dovecot.port}/INBOX",
    )
    return app


def test_fetch_once_files_each_message_and_flags_it(fetch_app, dovecot, world, session):
    deliver(dovecot, "dmarc_trusted_new_case.eml", "reply_by_address.eml", "unknown_sender.eml")
    result = fetch_app.test_cli_runner().invoke(args=["mail", "fetch", "--once"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "case=1 reply=1 triage=1"
    assert session.scalar(select(func.count()).select_from(Case)) == 2
    assert all(FILED in f and "\\Seen" in f for f in flags(dovecot))
    again = fetch_app.test_cli_runner().invoke(args=["mail", "fetch", "--once"], catch_exceptions=False)
    assert again.output.strip() == "nothing new"


def test_a_fetcher_stopped_between_filing_and_flagging_files_the_message_once(
    fetch_app, dovecot, world, session, store
):
    """The message was filed (here by the MTA pipe, as a crashed fetcher would have) but never
    flagged: the next pass reads it again, the exactly-once record makes it a no-op, then flags it."""
    deliver(dovecot, "dmarc_trusted_new_case.eml")
    piped = fetch_app.test_cli_runner().invoke(
        args=["mail", "ingest"], input=(MAIL / "dmarc_trusted_new_case.eml").read_bytes()
    )
    assert piped.output.startswith("case CS-000001")
    counts = fetch_once(fetch_app, dovecot, store)
    assert dict(counts) == {"duplicate": 1}
    assert session.scalar(select(func.count()).select_from(Case)) == 1
    assert session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "opened")) == 1
    assert FILED in flags(dovecot)[0]


def test_filed_mail_can_be_moved_to_a_done_folder(fetch_app, dovecot, world, session):
    conn = imaplib.IMAP4(dovecot.host, dovecot.port)
    conn.login(dovecot.user, dovecot.password)
    assert conn.create("Filed")[0] == "OK"
    conn.logout()
    deliver(dovecot, "unknown_sender.eml")
    fetch_app.config["IMAP_DONE_FOLDER"] = "Filed"
    result = fetch_app.test_cli_runner().invoke(args=["mail", "fetch", "--once"], catch_exceptions=False)
    assert result.output.strip() == "triage=1"
    conn = imaplib.IMAP4(dovecot.host, dovecot.port)
    conn.login(dovecot.user, dovecot.password)
    assert conn.select("INBOX")[1] == [b"0"]
    assert conn.select("Filed")[1] == [b"1"]
    conn.logout()


def test_idle_wakes_up_when_mail_arrives(dovecot):
    woke: list[bool] = []
    idling = threading.Event()
    waiter = threading.Thread(target=lambda: woke.append(wait_for_mail(dovecot, timeout=20, on_idle=idling.set)))
    waiter.start()
    assert idling.wait(timeout=10)
    deliver(dovecot, "unknown_sender.eml")
    waiter.join(timeout=25)
    assert woke == [True]


def test_a_wrong_password_is_a_clear_error_not_a_traceback(fetch_app, dovecot):
    fetch_app.config["IMAP_URL"] = f"imap://{USER.replace('@', '%40')}:wrong@127.0.0.1:{dovecot.port}/INBOX"
    result = fetch_app.test_cli_runner().invoke(args=["mail", "fetch", "--once"])
    assert result.exit_code == 1 and "AUTHENTICATIONFAILED" in result.output


def test_fetch_without_a_mailbox_configured_says_what_to_set(app):
    result = app.test_cli_runner().invoke(args=["mail", "fetch", "--once"])
    assert result.exit_code == 1 and "CASEMGR_IMAP_URL" in result.output


def test_a_large_message_is_fetched_a_piece_at_a_time_and_filed_whole(fetch_app, dovecot, world, session, tmp_path):
    """A 40 MB reply: read from the server in partial fetches into a spool file, never whole
    in memory; its attachment is stored whole."""
    store = LocalAttachmentStore(tmp_path / "big-files", 64 * MB)
    settings = MailSettings.from_config(fetch_app.config)
    opened = ingest(session, (MAIL / "dmarc_trusted_new_case.eml").read_bytes(), store, T0, settings)
    assert opened.case_number == "CS-000001"
    path = tmp_path / "big.eml"
    sha256 = write_message(path, 40 * MB, 7)
    deliver(dovecot, path.read_bytes())
    tracemalloc.start()
    counts = fetch_once(fetch_app, dovecot, store)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert dict(counts) == {"reply": 1}
    stored = session.scalar(select(Attachment).where(Attachment.filename == "dump.bin"))
    assert stored.size == 40 * MB and stored.sha256 == sha256
    assert peak < 20 * MB, f"peak {peak / MB:.1f} MB for a {path.stat().st_size / MB:.0f} MB message"
    assert FILED in flags(dovecot)[0]
