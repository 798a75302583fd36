"""Account forms: field validation only; the rules live in ``rules`` and ``services``."""

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from casemgr.accounts.rules import MAX_PASSWORD
from casemgr.auth.roles import ROLE_LABELS, TIERS, Role
from casemgr.forms import WholeVersion, options
from casemgr.versions import form_version

TIER_CHOICES = options([("", "No tier"), *((t, t) for t in TIERS)])


def _strip(value: str | None) -> str | None:
    """A pasted address often brings a space along."""
    return value.strip() if isinstance(value, str) else value


def role_choices(values: list[str]):
    return options((v, ROLE_LABELS[Role(v)]) for v in values)


class InviteForm(FlaskForm):
    email = EmailField(
        "E-mail",
        filters=[_strip],
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    organization_id = SelectField("Organisation", validators=[DataRequired(message="Choose the organisation.")])
    role = SelectField("Role", validators=[DataRequired(message="Choose a role.")])
    tier = SelectField("Tier (support engineers)", choices=TIER_CHOICES, default="", validators=[Optional()])
    region = StringField("Region (field engineers)", validators=[Optional(), Length(max=64)])


class EditUserForm(FlaskForm):
    version = HiddenField(validators=[WholeVersion("user's page")])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    role = SelectField("Role", validators=[DataRequired(message="Choose a role.")])
    tier = SelectField("Tier (support engineers)", choices=TIER_CHOICES, default="", validators=[Optional()])
    region = StringField("Region (field engineers)", validators=[Optional(), Length(max=64)])


class AccountActionForm(FlaskForm):
    """Deactivate, reactivate, send a reset: the version the administrator was looking at."""

    version = HiddenField(validators=[WholeVersion("user's page")])


def expected_version(field: HiddenField) -> int:
    """The version posted (``WholeVersion`` validated it; a bad one is refused all the same)."""
    return form_version(field.data, "user's page")


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
    )


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=MAX_PASSWORD)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "E-mail",
        filters=[_strip],
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
