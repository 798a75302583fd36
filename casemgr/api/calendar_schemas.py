"""Schemas of the coverage calendar API (/api/v1/calendars)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from casemgr.api.schemas import JsonBoolean, Version
from casemgr.contracts.hours import DAYS, MAX_HOLIDAYS

_TIME = fields.String(
    validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", error="Use HH:MM (24:00 ends the day).")
)
_INTERVAL = fields.List(_TIME, validate=validate.Length(equal=2))
_HOURS_DOC = {
    "description": 'Local opening hours per day: {"mon": [["08:00", "17:00"]], ...}; days left out are closed.'
}


def _weekly_hours(**kw) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(DAYS)),
        values=fields.List(_INTERVAL, validate=validate.Length(max=12)),
        metadata=_HOURS_DOC,
        **kw,
    )


class CalendarIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    always = JsonBoolean(load_default=False, metadata={"description": "24x7: no hours, no holidays apply"})
    timezone = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=64),
        metadata={"description": "IANA zone; null: the covered asset's site time zone"},
    )
    weekly_hours = _weekly_hours(load_default=dict)
    holidays = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=MAX_HOLIDAYS))


class CalendarPatch(Schema):
    version = Version(
        required=True, metadata={"description": "the version you read: a calendar changed since is a 409"}
    )
    name = fields.String(validate=validate.Length(min=1, max=100))
    always = JsonBoolean()
    timezone = fields.String(allow_none=True, validate=validate.Length(max=64))
    weekly_hours = _weekly_hours()
    holidays = fields.List(
        fields.Date(),
        validate=validate.Length(max=MAX_HOLIDAYS),
        metadata={"description": "replaces every holiday; to add some, POST .../holidays"},
    )


class CalendarOut(Schema):
    id = fields.Integer()
    name = fields.String()
    always = fields.Boolean()
    timezone = fields.String(allow_none=True)
    weekly_hours = fields.Dict()
    holidays = fields.List(fields.String())
    version = fields.Integer()
    description = fields.Function(lambda c: c.describe())


class HolidaysIn(Schema):
    """JSON form of POST .../holidays: dates to add and/or remove, or a country's public holidays."""

    add = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=MAX_HOLIDAYS))
    remove = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=MAX_HOLIDAYS))
    country = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=2, max=3),
        metadata={"description": "ISO country code (e.g. DE): its public holidays for `years` are added"},
    )
    subdivision = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=10))
    years = fields.List(fields.Integer(), load_default=list, validate=validate.Length(max=10))
    version = Version(load_default=None, allow_none=True)


class IcsUpload(Schema):
    """multipart/form-data form of POST .../holidays: an .ics file whose all-day events become holidays."""

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class HolidaysOut(Schema):
    added = fields.List(fields.String())
    removed = fields.List(fields.String())
    calendar = fields.Nested(CalendarOut)
