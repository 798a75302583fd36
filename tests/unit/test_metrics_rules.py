"""Who may read /metrics, and which metric files belong to processes that are gone."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from casemgr.metrics.access import MetricsAccess, parse_networks
from casemgr.metrics.multiproc import file_pid, prepare

TOKEN = "0123456789abcdef-metrics"


@pytest.mark.parametrize(
    ("config", "address", "headers", "allowed"),
    [
        ({}, "127.0.0.1", {}, True),
        ({}, "::1", {}, True),
        ({}, "::ffff:127.0.0.1", {}, True),  # a dual-stack socket's view of loopback
        ({}, "10.1.2.3", {}, False),
        ({}, "127.0.0.1", {"X-Forwarded-For": "198.51.100.7"}, False),
        ({}, "127.0.0.1", {"Forwarded": "for=198.51.100.7"}, False),
        ({}, "127.0.0.1", {"X-Real-IP": "198.51.100.7"}, False),
        ({}, None, {}, False),
        ({}, "not-an-address", {}, False),
        ({"METRICS_ALLOWED_NETWORKS": "10.0.0.0/8"}, "10.1.2.3", {}, True),
        ({"METRICS_ALLOWED_NETWORKS": "10.0.0.0/8"}, "127.0.0.1", {}, False),
        ({"METRICS_ALLOWED_NETWORKS": "none"}, "127.0.0.1", {}, False),
        ({"METRICS_TOKEN": TOKEN}, "198.51.100.7", {"Authorization": f"Bearer {TOKEN}"}, True),
        ({"METRICS_TOKEN": TOKEN}, "198.51.100.7", {"Authorization": f"bearer {TOKEN}"}, True),
        ({"METRICS_TOKEN": TOKEN}, "127.0.0.1", {"Authorization": f"Bearer {TOKEN}", "X-Forwarded-For": "x"}, True),
        ({"METRICS_TOKEN": TOKEN}, "198.51.100.7", {"Authorization": "Bearer nope"}, False),
        ({"METRICS_TOKEN": TOKEN}, "198.51.100.7", {"Authorization": f"Basic {TOKEN}"}, False),
        ({"METRICS_TOKEN": TOKEN}, "198.51.100.7", {}, False),
        ({}, "198.51.100.7", {"Authorization": "Bearer anything"}, False),  # no token configured: none works
    ],
)
def test_the_metrics_access_rule(config, address, headers, allowed):
    assert MetricsAccess.from_config(config).allows(address, headers) is allowed


def test_only_the_token_digest_is_kept():
    access = MetricsAccess.from_config({"METRICS_TOKEN": TOKEN})
    assert TOKEN not in repr(access) and access.token_sha256 is not None


def test_a_bad_network_is_refused_at_startup_with_its_name():
    with pytest.raises(ValueError, match="'10.0.0.0/33' is not an address or network"):
        parse_networks("127.0.0.1/32, 10.0.0.0/33")


def test_metric_files_name_their_process(tmp_path):
    assert file_pid(tmp_path / "counter_1234.db") == 1234
    assert file_pid(tmp_path / "gauge_livesum_99.db") == 99
    assert file_pid(tmp_path / "notes.txt") is None and file_pid(tmp_path / "counter_x.db") is None


def test_prepare_removes_the_files_of_processes_that_are_gone_only(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    dead_pid = int(gone.stdout)
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / f"counter_{dead_pid}.db").write_bytes(b"x")
    (folder / f"histogram_{os.getpid()}.db").write_bytes(b"x")
    (folder / "histogram_1.db").write_bytes(b"x")  # init: alive, never ours to remove
    removed = prepare(folder)
    assert [p.name for p in removed] == [f"counter_{dead_pid}.db"]
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"histogram_{os.getpid()}.db", "histogram_1.db"])
    assert prepare(tmp_path / "new" / "folder") == [] and (tmp_path / "new" / "folder").is_dir()
