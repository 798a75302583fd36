"""Shapes of the administration endpoints."""

from marshmallow import Schema, fields, validate

from casemgr.api.schemas import JsonBoolean
from casemgr.auth.roles import TIERS, Role

Name = lambda n=200: fields.String(required=True, validate=validate.Length(min=1, max=n))  # noqa: E731


class OrganizationIn(Schema):
    name = Name()


Version = lambda: fields.Integer(metadata={"description": "Send it back (or as If-Match) to change the object."})  # noqa: E731


class OrganizationOut(Schema):
    id = fields.Integer()
    name = fields.String()
    is_vendor = JsonBoolean()
    version = Version()


class SiteIn(Schema):
    name = Name()
    timezone = Name(64)
    address = fields.String(load_default="", validate=validate.Length(max=2000))
    contact_name = fields.String(load_default="", validate=validate.Length(max=200))
    contact_phone = fields.String(load_default="", validate=validate.Length(max=64))
    region = fields.String(load_default="", validate=validate.Length(max=64))


class SiteOut(Schema):
    id = fields.Integer()
    organization_id = fields.Integer()
    name = fields.String()
    timezone = fields.String()
    address = fields.String()
    contact_name = fields.String()
    contact_phone = fields.String()
    region = fields.String()
    version = Version()


class PartIn(Schema):
    part_number = Name(64)
    description = Name()
    kind = Name(32)
    data_bearing = JsonBoolean(load_default=False)
    customer_replaceable = JsonBoolean(load_default=False)


class PartOut(PartIn):
    id = fields.Integer()
    version = Version()


class ProductIn(Schema):
    model = Name(100)
    product_line = Name(100)
    end_of_support_on = fields.Date(load_default=None, allow_none=True)
    compatible_parts = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)), load_default=list, validate=validate.Length(max=200)
    )


class ProductOut(Schema):
    id = fields.Integer()
    model = fields.String()
    product_line = fields.String()
    end_of_support_on = fields.Date(allow_none=True)
    compatible_parts = fields.Pluck(PartOut, "part_number", many=True)
    version = Version()


class ComponentIn(Schema):
    slot = Name(32)
    part_number = Name(64)
    serial = Name(64)


class AssetIn(Schema):
    serial = Name(64)
    product_model = Name(100)
    organization_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    site = Name()
    components = fields.List(fields.Nested(ComponentIn), load_default=list, validate=validate.Length(max=500))


class TargetRow(Schema):
    first_response = fields.Integer(required=True, validate=validate.Range(min=1, max=525600))
    next_update = fields.Integer(required=True, validate=validate.Range(min=1, max=525600))
    resolution = fields.Integer(required=True, validate=validate.Range(min=1, max=525600))


class PlanIn(Schema):
    code = Name(32)
    name = Name(100)
    targets = fields.Dict(
        keys=fields.String(validate=validate.OneOf(["1", "2", "3", "4"])),
        values=fields.Nested(TargetRow),
        required=True,
    )
    always = JsonBoolean(load_default=False)
    weekly_hours = fields.Dict(
        keys=fields.String(),
        values=fields.List(
            fields.List(
                fields.String(validate=validate.Regexp(r"^([01]\d|2[0-4]):[0-5]\d$")), validate=validate.Length(equal=2)
            )
        ),
        load_default=dict,
    )
    holidays = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=366))
    timezone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    onsite = JsonBoolean(load_default=False)
    advance_replacement = JsonBoolean(load_default=False)
    keep_your_drive = JsonBoolean(load_default=False)
    included = fields.String(load_default="", validate=validate.Length(max=4000))
    not_included = fields.String(load_default="", validate=validate.Length(max=4000))


class PlanOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    targets = fields.Dict(metadata={"description": "Minutes per severity and clock."})
    coverage_hours = fields.Function(lambda p: p.calendar.describe())
    entitlements = fields.List(fields.String())
    onsite = fields.Boolean()
    advance_replacement = fields.Boolean()
    keep_your_drive = fields.Boolean()
    included = fields.String(metadata={"description": "What the plan covers, in plain words."})
    not_included = fields.String(metadata={"description": "What it does not cover."})
    version = Version()


class ContractIn(Schema):
    number = Name(32)
    organization_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    plan_code = Name(32)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    asset_serials = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)), load_default=list, validate=validate.Length(max=10000)
    )


class ContractPlanOut(Schema):
    """The plan as the customer reads it on their contract."""

    code = fields.String()
    name = fields.String()
    coverage_hours = fields.Function(lambda p: p.calendar.describe())
    entitlements = fields.List(fields.String())
    included = fields.String()
    not_included = fields.String()


class ContractOut(Schema):
    id = fields.Integer()
    number = fields.String()
    organization_id = fields.Integer()
    organization = fields.Pluck(OrganizationOut, "name")
    plan = fields.Pluck(PlanOut, "code")
    plan_details = fields.Nested(ContractPlanOut, attribute="plan", dump_only=True)
    starts_on = fields.Date()
    ends_on = fields.Date()
    asset_serials = fields.Function(lambda c: [a.serial for a in c.assets])
    version = Version()


class UserIn(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))
    organization_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=256))
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    region = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    tier = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(TIERS),
        metadata={"description": "Support engineers: the queue they work (L1-L3)."},
    )


class InstallIn(Schema):
    part_number = Name(64)
    serial = Name(64)
