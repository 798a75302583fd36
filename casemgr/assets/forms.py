from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from casemgr.assets.services import MARKABLE_STATES
from casemgr.forms import options


class InstallForm(FlaskForm):
    slot = SelectField("Slot", validators=[DataRequired()])
    part_number = SelectField("Part", validators=[DataRequired()])
    serial = StringField("Serial of the part going in", validators=[DataRequired(), Length(max=64)])


class MarkForm(FlaskForm):
    state = SelectField("State", choices=options((s, s) for s in MARKABLE_STATES), validators=[DataRequired()])


class ImportForm(FlaskForm):
    """The CSV upload of /admin/assets/import (the file itself is read from ``request.files``)."""
