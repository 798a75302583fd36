"""``casemgr calendar``: coverage calendars from scripts (the same services as the pages and the API)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from casemgr.registry import registry_of


@click.group("calendar")
def calendar_group() -> None:
    """Coverage calendars: hours and holidays."""


@calendar_group.command("import-ics")
@click.argument("calendar_name")
@click.argument("ics_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "email", default=None, help="E-mail of the support manager or admin recorded in the audit.")
@with_appcontext
def import_ics_command(calendar_name: str, ics_file: Path, email: str | None) -> None:
    """Add the all-day events of an iCalendar (.ics) file to CALENDAR_NAME as holidays."""
    from casemgr.auth.models import User
    from casemgr.contracts import calendars
    from casemgr.db import new_session
    from casemgr.errors import DomainError

    with new_session(write=True) as session:
        actor = None
        if email:
            actor = session.scalar(select(User).where(User.email == email.strip().lower()))
            if actor is None:
                raise click.ClickException(f"No user {email}.")
        try:
            calendar = calendars.calendar_by_name(session, actor, calendar_name)
            added = calendars.import_ics(
                session, actor, calendar, ics_file.read_bytes(), filename=ics_file.name, now=registry_of().clock.now()
            )
        except DomainError as exc:
            raise click.ClickException(str(exc)) from None
        if added:
            click.echo(f"Added {len(added)} holiday(s) to {calendar.name}: {', '.join(added)}.")
        else:
            click.echo(f"Nothing new: every date of {ics_file.name} is already a holiday of {calendar.name}.")
