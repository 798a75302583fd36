"""Shared form helpers (WTForms 3.3 wants SelectChoice objects, not tuples)."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3; types-wtforms 3.2 lacks it


def options(pairs: Iterable[tuple[object, str]], optgroup: str | None = None) -> list[SelectChoice]:
    """Each pair is (value, label); the value is sent as its str()."""
    return [SelectChoice(str(value), label, optgroup=optgroup) for value, label in pairs]
