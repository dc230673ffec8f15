"""`flask --app app lms certificates …` and `flask --app app lms ledger verify`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from sqlalchemy.orm import joinedload

from lms.extensions import db

certificates_cli = AppGroup("certificates", help="Qualification certificates.")
ledger_cli = AppGroup("ledger", help="The tamper-evident certificate ledger.")


@certificates_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--status", type=click.Choice(["active", "suspended", "revoked", "expired"]))
def list_certificates(as_json: bool, status: str | None) -> None:
    """Every certificate: serial, status, masked holder, qualification and dates."""
    from lms.certificates.models import Certificate
    from lms.domain.identity import mask_holder_name

    query = (sa.select(Certificate).order_by(Certificate.issued_at, Certificate.id)
             .options(joinedload(Certificate.holder), joinedload(Certificate.qualification),
                      joinedload(Certificate.level)))
    if status:
        query = query.where(Certificate.status == status)
    rows = [{"serial": c.serial, "status": c.status.value,
             "holder": mask_holder_name(c.holder.real_name),
             "qualification": c.qualification.title, "level": c.level.title,
             "issued_at": c.issued_at.isoformat(), "valid_from": c.valid_from.isoformat(),
             "expires_on": c.expires_on.isoformat()}
            for c in db.session.scalars(query)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(f"{row['serial']}  {row['status']:<9} {row['holder']:<6} "
                   f"{row['qualification']}（{row['level']}） {row['valid_from']} – "
                   f"{row['expires_on']}")


@certificates_cli.command("export")
@click.argument("serial")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, writable=True))
@click.option("--credential", "credential_path", type=click.Path(dir_okay=False, writable=True))
def export(serial: str, pdf_path: str | None, credential_path: str | None) -> None:
    """Write a certificate's PDF and/or its signed credential (JSON) to files."""
    from lms.certificates import artefacts
    from lms.certificates.public_views import find

    certificate = find(serial)
    if certificate is None:
        raise click.ClickException(f"no certificate with serial {serial!r}")
    if not pdf_path and not credential_path:
        raise click.UsageError("give --pdf PATH and/or --credential PATH")
    if pdf_path:
        data = artefacts.read_pdf(certificate)
        if data is None:
            raise click.ClickException("the certificate has no stored PDF")
        Path(pdf_path).write_bytes(data)
        click.echo(f"PDF written to {pdf_path} (sha256 {certificate.pdf_sha256})")
    if credential_path:
        Path(credential_path).write_text(
            json.dumps(certificate.credential, ensure_ascii=False, indent=2), encoding="utf-8")
        click.echo(f"credential written to {credential_path}")


@certificates_cli.command("issue")
@click.option("--exam", "exam_ids", type=int, multiple=True,
              help="Only the released results of this exam (repeatable); default: all.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def issue(exam_ids: tuple[int, ...], as_json: bool) -> None:
    """Issue (or queue for approval) what released results earn, and act on regrades
    that turned a pass into a fail or back; idempotent."""
    from lms.certificates.issuance import act_on_flips, issue_for_exams
    from lms.certificates.models import QualificationLevel

    ids = list(exam_ids) or [i for i in db.session.scalars(
        sa.select(QualificationLevel.exam_id).distinct()) if i is not None]
    report, flips = issue_for_exams(ids), act_on_flips()
    db.session.commit()
    counts = {"issued": len(report.issued) + len(flips.issued),
              "queued": len(report.queued) + len(flips.queued)}
    click.echo(json.dumps(counts) if as_json else
               f"issued {counts['issued']}, queued for approval {counts['queued']}")


@ledger_cli.command("verify")
@click.option("--head", "expected_head", help="A head hash kept outside the database.")
def ledger_verify(expected_head: str | None) -> None:
    """Exit 0 when the chain is intact, 1 naming the first broken event."""
    from lms.certificates import ledger

    broken = ledger.verify(expected_head=expected_head)
    head = ledger.head()
    if broken is None:
        click.echo(f"ledger intact: {head.seq} events, head {head.hash}")
        return
    where = f"event {broken.seq}" if broken.seq is not None else "the end of the chain"
    click.echo(f"ledger BROKEN at {where}: {broken.reason}", err=True)
    sys.exit(1)
