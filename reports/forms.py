from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from casemgr.forms import ChoiceField, RadioChoiceField, options

RATINGS = [("5", "5 — excellent"), ("4", "4 — good"), ("3", "3 — fair"), ("2", "2 — poor"), ("1", "1 — very poor")]


RATING_REFUSED = "Choose a rating from 1 to 5."


class RatingForm(FlaskForm):
    rating = RadioChoiceField(
        "How did we do?",
        choices=options(RATINGS),
        validators=[DataRequired(message=RATING_REFUSED)],
        invalid=RATING_REFUSED,
    )
    comment = TextAreaField(
        "Comment (optional)",
        validators=[Optional(), Length(max=2000, message="A comment can be at most 2,000 characters.")],
    )


class ThanksForm(FlaskForm):
    engineer_id = ChoiceField(
        "Engineer",
        validators=[DataRequired(message="Choose the engineer to thank.")],
        invalid="Choose the engineer to thank from the list.",
    )
    note = TextAreaField(
        "Note",
        validators=[
            DataRequired(message="Write a note for the engineer."),
            Length(max=1000, message="The note can be at most 1,000 characters."),
        ],
    )
