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


@lms_cli.group("courses")
def courses() -> None:
    """Course folders: import, export, validate."""


@courses.command("validate")
@click.argument("folders", nargs=-1, required=True, type=click.Path(file_okay=False))
def courses_validate(folders) -> None:
    """Check course folders without importing; one line per problem."""
    from lms.courses.files import CourseFileError, parse_course_dir

    failed = False
    for folder in folders:
        try:
            parse_course_dir(folder)
        except CourseFileError as exc:
            failed = True
            for problem in exc.problems:
                click.echo(f"FAIL {problem}", err=True)
        else:
            click.echo(f"ok   {folder}")
    if failed:
        sys.exit(1)


@courses.command("import")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--publish", is_flag=True, help="Publish a new version if the draft changed.")
def courses_import(folder, publish) -> None:
    """Import a course folder into its draft (all or nothing)."""
    from lms.courses import authoring
    from lms.courses.files import CourseFileError, import_course, parse_course_dir
    from lms.errors import ValidationFailed

    try:
        course = import_course(parse_course_dir(folder))
        version = authoring.publish(course, actor=None) \
            if publish and course.has_unpublished_changes else None
    except CourseFileError as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(f"FAIL {problem}", err=True)
        sys.exit(1)
    except ValidationFailed as exc:
        db.session.rollback()
        raise click.ClickException(f"{folder}: {exc.field}: {exc.reason} {exc.params}") from None
    db.session.commit()
    state = f"published as version {version.number}" if version else (
        "draft has unpublished changes" if course.has_unpublished_changes else "unchanged")
    click.echo(f"imported {course.code}: {len(course.modules)} modules, "
               f"{sum(len(m.lessons) for m in course.modules)} lessons; {state}")


@courses.command("export")
@click.argument("code")
@click.argument("target", type=click.Path(file_okay=False))
def courses_export(code, target) -> None:
    """Write a course's draft as a course folder under TARGET."""
    from lms.courses.authoring import course_by_code
    from lms.courses.files import export_course
    from lms.errors import NotFound

    try:
        folder = export_course(course_by_code(code), target)
    except NotFound:
        raise click.ClickException(f"no course with code {code!r}") from None
    click.echo(f"exported {code} to {folder}")
