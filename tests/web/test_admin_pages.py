"""The admin pages: partners with their sites, contracts and account managers, the
catalogue and the plans. Same services as the API: refusals keep what was typed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from casemgr.assets.models import Part, Product
from casemgr.audit import AuditEntry
from casemgr.contracts.models import Contract, SupportPlan
from casemgr.organizations.models import Organization, Site
from tests.factories import T0

ADMIN = "root@vendor.example.com"


def _contract(session, number):
    return session.scalar(select(Contract).where(Contract.number == number))


def test_an_admin_creates_a_partner_and_lands_on_its_page_audited_as_a_web_action(web, world, session):
    admin = web(ADMIN)
    response = admin.post("/admin/organizations", {"name": "  Initech "})
    assert response.status_code == 303
    org = session.scalar(select(Organization).where(Organization.name == "Initech"))
    assert response.location.endswith(f"/admin/organizations/{org.id}")
    page = admin.get(response.location).get_data(as_text=True)
    assert "<h1>Initech</h1>" in page and "Nobody watches this partner yet." in page
    entry = session.scalar(select(AuditEntry).where(AuditEntry.object_id == org.id))
    assert (entry.action, entry.channel, entry.actor.email) == ("created", "web", ADMIN)


def test_every_admin_form_needs_the_csrf_token(web, world, session):
    admin = web(ADMIN)
    assert admin.post("/admin/organizations", {"name": "Initech"}, csrf=False).status_code == 400
    assert session.scalar(select(Organization).where(Organization.name == "Initech")) is None


def test_a_site_with_an_unknown_time_zone_is_refused_and_the_form_keeps_what_was_typed(web, world, session):
    admin = web(ADMIN)
    response = admin.post(
        f"/admin/organizations/{world.globex.id}/sites",
        {"name": "Globex Annex", "address": "3 Globex Str", "timezone": "Europe/Atlantis", "region": "eu-central"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Unknown time zone &#39;Europe/Atlantis&#39;" in page
    assert 'value="Globex Annex"' in page and 'value="Europe/Atlantis"' in page and "3 Globex Str" in page
    ok = admin.post(
        f"/admin/organizations/{world.globex.id}/sites",
        {"name": "Globex Annex", "timezone": "Europe/Paris", "region": "eu-central"},
    )
    assert ok.status_code == 303
    assert session.scalar(select(Site.timezone).where(Site.name == "Globex Annex")) == "Europe/Paris"


def test_a_site_saved_against_an_old_version_is_a_conflict_that_keeps_the_typed_text(web, world, session):
    site = world.acme.sites[0]
    admin, other = web(ADMIN), web(ADMIN)
    form = {"name": "Acme DC", "timezone": "America/New_York", "version": "1"}
    assert other.post(f"/admin/sites/{site.id}", {**form, "region": "us-east"}).status_code == 303
    response = admin.post(f"/admin/sites/{site.id}", {**form, "region": "us-west-typed"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "changed by someone else" in page and 'value="us-west-typed"' in page
    session.expire_all()
    assert session.get(Site, site.id).region == "us-east"
    assert 'value="2"' in admin.get(f"/admin/sites/{site.id}").get_data(as_text=True)


def test_a_contract_is_added_with_its_assets_and_a_bad_term_keeps_the_form(web, world, session):
    admin = web(ADMIN)
    url = f"/admin/organizations/{world.globex.id}/contracts"
    bad = {"number": "C-GLX-2", "plan_code": "PREM", "starts_on": "2027-01-01", "ends_on": "2026-01-01"}
    response = admin.post(url, {**bad, "asset_serials": ["GLOBEX-OLD"]})
    assert response.status_code == 422 and "cannot end before it starts" in response.get_data(as_text=True)
    assert 'value="C-GLX-2"' in response.get_data(as_text=True)
    assert admin.post(url, {**bad, "ends_on": "2027-12-31", "asset_serials": ["GLOBEX-OLD"]}).status_code == 303
    contract = _contract(session, "C-GLX-2")
    assert [a.serial for a in contract.assets] == ["GLOBEX-OLD"] and contract.plan.code == "PREM"
    foreign = admin.post(url, {**bad, "number": "C-GLX-3", "ends_on": "2027-12-31", "asset_serials": ["ACME-001"]})
    assert foreign.status_code == 422 and "belongs to another organisation" in foreign.get_data(as_text=True)


def test_a_contract_is_edited_against_its_version(web, world, session):
    contract = _contract(session, "C-GLOBEX")
    admin = web(ADMIN)
    page = admin.get(f"/admin/contracts/{contract.id}").get_data(as_text=True)
    assert "GLOBEX-001" in page and 'name="version" type="hidden" value="1"' in page
    form = {"plan_code": "STD", "starts_on": "2026-01-01", "ends_on": "2028-12-31", "version": "1"}
    assert admin.post(f"/admin/contracts/{contract.id}", {**form, "asset_serials": ["GLOBEX-001"]}).status_code == 303
    session.expire_all()
    assert (contract.ends_on.year, contract.version) == (2028, 2)
    stale = admin.post(f"/admin/contracts/{contract.id}", {**form, "ends_on": "2029-12-31"})
    assert stale.status_code == 409 and 'value="2029-12-31"' in stale.get_data(as_text=True)


def test_an_account_manager_is_assigned_and_unassigned_from_the_partner_page(web, world, session):
    admin = web(ADMIN)
    am = world.user("account")
    page = admin.get(f"/admin/organizations/{world.globex.id}").get_data(as_text=True)
    assert f'<option value="{am.id}">' in page and f'<option value="{world.user("engineer").id}">' not in page
    url = f"/admin/organizations/{world.globex.id}/account-managers"
    assert admin.post(url, {"user_id": str(am.id)}).status_code == 303
    again = admin.post(url, {"user_id": str(am.id)})
    assert again.status_code == 409 and "already an account manager of Globex" in again.get_data(as_text=True)
    assert web(am.email).get("/assets/GLOBEX-001").status_code == 200
    assert admin.post(f"{url}/{am.id}/remove").status_code == 303
    assert web(am.email).get("/assets/GLOBEX-001").status_code == 404
    assert admin.post(f"{url}/{am.id}/remove").status_code == 404


def test_parts_and_products_are_added_and_edited_from_the_catalogue(web, world, session):
    admin = web(ADMIN)
    created = admin.post(
        "/admin/parts", {"part_number": "NV-1", "description": "NVRAM card", "kind": "NVRAM", "data_bearing": "y"}
    )
    assert created.status_code == 303
    part = session.scalar(select(Part).where(Part.part_number == "NV-1"))
    assert (part.kind, part.data_bearing, part.customer_replaceable) == ("nvram", True, False)
    duplicate = admin.post("/admin/parts", {"part_number": "NV-1", "description": "typed again", "kind": "nvram"})
    assert duplicate.status_code == 409 and 'value="typed again"' in duplicate.get_data(as_text=True)
    product = session.scalar(select(Product).where(Product.model == "SA-1"))
    saved = admin.post(
        f"/admin/products/{product.id}",
        {
            "product_line": "StorArray",
            "end_of_support_on": "2031-03-31",
            "compatible_parts": ["DRV-1", "NV-1"],
            "version": "1",
        },
    )
    assert saved.status_code == 303
    session.expire_all()
    assert str(product.end_of_support_on) == "2031-03-31"
    assert [p.part_number for p in product.compatible_parts] == ["DRV-1", "NV-1"]
    catalogue = admin.get("/admin/catalogue").get_data(as_text=True)
    assert "2031-03-31" in catalogue and "data-bearing" in catalogue


def _targets_form(hours=4, minutes=30):
    form = {}
    for sev in "1234":
        form |= {f"s{sev}_first_response_h": "0", f"s{sev}_first_response_m": "45"}
        form |= {f"s{sev}_next_update_h": "2", f"s{sev}_next_update_m": ""}
        form |= {f"s{sev}_resolution_h": str(hours), f"s{sev}_resolution_m": str(minutes)}
    return form


def test_a_plan_is_created_with_targets_in_hours_and_minutes(web, world, session):
    admin = web(ADMIN)
    form = {
        "code": "GOLD",
        "name": "Gold 8x5",
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "opens": "08:00",
        "closes": "18:00",
        "onsite": "y",
        "included": "Parts and labour",
        **_targets_form(),
    }
    response = admin.post("/admin/support-plans", form)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    plan = session.scalar(select(SupportPlan).where(SupportPlan.code == "GOLD"))
    assert plan.targets["1"] == {"first_response": 45, "next_update": 120, "resolution": 270}
    assert plan.calendar.describe() == "Mon-Fri 08:00-18:00 (site local time)" and plan.entitlements == [
        "On-site field engineer"
    ]
    page = admin.get(f"/admin/support-plans/{plan.id}").get_data(as_text=True)
    assert 'name="s1_resolution_h" size="3" type="text" value="4"' in page.replace('inputmode="numeric" ', "")


def test_an_impossible_plan_is_refused_and_keeps_the_typed_hours(web, world, session):
    admin = web(ADMIN)
    form = {"code": "BAD", "name": "Bad", "always": "y", **_targets_form(hours=0, minutes=10)}
    response = admin.post("/admin/support-plans", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "first response cannot come after the resolution" in page
    assert 'value="BAD"' in page and session.scalar(select(SupportPlan).where(SupportPlan.code == "BAD")) is None


def test_the_included_text_saved_on_the_plan_is_shown_on_the_customers_asset_page(web, world, session):
    admin = web(ADMIN)
    plan = world.premium
    form = {
        "code": "PREM",
        "name": "Premium 24x7 4h",
        "onsite": "y",
        "advance_replacement": "y",
        "included": "Parts, labour and 4-hour on-site response",
        "not_included": "Consumables and racking",
        "version": "1",
        **_targets_form(),
    }
    assert admin.post(f"/admin/support-plans/{plan.id}", form).status_code == 303
    page = web("admin@acme.example.com").get("/assets/ACME-001").get_data(as_text=True)
    assert "Parts, labour and 4-hour on-site response" in page and "Consumables and racking" in page


def test_the_admin_menu_is_shown_to_administrators_only(web, world):
    assert 'href="/admin/organizations"' in web(ADMIN).get("/cases/").get_data(as_text=True)
    assert 'href="/admin/organizations"' not in web("mgr@vendor.example.com").get("/cases/").get_data(as_text=True)


def admin_urls(world, session) -> list[tuple[str, str]]:
    contract = _contract(session, "C-ACME")
    part = session.scalar(select(Part).where(Part.part_number == "DRV-1"))
    product = session.scalar(select(Product).where(Product.model == "SA-1"))
    org, site, am = world.acme.id, world.acme.sites[0].id, world.user("account").id
    return [
        ("GET", "/admin/"),
        ("GET", "/admin/organizations"),
        ("POST", "/admin/organizations"),
        ("GET", f"/admin/organizations/{org}"),
        ("POST", f"/admin/organizations/{org}"),
        ("POST", f"/admin/organizations/{org}/sites"),
        ("GET", f"/admin/sites/{site}"),
        ("POST", f"/admin/sites/{site}"),
        ("POST", f"/admin/organizations/{org}/contracts"),
        ("GET", f"/admin/contracts/{contract.id}"),
        ("POST", f"/admin/contracts/{contract.id}"),
        ("POST", f"/admin/organizations/{org}/account-managers"),
        ("POST", f"/admin/organizations/{org}/account-managers/{am}/remove"),
        ("GET", "/admin/catalogue"),
        ("POST", "/admin/parts"),
        ("GET", f"/admin/parts/{part.id}"),
        ("POST", f"/admin/parts/{part.id}"),
        ("POST", "/admin/products"),
        ("GET", f"/admin/products/{product.id}"),
        ("POST", f"/admin/products/{product.id}"),
        ("GET", "/admin/support-plans"),
        ("POST", "/admin/support-plans"),
        ("GET", f"/admin/support-plans/{world.premium.id}"),
        ("POST", f"/admin/support-plans/{world.premium.id}"),
    ]


@pytest.mark.parametrize(
    "email", ["mgr@vendor.example.com", "am@vendor.example.com", "eng@vendor.example.com", "admin@acme.example.com"]
)
def test_every_admin_page_and_form_answers_403_to_anyone_but_an_administrator(web, world, session, email):
    client = web(email)
    for method, url in admin_urls(world, session):
        response = client.get(url) if method == "GET" else client.post(url, {"name": "Hijack", "version": "1"})
        assert response.status_code == 403, (email, method, url)
    assert session.scalar(select(AuditEntry.id)) is None


def test_unknown_or_vendor_objects_answer_404_to_the_administrator(web, world):
    admin = web(ADMIN)
    for url in (
        "/admin/organizations/999999",
        f"/admin/organizations/{world.vendor.id}",
        "/admin/sites/999999",
        "/admin/contracts/999999",
        "/admin/parts/999999",
        "/admin/products/999999",
        "/admin/support-plans/999999",
    ):
        assert admin.get(url).status_code == 404, url


def test_business_hours_typed_wrong_are_refused_and_kept(web, world, session):
    form = {"code": "SILVER", "name": "Silver", "days": ["mon"], "opens": "9am", "closes": "17:00", **_targets_form()}
    response = web(ADMIN).post("/admin/support-plans", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "HH:MM to HH:MM" in page and 'value="9am"' in page
    assert session.scalar(select(SupportPlan).where(SupportPlan.code == "SILVER")) is None


def test_the_partner_page_lists_recent_changes_to_its_sites_and_contracts_and_who_made_them(web, world, session):
    admin = web(ADMIN)
    url = f"/admin/organizations/{world.globex.id}"
    assert admin.post(f"{url}/sites", {"name": "Globex Annex", "timezone": "UTC", "region": "eu"}).status_code == 303
    session.add(
        AuditEntry(
            at=T0,
            actor_id=None,
            action="updated",
            object_type="organization",
            object_id=world.globex.id,
            channel="cli",
            summary="name: 'Globex' -> 'Globex'",
        )
    )
    other = session.scalar(select(Site).where(Site.organization_id != world.globex.id))
    session.add(AuditEntry(at=T0, action="updated", object_type="site", object_id=other.id, channel="web", summary="x"))
    session.commit()
    page = admin.get(url).get_data(as_text=True)
    recent = page.split("Recent changes", 1)[1]
    assert "Site created: Globex Annex" in recent and "command line · cli" in recent
    assert "Site updated: x" not in recent  # another partner's site
