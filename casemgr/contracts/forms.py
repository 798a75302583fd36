"""Forms of the coverage calendar pages (/admin/calendars)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from casemgr.contracts.hours import DAYS


class CalendarForm(FlaskForm):
    """Name, 24x7, time zone and one field of hours per weekday ("08:00-12:00, 13:00-17:00")."""

    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    always = BooleanField("24x7 (no hours, holidays do not apply)")
    timezone = StringField("Time zone (empty: the site's)", validators=[Optional(), Length(max=64)])
    mon = StringField("Monday", validators=[Length(max=200)])
    tue = StringField("Tuesday", validators=[Length(max=200)])
    wed = StringField("Wednesday", validators=[Length(max=200)])
    thu = StringField("Thursday", validators=[Length(max=200)])
    fri = StringField("Friday", validators=[Length(max=200)])
    sat = StringField("Saturday", validators=[Length(max=200)])
    sun = StringField("Sunday", validators=[Length(max=200)])
    version = HiddenField()

    def day_fields(self):
        return [self[d] for d in DAYS]


class HolidayForm(FlaskForm):
    day = DateField("Date", validators=[DataRequired()])


class CountryForm(FlaskForm):
    country = StringField("Country code", validators=[DataRequired(), Length(min=2, max=3)])
    subdivision = StringField("Region (optional)", validators=[Optional(), Length(max=10)])
    year = IntegerField("Year", validators=[DataRequired(), NumberRange(min=1990, max=2100)])


class UploadForm(FlaskForm):
    """The .ics upload (the file is read from ``request.files``)."""
