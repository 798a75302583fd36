"""The test-only file clock: processes started by a test read the instant the test writes,
and nothing uses it unless CASEMGR_TEST_CLOCK_FILE is set."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from casemgr.clock import FileClock
from casemgr.config import load_config


def test_the_file_clock_reads_the_instant_again_at_every_call(tmp_path):
    path = tmp_path / "clock"
    path.write_text("2026-12-07T10:00:00+00:00")
    clock = FileClock(path)
    assert clock.now() == datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    path.write_text("2026-12-07T12:30:00")  # no offset: UTC
    assert clock.now() == datetime(2026, 12, 7, 12, 30, tzinfo=UTC)
    path.write_text("not a time")
    with pytest.raises(ValueError):
        clock.now()


def test_the_file_clock_is_used_only_when_the_variable_names_a_file(tmp_path):
    assert load_config(tmp_path / "a", {})["CLOCK"] is None  # the app falls back to the system clock
    config = load_config(tmp_path / "b", {"CASEMGR_TEST_CLOCK_FILE": str(tmp_path / "clock")})
    assert isinstance(config["CLOCK"], FileClock) and config["CLOCK"].path == tmp_path / "clock"
