"""The retraining dashboard's figures, stored (`RetrainingTally`): the plans counted per
qualification, holder's organisation, standing and hours bin, so that a page view sums
a few rows per organisation instead of counting every holder's plan.

Rebuilt from the plans — one DELETE and one INSERT … SELECT … GROUP BY, in the caller's
transaction — by the daily tick once it has written them (`lms.retraining.tick`), and
for one qualification when what is counted changes between ticks: a certificate revoked
(`lms.certificates.status`) or a holder moved to another organisation
(`lms.accounts.services.set_organisation`). Suspension and reinstatement change no
figure: the figures count the plan's standing, which only the tick moves.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from lms.accounts.models import User
from lms.certificates.models import Certificate, CertificateStatus, Qualification
from lms.domain.retraining import Standing
from lms.extensions import db
from lms.retraining.models import CertificatePlan, RetrainingTally


def hours_bin(earned, required) -> sa.Case:
    """The quarter of the required hours earned (0–3; 4: met; the bins of
    `dashboard.HOURS_BINS`), NULL when the plan requires no hours."""
    return sa.case((required <= 0, sa.null()), (earned >= required, 4),
                   (earned * 4 >= required * 3, 3), (earned * 2 >= required, 2),
                   (earned * 4 >= required, 1), else_=0)


def counted() -> list:
    """The WHERE clauses of the plans the dashboard counts: the certificate is not
    revoked and its holder has not left the register (standing ``expired``)."""
    return [Certificate.status != CertificateStatus.REVOKED,
            CertificatePlan.standing != Standing.EXPIRED]


def counted_plans() -> sa.Select:
    """The tallies as the plans are now: (qualification, organisation, standing, hours
    bin, plans)."""
    bin_ = hours_bin(CertificatePlan.hours_earned, CertificatePlan.hours_required)
    keys = (Certificate.qualification_id, User.organisation_id, CertificatePlan.standing,
            bin_)
    return (sa.select(*keys, sa.func.count())
            .select_from(CertificatePlan)
            .join(Certificate, Certificate.id == CertificatePlan.certificate_id)
            .join(User, User.id == Certificate.holder_id)
            .where(*counted())
            .group_by(*keys))


def refresh_tallies(qualification_ids: Iterable[int] | None = None) -> None:
    """Rebuild the tallies of ``qualification_ids`` (every qualification: None)."""
    delete, tallied = sa.delete(RetrainingTally), counted_plans()
    qualifications = sa.select(Qualification.id).order_by(Qualification.id)
    if qualification_ids is not None:
        ids = sorted(set(qualification_ids))
        if not ids:
            return
        delete = delete.where(RetrainingTally.qualification_id.in_(ids))
        tallied = tallied.where(Certificate.qualification_id.in_(ids))
        qualifications = qualifications.where(Qualification.id.in_(ids))
    # Two rebuilds of a qualification at once (the tick and a revocation) would each
    # delete the rows they saw and both insert: counted twice. On PostgreSQL the second
    # waits here for the first to commit, then deletes its rows (SQLite writes one at a
    # time anyway). NO KEY UPDATE: certificates referring to the rows may still be added.
    db.session.execute(qualifications.with_for_update(key_share=True))
    db.session.execute(delete)
    db.session.execute(sa.insert(RetrainingTally).from_select(
        ["qualification_id", "organisation_id", "standing", "hours_bin", "plans"], tallied))
