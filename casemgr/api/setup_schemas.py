"""Shapes of the set-up edits (PATCH): every field optional, none defaulted, so that only
what is sent changes; ``version`` (or an If-Match header) names the version read."""

from marshmallow import Schema, fields, validate

from casemgr.api.admin_schemas import TargetRow
from casemgr.api.schemas import JsonBoolean, Version

Text = lambda n: fields.String(validate=validate.Length(max=n))  # noqa: E731
Name = lambda n=200: fields.String(validate=validate.Length(min=1, max=n))  # noqa: E731


class Versioned(Schema):
    version = Version(metadata={"description": "The version you read; or send it as the If-Match header."})


class OrganizationPatch(Versioned):
    name = Name()


class SitePatch(Versioned):
    name = Name()
    timezone = Name(64)
    address = Text(2000)
    contact_name = Text(200)
    contact_phone = Text(64)
    region = Text(64)


class PartPatch(Versioned):
    description = Name()
    kind = Name(32)
    data_bearing = JsonBoolean()
    customer_replaceable = JsonBoolean()


class ProductPatch(Versioned):
    product_line = Name(100)
    end_of_support_on = fields.Date(allow_none=True)
    compatible_parts = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)), validate=validate.Length(max=200)
    )


class PlanPatch(Versioned):
    name = Name(100)
    targets = fields.Dict(
        keys=fields.String(validate=validate.OneOf(["1", "2", "3", "4"])), values=fields.Nested(TargetRow)
    )
    onsite = JsonBoolean()
    advance_replacement = JsonBoolean()
    keep_your_drive = JsonBoolean()
    included = Text(4000)
    not_included = Text(4000)


class ContractPatch(Versioned):
    plan_code = Name(32)
    starts_on = fields.Date()
    ends_on = fields.Date()
    asset_serials = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)), validate=validate.Length(max=10000)
    )


class AccountManagerIn(Schema):
    user_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    email = fields.Email(validate=validate.Length(max=254))


class AccountManagerOut(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
