"""Shared form helpers (WTForms 3.3 wants SelectChoice objects, not tuples)."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice


def options(pairs: Iterable[tuple[str, str]], optgroup: str | None = None) -> list[SelectChoice]:
    return [SelectChoice(str(value), label, optgroup=optgroup) for value, label in pairs]
