from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from casemgr.forms import options
from escalation.models import ACTIONS, CONDITIONS


class EscalationRequestForm(FlaskForm):
    reason = TextAreaField(
        "Why do you need escalation?",
        validators=[
            DataRequired(message="Tell us why you need escalation."),
            Length(max=1000, message="Tell us why you need escalation in at most 1,000 characters."),
        ],
    )


class StepForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    condition = SelectField("When", choices=options((c, c.replace("_", " ")) for c in CONDITIONS))
    offset_minutes = IntegerField("After minutes", validators=[Optional(), NumberRange(min=0, max=525600)])
    offset_percent = IntegerField("Or % of target", validators=[Optional(), NumberRange(min=1, max=1000)])
    action = SelectField("Action", choices=options((a, a.replace("_", " ")) for a in ACTIONS))
    target = StringField("Target", validators=[DataRequired(), Length(max=100)])
    repeat_minutes = IntegerField("Repeat every (min)", validators=[Optional(), NumberRange(min=5, max=10080)])
