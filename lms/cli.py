"""`flask --app app lms …`: thin commands that parse, call a service, commit, print."""

from __future__ import annotations

import json
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from lms.extensions import db

lms_cli = AppGroup("lms", help="UnionCadre Academy administration.")


def init_app(app: Flask) -> None:
    app.cli.add_command(lms_cli)


@lms_cli.command("seed")
@click.option("--demo", is_flag=True, required=True, help="Load the demonstration data.")
def seed(demo: bool) -> None:
    """Create the demo organisations and one user per role (idempotent)."""
    from lms.seed import DEMO_PASSWORD, seed_demo

    users = seed_demo()
    db.session.commit()
    click.echo(f"Demo data ready. Log in at {current_app.config['BASE_URL']}/login with:")
    for role, email in users:
        click.echo(f"  {role:<10} {email:<34} {DEMO_PASSWORD}")


@lms_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "real_name", required=True, help="Real name, e.g. 张三.")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(["candidate", "trainer", "proctor", "officer", "admin"]))
@click.option("--org", "org_code", help="Organisation code (scope of officer/proctor roles).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(email, real_name, roles, org_code, password_stdin) -> None:
    """Create an account with the given roles."""
    import sqlalchemy as sa

    from lms.accounts.forms import ERROR_MESSAGES
    from lms.accounts.models import Organisation, Role
    from lms.accounts.services import create_user as create
    from lms.errors import ValidationFailed

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    org = None
    if org_code:
        org = db.session.scalar(sa.select(Organisation).where(Organisation.code == org_code))
        if org is None:
            raise click.ClickException(f"no organisation with code {org_code!r}")
    try:
        user = create(email=email, real_name=real_name, password=password,
                      roles=[Role(r) for r in roles], organisation=org)
    except ValidationFailed as exc:
        raise click.ClickException(
            f"{exc.field}: {ERROR_MESSAGES.get((exc.field, exc.reason), exc.reason)}") from None
    db.session.commit()
    click.echo(f"created user {user.id} <{user.email}> with roles {', '.join(roles)}")


@lms_cli.command("init-keys")
def init_keys() -> None:
    """Create the credential-signing key if it does not exist yet."""
    from lms.keys import ensure_signing_key

    path, created = ensure_signing_key(current_app)
    click.echo(f"{'created' if created else 'kept existing'} signing key {path}")


@lms_cli.command("check")
def check() -> None:
    """Check the installation; exits non-zero with one line per problem."""
    from lms.checks import run_checks

    problems = run_checks(current_app)
    for problem in problems:
        click.echo(f"FAIL {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo("OK: database, migrations, CJK font, HarfBuzz subsetting, signing key")


@lms_cli.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats(as_json: bool) -> None:
    """Counts of what the platform holds, keyed by the codes used in the data."""
    from lms.stats import collect_stats

    data = collect_stats()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2))
    else:
        for key, value in data.items():
            click.echo(f"{key}: {value}")


@lms_cli.group("outbox")
def outbox() -> None:
    """The mail outbox."""


@outbox.command("deliver")
def outbox_deliver() -> None:
    """Deliver pending mail now (what the worker does every minute)."""
    from lms.notifications.services import deliver_due

    counts = deliver_due()
    click.echo(f"sent {counts['sent']}, failed {counts['failed']}")
