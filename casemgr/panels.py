"""Extension point for the case page: rma/ and escalation/ add panels without the
core importing them. A panel is ``fn(session, actor, case, now) -> Markup | None``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from markupsafe import Markup

CasePanel = Callable[[Any, Any, Any, Any], Markup | None]
_KEY = "casemgr.case_panels"


def register_case_panel(app: Flask, panel: CasePanel) -> None:
    app.extensions.setdefault(_KEY, []).append(panel)


def render_case_panels(session, actor, case, now) -> list[Markup]:
    rendered = (panel(session, actor, case, now) for panel in current_app.extensions.get(_KEY, []))
    return [html for html in rendered if html]
