"""Principle 7 for every route the app has: generated from ``app.url_map``, so that a new route
cannot be forgotten. Each route is either listed here as not tenant-scoped (with the reason),
or it is called with Globex's objects in its URL by Acme's customer admin and by an account
manager assigned to Acme only: the answer is a refusal (404, or 403 where the role may not
use the route at all) or a list of their own, and never shows Globex's data."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from casemgr.auth.models import ApiToken
from casemgr.cases import opening
from casemgr.cases.attachments import LocalAttachmentStore, Upload
from casemgr.cases.models import Attachment

#: Routes anybody (or only the caller, about themself) may use: nothing of a tenant in them.
NOT_TENANT_SCOPED = {
    "/": "the home page redirects by role",
    "/login": "signing in",
    "/logout": "signing out",
    "/account/forgot": "asks for a reset e-mail; answers the same for every address",
    "/account/password/<token>": "the link's secret token names the account",
    "/healthz": "liveness, no data",
    "/readyz": "readiness, no data",
    "/metrics": "counts only, network- and token-guarded",
    "/static/<path:filename>": "CSS and scripts",
    "/api/v1/openapi.json": "the API document",
    "/api/v1/docs": "the API reference page",
    "/settings": "the caller's own settings",
    "/settings/password": "the caller's own password",
    "/settings/timezone": "the caller's own time zone",
    "/settings/tokens": "the caller's own tokens",
    "/settings/tokens/<id:token_id>/revoke": "the caller's own tokens (another's id changes nothing: asserted below)",
    "/notifications/": "the caller's own notifications",
    "/notifications/read": "the caller's own notifications",
    "/notifications/preferences": "the caller's own preferences",
    "/api/v1/me/notification-preferences": "the caller's own preferences",
}

#: Lists a customer or an account manager may read: 200, with their own rows only.
SCOPED_LISTS = {
    "/cases/",
    "/cases/export.csv",
    "/assets/",
    "/rmas/",
    "/search",
    "/accounts/",
    "/accounts/cases.csv",
    "/accounts/team",
    "/api/v1/cases",
    "/api/v1/assets",
    "/api/v1/contracts",
    "/api/v1/organizations",
    "/api/v1/users",
    "/api/v1/search",
    "/api/v1/me/queue-views",
    "/cases/new",
}

#: What must never appear in an answer to Acme's people.
GLOBEX_MARKERS = ("Globex secret", "GLOBEX-001", "admin@globex.example.com", "C-GLOBEX", "Globex Lab", "globex only")


@pytest.fixture
def globex(app, session, world, clock):
    """Globex's objects, one of each kind a URL can name."""
    from casemgr.auth.tokens import create_token
    from casemgr.contracts.models import Contract
    from casemgr.organizations.models import Site

    store = LocalAttachmentStore(app.config["ATTACHMENT_DIR"], app.config["MAX_CONTENT_LENGTH"])
    case = opening.open_case(
        session,
        world.user("globex_admin"),
        store,
        asset_serial="GLOBEX-001",
        severity=2,
        subject="Globex secret",
        description="Confidential",
        uploads=[Upload("secret.log", io.BytesIO(b"globex only"))],
        now=clock.now(),
    )
    token, _ = create_token(session, world.user("globex_admin"), "globex", clock.now())
    component = world.globex_asset.components[0]
    return {
        "org_id": world.globex.id,
        "site_id": session.scalar(select(Site.id).where(Site.organization_id == world.globex.id)),
        "contract_id": session.scalar(select(Contract.id).where(Contract.number == "C-GLOBEX")),
        "number": case.number,
        "serial": "GLOBEX-001",
        "slot": component.slot,
        "component_id": component.id,
        "attachment_id": session.scalar(select(Attachment.id).where(Attachment.case_id == case.id)),
        "user_id": world.user("globex_admin").id,
        "token_id": token.id,
        "email": "admin@globex.example.com",
    }


#: Values that name no object at all: what an unknown object answers is what a foreign one must answer.
UNKNOWN = {
    "org_id": 999999,
    "site_id": 999999,
    "contract_id": 999999,
    "number": "CS-999999",
    "serial": "NO-SUCH-SERIAL",
    "slot": "bay 1",
    "component_id": 999999,
    "attachment_id": 999999,
    "user_id": 999999,
    "token_id": 999999,
    "email": "nobody@nowhere.example.com",
}


def fill(rule: str, values: dict) -> str:
    """The rule's URL with these objects (an id that names nothing where Globex has none)."""

    def value(match: re.Match) -> str:
        name = match.group(1).split(":")[-1]
        return str(values.get(name, {"action": "approve", "name": "volume"}.get(name, "999999")))

    return re.sub(r"<([^>]+)>", value, rule)


def routes(app) -> list[tuple[str, str]]:
    return sorted(
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        if rule.rule not in NOT_TENANT_SCOPED
    )


def call(client, method: str, url: str):
    if url.startswith("/api/"):
        return client.client.open(url, method=method, headers=client.headers, json={})
    return client.get(url) if method == "GET" else client.post(url, data={"version": "1", "body": "x"})


def error_code(response) -> str | None:
    return response.get_json()["error"].get("code") if response.is_json and response.status_code >= 400 else None


def test_every_route_is_either_checked_here_or_listed_as_not_tenant_scoped(app):
    every = {rule.rule for rule in app.url_map.iter_rules()}
    assert set(NOT_TENANT_SCOPED) <= every, set(NOT_TENANT_SCOPED) - every  # no stale entry
    assert set(SCOPED_LISTS) <= every, set(SCOPED_LISTS) - every
    assert routes(app), "the matrix below would check nothing"


@pytest.mark.parametrize("who", ["acme_admin", "account"])
def test_no_route_answers_acme_with_globex_data(app, session, world, web, api, globex, who):
    browser = web(world.user(who).email)
    token = api(who)
    leaks: list[tuple] = []
    accepted: list[tuple] = []
    told: list[tuple] = []
    for rule, method in routes(app):
        url = fill(rule, globex)
        response = call(token if url.startswith("/api/") else browser, method, url)
        body = response.get_data().decode("utf-8", "replace")
        if any(marker in body for marker in GLOBEX_MARKERS if marker not in url):  # echoing the URL is no leak
            leaks.append((method, rule, response.status_code))
        named = any(f"<{p}" in rule or f":{p}>" in rule for p in globex)
        if named and rule not in SCOPED_LISTS and response.status_code < 400:
            accepted.append((method, rule, response.status_code))
        if named:  # a foreign object answers exactly as an unknown one: its existence does not show
            unknown = call(token if url.startswith("/api/") else browser, method, fill(rule, UNKNOWN))
            if (unknown.status_code, error_code(unknown)) != (response.status_code, error_code(response)):
                told.append((method, rule, response.status_code, unknown.status_code))
    assert leaks == [], f"{who} saw Globex's data at: {leaks}"
    assert accepted == [], f"{who} was answered as if Globex's object were theirs: {accepted}"
    assert told == [], f"{who} could tell Globex's objects from unknown ones at: {told}"
    browser.post(fill("/settings/tokens/<id:token_id>/revoke", globex))
    assert session.get(ApiToken, globex["token_id"]).revoked_at is None
