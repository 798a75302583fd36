"""Administration endpoints (``admin`` role): a deployment can be set up through the API alone."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from casemgr.admin import services as admin
from casemgr.api.admin_schemas import (
    ContractIn,
    ContractOut,
    OrganizationIn,
    OrganizationOut,
    PartIn,
    PartOut,
    PlanIn,
    PlanOut,
    ProductIn,
    ProductOut,
    SiteIn,
    SiteOut,
)
from casemgr.api.auth import api_user
from casemgr.assets.models import Part, Product
from casemgr.auth.models import User
from casemgr.contracts.models import SupportPlan
from casemgr.db import get_session
from casemgr.errors import ForbiddenError, NotFoundError
from casemgr.organizations.models import Organization, Site
from casemgr.web import now

blp = Blueprint("api_admin", __name__, description="Administration (admin role)")


def _admin() -> User:
    user = api_user()
    if user.role != "admin":
        raise ForbiddenError("Only administrators can do that.")
    return user


def _all(model, order):
    _admin()
    return list(get_session().scalars(select(model).order_by(order)))


def _org(org_id: int) -> Organization:
    org = get_session().get(Organization, org_id)
    if org is None:
        raise NotFoundError(f"No organisation {org_id}.")
    return org


@blp.route("/organizations")
class Organizations(MethodView):
    @blp.response(200, OrganizationOut(many=True))
    def get(self):
        """Every organisation."""
        return _all(Organization, Organization.name)

    @blp.arguments(OrganizationIn())
    @blp.response(201, OrganizationOut)
    def post(self, body):
        """Register a partner organisation."""
        return admin.create_organization(get_session(), _admin(), name=body["name"], now=now())


@blp.route("/organizations/<id:org_id>/sites")
class Sites(MethodView):
    @blp.response(200, SiteOut(many=True))
    def get(self, org_id):
        """The organisation's sites."""
        _admin()
        return list(get_session().scalars(select(Site).where(Site.organization_id == _org(org_id).id)))

    @blp.arguments(SiteIn())
    @blp.response(201, SiteOut)
    def post(self, body, org_id):
        """Add a site (its time zone drives business-hours coverage)."""
        return admin.create_site(get_session(), _admin(), _org(org_id), now=now(), **body)


@blp.route("/parts")
class Parts(MethodView):
    @blp.response(200, PartOut(many=True))
    def get(self):
        """The parts catalogue."""
        return _all(Part, Part.part_number)

    @blp.arguments(PartIn())
    @blp.response(201, PartOut)
    def post(self, body):
        """Add a field-replaceable part; data-bearing parts get keep-your-drive handling."""
        return admin.create_part(get_session(), _admin(), now=now(), **body)


@blp.route("/products")
class Products(MethodView):
    @blp.response(200, ProductOut(many=True))
    def get(self):
        """Products with their compatible parts."""
        return _all(Product, Product.model)

    @blp.arguments(ProductIn())
    @blp.response(201, ProductOut)
    def post(self, body):
        """Add a product model and the parts that fit it."""
        return admin.create_product(get_session(), _admin(), now=now(), **body)


@blp.route("/plans")
class Plans(MethodView):
    @blp.response(200, PlanOut(many=True))
    def get(self):
        """Support plans with their targets (minutes per severity)."""
        return _all(SupportPlan, SupportPlan.code)

    @blp.arguments(PlanIn())
    @blp.response(201, PlanOut)
    def post(self, body):
        """Add a plan: targets per severity, coverage calendar, entitlements."""
        return admin.create_plan(get_session(), _admin(), now=now(), **body)


@blp.route("/contracts")
class Contracts(MethodView):
    @blp.response(200, ContractOut(many=True))
    def get(self):
        """The contracts the caller may see (customers: their own; admins: all), with the plan's terms."""
        from casemgr.api.setup import visible_contracts

        return visible_contracts()

    @blp.arguments(ContractIn())
    @blp.response(201, ContractOut)
    def post(self, body):
        """Add a contract covering some of the organisation's assets."""
        return admin.create_contract(get_session(), _admin(), now=now(), **body)
