"""``casemgr calendar import-ics``: holidays from a file, through the same service as the API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from casemgr.audit import AuditEntry
from casemgr.contracts.models import BusinessCalendar
from tests.unit.test_calendar_rules import ics


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args), catch_exceptions=False)


def test_import_ics_adds_the_all_day_events_and_audits_who(cli, world, session, tmp_path):
    path = tmp_path / "holidays.ics"
    path.write_bytes(ics("DTSTART;VALUE=DATE:20261231\r\nDTEND;VALUE=DATE:20270102\r\nSUMMARY:Year end\r\n"))
    result = cli("calendar", "import-ics", "Business", str(path), "--as", "mgr@vendor.example.com")
    assert result.exit_code == 0, result.output
    assert "Added 2 holiday(s) to Business: 2026-12-31, 2027-01-01." in result.output
    session.expire_all()
    calendar = session.scalar(select(BusinessCalendar).where(BusinessCalendar.name == "Business"))
    assert calendar.holidays == ["2026-12-31", "2027-01-01"]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.object_id == calendar.id))
    assert entry.actor_id == world.user("manager").id and "from holidays.ics" in entry.summary
    again = cli("calendar", "import-ics", "Business", str(path))
    assert again.exit_code == 0 and "Nothing new" in again.output


@pytest.mark.parametrize(
    ("name", "content", "extra", "message"),
    [
        ("Business", b"not a calendar at all", [], "not an iCalendar"),
        ("Nope", None, [], "No coverage calendar named 'Nope'"),
        ("Business", None, ["--as", "eng@vendor.example.com"], "Only support managers"),
    ],
)
def test_import_ics_explains_what_is_wrong(cli, world, session, tmp_path, name, content, extra, message):
    path = tmp_path / "file.ics"
    path.write_bytes(content or ics("DTSTART;VALUE=DATE:20261231\r\n"))
    result = cli("calendar", "import-ics", name, str(path), *extra)
    assert result.exit_code != 0 and message in result.output
    session.expire_all()
    assert session.scalar(select(BusinessCalendar.holidays).where(BusinessCalendar.name == "Business")) == []
