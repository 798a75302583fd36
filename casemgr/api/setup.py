"""Reading and editing what an administrator set up, one object at a time (GET, PATCH), and
a partner's account managers. Edits name the version they read, in the body (``version``)
or as ``If-Match``: a stale one is a 409 with the current version, never an overwrite.

Contracts are readable by whoever may see their organisation (a customer sees their own,
with the plan's included / not included text); everything else is for administrators.
"""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from casemgr.admin import account_managers, editing
from casemgr.api.admin_schemas import ContractOut, OrganizationOut, PartOut, PlanOut, ProductOut, SiteOut
from casemgr.api.auth import api_user
from casemgr.api.errors import ApiError
from casemgr.api.setup_schemas import (
    AccountManagerIn,
    AccountManagerOut,
    ContractPatch,
    OrganizationPatch,
    PartPatch,
    PlanPatch,
    ProductPatch,
    SitePatch,
)
from casemgr.assets.models import Part, Product
from casemgr.auth.models import User
from casemgr.auth.policy import org_filter
from casemgr.contracts.models import Contract, SupportPlan
from casemgr.db import get_session
from casemgr.errors import ForbiddenError, NotFoundError
from casemgr.organizations.models import Organization, Site
from casemgr.versions import if_match_version
from casemgr.web import now

blp = Blueprint("api_setup", __name__, description="Set-up objects one by one: read, edit, account managers")


def _admin() -> User:
    user = api_user()
    if user.role != "admin":
        raise ForbiddenError("Only administrators can do that.")
    return user


def _get(model, object_id: int, label: str):
    found = get_session().get(model, object_id)
    if found is None:
        raise NotFoundError(f"No {label} {object_id}.")
    return found


def _version(body: dict) -> int:
    """The version the caller read: ``version`` in the body, else the If-Match header."""
    if "version" in body:
        return body.pop("version")
    header = request.headers.get("If-Match")
    if header is None:
        raise ApiError(
            428,
            "Send the version you read: `version` in the body or an If-Match header.",
            code="precondition_required",
        )
    version = if_match_version(header)
    if version is None:
        raise ApiError(422, 'If-Match must be the version number you read, e.g. If-Match: "3".')
    return version


def _edit(service, obj, body: dict):
    actor, version = _admin(), _version(body)
    return service(get_session(), actor, obj, version=version, now=now(), channel="api", **body)


def _tagged(obj):
    """The object with its version as the response's ETag (the next PATCH's If-Match)."""
    return obj, 200, {"ETag": f'"{obj.version}"'}


@blp.route("/organizations/<id:org_id>")
class OrganizationOne(MethodView):
    @blp.response(200, OrganizationOut)
    def get(self, org_id):
        """One organisation."""
        _admin()
        return _tagged(_get(Organization, org_id, "organisation"))

    @blp.arguments(OrganizationPatch())
    @blp.response(200, OrganizationOut)
    def patch(self, body, org_id):
        """Rename an organisation."""
        _admin()
        return _tagged(_edit(editing.update_organization, _get(Organization, org_id, "organisation"), body))


@blp.route("/sites/<id:site_id>")
class SiteOne(MethodView):
    @blp.response(200, SiteOut)
    def get(self, site_id):
        """One site."""
        _admin()
        return _tagged(_get(Site, site_id, "site"))

    @blp.arguments(SitePatch())
    @blp.response(200, SiteOut)
    def patch(self, body, site_id):
        """Change a site: name, address, time zone (IANA), contact, field-service region."""
        _admin()
        return _tagged(_edit(editing.update_site, _get(Site, site_id, "site"), body))


@blp.route("/parts/<id:part_id>")
class PartOne(MethodView):
    @blp.response(200, PartOut)
    def get(self, part_id):
        """One part of the catalogue."""
        _admin()
        return _tagged(_get(Part, part_id, "part"))

    @blp.arguments(PartPatch())
    @blp.response(200, PartOut)
    def patch(self, body, part_id):
        """Change a part: description, kind, data-bearing, customer-replaceable."""
        _admin()
        return _tagged(_edit(editing.update_part, _get(Part, part_id, "part"), body))


@blp.route("/products/<id:product_id>")
class ProductOne(MethodView):
    @blp.response(200, ProductOut)
    def get(self, product_id):
        """One product with its compatible parts."""
        _admin()
        return _tagged(_get(Product, product_id, "product"))

    @blp.arguments(ProductPatch())
    @blp.response(200, ProductOut)
    def patch(self, body, product_id):
        """Change a product: product line, end-of-support date, compatible parts."""
        _admin()
        return _tagged(_edit(editing.update_product, _get(Product, product_id, "product"), body))


@blp.route("/plans/<id:plan_id>")
class PlanOne(MethodView):
    @blp.response(200, PlanOut)
    def get(self, plan_id):
        """One support plan (targets in minutes)."""
        _admin()
        return _tagged(_get(SupportPlan, plan_id, "plan"))

    @blp.arguments(PlanPatch())
    @blp.response(200, PlanOut)
    def patch(self, body, plan_id):
        """Change a plan: name, targets (open cases on it are re-timed), entitlements, included text."""
        _admin()
        return _tagged(_edit(editing.update_plan, _get(SupportPlan, plan_id, "plan"), body))


def visible_contract(contract_id: int) -> Contract:
    """The contract if the caller may see its organisation; 404 otherwise (exists or not)."""
    contract = get_session().scalar(
        select(Contract).where(Contract.id == contract_id, org_filter(api_user(), Contract.organization_id))
    )
    if contract is None:
        raise NotFoundError(f"No contract {contract_id}.")
    return contract


def visible_contracts() -> list[Contract]:
    stmt = select(Contract).where(org_filter(api_user(), Contract.organization_id)).order_by(Contract.number)
    return list(get_session().scalars(stmt))


@blp.route("/contracts/<id:contract_id>")
class ContractOne(MethodView):
    @blp.response(200, ContractOut)
    def get(self, contract_id):
        """One contract with its plan's terms (customers: their own organisation's only)."""
        return _tagged(visible_contract(contract_id))

    @blp.arguments(ContractPatch())
    @blp.response(200, ContractOut)
    def patch(self, body, contract_id):
        """Change a contract: plan, term, covered assets (open cases under it are re-timed)."""
        _admin()
        return _tagged(_edit(editing.update_contract, _get(Contract, contract_id, "contract"), body))


@blp.route("/organizations/<id:org_id>/account-managers")
class AccountManagers(MethodView):
    @blp.response(200, AccountManagerOut(many=True))
    def get(self, org_id):
        """The account managers who watch this partner."""
        _admin()
        return account_managers.account_managers_of(get_session(), _get(Organization, org_id, "organisation"))

    @blp.arguments(AccountManagerIn())
    @blp.response(201, AccountManagerOut)
    def post(self, body, org_id):
        """Assign an account manager (a vendor user with that role), by ``user_id`` or ``email``."""
        actor = _admin()
        if ("user_id" in body) == ("email" in body):
            raise ApiError(422, "Name the account manager by user_id or by email (one of them).")
        org = _get(Organization, org_id, "organisation")
        return account_managers.assign_account_manager(get_session(), actor, org, now=now(), channel="api", **body)


@blp.route("/organizations/<id:org_id>/account-managers/<id:user_id>")
class AccountManagerOne(MethodView):
    @blp.response(204)
    def delete(self, org_id, user_id):
        """Unassign: the account manager no longer sees this partner."""
        actor = _admin()
        org = _get(Organization, org_id, "organisation")
        account_managers.unassign_account_manager(get_session(), actor, org, now=now(), channel="api", user_id=user_id)
