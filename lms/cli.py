"""`flask --app app lms …`: thin commands that parse, call a service, commit, print."""

from __future__ import annotations

import dataclasses
import json
import sys

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from lms.extensions import db

lms_cli = AppGroup("lms", help="UnionCadre Academy administration.")


def init_app(app: Flask) -> None:
    from lms.certificates.cli import certificates_cli, ledger_cli
    from lms.operations.cli import backup_command, restore_command
    from lms.retraining.cli import tick_command

    lms_cli.add_command(certificates_cli)
    lms_cli.add_command(ledger_cli)
    lms_cli.add_command(tick_command)
    lms_cli.add_command(backup_command)
    lms_cli.add_command(restore_command)
    app.cli.add_command(lms_cli)


@lms_cli.command("seed")
@click.option("--demo", is_flag=True, required=True, help="Load the demonstration data.")
def seed(demo: bool) -> None:
    """Create the demo organisations and one user per role (idempotent)."""
    from lms.seed import DEMO_ACCESS_CODE, DEMO_PASSWORD, seed_demo

    users = seed_demo()
    db.session.commit()
    click.echo(f"Demo data ready. Log in at {current_app.config['BASE_URL']}/login with:")
    for role, email in users:
        click.echo(f"  {role:<10} {email:<34} {DEMO_PASSWORD}")
    click.echo(f"Demo exam: {current_app.config['BASE_URL']}/exams — "
               f"book the session, then check in with the access code {DEMO_ACCESS_CODE}.")


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


@lms_cli.group("exams")
def exams() -> None:
    """Proctored exams."""


@exams.command("sweep")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def exams_sweep(as_json: bool) -> None:
    """Time out overdue attempts and cancel stale bookings (the worker does it every 15 s)."""
    from lms.exams.attempts import sweep

    result = sweep()
    counts = {"timed_out": result.timed_out, "cancelled": result.cancelled,
              "marked": result.marked}
    click.echo(json.dumps(counts) if as_json else
               f"timed out {counts['timed_out']}, cancelled {counts['cancelled']}, "
               f"marked {counts['marked']}")


@exams.command("purge-snapshots")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Retention in days (default: EXAM_SNAPSHOT_RETENTION_DAYS).")
def exams_purge_snapshots(days) -> None:
    """Delete webcam pictures older than the retention period (the worker does it daily)."""
    from lms.clock import utcnow
    from lms.exams.integrity import purge_snapshots

    count = purge_snapshots(utcnow(), days or current_app.config["EXAM_SNAPSHOT_RETENTION_DAYS"])
    db.session.commit()
    click.echo(f"deleted {count} pictures")


@lms_cli.group("privacy")
def privacy() -> None:
    """Personal data: export, erasure, ID-photo retention (rules: lms.accounts.privacy)."""


def _user_by_id(user_id: int):
    from lms.accounts.models import User

    user = db.session.get(User, user_id)
    if user is None:
        raise click.ClickException(f"no user with id {user_id}")
    return user


@privacy.command("export")
@click.argument("user_id", type=int)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
def privacy_export(user_id: int, output) -> None:
    """Write everything held about a person to a ZIP file (mode 0600)."""
    import os

    from lms.accounts.privacy import export_zip

    data = export_zip(_user_by_id(user_id), actor=None)
    db.session.commit()
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    click.echo(f"exported user {user_id} to {output}")


@privacy.command("erase")
@click.argument("user_id", type=int)
@click.option("--reason", required=True, help="The request's reference (kept in the audit log).")
@click.confirmation_option(prompt="Erase this person's personal data? This cannot be undone.")
def privacy_erase(user_id: int, reason: str) -> None:
    """Erase a person's personal data on their request."""
    from lms.accounts.privacy import erase
    from lms.errors import InvalidTransition

    try:
        done = erase(_user_by_id(user_id), actor=None, reason=reason)
    except InvalidTransition as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"erased user {user_id}: {done.files_deleted} files deleted, "
               f"{done.audit_entries_redacted} audit entries redacted, "
               f"{done.bookings_cancelled} bookings cancelled")


@privacy.command("purge-photos")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Retention in days (default: ID_PHOTO_RETENTION_DAYS).")
def privacy_purge_photos(days) -> None:
    """Delete ID photos no longer needed (the worker does it daily)."""
    from lms.accounts.privacy import purge_id_photos
    from lms.clock import utcnow

    count = purge_id_photos(utcnow(), days or current_app.config["ID_PHOTO_RETENTION_DAYS"])
    db.session.commit()
    click.echo(f"deleted {count} photos")


@lms_cli.group("grading")
def grading() -> None:
    """Marking of exam attempts."""


@grading.command("mark")
@click.option("--attempt", "attempt_id", type=int, default=None,
              help="Mark this attempt only (default: every finished, unmarked attempt).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def grading_mark(attempt_id, as_json: bool) -> None:
    """Auto-mark finished exam attempts that are not marked yet (idempotent)."""
    from lms.grading.marking import mark_attempt, mark_pending

    if attempt_id is not None:
        one = mark_attempt(attempt_id)
        marked = [one] if one else []
        db.session.commit()
    else:
        marked = []
        while batch := mark_pending():
            db.session.commit()
            marked += batch
    rows = [{"attempt_id": m.attempt_id, "score": str(m.score), "max_score": str(m.max_score),
             "percent": str(m.percent), "passed": m.passed, "pending_manual": m.pending_manual,
             "state": m.state.value} for m in marked]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        click.echo(f"attempt {row['attempt_id']}: {row['score']}/{row['max_score']} "
                   f"({row['percent']}%) {row['state']}"
                   + (f", {row['pending_manual']} to mark by hand" if row["pending_manual"]
                      else ""))
    click.echo(f"marked {len(rows)} attempt(s)")


@lms_cli.group("reports")
def reports() -> None:
    """Exam reports and item statistics."""


@reports.command("item-stats")
@click.option("--exam", "exam_code", default=None, help="This exam only (its code).")
def reports_item_stats(exam_code) -> None:
    """Recompute the item statistics the question-bank browser shows (every exam with
    graded attempts, or one)."""
    from lms.exams.models import Exam
    from lms.reports import statistics

    query = sa.select(Exam).order_by(Exam.code)
    if exam_code:
        query = query.where(Exam.code == exam_code)
    exams = db.session.scalars(query).all()
    if exam_code and not exams:
        raise click.ClickException(f"no exam with the code {exam_code}")
    for exam in exams:
        result = statistics.refresh(exam)
        db.session.commit()
        if result.attempts:
            click.echo(f"{exam.code}: {len(result.items)} item(s), "
                       f"{result.attempts} graded attempt(s)")


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
@click.argument("args", nargs=-1, required=True, metavar="[CODE] TARGET")
def courses_export(args) -> None:
    """Write a course's draft (or, without CODE, every course) as folders under TARGET."""
    from lms.courses.authoring import course_by_code
    from lms.courses.files import export_course
    from lms.courses.models import Course
    from lms.errors import NotFound

    if len(args) > 2:
        raise click.UsageError("give at most a course code and a target folder")
    *code, target = args
    try:
        chosen = [course_by_code(code[0])] if code else \
            db.session.scalars(sa.select(Course).order_by(Course.code)).all()
    except NotFound:
        raise click.ClickException(f"no course with code {code[0]!r}") from None
    for course in chosen:
        folder = export_course(course, target)
        click.echo(f"exported {course.code} to {folder}")


@lms_cli.group("questions")
def questions() -> None:
    """Question banks: import and export in YAML, GIFT, Moodle XML, QTI and XLSX."""


@questions.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--bank", "bank_code", help="Bank code (bank YAML files name their own bank).")
@click.option("--format", "fmt", type=click.Choice(["yaml", "gift", "moodle-xml", "qti", "xlsx"]))
@click.option("--dry-run", is_flag=True, help="Report what would be imported; write nothing.")
@click.option("--valid-only", is_flag=True, help="Import the valid items of a file with problems.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def questions_import(path, bank_code, fmt, dry_run, valid_only, as_json) -> None:
    """Import a question file (all or nothing unless --valid-only)."""
    from pathlib import Path

    from lms.questions import services, transfer

    data = Path(path).read_bytes()
    try:
        parsed = transfer.parse_file(data, filename=Path(path).name, fmt=fmt)
    except transfer.UnknownFormat as exc:
        raise click.ClickException(str(exc)) from None
    bank = _import_target(parsed, bank_code, services)
    report = transfer.apply(bank, parsed, actor=None, valid_only=valid_only,
                            trust_status=parsed.format == "yaml")
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        for problem in report.problems:
            click.echo(f"FAIL {problem}", err=True)
        for warning in report.warnings:
            click.echo(f"WARN {warning}", err=True)
        verb = "would import" if dry_run else "imported"
        click.echo(f"{verb} {report.imported} into {bank.code}, {report.unchanged} unchanged, "
                   f"{report.skipped} skipped")
    if report.problems and not valid_only:
        sys.exit(1)


def _import_target(parsed, bank_code, services):
    from lms.errors import NotFound

    header = parsed.header
    code = bank_code or (header.code if header else None)
    if code is None:
        raise click.ClickException("name the bank with --bank CODE")
    try:
        return services.get_bank(code)
    except NotFound:
        if header is None:
            raise click.ClickException(f"no bank with code {code!r}") from None
        return services.create_bank(code=code, title=header.title, domain=header.domain,
                                    description=header.description)


@questions.command("export")
@click.option("--bank", "bank_code", required=True)
@click.option("--format", "fmt", required=True,
              type=click.Choice(["yaml", "gift", "moodle-xml", "qti", "xlsx"]))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
def questions_export(bank_code, fmt, output) -> None:
    """Write a bank's current versions to a file."""
    from pathlib import Path

    from lms.errors import NotFound
    from lms.questions import services, transfer

    try:
        data = transfer.export_bank(services.get_bank(bank_code), fmt)
    except NotFound:
        raise click.ClickException(f"no bank with code {bank_code!r}") from None
    except transfer.UnknownFormat as exc:
        raise click.ClickException(str(exc)) from None
    Path(output).write_bytes(data)
    click.echo(f"exported {bank_code} as {fmt} to {output}")


@lms_cli.group("credentials")
def credentials() -> None:
    """Signed Open Badges 3.0 credentials."""


# exit codes of `credentials verify`
VERIFY_OK, VERIFY_INVALID, VERIFY_STATUS_UNKNOWN = 0, 1, 2


def _json_default(value):
    from datetime import datetime

    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


@credentials.command("verify")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--status-list", "status_lists", multiple=True,
              type=click.File("r", encoding="utf-8"),
              help="A status list credential to use instead of fetching it (matched by id).")
@click.option("--no-fetch", is_flag=True,
              help="Never use the network: no status lists, no other issuers' DID documents.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def credentials_verify(file, status_lists, no_fetch, as_json) -> None:
    """Verify a credential offline: signature, dates and, when the status list is
    reachable or given, revocation and suspension. Exit 0 valid, 1 invalid,
    2 signature valid but status unknown."""
    from datetime import UTC, datetime

    from flask_babel import gettext as _

    from lms.credentials import resolvers
    from lms.credentials.verify import verify_credential
    from lms.keys import local_resolver

    raw = file.read()
    try:
        doc = json.loads(raw)
    except ValueError:
        doc = raw.strip()  # maybe a JWT: the verifier says why it is refused
    lists = []
    for fh in status_lists:
        try:
            lists.append(json.load(fh))
        except ValueError:
            raise click.ClickException(_("%(file)s is not JSON", file=fh.name)) from None
    fetch_json = None if no_fetch else resolvers.http_get_json
    resolve_key = resolvers.chain(
        local_resolver(current_app), resolvers.did_key_resolver,
        resolvers.did_web_resolver(fetch_json) if fetch_json else None)
    verdict = verify_credential(doc, now=datetime.now(UTC), resolve_key=resolve_key,
                                fetch_status_list=resolvers.status_fetcher(lists, fetch_json))
    code = (VERIFY_OK if verdict.ok else
            VERIFY_STATUS_UNKNOWN if verdict.reason == "status_unavailable" else VERIFY_INVALID)
    if as_json:
        click.echo(json.dumps({"ok": verdict.ok, "reason": verdict.reason,
                               "message": verdict.message, "details": verdict.details},
                              ensure_ascii=False, indent=2, default=_json_default))
        sys.exit(code)
    if verdict.ok:
        click.echo("valid")
    elif code == VERIFY_STATUS_UNKNOWN:
        click.echo("verified-but-status-unknown")
    else:
        click.echo(f"invalid: {verdict.reason}")
    click.echo(verdict.message)
    details = verdict.details
    if "issuer" in details:
        click.echo(_("issuer: %(issuer)s", issuer=details["issuer"]))
        if details.get("issuer_key_bound") is False:
            click.echo(_("note: the signing key is not tied to the issuer's identifier"))
    for name in ("validFrom", "validUntil"):
        if name in details:
            click.echo(f"{name}: {_json_default(details[name])}")
    for entry in details.get("status", []):
        click.echo(_("status %(purpose)s: %(result)s", purpose=entry.get("purpose")
                     or entry.get("type"), result=entry["result"]))
    sys.exit(code)


@lms_cli.group("keys")
def keys() -> None:
    """The credential-signing key ring."""


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def keys_list(as_json: bool) -> None:
    """Every key: kid, status, created, retired and revoked times."""
    from lms.keys import public_keys

    ring = public_keys(current_app)
    if as_json:
        click.echo(json.dumps([{**k.to_json(), "status": k.status} for k in ring], indent=2))
        return
    for k in ring:
        row = k.to_json()
        click.echo(f"{k.kid}  {k.status:<7}  created {row['created']}"
                   + (f"  retired {row['retired_at']}" if k.retired_at else "")
                   + (f"  revoked {row['revoked_at']}" if k.revoked_at else ""))


@keys.command("rotate")
def keys_rotate() -> None:
    """Make a new signing key; the old one is retired but keeps verifying."""
    from lms.keys import rotate

    click.echo(f"new active key {rotate(current_app)}")


@keys.command("revoke")
@click.argument("kid")
@click.option("--at", "at", help="Compromised since (ISO 8601 with a timezone); default now.")
def keys_revoke(kid: str, at: str | None) -> None:
    """Revoke a compromised key: what it signed from --at on no longer verifies."""
    from datetime import datetime

    from lms.keys import KeyRingError, revoke

    when = None
    if at:
        try:
            when = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            raise click.BadParameter(f"not an ISO 8601 time: {at!r}", param_hint="--at") \
                from None
        if when.tzinfo is None:
            raise click.BadParameter("give a timezone, e.g. 2026-05-01T08:00:00+08:00",
                                     param_hint="--at")
    try:
        new = revoke(current_app, kid, when)
    except KeyRingError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"revoked {kid}")
    if new:
        click.echo(f"new active key {new}")


@lms_cli.command("bench-data")
@click.option("--candidates", type=click.IntRange(min=0), required=True)
@click.option("--attempts", type=click.IntRange(min=0), required=True)
@click.option("--certificates", type=click.IntRange(min=0),
              help="Certificates to issue (default: half the candidates).")
@click.option("--seed", type=int, default=1, show_default=True)
def bench_data(candidates: int, attempts: int, certificates: int | None, seed: int) -> None:
    """Fill an empty database with realistic data for the benchmarks (bulk inserts)."""
    import time

    from lms.bench_data import BenchDataRefused, generate

    started = time.perf_counter()
    try:
        report = generate(candidates=candidates, attempts=attempts,
                          certificates=certificates, seed=seed)
    except BenchDataRefused:
        raise click.ClickException(
            "The database already has users; bench data goes into an empty one.") from None
    click.echo(json.dumps({**dataclasses.asdict(report),
                           "seconds": round(time.perf_counter() - started, 1)},
                          ensure_ascii=False))
