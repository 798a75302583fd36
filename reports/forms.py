from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from casemgr.forms import options

RATINGS = [("5", "5 — excellent"), ("4", "4 — good"), ("3", "3 — fair"), ("2", "2 — poor"), ("1", "1 — very poor")]


class RatingForm(FlaskForm):
    rating = RadioField("How did we do?", choices=options(RATINGS), validators=[DataRequired()])
    comment = TextAreaField("Comment (optional)", validators=[Optional(), Length(max=2000)])


class ThanksForm(FlaskForm):
    engineer_id = SelectField("Engineer", validators=[DataRequired()])
    note = TextAreaField("Note", validators=[DataRequired(), Length(max=1000)])
