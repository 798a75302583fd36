"""Issue 17, the end-to-end proof: from an empty database to a working service, without SQL
and without demo data, on SQLite and PostgreSQL.

The real CLI (in a subprocess) runs ``casemgr init`` and makes the admin's token; every
later set-up step is an HTTP call of the API (or, for the invited customer, the set-password
page and the Settings page a person would use). A Severity 1 case is opened through the
API, the app's clock is moved and the scheduler's pass (``tick``) is run: the default
ladder's steps fire and their e-mails reach the right people through a real SMTP server.
The database is only read, to assert.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from casemgr import create_app
from casemgr.clock import FixedClock
from casemgr.db import new_session
from casemgr.registry import registry_of
from escalation.models import EscalationFiring
from escalation.scheduler import tick
from tests.conftest import T0, WebClient
from tests.smtp_sink import SmtpSink

pytestmark = pytest.mark.commits

REPO = Path(__file__).resolve().parents[2]
CASEMGR = Path(sys.executable).parent / "casemgr"
ADMIN = "ops@northwind.example.com"
PASSWORD = "a long enough secret"


@pytest.fixture
def sink():
    server = SmtpSink().start()
    yield server
    server.stop()


def cli(url: str, tmp_path: Path, *args: str, stdin: str | None = None) -> str:
    """The real ``casemgr`` command in a process of its own, as an operator runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEMGR_")}
    env.update(
        DATABASE_URL=url,
        SECRET_KEY="test-only-" + "z" * 20,
        CASEMGR_INSTANCE=str(tmp_path / "instance"),
        PYTHONPATH=str(REPO),
    )
    done = subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [str(CASEMGR), *args], input=stdin, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


class Api:
    """The API as a client program sees it: a bearer token and JSON."""

    def __init__(self, app, token: str) -> None:
        self.client, self.headers = app.test_client(), {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, expect: int = 200, **kw):
        response = self.client.open(f"/api/v1{path}", method=method, headers=self.headers, **kw)
        assert response.status_code == expect, (method, path, response.get_data(as_text=True)[:1500])
        return response.get_json()

    def get(self, path: str, **kw):
        return self.call("GET", path, **kw)

    def post(self, path: str, body: dict | None = None, expect: int = 201, **kw):
        return (
            self.call("POST", path, expect, json=body, **kw)
            if body is not None
            else self.call("POST", path, expect, **kw)
        )


def token_from_settings(app, email: str, password: str) -> str:
    """What a person does in the browser: log in, Settings, create a token, copy it."""
    web = WebClient(app.test_client()).login(email, password)
    page = web.post("/settings/tokens", data={"name": "e2e"})
    assert page.status_code == 201
    return re.search(r'<code class="token">([^<]+)</code>', page.get_data(as_text=True)).group(1)


def mails_to(sink: SmtpSink, email: str) -> list:
    return [m for m in sink.messages if email in m["To"]]


def test_a_vendor_goes_from_an_empty_database_to_an_escalating_severity_1_case(empty_url, tmp_path, sink):
    out = cli(
        empty_url,
        tmp_path,
        "init",
        "--vendor",
        "Northwind Storage",
        "--admin-email",
        ADMIN,
        "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )
    assert "Admin created: ops@northwind.example.com." in out and "Password for" not in out
    admin_token = cli(empty_url, tmp_path, "token", "create", "--user", ADMIN).strip()

    clock = FixedClock(T0)
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": empty_url,
            "SECRET_KEY": "test-only-" + "z" * 20,
            "CLOCK": clock,
            "RATELIMIT_ENABLED": False,
            "TESTING": True,
            "SMTP_URL": sink.url,
            "BASE_URL": "https://support.northwind.example.com/",
        }
    )
    try:
        run_the_partner_setup_and_the_ladder(app, clock, sink, Api(app, admin_token))
    finally:
        registry_of(app).db.dispose()


def run_the_partner_setup_and_the_ladder(app, clock: FixedClock, sink: SmtpSink, root: Api) -> None:
    staff = {
        "l1@northwind.example.com": {"role": "support_engineer", "tier": "L1"},
        "l2@northwind.example.com": {"role": "support_engineer", "tier": "L2"},
        "duty@northwind.example.com": {"role": "support_manager"},
        "am@northwind.example.com": {"role": "account_manager"},
    }
    ids = {
        email: root.post("/users", {"email": email, "password": PASSWORD, **extra})["id"]
        for email, extra in staff.items()
    }

    org = root.post("/organizations", {"name": "Contoso Bank"})
    site = root.post(f"/organizations/{org['id']}/sites", {"name": "Frankfurt DC", "timezone": "Europe/Berlin"})
    assert site["timezone"] == "Europe/Berlin"
    root.post("/parts", {"part_number": "DRV-8T", "description": "8 TB drive", "kind": "drive", "data_bearing": True})
    root.post("/parts", {"part_number": "PSU-1100", "description": "1100 W power supply", "kind": "psu"})
    root.post(
        "/products", {"model": "NW-9000", "product_line": "NorthArray", "compatible_parts": ["DRV-8T", "PSU-1100"]}
    )
    plan = root.post(
        "/plans",
        {
            "code": "MC-24x7",
            "name": "Mission Critical 24x7 1h",
            "always": True,
            "targets": {s: {"first_response": 60, "next_update": 240, "resolution": 600} for s in "1234"},
            "onsite": True,
            "advance_replacement": True,
        },
    )
    assert plan["code"] == "MC-24x7"
    contract = root.post(
        "/contracts",
        {
            "number": "C-CONTOSO-1",
            "organization_id": org["id"],
            "plan_code": "MC-24x7",
            "starts_on": "2026-01-01",
            "ends_on": "2027-12-31",
        },
    )
    asset = root.post(
        "/assets",
        {
            "serial": "NW-0001",
            "product_model": "NW-9000",
            "organization_id": org["id"],
            "site": "Frankfurt DC",
            "components": [{"slot": "bay 1", "part_number": "DRV-8T", "serial": "nwd-0001"}],
        },
    )
    assert asset["serial"] == "NW-0001"
    csv = (
        "serial,product_model,organization,site,contract,components\n"
        "NW-0002,NW-9000,Contoso Bank,Frankfurt DC,C-CONTOSO-1,bay 1=DRV-8T:NWD-0002; PSU 1=PSU-1100:NWP-0002\n"
        "NW-0003,NW-9000,Contoso Bank,Frankfurt DC,C-CONTOSO-1,bay 1=DRV-8T:NWD-0003\n"
    )
    imported = root.post(
        "/assets/import", data={"file": (io.BytesIO(csv.encode()), "contoso.csv")}, content_type="multipart/form-data"
    )
    assert imported == {"imported": 2, "components": 3}
    coverage = root.get("/assets/NW-0002")["coverage"]
    assert coverage["covered"] is True and coverage["contract"] == contract["number"]

    invited = root.post(
        "/users", {"email": "it@contoso.example.com", "role": "customer_admin", "organization_id": org["id"]}
    )
    assert invited["status"] == "invited"
    root.post(f"/organizations/{org['id']}/account-managers", {"user_id": ids["am@northwind.example.com"]})
    assert [m["email"] for m in root.get(f"/organizations/{org['id']}/account-managers")] == [
        "am@northwind.example.com"
    ]

    tick(app)  # the scheduler's pass delivers the invitation
    (invitation,) = mails_to(sink, "it@contoso.example.com")
    link = re.search(
        r"https://support\.northwind\.example\.com(/account/password/\S+)",
        invitation.get_body(preferencelist=("plain",)).get_content(),
    ).group(1)
    browser = WebClient(app.test_client())
    page = browser.client.get(link)
    assert page.status_code == 200
    browser.token = WebClient.CSRF.search(page.get_data(as_text=True)).group(1)
    assert browser.post(link, data={"password": PASSWORD, "confirm": PASSWORD}).status_code in (302, 303)
    assert root.get(f"/users/{invited['id']}")["status"] == "active"

    customer = Api(app, token_from_settings(app, "it@contoso.example.com", PASSWORD))
    opened_at = clock.now()
    case = customer.post(
        "/cases", {"asset_serial": "NW-0002", "severity": 1, "subject": "Array offline", "description": "All LUNs gone"}
    )
    assert case["entitled"] is True and case["severity"] == 1
    number = case["number"]
    tick(app)  # the acknowledgement
    assert any(number in m["Subject"] for m in mails_to(sink, "it@contoso.example.com"))
    before = len(sink.messages)

    fired: list[str] = []
    for minutes in (30, 60, 90):  # 50, 100 and 150 % of the 60-minute first response, nobody answering
        clock.set(opened_at + timedelta(minutes=minutes))
        tick(app)
        fired = [e["body"] for e in root.get(f"/cases/{number}/events")["items"] if e["kind"] == "escalation_fired"]
        assert len(fired) == minutes // 30, (minutes, fired)  # one step at each, on time
    assert all(" (late " not in body for body in fired), fired
    assert any("(Remind the owner)" in body for body in fired)
    assert any("moves to L2 engineering (Page L2 on call)" in body for body in fired)
    assert any("(Page the duty manager)" in body for body in fired)
    escalation_mail = {
        (to.strip(), m["Subject"].split("Escalation: ", 1)[1])
        for m in sink.messages[before:]
        if "Escalation: " in m["Subject"]
        for to in m["To"].split(",")
    }
    assert escalation_mail == {
        ("l1@northwind.example.com", "Remind the owner"),
        ("l2@northwind.example.com", "Page L2 on call"),
        ("duty@northwind.example.com", "Page the duty manager"),
        ("am@northwind.example.com", "Page the duty manager"),
    }
    assert customer.get(f"/cases/{number}")["escalation_level"] == 1
    assert root.get(f"/cases/{number}")["tier"] == "L2"
    customer_bodies = [e["body"] for e in customer.get(f"/cases/{number}/events")["items"]]
    assert not any("Remind the owner" in body for body in customer_bodies)  # internal to the vendor
    assert any("Page the duty manager" in body for body in customer_bodies)

    tick(app)  # the same instant again: every step fired exactly once
    with new_session(app) as session:
        assert len(session.scalars(select(EscalationFiring)).all()) == 3

    account_manager = Api(app, token_from_settings(app, "am@northwind.example.com", PASSWORD))
    assert [c["number"] for c in account_manager.get("/cases")["items"]] == [number]
