"""The application factory: it reads configuration and wires things, nothing more."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, render_template

from casemgr.clock import Clock, SystemClock
from casemgr.config import load_config
from casemgr.events import EventBus
from casemgr.extensions import csrf, db, limiter, login_manager

REPO_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def create_app(config_overrides: dict[str, Any] | None = None) -> Flask:
    overrides = dict(config_overrides or {})
    instance = overrides.pop("INSTANCE_PATH", None) or os.environ.get("CASEMGR_INSTANCE")
    app = Flask(
        "casemgr",
        instance_path=str(Path(instance).resolve()) if instance else None,
        instance_relative_config=True,
        template_folder=str(REPO_TEMPLATES),
        static_folder=str(REPO_TEMPLATES / "static"),
    )
    app.config.update(load_config(Path(app.instance_path)))
    app.config.update(overrides)

    clock: Clock = app.config.get("CLOCK") or SystemClock()
    app.extensions["casemgr.clock"] = clock
    app.extensions["casemgr.events"] = EventBus()

    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from casemgr.web import register_web

    register_web(app)
    _register_error_pages(app)

    from casemgr.cli import register_cli

    register_cli(app)

    # The optional areas plug into the core's events, panels and CLI.
    import escalation

    escalation.init_app(app)
    return app


def _register_error_pages(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError

    @app.errorhandler(404)
    def not_found(_e: Exception):
        return render_template("errors/error.html", code=404, title="Not found",
                               message="There is nothing here, or you do not have access to it."), 404

    @app.errorhandler(403)
    def forbidden(_e: Exception):
        return render_template("errors/error.html", code=403, title="Not allowed",
                               message="Your role cannot do that."), 403

    @app.errorhandler(CSRFError)
    def csrf_error(e: CSRFError):
        return render_template("errors/error.html", code=400, title="Form expired",
                               message=f"{e.description} Go back, reload the page and submit again."), 400

    @app.errorhandler(413)
    def too_large(_e: Exception):
        limit = app.config["MAX_UPLOAD_MB"]
        return render_template("errors/error.html", code=413, title="Upload too large",
                               message=f"Uploads are limited to {limit} MB in total per request."), 413

    @app.errorhandler(429)
    def too_many(_e: Exception):
        return render_template("errors/error.html", code=429, title="Too many attempts",
                               message="Too many attempts in a short time. Wait a minute and try again."), 429
