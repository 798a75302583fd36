"""Forms of the admin pages. Field checks here are only about shape (lengths, numbers);
the rules (time zones, dates, targets, who may be assigned) are the services', as for the
API and the CLI."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from casemgr.admin.services import DAYS
from casemgr.admin.targets import CLOCK_LABELS, CLOCKS, SEVERITIES, join, split
from casemgr.forms import options


class Versioned(FlaskForm):
    #: The version the page showed: saving against an older one is a conflict.
    version = HiddenField(validators=[Optional()])


class OrganizationForm(Versioned):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])


class SiteForm(Versioned):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    address = TextAreaField("Address", validators=[Length(max=2000)])
    timezone = StringField(
        "Time zone", validators=[DataRequired(), Length(max=64)], description="IANA name, e.g. Europe/Berlin"
    )
    region = StringField("Field-service region", validators=[Length(max=64)], description="e.g. us-east")
    contact_name = StringField("On-site contact", validators=[Length(max=200)])
    contact_phone = StringField("Contact phone", validators=[Length(max=64)])


class ContractForm(Versioned):
    number = StringField("Contract number", validators=[DataRequired(), Length(max=32)])
    plan_code = SelectField("Plan", validators=[DataRequired()])
    starts_on = DateField("Starts on", validators=[InputRequired()])
    ends_on = DateField("Ends on", validators=[InputRequired()])
    asset_serials = SelectMultipleField("Covered assets", validate_choice=False)


class AccountManagerForm(FlaskForm):
    user_id = SelectField("Account manager", validators=[DataRequired()])


class PartForm(Versioned):
    part_number = StringField("Part number", validators=[DataRequired(), Length(max=64)])
    description = StringField("Description", validators=[DataRequired(), Length(max=200)])
    kind = StringField(
        "Kind", validators=[DataRequired(), Length(max=32)], description="drive, ssd, nvram, psu, controller, fan..."
    )
    data_bearing = BooleanField("Data-bearing (holds customer data: keep-your-drive applies)")
    customer_replaceable = BooleanField("Customer-replaceable")


class ProductForm(Versioned):
    model = StringField("Model", validators=[DataRequired(), Length(max=100)])
    product_line = StringField("Product line", validators=[DataRequired(), Length(max=100)])
    end_of_support_on = DateField("End of support", validators=[Optional()])
    compatible_parts = SelectMultipleField("Compatible parts", validate_choice=False)


def _target_fields(cls):
    """Hours and minutes for each severity and clock: ``s1_first_response_h``, ``..._m``."""
    for sev in SEVERITIES:
        for clock in CLOCKS:
            label = f"S{sev} {CLOCK_LABELS[clock].lower()}"
            setattr(
                cls, f"s{sev}_{clock}_h", IntegerField(f"{label} hours", validators=[Optional(), NumberRange(0, 8760)])
            )
            setattr(
                cls, f"s{sev}_{clock}_m", IntegerField(f"{label} minutes", validators=[Optional(), NumberRange(0, 59)])
            )
    return cls


@_target_fields
class PlanForm(Versioned):
    code = StringField("Code", validators=[DataRequired(), Length(max=32)], description="e.g. GOLD")
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    always = BooleanField("24x7 coverage")
    days = SelectMultipleField("Covered days", choices=options((d, d.title()) for d in DAYS), validate_choice=True)
    opens = StringField("From", validators=[Optional(), Length(max=5)], description="HH:MM")
    closes = StringField("To", validators=[Optional(), Length(max=5)], description="HH:MM")
    timezone = StringField("Time zone", validators=[Optional(), Length(max=64)], description="empty: each site's own")
    onsite = BooleanField("On-site field engineer")
    advance_replacement = BooleanField("Advance replacement")
    keep_your_drive = BooleanField("Keep-your-drive")
    included = TextAreaField("Included", validators=[Length(max=4000)], description="In plain words, for the customer")
    not_included = TextAreaField("Not included", validators=[Length(max=4000)])

    def targets(self) -> dict[str, dict[str, int]]:
        return {
            sev: {clock: join(self[f"s{sev}_{clock}_h"].data, self[f"s{sev}_{clock}_m"].data) for clock in CLOCKS}
            for sev in SEVERITIES
        }

    def show_targets(self, targets: dict) -> None:
        for sev in SEVERITIES:
            for clock in CLOCKS:
                hours, minutes = split(targets.get(sev, {}).get(clock, 0))
                self[f"s{sev}_{clock}_h"].data, self[f"s{sev}_{clock}_m"].data = hours, minutes


def version_of(form: Versioned) -> int | None:
    raw = (form.version.data or "").strip()
    return int(raw) if raw.isdigit() else None
