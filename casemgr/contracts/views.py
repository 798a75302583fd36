"""/admin/calendars: coverage calendars, their hours and holidays (support managers, admins)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from casemgr.contracts import calendars as services
from casemgr.contracts.forms import CalendarForm, CountryForm, HolidayForm, UploadForm
from casemgr.contracts.hours import DAYS, HoursError, day_field, parse_day_field
from casemgr.contracts.models import BusinessCalendar
from casemgr.db import get_session
from casemgr.versions import out_of_date_message, parse_version
from casemgr.web import actor, form_action, now

bp = Blueprint("calendars", __name__, url_prefix="/admin/calendars")


def _manager() -> None:
    if not services.may_manage(actor()):
        abort(403)


def _filled(calendar: BusinessCalendar) -> CalendarForm:
    form = CalendarForm(formdata=None, name=calendar.name, always=calendar.always, timezone=calendar.timezone or "")
    for day in DAYS:
        form[day].data = day_field(calendar.weekly_hours.get(day, []))
    form.version.data = str(calendar.version)
    return form


def _hours(form: CalendarForm) -> dict[str, list[list[str]]]:
    return {day: parse_day_field(day, form[day].data or "") for day in DAYS}


@bp.get("/")
@login_required
def list_page(form: CalendarForm | None = None, error: str | None = None, status: int = 200):
    _manager()
    session = get_session()
    calendars = services.list_calendars(session, actor())
    if form is None:
        form = CalendarForm(formdata=None)
        for day in DAYS[:5]:
            form[day].data = "08:00-17:00"
    plans = {c.id: services.plans_using(session, c) for c in calendars}
    return render_template("contracts/calendars.html", calendars=calendars, plans=plans, form=form, error=error), status


@bp.post("/")
@login_required
def create():
    _manager()
    form = CalendarForm()
    if not form.validate():
        return list_page(
            form,
            "Check the form: " + "; ".join(f"{form[k].label.text}: {', '.join(v)}" for k, v in form.errors.items()),
            400,
        )

    def created():
        calendar = services.create_calendar(
            get_session(),
            actor(),
            name=form.name.data or "",
            always=form.always.data,
            timezone=form.timezone.data,
            weekly_hours=_hours(form),
            now=now(),
        )
        flash(f"Calendar {calendar.name} created.", "info")
        return redirect(url_for("calendars.edit_page", calendar_id=calendar.id), 303)

    return _guarded(created, lambda error: list_page(form, error, 422))


def _guarded(run, refused):
    """A form action whose hours may not parse (a 422 like any refused rule)."""
    try:
        return form_action(run, lambda exc: refused(str(exc)))
    except HoursError as exc:
        get_session().rollback()
        return refused(str(exc))


def _calendar(calendar_id: int) -> BusinessCalendar:
    _manager()
    return services.get_calendar(get_session(), actor(), calendar_id)


@bp.get("/<id:calendar_id>")
@login_required
def edit_page(calendar_id: int, status: int = 200, error: str | None = None, **forms):
    calendar = _calendar(calendar_id)
    return render_template(
        "contracts/calendar.html",
        calendar=calendar,
        plans=services.plans_using(get_session(), calendar),
        form=forms.get("form") or _filled(calendar),
        holiday_form=forms.get("holiday_form") or HolidayForm(formdata=None),
        country_form=forms.get("country_form") or CountryForm(formdata=None, year=now().year + 1),
        upload_form=UploadForm(formdata=None),
        error=error,
    ), status


def _redirect(calendar_id: int, message: str):
    flash(message, "info")
    return redirect(url_for("calendars.edit_page", calendar_id=calendar_id), 303)


@bp.post("/<id:calendar_id>")
@login_required
def save(calendar_id: int):
    calendar = _calendar(calendar_id)
    form = CalendarForm()
    if not form.validate():
        return edit_page(
            calendar_id,
            400,
            "Check the form: " + "; ".join(f"{form[k].label.text}: {', '.join(v)}" for k, v in form.errors.items()),
            form=form,
        )
    version = parse_version(form.version.data)
    if version is None:  # never "no check": the form must say which version it was made from
        return edit_page(calendar_id, 400, out_of_date_message("calendar"), form=form)

    def saved():
        services.update_calendar(
            get_session(),
            actor(),
            calendar,
            expected_version=version,
            now=now(),
            name=form.name.data,
            always=form.always.data,
            timezone=form.timezone.data or None,
            weekly_hours=_hours(form),
        )
        return _redirect(calendar_id, "Calendar saved; open cases on it were re-timed.")

    return _guarded(saved, lambda error: edit_page(calendar_id, 422, error, form=form))


@bp.post("/<id:calendar_id>/holidays")
@login_required
def add_holiday(calendar_id: int):
    calendar = _calendar(calendar_id)
    form = HolidayForm()
    if not form.validate() or form.day.data is None:
        return edit_page(calendar_id, 400, "Give the holiday's date.", holiday_form=form)
    day: date = form.day.data

    def added():
        new = services.add_holidays(get_session(), actor(), calendar, [day], now=now())
        return _redirect(
            calendar_id, f"{day.isoformat()} added." if new else f"{day.isoformat()} is already a holiday."
        )

    return form_action(added, lambda exc: edit_page(calendar_id, 422, str(exc), holiday_form=form))


@bp.post("/<id:calendar_id>/holidays/remove")
@login_required
def remove_holiday(calendar_id: int):
    calendar = _calendar(calendar_id)
    form = HolidayForm()
    if not form.validate() or form.day.data is None:
        return edit_page(calendar_id, 400, "That date could not be read.")
    day: date = form.day.data

    def removed():
        services.remove_holidays(get_session(), actor(), calendar, [day], now=now())
        return _redirect(calendar_id, f"{day.isoformat()} removed.")

    return form_action(removed, lambda exc: edit_page(calendar_id, 422, str(exc)))


@bp.post("/<id:calendar_id>/ics")
@login_required
def import_ics(calendar_id: int):
    calendar = _calendar(calendar_id)
    upload = request.files.get("file")
    if not UploadForm().validate() or upload is None or not upload.filename:
        return edit_page(calendar_id, 400, "Choose an .ics file to import.")

    def imported():
        new = services.import_ics(
            get_session(), actor(), calendar, upload.read(), filename=upload.filename or "", now=now()
        )
        return _redirect(calendar_id, f"{len(new)} holiday(s) added from {upload.filename}.")

    return form_action(imported, lambda exc: edit_page(calendar_id, 422, str(exc)))


@bp.post("/<id:calendar_id>/country")
@login_required
def import_country(calendar_id: int):
    calendar = _calendar(calendar_id)
    form = CountryForm()
    if not form.validate() or form.year.data is None:
        return edit_page(calendar_id, 400, "Give a country code (e.g. DE) and a year.", country_form=form)
    year: int = form.year.data

    def imported():
        new = services.import_country(
            get_session(),
            actor(),
            calendar,
            country=form.country.data or "",
            years=[year],
            subdiv=form.subdivision.data or None,
            now=now(),
        )
        return _redirect(calendar_id, f"{len(new)} public holiday(s) added.")

    return form_action(imported, lambda exc: edit_page(calendar_id, 422, str(exc), country_form=form))
