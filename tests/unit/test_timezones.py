"""Reading a typed wall-clock time in a zone: the skipped hour is refused, the repeated one is the first."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from casemgr.timezones import NonexistentLocalTime, label, read_local, valid_zone

BERLIN = ZoneInfo("Europe/Berlin")


def test_a_time_typed_in_berlin_is_read_in_berlin():
    assert read_local(datetime(2026, 11, 3, 10, 0), BERLIN) == datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    assert read_local(datetime(2026, 7, 3, 10, 0), BERLIN) == datetime(2026, 7, 3, 8, 0, tzinfo=UTC)


def test_the_hour_the_clocks_skip_is_refused_not_moved():
    with pytest.raises(NonexistentLocalTime, match="does not exist in Europe/Berlin"):
        read_local(datetime(2027, 3, 28, 2, 30), BERLIN)


def test_the_hour_that_happens_twice_is_read_as_the_first():
    assert read_local(datetime(2026, 10, 25, 2, 30), BERLIN) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_only_known_zone_names_are_accepted():
    assert valid_zone("Asia/Tokyo") == "Asia/Tokyo"
    for bad in ("", "Mars/Olympus", "Europe/Berlin\r\nX-Evil: 1", "../../etc/passwd", None):
        assert valid_zone(bad) is None


def test_a_form_names_its_zone_with_the_offset():
    assert label(BERLIN, datetime(2026, 11, 3, tzinfo=UTC)) == "Europe/Berlin, UTC+01:00"
    assert label(ZoneInfo("America/St_Johns"), datetime(2026, 11, 3, tzinfo=UTC)) == "America/St_Johns, UTC-03:30"
