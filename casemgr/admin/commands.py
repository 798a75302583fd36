"""Set-up from scripts: ``casemgr org create|list``, ``casemgr site create``,
``casemgr account-manager assign|unassign``, ``casemgr contract create``.

Each acts as a named administrator (``--as`` or ``CASEMGR_ADMIN_EMAIL``), calls the same
service as the pages and the API, and is audited on the "cli" channel. A refusal is the
service's message on standard error and exit status 1; nothing is written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.errors import DomainError
from casemgr.organizations.models import Organization
from casemgr.registry import registry_of

acting_admin = click.option(
    "--as",
    "admin_email",
    required=True,
    envvar="CASEMGR_ADMIN_EMAIL",
    help="The administrator the change is recorded as (or CASEMGR_ADMIN_EMAIL).",
)


@contextlib.contextmanager
def _admin_session(admin_email: str) -> Iterator[tuple[Session, User]]:
    from casemgr.auth.services import find_user_by_email
    from casemgr.db import new_session

    with new_session(write=True) as session:
        user = find_user_by_email(session, admin_email)
        if user is None or not user.is_active or user.role != Role.ADMIN:
            raise click.ClickException(f"{admin_email} is not an active administrator.")
        try:
            yield session, user
        except DomainError as exc:
            session.rollback()
            raise click.ClickException(exc.message) from None


def _partner(session: Session, name: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.name == name, Organization.is_vendor.is_(False)))
    if org is None:
        raise click.ClickException(f"No partner organisation named {name!r}.")
    return org


def _now():
    return registry_of().clock.now()


@click.group("org")
def org_group() -> None:
    """Partner organisations."""


@org_group.command("create")
@click.argument("name")
@acting_admin
@with_appcontext
def org_create(name: str, admin_email: str) -> None:
    """Register a partner organisation; prints its id."""
    from casemgr.admin.services import create_organization

    with _admin_session(admin_email) as (session, actor):
        org = create_organization(session, actor, name=name, now=_now(), channel="cli")
        click.echo(f"{org.id}\t{org.name}")


@org_group.command("list")
@with_appcontext
def org_list() -> None:
    """Partner organisations, one per line: id, name, sites."""
    from casemgr.db import new_session

    with new_session() as session:
        stmt = select(Organization).where(Organization.is_vendor.is_(False)).order_by(Organization.name)
        for org in session.scalars(stmt):
            click.echo(f"{org.id}\t{org.name}\t{len(org.sites)} site(s)")


@click.group("site")
def site_group() -> None:
    """Sites of partners."""


@site_group.command("create")
@click.option("--org", "org_name", required=True, help="The partner's name.")
@click.option("--name", required=True)
@click.option("--timezone", required=True, help="IANA name, e.g. Europe/Berlin.")
@click.option("--address", default="")
@click.option("--region", default="", help="Field-service region, e.g. us-east.")
@click.option("--contact-name", default="")
@click.option("--contact-phone", default="")
@acting_admin
@with_appcontext
def site_create(org_name: str, admin_email: str, **values: str) -> None:
    """Add a site to a partner; prints its id."""
    from casemgr.admin.services import create_site

    with _admin_session(admin_email) as (session, actor):
        site = create_site(session, actor, _partner(session, org_name), now=_now(), channel="cli", **values)
        click.echo(f"{site.id}\t{site.name}\t{site.timezone}")


@click.group("account-manager")
def account_manager_group() -> None:
    """Which account managers watch which partners."""


@account_manager_group.command("assign")
@click.option("--org", "org_name", required=True, help="The partner's name.")
@click.option("--email", required=True, help="The account manager's e-mail address.")
@acting_admin
@with_appcontext
def account_manager_assign(org_name: str, email: str, admin_email: str) -> None:
    """The account manager sees this partner from now on."""
    from casemgr.admin.account_managers import assign_account_manager

    with _admin_session(admin_email) as (session, actor):
        org = _partner(session, org_name)
        manager = assign_account_manager(session, actor, org, now=_now(), channel="cli", email=email)
        click.echo(f"{manager.email} now watches {org.name}.")


@account_manager_group.command("unassign")
@click.option("--org", "org_name", required=True, help="The partner's name.")
@click.option("--email", required=True, help="The account manager's e-mail address.")
@acting_admin
@with_appcontext
def account_manager_unassign(org_name: str, email: str, admin_email: str) -> None:
    """The account manager no longer sees this partner."""
    from casemgr.admin.account_managers import unassign_account_manager

    with _admin_session(admin_email) as (session, actor):
        org = _partner(session, org_name)
        manager = unassign_account_manager(session, actor, org, now=_now(), channel="cli", email=email)
        click.echo(f"{manager.email} no longer watches {org.name}.")


@click.group("contract")
def contract_group() -> None:
    """Support contracts."""


@contract_group.command("create")
@click.option("--org", "org_name", required=True, help="The partner's name.")
@click.option("--number", required=True)
@click.option("--plan", "plan_code", required=True, help="The plan's code, e.g. PREM.")
@click.option("--starts", "starts_on", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--ends", "ends_on", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--asset", "asset_serials", multiple=True, help="A covered asset's serial (repeat for more).")
@acting_admin
@with_appcontext
def contract_create(org_name: str, number: str, plan_code: str, starts_on, ends_on, asset_serials, admin_email) -> None:
    """Add a contract covering some of the partner's assets; prints its id."""
    from casemgr.admin.services import create_contract

    with _admin_session(admin_email) as (session, actor):
        contract = create_contract(
            session,
            actor,
            number=number,
            organization_id=_partner(session, org_name).id,
            plan_code=plan_code,
            starts_on=date.fromordinal(starts_on.toordinal()),
            ends_on=date.fromordinal(ends_on.toordinal()),
            asset_serials=list(asset_serials),
            now=_now(),
            channel="cli",
        )
        click.echo(f"{contract.id}\t{contract.number}\t{contract.starts_on} to {contract.ends_on}")


COMMANDS = (org_group, site_group, account_manager_group, contract_group)
