"""Case forms. Field validation here; business rules in ``rules``/``services``."""

from datetime import datetime

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateTimeLocalField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from casemgr.cases.rules import CLOSE_REASONS, MAX_BODY, MAX_SUBJECT, SEVERITY_DEFINITIONS
from casemgr.forms import options
from casemgr.timezones import NonexistentLocalTime, read_local, viewer_zone
from casemgr.timezones import label as zone_label

SEVERITY_CHOICES = options((str(n), f"{n} — {name}: {text}") for n, (name, text) in SEVERITY_DEFINITIONS.items())


class OpenCaseForm(FlaskForm):
    asset_serial = SelectField("Asset", validators=[DataRequired(message="Choose the affected asset.")])
    component_id = SelectField("Component (optional)", validators=[Optional()], default="")
    severity = RadioField(
        "Severity", choices=SEVERITY_CHOICES, validators=[InputRequired(message="Choose a severity.")]
    )
    subject = StringField("Subject", validators=[DataRequired(), Length(max=MAX_SUBJECT)])
    description = TextAreaField("Description", validators=[DataRequired(), Length(max=MAX_BODY)])
    attachments = MultipleFileField("Log files or screenshots")


class VersionedForm(FlaskForm):
    """Every change to a case carries the version the user was looking at."""

    version = HiddenField(validators=[DataRequired()])

    def expected_version(self) -> int | None:
        if self.version.data is None:
            return None
        try:
            return int(self.version.data)
        except ValueError:
            return None


class ReplyForm(FlaskForm):
    body = TextAreaField("Message", validators=[Length(max=MAX_BODY)])
    visibility = RadioField(
        "Visibility", choices=options([("public", "Public reply"), ("internal", "Internal note")]), default="public"
    )
    attachments = MultipleFileField("Attach files")


class StatusForm(VersionedForm):
    status = SelectField("New status", validators=[DataRequired()])
    note = TextAreaField("Note to the customer", validators=[Optional(), Length(max=MAX_BODY)])


class SeverityForm(VersionedForm):
    severity = SelectField(
        "Severity",
        choices=options((str(n), f"{n} — {d[0]}") for n, d in SEVERITY_DEFINITIONS.items()),
        validators=[DataRequired()],
    )
    reason = StringField("Why", validators=[Length(max=500)])


class OwnerForm(VersionedForm):
    owner_id = IntegerField(validators=[DataRequired()])


class CloseForm(VersionedForm):
    reason = SelectField("Reason", choices=options(CLOSE_REASONS.items()), validators=[DataRequired()])
    handoff_manager_id = SelectField("Hand off to account manager", coerce=str, validators=[Optional()], default="")
    handoff_path = TextAreaField("Path offered to the customer", validators=[Length(max=2000)])


class ConfirmForm(VersionedForm):
    pass


class CommitmentForm(FlaskForm):
    description = StringField("What was promised", validators=[DataRequired(), Length(max=500)])
    recipient = StringField("To whom", validators=[DataRequired(), Length(max=200)])
    owner_id = SelectField("Owner", validators=[DataRequired()])
    due_at = DateTimeLocalField("Due", format="%Y-%m-%dT%H:%M", validators=[InputRequired()])

    def __init__(self, *args, **kwargs):
        """The due time is typed in the viewer's zone, and the label says which."""
        super().__init__(*args, **kwargs)
        self.zone = viewer_zone()
        self.due_at.label.text = f"Due ({zone_label(self.zone)})"

    def due_instant(self) -> datetime | None:
        """The due time as a UTC instant, or None with a field error (a time the zone skips)."""
        if self.due_at.data is None:
            return None
        try:
            return read_local(self.due_at.data, self.zone)
        except NonexistentLocalTime as exc:
            self.due_at.errors = [*self.due_at.errors, str(exc)]
            return None
