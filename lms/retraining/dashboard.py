"""The officers' retraining dashboard: figures over the certificate plans (as the daily
tick last saw them) of the qualifications an officer manages.

Every figure is one query whatever the number of holders, so the page costs the same
for ten holders and for a hundred thousand: the counts sum the stored tallies
(`lms.retraining.tallies`, per qualification, organisation, standing and hours bin),
the lists are capped. Plans of revoked certificates and holders who left the register
(``expired``) are not counted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.accounts.models import Organisation, User
from lms.audit import services as audit
from lms.certificates import artefacts
from lms.certificates.models import (
    Certificate,
    CertificateStatus,
    Qualification,
    QualificationLevel,
)
from lms.domain.retraining import Standing
from lms.extensions import db
from lms.notifications.services import queue_mail
from lms.permissions import ALL, CERTIFICATE_OFFICERS, qualifications_in_scope_filter, scope_paths
from lms.reports.exports import Sheet
from lms.retraining import inbox, tallies
from lms.retraining.models import CertificatePlan, RetrainingTally

UPCOMING_DAYS = 90
#: the lists on the page show this many rows (the XLSX export has them all)
LIST_LIMIT = 200
ATTENTION = (Standing.OVERDUE, Standing.IN_GRACE, Standing.SUSPENDED)
COMPLIANT = (Standing.GOOD, Standing.DUE_SOON)
REMINDED = (Standing.OVERDUE, Standing.IN_GRACE)

STANDING_LABELS = {
    Standing.GOOD: _l("Good standing"),
    Standing.DUE_SOON: _l("Due soon"),
    Standing.OVERDUE: _l("Overdue"),
    Standing.IN_GRACE: _l("In grace"),
    Standing.SUSPENDED: _l("Suspended"),
    Standing.EXPIRED: _l("Expired"),
}

#: hours earned as a share of those required, in quarters; the last bin: complete
HOURS_BINS = ((0, 25), (25, 50), (50, 75), (75, 100), (100, 125))


@dataclass(frozen=True)
class HolderRow:
    certificate_id: int
    serial: str
    status: CertificateStatus
    expires_on: date
    user_id: int
    name: str
    organisation: str
    qualification: str
    level: str
    standing: Standing
    next_deadline: date | None
    cycle_number: int
    hours_earned: Decimal
    hours_required: Decimal


@dataclass(frozen=True)
class ComplianceRow:
    organisation_id: int
    name: str
    total: int
    compliant: int

    @property
    def rate(self) -> float | None:
        """Share of plans in good standing or due soon (None: no plan)."""
        return self.compliant / self.total if self.total else None


def _live(officer) -> list:
    """The WHERE clauses of the plans an officer's figures count."""
    return [qualifications_in_scope_filter(officer), *tallies.counted()]


def _plans() -> sa.Select:
    return (sa.select(CertificatePlan.certificate_id, Certificate.serial, Certificate.status,
                      Certificate.expires_on, User.id.label("user_id"), User.real_name,
                      sa.func.coalesce(Organisation.name, "").label("organisation"),
                      Qualification.title.label("qualification"),
                      QualificationLevel.title.label("level"), CertificatePlan.standing,
                      CertificatePlan.next_deadline, CertificatePlan.cycle_number,
                      CertificatePlan.hours_earned, CertificatePlan.hours_required)
            .join(Certificate, Certificate.id == CertificatePlan.certificate_id)
            .join(Qualification, Qualification.id == Certificate.qualification_id)
            .join(QualificationLevel, QualificationLevel.id == Certificate.level_id)
            .join(User, User.id == Certificate.holder_id)
            .outerjoin(Organisation, Organisation.id == User.organisation_id))


def _rows(query: sa.Select) -> list[HolderRow]:
    return [HolderRow(*row) for row in db.session.execute(query)]


def holders(officer, *, include_all: bool = False) -> list[HolderRow]:
    """Every plan in the officer's scope (the export), by organisation and name;
    ``include_all`` adds revoked and expired ones."""
    where = _live(officer) if not include_all else [qualifications_in_scope_filter(officer)]
    return _rows(_plans().where(*where).order_by(Organisation.path, User.real_name,
                                                 Certificate.serial))


def upcoming_expirations(officer, today: date, days: int = UPCOMING_DAYS) -> list[HolderRow]:
    """Active certificates whose validity ends within ``days``, soonest first."""
    return _rows(_plans().where(*_live(officer), Certificate.status == CertificateStatus.ACTIVE,
                                Certificate.expires_on.between(today,
                                                               today + timedelta(days=days)))
                 .order_by(Certificate.expires_on, Certificate.id).limit(LIST_LIMIT))


def needing_attention(officer) -> list[HolderRow]:
    """Overdue, in-grace and suspended holders, the longest overdue first.

    The first rows of each standing, read in deadline order from the plans' (standing,
    deadline) index, then merged: one ``standing IN (…)`` sorted every plan of the three
    standings to keep 200 (100 ms at 33,000 overdue plans, bench/data_scale.py)."""
    firsts = [sa.select(*_plans().where(*_live(officer), CertificatePlan.standing == standing)
                        .order_by(CertificatePlan.next_deadline, CertificatePlan.certificate_id)
                        .limit(LIST_LIMIT).subquery().c)
              for standing in ATTENTION]
    merged = sa.union_all(*firsts).subquery()
    return _rows(sa.select(*merged.c).order_by(merged.c.next_deadline, merged.c.certificate_id)
                 .limit(LIST_LIMIT))


def _tallied(officer, *columns) -> sa.Select:
    """``columns`` and the sum of the officer's tallied plans (`lms.retraining.tallies`),
    grouped by ``columns``."""
    return (sa.select(*columns, sa.func.sum(RetrainingTally.plans))
            .select_from(RetrainingTally)
            .join(Qualification, Qualification.id == RetrainingTally.qualification_id)
            .where(qualifications_in_scope_filter(officer)).group_by(*columns))


def standing_counts(officer) -> dict[Standing, int]:
    counts = dict.fromkeys(Standing, 0)
    for standing, n in db.session.execute(_tallied(officer, RetrainingTally.standing)):
        counts[Standing(standing)] = int(n)
    return counts


def scope_children(officer) -> list[Organisation]:
    """The child organisations of the officer's scope roots (of the top-level
    organisations for a platform-wide officer), by path."""
    paths = scope_paths(officer, *CERTIFICATE_OFFICERS)
    if paths is ALL:
        roots = sa.select(Organisation.id).where(Organisation.parent_id.is_(None))
    elif not paths:
        return []
    else:
        roots = sa.select(Organisation.id).where(Organisation.path.in_(paths))
    return list(db.session.scalars(sa.select(Organisation)
                                   .where(Organisation.parent_id.in_(roots))
                                   .order_by(Organisation.path)))


def compliance_by_organisation(officer, children: list[Organisation]) -> list[ComplianceRow]:
    """Per child organisation: plans of holders in its subtree, and how many are in good
    standing or due soon."""
    if not children:
        return []
    # Tallied per holder's own organisation, added up per child along the paths here:
    # joining every plan to the children by path prefix cost 2.4 s for 50,000 plans on
    # SQLite (bench/data_scale.py).
    per_home = db.session.execute(
        _tallied(officer, Organisation.path, RetrainingTally.standing)
        .join(Organisation, Organisation.id == RetrainingTally.organisation_id)).all()
    by_path = {c.path: c.id for c in children}
    counted = defaultdict(lambda: [0, 0])
    for path, standing, plans in per_home:
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            child_id = by_path.get("/" + "/".join(parts[:depth]) + "/")
            if child_id is not None:
                counted[child_id][0] += int(plans)
                if Standing(standing) in COMPLIANT:
                    counted[child_id][1] += int(plans)
    return [ComplianceRow(c.id, c.name, *counted.get(c.id, (0, 0))) for c in children]


def hours_distribution(officer) -> list[tuple[int, int, int]]:
    """``(low, high, count)`` per quarter of the current cycle's hours earned against
    those required (plans that require hours; the last bin: requirement met)."""
    counts = dict(db.session.execute(
        _tallied(officer, RetrainingTally.hours_bin)
        .where(RetrainingTally.hours_bin.is_not(None))).all())
    return [(low, high, int(counts.get(k, 0))) for k, (low, high) in enumerate(HOURS_BINS)]


# -- bulk reminders ------------------------------------------------------------------------


def send_reminders(officer) -> int:
    """Remind every overdue or in-grace holder in the officer's scope: one mail and one
    inbox message per holder (listing their certificates). Returns how many holders."""
    rows = _rows(_plans().where(*_live(officer), CertificatePlan.standing.in_(REMINDED))
                 .order_by(User.id, Certificate.id))
    by_holder: dict[int, list[HolderRow]] = defaultdict(list)
    for row in rows:
        by_holder[row.user_id].append(row)
    if not by_holder:
        return 0
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(
        User.id.in_(list(by_holder))))}
    link = artefacts.holder_link()
    for user_id, certificates in by_holder.items():
        holder = people[user_id]
        items = [(c, STANDING_LABELS[c.standing]) for c in certificates]
        queue_mail("retraining_overdue", holder.email, locale=holder.locale, user=holder,
                   items=items, link=link)
        with force_locale(holder.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            inbox.post(user_id, "retraining_overdue",
                        _("Your retraining is overdue"),
                        "\n".join(f"{c.qualification}（{c.level}）{c.serial}: {label}"
                                  for c, label in items), "/plan/")
    audit.record("retraining.reminders_sent", actor=officer, object_type="retraining",
                 after={"holders": len(by_holder),
                        "certificates": [r.certificate_id for r in rows]})
    return len(by_holder)


# -- export --------------------------------------------------------------------------------


def export_sheet(officer) -> Sheet:
    """The holders list for the XLSX export (every plan in scope, revoked and expired
    included with their standing)."""
    headings = [_("Holder"), _("Organisation"), _("Qualification"), _("Level"), _("Serial"),
                _("Certificate status"), _("Standing"), _("Next deadline"), _("Expires on"),
                _("Cycle"), _("Hours earned"), _("Hours required")]
    rows = [[r.name, r.organisation, r.qualification, r.level, r.serial, r.status.value,
             str(STANDING_LABELS[Standing(r.standing)]), r.next_deadline, r.expires_on,
             r.cycle_number, r.hours_earned, r.hours_required]
            for r in holders(officer, include_all=True)]
    return Sheet(_("Retraining"), headings, rows)
