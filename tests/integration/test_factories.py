"""The factories make what they say, complete enough for the services, and nothing more."""

from __future__ import annotations

from sqlalchemy import func, select

from casemgr.assets.models import Asset
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.organizations.models import Organization
from rma.models import Rma
from tests.factories import PASSWORD, create_asset, create_case, create_rma, create_user


def test_a_user_of_a_vendor_role_joins_the_vendor_and_a_customer_a_new_partner(session):
    engineer, again = create_user(session), create_user(session)
    customer = create_user(session, "customer_admin")
    assert engineer.organization.is_vendor and again.organization_id == engineer.organization_id
    assert not customer.organization.is_vendor and engineer.email != again.email
    assert engineer.check_password(PASSWORD) and not engineer.check_password("wrong")
    assert session.scalar(select(func.count()).select_from(User)) == 3


def test_a_case_is_opened_by_the_partner_on_a_covered_asset_and_nothing_else_is_made(session, clock):
    case = create_case(session, slot="bay 2", now=clock.now())
    assert case.number and case.entitled and case.component.slot == "bay 2"
    assert case.organization_id == case.asset.organization_id == case.opened_by.organization_id
    assert [session.scalar(select(func.count()).select_from(m)) for m in (Organization, Asset, Case)] == [1, 1, 1]
    uncovered = create_case(session, asset=create_asset(session, plan=None, org=case.organization))
    assert not uncovered.entitled and uncovered.organization_id == case.organization_id


def test_an_rma_is_opened_for_the_component_of_its_case(session):
    rma = create_rma(session, slot="bay 3")
    assert session.get(Rma, rma.id) is rma and rma.case_id == rma.case.id
    assert rma.failed_component_id == rma.case.component_id and rma.case.component.slot == "bay 3"
