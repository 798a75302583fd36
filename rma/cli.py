"""``casemgr rma install-part``: record a part by hand, through the same safety guard.

Overdue returns are reminded by the escalation ladder's ``return_overdue`` step."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from casemgr.clock import parse_instant
from casemgr.registry import registry_of


def _now(at: str | None):
    try:
        return parse_instant(at) if at else registry_of().clock.now()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--now") from None


@click.group("rma")
def rma_group() -> None:
    """RMAs: installs and return reminders."""


@rma_group.command("install-part")
@click.option("--asset", "asset_serial", required=True, help="Asset serial number.")
@click.option("--slot", required=True, help='Slot as printed on the chassis, e.g. "bay 4".')
@click.option("--part", "part_number", required=True, help="Catalogue part number.")
@click.option("--serial", required=True, help="Serial of the part going in.")
@click.option("--as", "email", required=True, help="E-mail of the vendor engineer recording it.")
@click.option("--now", "at", default=None, help="ISO-8601 instant (default: now).")
@with_appcontext
def install_part(asset_serial: str, slot: str, part_number: str, serial: str, email: str, at: str | None) -> None:
    """Record a part installed in an asset slot; failed or quarantined serials are refused."""
    from casemgr.assets.models import Asset
    from casemgr.assets.services import install_component
    from casemgr.auth.models import User
    from casemgr.db import new_session
    from casemgr.errors import DomainError
    from casemgr.safety.services import SafetyBlocked

    now = _now(at)
    with new_session(write=True) as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        asset = session.scalar(select(Asset).where(Asset.serial == asset_serial.strip()))
        if user is None or asset is None:
            raise click.ClickException(f"No {'user ' + email if user is None else 'asset ' + asset_serial}.")
        try:
            component = install_component(
                session, user, asset, slot=slot, part_number=part_number, serial=serial, now=now, channel="cli"
            )
        except SafetyBlocked as exc:
            raise click.ClickException(f"Refused by the safety guard: {exc}") from None
        except DomainError as exc:  # any other refusal: its message, exit status 1
            raise click.ClickException(str(exc)) from None
        click.echo(
            f"Installed {component.part.part_number} SN {component.serial} in {component.slot} of {asset.serial}."
        )
