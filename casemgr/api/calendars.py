"""Coverage calendars through the API (support managers and administrators), with the
same services, validation and audit as the admin pages and the CLI."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from casemgr.api.auth import api_user
from casemgr.api.calendar_schemas import CalendarIn, CalendarOut, CalendarPatch, HolidaysIn, HolidaysOut, IcsUpload
from casemgr.contracts import calendars as services
from casemgr.db import get_session
from casemgr.errors import InvalidInput
from casemgr.web import now

blp = Blueprint("api_calendars", __name__, description="Coverage calendars (support managers, administrators)")


@blp.route("/calendars")
class Calendars(MethodView):
    @blp.response(200, CalendarOut(many=True))
    def get(self):
        """Every coverage calendar, by name."""
        return services.list_calendars(get_session(), api_user())

    @blp.arguments(CalendarIn())
    @blp.response(201, CalendarOut)
    def post(self, body):
        """Create a calendar: 24x7, or weekly hours in a time zone, with holidays."""
        return services.create_calendar(get_session(), api_user(), now=now(), **body)


@blp.route("/calendars/<id:calendar_id>")
class CalendarItem(MethodView):
    @blp.response(200, CalendarOut)
    def get(self, calendar_id):
        """One calendar with its hours and holidays."""
        return services.get_calendar(get_session(), api_user(), calendar_id)

    @blp.arguments(CalendarPatch())
    @blp.response(200, CalendarOut)
    def patch(self, body, calendar_id):
        """Change name, 24x7, time zone, hours or (all) holidays; open cases on it are re-timed."""
        session, user = get_session(), api_user()
        calendar = services.get_calendar(session, user, calendar_id)
        version = body.pop("version")
        return services.update_calendar(session, user, calendar, expected_version=version, now=now(), **body)


@blp.route("/calendars/<id:calendar_id>/holidays")
class CalendarHolidays(MethodView):
    @blp.doc(
        requestBody={
            "required": True,
            "content": {"application/json": {"schema": HolidaysIn}, "multipart/form-data": {"schema": IcsUpload}},
        }
    )
    @blp.response(200, HolidaysOut)
    def post(self, calendar_id):
        """Add or remove holidays: a JSON list of dates (or a country's public holidays), or an
        .ics file upload (multipart, field `file`) whose all-day events become holidays."""
        session, user = get_session(), api_user()
        calendar = services.get_calendar(session, user, calendar_id)
        at = now()
        if request.mimetype == "multipart/form-data":
            upload = request.files.get("file")
            if upload is None:
                raise InvalidInput("Send the .ics file in the form field 'file'.", details={"file": ["missing"]})
            added = services.import_ics(session, user, calendar, upload.read(), filename=upload.filename or "", now=at)
            return {"added": added, "removed": [], "calendar": calendar}
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):  # not JSON at all, or not an object: nothing to add or remove
            raise InvalidInput("Send a JSON object (add, remove, country) or an .ics file upload.")
        try:
            body = HolidaysIn().load(payload)
        except ValidationError as exc:
            raise InvalidInput("The holidays are not valid.", details=exc.messages) from None
        version = body["version"]
        removed = services.remove_holidays(session, user, calendar, body["remove"], now=at, expected_version=version)
        if removed:
            version = None  # checked once: the removal bumped it
        added = services.add_holidays(session, user, calendar, body["add"], now=at, expected_version=version)
        if body["country"]:
            added += services.import_country(
                session,
                user,
                calendar,
                country=body["country"],
                years=body["years"],
                subdiv=body["subdivision"],
                now=at,
            )
        return {"added": sorted(set(added)), "removed": removed, "calendar": calendar}
