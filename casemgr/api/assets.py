"""Asset operations of the API: find assets and read their components and coverage."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from casemgr.api.admin_schemas import AssetIn, InstallIn
from casemgr.api.auth import api_user
from casemgr.api.schemas import AssetQuerySchema, AssetSchema
from casemgr.assets import import_jobs
from casemgr.assets.queries import AssetCoverage, asset_coverage, assets_with_coverage
from casemgr.assets.services import install_component
from casemgr.db import get_session
from casemgr.errors import InvalidInput
from casemgr.web import now

blp = Blueprint("api_assets", __name__, description="Registered hardware")


def represent(row: AssetCoverage) -> dict:
    a, c = row.asset, row.contract
    return {
        "serial": a.serial,
        "product": a.product.model,
        "organization": a.organization.name,
        "site": a.site.name,
        "site_timezone": a.site.timezone,
        "components": a.installed_components,
        "coverage": {
            "covered": c is not None,
            "contract": c.number if c else None,
            "plan": c.plan.name if c else None,
            "coverage_hours": c.plan.calendar.describe() if c else None,
            "entitlements": c.plan.entitlements if c else [],
            "included": c.plan.included if c else "",
            "not_included": c.plan.not_included if c else "",
            "starts_on": c.starts_on if c else None,
            "ends_on": c.ends_on if c else None,
        },
    }


@blp.route("/assets")
class Assets(MethodView):
    @blp.arguments(AssetQuerySchema(), location="query")
    @blp.response(200, AssetSchema(many=True))
    def get(self, args):
        """Assets the caller may see; filter by serial prefix and organisation."""
        rows = assets_with_coverage(
            get_session(),
            api_user(),
            now().date(),
            serial_prefix=args.get("serial", ""),
            organization_id=args.get("org"),
        )
        return [represent(r) for r in rows]

    @blp.arguments(AssetIn())
    @blp.response(201, AssetSchema)
    def post(self, body):
        """Register an asset with its components (admin role)."""
        from casemgr.admin.services import create_asset

        session, user = get_session(), api_user()
        asset = create_asset(
            session,
            user,
            serial=body["serial"],
            product_model=body["product_model"],
            organization_id=body["organization_id"],
            site_name=body["site"],
            components=body["components"],
            now=now(),
        )
        return represent(asset_coverage(session, user, asset.serial, now().date()))


class ImportUpload(Schema):
    file = Upload(required=True, metadata={"description": "the CSV: serial, product_model, organization, site[, ...]"})


class ImportLineError(Schema):
    line = fields.Integer()
    message = fields.String()


class ImportSummary(Schema):
    imported = fields.Integer()
    components = fields.Integer()


@blp.route("/assets/import")
class AssetImport(MethodView):
    @blp.arguments(ImportUpload(), location="files")
    @blp.response(201, ImportSummary)
    @blp.alt_response(422, description="Refused rows (nothing imported): `details` lists {line, message}")
    def post(self, files):
        """Import assets from a CSV upload (admin role): all rows or none. A refused file is a 422
        whose `details` name each bad line and what is wrong with it."""
        upload = files["file"]
        result = import_jobs.import_now(
            get_session(), api_user(), filename=upload.filename or "upload.csv", data=upload.read(), now=now()
        )
        if result.errors:
            raise InvalidInput(
                f"{len(result.errors)} row(s) refused; nothing was imported.",
                details=[{"line": e.line, "message": e.message} for e in result.errors],
            )
        return {"imported": result.imported, "components": result.components}


@blp.route("/assets/<serial>")
class AssetItem(MethodView):
    @blp.response(200, AssetSchema)
    def get(self, serial):
        """One asset with its installed components and the contract covering it today."""
        return represent(asset_coverage(get_session(), api_user(), serial, now().date()))


@blp.route("/assets/<serial>/components/<slot>/install")
class Install(MethodView):
    @blp.arguments(InstallIn())
    @blp.response(201, AssetSchema)
    def post(self, body, serial, slot):
        """Record a part going into a slot. A failed, quarantined or removed serial is refused (422 safety_guard)."""
        session, user = get_session(), api_user()
        row = asset_coverage(session, user, serial, now().date())
        install_component(
            session,
            user,
            row.asset,
            slot=slot,
            part_number=body["part_number"],
            serial=body["serial"],
            now=now(),
            channel="api",
        )
        return represent(asset_coverage(session, user, serial, now().date()))
