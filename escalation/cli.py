"""``casemgr escalation run-due`` (one pass, any instant) and ``casemgr scheduler`` (the tick)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from casemgr.clock import parse_instant
from casemgr.registry import registry_of


@click.group("escalation")
def escalation_group() -> None:
    """SLA clocks and escalation ladders."""


@escalation_group.command("run-due")
@click.option("--now", "at", default=None, help="ISO-8601 instant to run at (default: the clock's now).")
@with_appcontext
def run_due_command(at: str | None) -> None:
    """Run one pass of due escalation steps and report what fired."""
    from escalation.services import Settings, run_due

    try:
        now = parse_instant(at) if at else registry_of().clock.now()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--now") from None
    stats = run_due(registry_of().db.write_session_factory, now, Settings.from_app())
    click.echo(
        f"{now.isoformat()}: {stats.cases} case(s) checked, {stats.fired} step(s) fired, {len(stats.failed)} failed"
    )
    if stats.failed:
        raise SystemExit(1)


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the escalation and notification tick as its own process (any number side by side)."""
    from casemgr.cli import loaded_app
    from escalation.scheduler import make_scheduler

    app = loaded_app()
    click.echo(f"Casemgr scheduler: ticking every {app.config['SCHEDULER_TICK_SECONDS']} s (Ctrl+C to stop)")
    make_scheduler(app, blocking=True).start()
