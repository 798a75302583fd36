"""Case forms. Field validation here; business rules in ``rules``/``services``."""

from datetime import datetime

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateTimeLocalField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from casemgr.cases.rules import CLOSE_REASONS, MAX_BODY, MAX_SUBJECT, SEVERITY_DEFINITIONS
from casemgr.forms import ChoiceField, RadioChoiceField, WholeVersion, options
from casemgr.timezones import NonexistentLocalTime, read_local, viewer_zone
from casemgr.timezones import label as zone_label
from casemgr.versions import form_version

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
    """Every change to a case carries the version the user was looking at: a missing or
    malformed one is refused like a stale one would be (``casemgr.versions``)."""

    version = HiddenField(validators=[WholeVersion("case")])

    def expected_version(self) -> int:
        """The version posted (the form validated it; unvalidated, a bad one is still refused)."""
        return form_version(self.version.data, "case")


def _at_most(what: str, limit: int) -> Length:
    return Length(max=limit, message=f"{what} can be at most {limit:,} characters.")


class ReplyForm(FlaskForm):
    body = TextAreaField("Message", validators=[_at_most("A reply", MAX_BODY)])
    visibility = RadioChoiceField(
        "Visibility",
        choices=options([("public", "Public reply"), ("internal", "Internal note")]),
        default="public",
        invalid="Choose a public reply or an internal note.",
    )
    attachments = MultipleFileField("Attach files")


class StatusForm(VersionedForm):
    status = ChoiceField(
        "New status", validators=[DataRequired(message="Choose a status.")], invalid="Choose a status from the list."
    )
    note = TextAreaField("Note to the customer", validators=[Optional(), _at_most("The note", MAX_BODY)])


SEVERITY_REFUSED = "Choose a severity from 1 to 4."


class SeverityForm(VersionedForm):
    severity = ChoiceField(
        "Severity",
        choices=options((str(n), f"{n} — {d[0]}") for n, d in SEVERITY_DEFINITIONS.items()),
        validators=[DataRequired(message=SEVERITY_REFUSED)],
        invalid=SEVERITY_REFUSED,
    )
    reason = StringField("Why", validators=[_at_most("The reason", 500)])


class OwnerForm(VersionedForm):
    #: A user id; a text field so that a malformed one reads as "choose an owner", not a number error.
    owner_id = StringField(
        validators=[DataRequired(message="Choose an owner."), Regexp(r"[0-9]{1,9}\Z", message="Choose an owner.")]
    )


class CloseForm(VersionedForm):
    reason = ChoiceField(
        "Reason",
        choices=options(CLOSE_REASONS.items()),
        validators=[DataRequired(message="Choose a close reason.")],
        invalid="Choose a close reason from the list.",
    )
    handoff_manager_id = SelectField("Hand off to account manager", coerce=str, validators=[Optional()], default="")
    handoff_path = TextAreaField(
        "Path offered to the customer", validators=[_at_most("The path offered to the customer", 2000)]
    )


class ConfirmForm(VersionedForm):
    pass


class CommitmentForm(FlaskForm):
    description = StringField(
        "What was promised",
        validators=[DataRequired(message="Say what was promised."), _at_most("What was promised", 500)],
    )
    recipient = StringField(
        "To whom", validators=[DataRequired(message="Say to whom it was promised."), _at_most("To whom", 200)]
    )
    owner_id = ChoiceField(
        "Owner", validators=[DataRequired(message="Choose the owner.")], invalid="Choose the owner from the list."
    )
    due_at = DateTimeLocalField(
        "Due", format="%Y-%m-%dT%H:%M", validators=[InputRequired(message="Give the due date and time.")]
    )

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
