"""Links in notifications: every notification about a case links to its page.

Bodies are built with :func:`link`, which takes the page's path. With a base URL
configured (``BASE_URL`` in the app's config, from ``CASEMGR_BASE_URL``) the link is
absolute; without one (or outside an app, e.g. a benchmark) it is the path itself.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import current_app, has_app_context


def case_path(number: str) -> str:
    """The case page's path, e.g. ``/cases/CS-000123``."""
    return f"/cases/{quote(number, safe='')}"


def link(path: str) -> str:
    """``path`` on this deployment: absolute when a base URL is configured."""
    base = str(current_app.config.get("BASE_URL") or "") if has_app_context() else ""
    return base.rstrip("/") + path if base.startswith(("http://", "https://")) else path


def case_link(number: str) -> str:
    return link(case_path(number))
