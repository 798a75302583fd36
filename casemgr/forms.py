"""Shared form helpers (WTForms 3.3 wants SelectChoice objects, not tuples)."""

from __future__ import annotations

from collections.abc import Iterable

from flask_wtf import FlaskForm
from wtforms import Field, RadioField, SelectField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3; types-wtforms 3.2 lacks it
from wtforms.validators import StopValidation, ValidationError

from casemgr.versions import out_of_date_message, parse_version


def options(pairs: Iterable[tuple[object, str]], optgroup: str | None = None) -> list[SelectChoice]:
    """Each pair is (value, label); the value is sent as its str()."""
    return [SelectChoice(str(value), label, optgroup=optgroup) for value, label in pairs]


class _SaysWhatToChoose:
    """A choice field whose refusal of a value it does not offer says what to choose (``invalid``),
    instead of WTForms' "Not a valid choice"."""

    def __init__(self, *args, invalid: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.invalid = invalid

    def pre_validate(self, form: FlaskForm) -> None:
        try:
            super().pre_validate(form)  # type: ignore[misc]
        except ValidationError:
            raise ValidationError(self.invalid) from None


class ChoiceField(_SaysWhatToChoose, SelectField):
    """A select that says what to choose."""


class RadioChoiceField(_SaysWhatToChoose, RadioField):
    """Radio buttons that say what to choose."""


class WholeVersion:
    """Validator of a form's hidden ``version``: present and a whole number
    (``casemgr.versions.parse_version``); otherwise the form is out of date and says so."""

    def __init__(self, what: str) -> None:
        self.message = out_of_date_message(what)

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if parse_version(field.data) is None:
            raise StopValidation(self.message)


def form_error(form: FlaskForm, fallback: str) -> str:
    """The first thing wrong with a posted form, in the order of its fields, as its
    validator says it (each validator of a page's forms names the field and the limit);
    ``fallback`` only when no field says anything."""
    if form.form_errors:
        return str(form.form_errors[0])
    for field in form:
        if field.errors:
            return str(field.errors[0])
    return fallback
