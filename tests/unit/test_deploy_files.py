"""deploy/: the systemd units pass ``systemd-analyze verify`` and carry the hardening and
environment the guide promises; the gunicorn config sets what the metrics and logs need."""

from __future__ import annotations

import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = ("casemgr-web.service", "casemgr-scheduler.service")
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "RestrictSUIDSGID": "yes",
    "CapabilityBoundingSet": "",
}


def directives(path: Path) -> dict[str, list[str]]:
    """``Key=value`` lines of a unit file, every value of a key repeated (Environment=...)."""
    found: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


@pytest.mark.parametrize("unit", UNITS)
def test_the_unit_passes_systemd_analyze_verify(unit, tmp_path):
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed; the units are still parsed by the test below")
    # The units name the production venv; verify checks that the binary exists, so point it at this one.
    text = (DEPLOY / unit).read_text().replace("/opt/casemgr/venv/bin/", f"{Path(sys.executable).parent}/")
    (tmp_path / unit).write_text(text)
    result = subprocess.run([tool, "verify", "--man=no", str(tmp_path / unit)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout + result.stderr


@pytest.mark.parametrize("unit", UNITS)
def test_the_unit_is_hardened_reads_its_environment_file_and_shares_the_metrics_folder(unit):
    found = directives(DEPLOY / unit)
    for key, value in HARDENING.items():
        assert found.get(key) == [value], key
    assert found["EnvironmentFile"] == ["/etc/casemgr/casemgr.env"]
    assert "PROMETHEUS_MULTIPROC_DIR=/run/casemgr-metrics" in found["Environment"]
    assert found["RuntimeDirectory"] == ["casemgr-metrics"] and found["RuntimeDirectoryPreserve"] == ["yes"]
    assert found["User"] == ["casemgr"] and found["Restart"] == ["on-failure"]


def test_the_units_start_gunicorn_with_the_config_and_the_scheduler():
    assert directives(DEPLOY / UNITS[0])["ExecStart"] == [
        "/opt/casemgr/venv/bin/gunicorn -c /opt/casemgr/src/deploy/gunicorn.conf.py"
    ]
    assert directives(DEPLOY / UNITS[1])["ExecStart"] == ["/opt/casemgr/venv/bin/casemgr scheduler"]


def test_the_gunicorn_config(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    monkeypatch.setenv("CASEMGR_WORKERS", "3")
    monkeypatch.delenv("CASEMGR_BIND", raising=False)
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert conf["wsgi_app"] == "casemgr:create_app()" and conf["workers"] == 3
    assert conf["bind"] == ["127.0.0.1:8000"] and conf["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert conf["accesslog"] is None and conf["control_socket_disable"] is True
    assert callable(conf["child_exit"]) and callable(conf["on_starting"])
    handler = conf["logconfig_dict"]["handlers"]["stderr"]
    assert handler["formatter"] == "casemgr" and handler["filters"] == ["context"]
