"""The ``casemgr`` command: serve, db, user, demo, assets import, mail, attachments copy-to-s3,
calendar import-ics; set-up commands in casemgr.admin.commands."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from sqlalchemy import Engine, select

from casemgr.registry import registry_of


def _create_app() -> Flask:
    from casemgr.app import create_app

    return create_app()


@click.group(
    cls=FlaskGroup,
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
)
def main() -> None:
    """Casemgr: enterprise support cases, escalation and RMAs."""


def _clock_now():
    return registry_of().clock.now()


def _engine() -> Engine:
    """The current app's engine (``Database.init_app`` gives every app one)."""
    from casemgr.db import database

    engine = database().engine
    if engine is None:
        raise click.ClickException("The app has no database engine.")
    return engine


def loaded_app() -> Flask:
    """The app a command runs in (not the ``current_app`` proxy: threads and servers
    outlive the command's app context), as Flask's CLI loaded it."""
    return click.get_current_context().ensure_object(ScriptInfo).load_app()


def register_cli(app: Flask) -> None:
    app.cli.add_command(serve)
    app.cli.add_command(db_group)
    from casemgr.accounts.cli import add_user_commands

    add_user_commands(user_group)
    app.cli.add_command(user_group)
    app.cli.add_command(init)
    app.cli.add_command(demo)
    app.cli.add_command(assets_group)
    app.cli.add_command(token_group)
    app.cli.add_command(mail_group)
    from casemgr.cases.store_copy import attachments_group

    app.cli.add_command(attachments_group)
    from casemgr.admin.commands import COMMANDS as setup_commands

    for command in setup_commands:  # org, site, account-manager, contract
        app.cli.add_command(command)
    from casemgr.contracts.cli import calendar_group

    app.cli.add_command(calendar_group)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int, threads: int) -> None:
    """Serve the app and its scheduler tick with waitress (the embedded default).

    In production run gunicorn workers and one or more `casemgr scheduler` processes."""
    from waitress.server import create_server

    app = loaded_app()
    server = create_server(app, host=host, port=port, threads=threads)
    for start in registry_of(app).on_serve:
        start()  # the in-process scheduler of the embedded default
    click.echo(f"Casemgr is running at http://{host}:{port}/  (Ctrl+C to stop)")
    server.run()


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Create or upgrade the schema with the Alembic migrations."""
    from casemgr.migrate import upgrade

    engine = _engine()
    upgrade(engine, revision)
    click.echo(f"Database at {engine.url.render_as_string(hide_password=True)} is at {revision}.")


@click.group("user")
def user_group() -> None:
    """User accounts."""


@user_group.command("create")
@click.option("--email", required=True)
@click.option(
    "--role",
    required=True,
    help="customer_admin, customer_user, support_engineer, field_engineer, account_manager, support_manager or admin",
)
@click.option("--org", "org_name", help="Organisation name (default: the vendor organisation).")
@click.option("--name", default=None)
@click.option("--region", default=None, help="Service region (field engineers).")
@click.option(
    "--tier",
    default=None,
    type=click.Choice(["L1", "L2", "L3"]),
    help="Support engineers: the queue they work; escalations to that tier page them.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def user_create(
    email: str,
    role: str,
    org_name: str | None,
    name: str | None,
    region: str | None,
    tier: str | None,
    password_stdin: bool,
) -> None:
    """Create a user; the password is prompted for unless --password-stdin."""
    from casemgr.auth.services import UserError, create_user
    from casemgr.db import new_session
    from casemgr.organizations.models import Organization

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with new_session(write=True) as session:
        query = (
            select(Organization).where(Organization.name == org_name)
            if org_name
            else select(Organization).where(Organization.is_vendor.is_(True))
        )
        org = session.scalar(query)
        if org is None:
            raise click.ClickException(
                f"No organisation named {org_name!r}."
                if org_name
                else "No vendor organisation exists yet; run `casemgr init` first, or pass --org."
            )
        try:
            user = create_user(
                session,
                email=email,
                role=role,
                organization=org,
                password=password,
                name=name,
                now=_clock_now(),
                region=region,
                tier=tier,
                channel="cli",
            )
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Created {user.email} ({user.role}) in {org.name}.")


@click.command("init")
@click.option("--vendor", "vendor_name", required=True, help="Your organisation's name (the vendor).")
@click.option("--admin-email", required=True, help="The first administrator's e-mail (their login).")
@click.option("--password-stdin", is_flag=True, help="Read the admin's password from standard input.")
@with_appcontext
def init(vendor_name: str, admin_email: str, password_stdin: bool) -> None:
    """First run on an empty or existing database (idempotent): migrations to head, the
    vendor organisation, the first admin, the default calendars, plan and ladders."""
    from casemgr.auth.services import UserError
    from casemgr.db import new_session
    from casemgr.first_run import initialise
    from casemgr.migrate import upgrade

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    engine = _engine()
    upgrade(engine)
    click.echo(f"Database at {engine.url.render_as_string(hide_password=True)} is at the latest schema.")
    with new_session(write=True) as session:
        try:
            report = initialise(
                session,
                vendor_name=vendor_name,
                admin_email=admin_email,
                admin_password=password,
                now=_clock_now(),
                steps=registry_of().first_run_steps,
            )
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
    for line in report.lines:
        click.echo(f"  {line}")
    if report.generated_password:
        click.echo(f"  Password for {admin_email.strip().lower()}: {report.generated_password}")
        click.echo("  (Shown this once: it is stored hashed. Change it in Settings after you log in.)")
    click.echo("")
    click.echo("Next:")
    click.echo("  1. Run the app: `casemgr serve` (embedded), or gunicorn 'casemgr:create_app()'")
    click.echo("     and `casemgr scheduler` (README: Running in production).")
    click.echo(f"  2. Log in as {admin_email.strip().lower()} and create an API token in Settings.")
    click.echo("  3. Add partners on the Admin pages (/admin/), or with `casemgr org create`, `casemgr site create`,")
    click.echo("     `casemgr contract create`, or POST /api/v1/organizations, /sites, /parts, /products, /plans,")
    click.echo("     /contracts (reference at /api/v1/docs); then `casemgr assets import FILE.csv`, and")
    click.echo("     `casemgr user create --org NAME --role customer_admin --email ...` for their users.")


@click.command()
@click.option("--url", default="http://127.0.0.1:5000/", show_default=True, help="Shown with the logins.")
@with_appcontext
def demo(url: str) -> None:
    """Load realistic demo data (idempotent) and print one login per role.

    It builds on the first run, as a real deployment does (``casemgr init``)."""
    from casemgr.db import new_session
    from casemgr.demo import DEMO_ADMIN, VENDOR, seed_demo
    from casemgr.first_run import initialise
    from casemgr.migrate import upgrade

    upgrade(_engine())
    now = _clock_now()
    registry = registry_of()
    with new_session(write=True) as session:
        initialise(
            session,
            vendor_name=VENDOR,
            admin_email=DEMO_ADMIN,
            admin_password=None,  # the demo gives every login a new password below
            now=now,
            steps=registry.first_run_steps,
        )
        logins, fresh = seed_demo(session, current_app.config, now)
        for seeder in registry.demo_seeders:
            seeder(session, now)  # the optional areas' demo data
        if fresh:
            for finisher in registry.demo_finishers:
                finisher(session, now)  # once every area's data is in, e.g. replaying the escalation runner
    click.echo("")
    click.echo(f"Casemgr demo data is ready. Open {url} and log in as:")
    for role, email, password in logins:
        click.echo(f"  {role:<17} {email:<38} password: {password}")
    click.echo("(Passwords are new each time `casemgr demo` runs.)")


@click.group("assets")
def assets_group() -> None:
    """Registered hardware."""


@assets_group.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
@with_appcontext
def assets_import(csv_file) -> None:
    """Import assets from CSV: all rows or none; every bad row is reported with its line."""
    from casemgr.assets.importer import import_assets
    from casemgr.db import new_session

    rows = csv_file.read().splitlines(keepends=True)
    with (
        new_session(write=True) as session,
        click.progressbar(length=max(len(rows) - 1, 0), label="Checking rows") as bar,
    ):
        result = import_assets(session, rows, now=_clock_now(), progress=bar.update)
    if result.errors:
        for error in result.errors:
            click.echo(f"line {error.line}: {error.message}", err=True)
        raise click.ClickException(f"{len(result.errors)} invalid row(s); nothing was imported.")
    click.echo(f"Imported {result.imported} asset(s) with {result.components} component(s).")


@click.group("token")
def token_group() -> None:
    """Personal access tokens for the REST API."""


@token_group.command("create")
@click.option("--user", "email", required=True, help="The user the token acts as.")
@click.option("--name", default="CLI token", show_default=True)
@with_appcontext
def token_create(email: str, name: str) -> None:
    """Create a token and print it alone on standard output (it is stored hashed)."""
    from casemgr.auth.services import find_user_by_email
    from casemgr.auth.tokens import create_token
    from casemgr.db import new_session

    with new_session(write=True) as session:
        user = find_user_by_email(session, email)
        if user is None or not user.is_active:
            raise click.ClickException(f"No active user {email}.")
        _, text = create_token(session, user, name, _clock_now())
    click.echo(text)


@click.group("mail")
def mail_group() -> None:
    """Inbound e-mail."""


@mail_group.command("ingest")
@with_appcontext
def mail_ingest() -> None:
    """Read one RFC 5322 message on standard input (an MTA pipes to it) and file it.

    Exits 0 for every message that can be read, so the MTA never bounces it: one that
    cannot be filed is kept in the dead-letter folder and reported. Exits 75
    (EX_TEMPFAIL: the MTA keeps it and retries) only when the database is unreachable,
    and 65 (EX_DATAERR) when standard input is empty.
    """
    from sqlalchemy.exc import InterfaceError, OperationalError

    from casemgr.channels.mail import ingest
    from casemgr.channels.mail_routing import MailSettings
    from casemgr.db import new_session

    app = loaded_app()
    try:
        with new_session(app, write=True) as session:
            outcome = ingest(
                session, sys.stdin.buffer, _mail_store(app), _clock_now(), MailSettings.from_config(app.config)
            )
    except (OperationalError, InterfaceError) as exc:
        click.echo(f"casemgr mail ingest: the database is unavailable, try again later ({exc.orig})", err=True)
        raise SystemExit(75) from None
    if outcome.action == "dead_letter" and outcome.detail == "empty input":
        click.echo("casemgr mail ingest: no message on standard input", err=True)
        raise SystemExit(65)
    click.echo(f"{outcome.action} {outcome.case_number or ''} {outcome.detail}".strip())


def _mail_store(app: Flask):
    from casemgr.cases.attachments import attachment_store

    return attachment_store(app.config)


@mail_group.command("fetch")
@click.option("--once", is_flag=True, help="One pass over the mailbox, then exit.")
@click.option("--idle/--poll", default=False, help="Wait with IMAP IDLE between passes instead of polling.")
@click.option("--interval", type=int, default=None, help="Seconds between passes (CASEMGR_IMAP_INTERVAL).")
@with_appcontext
def mail_fetch(once: bool, idle: bool, interval: int | None) -> None:
    """File the messages of an IMAP mailbox (CASEMGR_IMAP_URL), for deployments without an MTA pipe.

    Each message is filed exactly once, even if the fetcher stops between filing and
    flagging it; filed messages are flagged (or moved to CASEMGR_IMAP_DONE_FOLDER)."""
    from casemgr.channels.imap import ImapSource, MailboxError, run_fetcher

    app = loaded_app()
    url = app.config.get("IMAP_URL", "")
    if not url:
        raise click.ClickException("Set CASEMGR_IMAP_URL, e.g. imaps://user:password@mail.example.com:993/INBOX.")
    try:
        source = ImapSource.from_url(url, done_folder=app.config.get("IMAP_DONE_FOLDER", ""))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        for counts in run_fetcher(
            app,
            source,
            store=_mail_store(app),
            once=once,
            idle=idle,
            interval=interval or app.config.get("IMAP_INTERVAL_SECONDS", 60),
        ):
            click.echo(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing new")
    except MailboxError as exc:
        raise click.ClickException(str(exc)) from None
