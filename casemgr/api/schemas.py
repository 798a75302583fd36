"""Request and response shapes; the OpenAPI document is generated from them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from casemgr.cases.rules import CLOSE_REASONS, MAX_BODY, MAX_SUBJECT, STATUSES
from casemgr.versions import MAX_VERSION


class StrictSchema(Schema):
    class Meta:
        ordered = True


class JsonBoolean(fields.Boolean):
    """A JSON ``true`` or ``false`` and nothing else: marshmallow's Boolean also takes 0, 1,
    "yes", "off"..., which the OpenAPI document (``type: boolean``) says are refused."""

    def _deserialize(self, value, attr, data, **kwargs):  # marshmallow's documented hook for custom fields
        if not isinstance(value, bool):  # 0 and 1 would pass a {True}/{False} membership test
            raise self.make_error("invalid")
        return value


class Version(fields.Integer):
    """The version the caller read (``casemgr.versions``): a JSON whole number from 1 to
    2**31-1 and nothing else. marshmallow's Integer would take "5", 5.5 (as 5) or 1e3 (as
    1000): a malformed version must be refused (422), never read as some other one."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_VERSION))
        super().__init__(strict=True, **kwargs)


class ComponentSchema(StrictSchema):
    slot = fields.String()
    serial = fields.String()
    state = fields.String()
    part_number = fields.String(attribute="part.part_number")
    description = fields.String(attribute="part.description")
    data_bearing = fields.Boolean(attribute="part.data_bearing")


class CoverageSchema(StrictSchema):
    covered = fields.Boolean()
    contract = fields.String(allow_none=True)
    plan = fields.String(allow_none=True)
    coverage_hours = fields.String(allow_none=True)
    entitlements = fields.List(fields.String())
    included = fields.String(metadata={"description": "What the plan covers, in plain words."})
    not_included = fields.String(metadata={"description": "What the plan does not cover."})
    starts_on = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True)


class AssetSchema(StrictSchema):
    serial = fields.String()
    product = fields.String()
    organization = fields.String()
    site = fields.String()
    site_timezone = fields.String()
    components = fields.List(fields.Nested(ComponentSchema))
    coverage = fields.Nested(CoverageSchema)


class AssetQuerySchema(StrictSchema):
    serial = fields.String(validate=validate.Length(max=64), metadata={"description": "serial prefix"})
    org = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), metadata={"description": "organisation id"})


class SlaSchema(StrictSchema):
    first_response_due_at = fields.DateTime(allow_none=True)
    first_response_at = fields.DateTime(allow_none=True)
    first_response_breached = fields.Boolean()
    next_update_due_at = fields.DateTime(allow_none=True)
    resolution_due_at = fields.DateTime(allow_none=True)
    resolution_breached = fields.Boolean()
    paused = fields.Boolean()


class NextEscalationSchema(StrictSchema):
    at = fields.DateTime()
    step = fields.String()
    what = fields.String()


class QueueFieldsSchema(StrictSchema):
    """Vendor staff only (null for customers): what the queue sorts and marks by."""

    next_due_at = fields.DateTime(allow_none=True, metadata={"description": "the next running SLA deadline"})
    next_due_kind = fields.String(
        allow_none=True, metadata={"description": "first_response, next_update or resolution"}
    )
    at_risk_at = fields.DateTime(allow_none=True, metadata={"description": "from then on the deadline is at risk"})
    urgency = fields.String(metadata={"description": "breached, at_risk, on_track or none (no clock runs)"})
    customer_escalated_at = fields.DateTime(allow_none=True)


class CaseSchema(StrictSchema):
    number = fields.String()
    organization = fields.String()
    asset_serial = fields.String(allow_none=True)
    component_serial = fields.String(allow_none=True)
    severity = fields.Integer()
    status = fields.String()
    subject = fields.String()
    description = fields.String()
    entitled = fields.Boolean()
    owner = fields.String(allow_none=True)
    tier = fields.String()
    escalation_level = fields.Integer()
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    sla = fields.Nested(SlaSchema)
    next_escalation = fields.Nested(NextEscalationSchema, allow_none=True)
    queue = fields.Nested(QueueFieldsSchema, allow_none=True)


class CaseCreateSchema(StrictSchema):
    asset_serial = fields.String(required=True, validate=validate.Length(min=1, max=64))
    severity = fields.Integer(required=True, validate=validate.Range(min=1, max=4))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=MAX_SUBJECT))
    description = fields.String(required=True, validate=validate.Length(min=1, max=MAX_BODY))
    component_serial = fields.String(validate=validate.Length(min=1, max=64))


class CaseQuerySchema(StrictSchema):
    status = fields.String(validate=validate.OneOf(("open", "all", *STATUSES)))
    severity = fields.Integer(validate=validate.Range(min=1, max=4))
    org = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    updated_since = fields.DateTime()
    sort = fields.String(
        load_default="updated",
        validate=validate.OneOf(("updated", "due")),
        metadata={"description": "updated: most recently updated first; due: most urgent first (vendor staff)"},
    )
    breached = fields.Boolean(metadata={"description": "only cases whose next deadline has passed (vendor staff)"})
    at_risk = fields.Boolean(metadata={"description": "only cases whose next deadline is at risk (vendor staff)"})
    escalated = fields.Boolean(metadata={"description": "only cases the customer escalated (vendor staff)"})
    not_entitled = fields.Boolean(metadata={"description": "only cases opened without entitlement"})
    mine = fields.Boolean(metadata={"description": "only cases the caller owns"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(max=100))


class CasePageSchema(StrictSchema):
    items = fields.List(fields.Nested(CaseSchema))
    next_cursor = fields.String(allow_none=True)


class CommentSchema(StrictSchema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=MAX_BODY))
    public = JsonBoolean(load_default=True)


class EventSchema(StrictSchema):
    id = fields.Integer()
    kind = fields.String()
    public = fields.Boolean()
    actor = fields.String(allow_none=True)
    body = fields.String()
    from_ = fields.Raw(
        data_key="from",
        allow_none=True,
        metadata={"description": "the value before: a status, a severity, an owner or an RMA state"},
    )
    to = fields.Raw(allow_none=True, metadata={"description": "the value after (null for entries that move nothing)"})
    created_at = fields.DateTime()


class WatcherSchema(StrictSchema):
    email = fields.String()
    name = fields.String()
    side = fields.String(metadata={"description": "customer or vendor"})
    added_at = fields.DateTime()


class WatcherListSchema(StrictSchema):
    items = fields.List(fields.Nested(WatcherSchema))


class WatcherCreateSchema(StrictSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))


class PreferencesSchema(StrictSchema):
    preferences = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "kind of notification -> immediate, digest or in_app"},
    )
    kinds = fields.Dict(keys=fields.String(), values=fields.String(), dump_only=True)
    severity_1_always_immediate = fields.Boolean(dump_only=True)


class PreferencesUpdateSchema(StrictSchema):
    preferences = fields.Dict(
        keys=fields.String(validate=validate.Length(max=32)),
        values=fields.String(validate=validate.Length(max=16)),
        required=True,
        metadata={"description": "the kinds to change (others keep their mode)"},
    )


class EventListSchema(StrictSchema):
    items = fields.List(fields.Nested(EventSchema))


class StatusChangeSchema(StrictSchema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    version = Version(required=True)
    note = fields.String(
        load_default="",
        validate=validate.Length(max=MAX_BODY),
        metadata={"description": "shown to the customer with the change, e.g. the resolution"},
    )


class OwnerSchema(StrictSchema):
    owner = fields.Email(
        load_default=None, metadata={"description": "the engineer or manager to hand the case to; omit to take it"}
    )
    version = Version(required=True)


class ConfirmSchema(StrictSchema):
    version = Version(required=True, metadata={"description": "the case version you saw: a changed case is a 409"})


class CloseSchema(StrictSchema):
    reason = fields.String(
        required=True,
        validate=validate.OneOf(sorted(CLOSE_REASONS)),
        metadata={"description": "end_of_support needs handoff_account_manager and handoff_path"},
    )
    version = Version(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=MAX_BODY))
    handoff_account_manager = fields.Email(
        load_default=None, metadata={"description": "the organisation's account manager taking the hand-off"}
    )
    handoff_path = fields.String(
        load_default="",
        validate=validate.Length(max=2000),
        metadata={"description": "the path offered to the customer: upgrade, trade-in, extended support..."},
    )


class SeverityChangeSchema(StrictSchema):
    severity = fields.Integer(required=True, validate=validate.Range(min=1, max=4))
    version = Version(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class CommitmentCreateSchema(StrictSchema):
    description = fields.String(required=True, validate=validate.Length(min=1, max=500))
    recipient = fields.String(required=True, validate=validate.Length(min=1, max=200))
    due_at = fields.AwareDateTime(required=True, default_timezone=None)
    owner_email = fields.Email(metadata={"description": "defaults to the caller"})


class CommitmentSchema(StrictSchema):
    id = fields.Integer()
    description = fields.String()
    recipient = fields.String()
    owner = fields.String(attribute="owner.email")
    due_at = fields.DateTime()
    status = fields.String()


class EscalationRequestSchema(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))
