"""Memory stays bounded for large inbound messages (issue 16): a 50 MB attachment kept whole,
a 200 MB one left out with a note; Python's peak allocation and the RSS growth stay small."""

from __future__ import annotations

import hashlib
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import select

from casemgr.cases.attachments import LocalAttachmentStore
from casemgr.cases.models import Attachment, CaseEvent
from casemgr.channels.mail import MailSettings, ingest
from tests.large_mail import MB, peak_rss, write_message

MAIL = Path(__file__).resolve().parent.parent / "data" / "mail"


def measured_ingest(session, path: Path, store, clock, settings):
    Path("/proc/self/clear_refs").write_text("5")  # the peak RSS starts again from now
    rss_before = peak_rss()
    tracemalloc.start()
    with path.open("rb") as source:
        outcome = ingest(session, source, store, clock.now(), settings)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return outcome, peak, peak_rss() - rss_before


@pytest.fixture
def big_mail(app, world, session, tmp_path, clock):
    app.config.update(MAIL_REPLY_TO="support@casemgr.example.com", MAIL_TRUSTED_AUTHSERV=("mx.casemgr.example.com",))
    store = LocalAttachmentStore(tmp_path / "files", 64 * MB)  # originals up to 256 MB
    settings = MailSettings.from_config(app.config)
    opened = ingest(session, (MAIL / "dmarc_trusted_new_case.eml").read_bytes(), store, clock.now(), settings)
    assert opened.case_number == "CS-000001"
    return store, settings


def test_a_50_mb_attachment_is_kept_whole_in_bounded_memory(big_mail, session, tmp_path, clock):
    store, settings = big_mail
    path = tmp_path / "big.eml"
    sha256 = write_message(path, 50 * MB, 1)
    outcome, peak, rss = measured_ingest(session, path, store, clock, settings)
    assert outcome.action == "reply", outcome
    stored = session.scalar(select(Attachment).where(Attachment.filename == "dump.bin"))
    assert stored.size == 50 * MB and stored.sha256 == sha256
    assert hashlib.sha256(store.path_for(stored.sha256).read_bytes()).hexdigest() == sha256
    originals = session.scalars(select(Attachment.size).where(Attachment.filename == "original-message.eml"))
    assert path.stat().st_size in set(originals)  # the .eml kept too, streamed into the store
    assert peak < 20 * MB, f"peak {peak / MB:.1f} MB for a {path.stat().st_size / MB:.0f} MB message"
    assert rss < 40 * MB, f"RSS grew {rss / MB:.1f} MB"


def test_a_200_mb_attachment_over_the_limit_is_left_out_with_a_note(big_mail, session, tmp_path, clock):
    store, settings = big_mail
    path = tmp_path / "huge.eml"
    write_message(path, 200 * MB, 2)
    outcome, peak, rss = measured_ingest(session, path, store, clock, settings)
    assert outcome.action == "reply" and "attachments left out" in outcome.detail, outcome
    assert session.scalar(select(Attachment).where(Attachment.filename == "dump.bin")) is None
    note = session.scalar(select(CaseEvent).where(CaseEvent.kind == "attachment_left_out"))
    assert {f["filename"]: f["size"] for f in note.data["files"]} == {
        "dump.bin": 200 * MB,  # its whole size: measured, never cut
        "original-message.eml": path.stat().st_size,
    }
    assert peak < 20 * MB, f"peak {peak / MB:.1f} MB for a {path.stat().st_size / MB:.0f} MB message"
    assert rss < 40 * MB, f"RSS grew {rss / MB:.1f} MB"
