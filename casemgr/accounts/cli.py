"""``casemgr user invite|deactivate|reactivate|set-role|reset-password``: the same
services as the pages and the API, run by the command line's operator (audited as
``cli``, with no acting user: whoever has the shell has an administrator's rights)."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.auth.roles import TIERS, Role
from casemgr.errors import DomainError
from casemgr.registry import registry_of

CHANNEL = "cli"
ROLES = [r.value for r in Role]


def _run(work: Callable[[Session], str]) -> None:
    """``work(session)`` in a write session; a refusal is printed as the command's error."""
    from casemgr.db import new_session

    with new_session(write=True) as session:
        try:
            message = work(session)
        except DomainError as exc:
            session.rollback()
            raise click.ClickException(exc.message) from None
    click.echo(message)


def _now():
    return registry_of().clock.now()


def add_user_commands(group: click.Group) -> None:
    for command in (user_invite, user_deactivate, user_reactivate, user_set_role, user_reset_password):
        group.add_command(command)


@click.command("invite")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--org", "org_name", help="Organisation name (default: the vendor organisation).")
@click.option("--name", default=None)
@click.option("--tier", default=None, type=click.Choice(TIERS), help="Support engineers: the queue they work.")
@click.option("--region", default=None, help="Field engineers: their service region.")
@with_appcontext
def user_invite(email: str, role: str, org_name: str | None, name: str | None, tier: str | None, region: str | None):
    """Invite a user: the account is created and a set-password link (72 h) is e-mailed."""
    from casemgr.accounts import services
    from casemgr.organizations.models import Organization

    def work(session: Session) -> str:
        org_id = None
        if org_name:
            org_id = session.scalar(select(Organization.id).where(Organization.name == org_name))
            if org_id is None:
                raise click.ClickException(f"No organisation named {org_name!r}.")
        user = services.invite_user(
            session,
            None,
            email=email,
            role=role,
            organization_id=org_id,
            name=name,
            tier=tier,
            region=region,
            now=_now(),
            channel=CHANNEL,
        )
        return f"Invited {user.email} ({user.role}) in {user.organization.name}; the e-mail is in the outbox."

    _run(work)


def _on_user(email: str, act: Callable[..., object], done: str) -> None:
    """``act(session, None, user, now=..., channel="cli")`` on the user with that e-mail;
    ``done`` (with ``{email}``) is printed once it is committed."""
    from casemgr.accounts import services

    def work(session: Session) -> str:
        user = services.find_managed_by_email(session, None, email)
        act(session, None, user, now=_now(), channel=CHANNEL)
        return done.format(email=user.email)

    _run(work)


@click.command("deactivate")
@click.argument("email")
@with_appcontext
def user_deactivate(email: str):
    """Deactivate a user: no login, API tokens refused, sessions ended."""
    from casemgr.accounts import services

    _on_user(email, services.deactivate_user, "Deactivated {email}.")


@click.command("reactivate")
@click.argument("email")
@with_appcontext
def user_reactivate(email: str):
    """Let a deactivated user log in again."""
    from casemgr.accounts import services

    _on_user(email, services.reactivate_user, "Reactivated {email}.")


@click.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@click.option("--tier", default=None, type=click.Choice(TIERS), help="Support engineers: the queue they work.")
@with_appcontext
def user_set_role(email: str, role: str, tier: str | None):
    """Change a user's role (and a support engineer's tier)."""
    from casemgr.accounts import services

    def work(session: Session) -> str:
        user = services.find_managed_by_email(session, None, email)
        services.update_user(
            session,
            None,
            user,
            expected_version=None,
            role=role,
            now=_now(),
            channel=CHANNEL,
            **({"tier": tier} if tier is not None else {}),
        )
        return f"{user.email} is now {user.role}" + (f" ({user.tier})." if user.tier else ".")

    _run(work)


@click.command("reset-password")
@click.argument("email")
@with_appcontext
def user_reset_password(email: str):
    """E-mail the user a link to choose a new password (2 h; an invitee gets a new invitation)."""
    from casemgr.accounts import services

    _on_user(email, services.send_password_reset, "A password e-mail to {email} is in the outbox.")
