"""The holder's retraining plan as iCalendar (RFC 5545), built with the icalendar
library: one all-day event per cycle end (hours due), per mandatory course and cycle,
for the recertification exam window and for the expiry; each still to do carries a
VALARM at every reminder offset of the policy (days before; 0: on the day).

UIDs are made of the certificate serial, the item kind and its date, so a calendar app
that fetches the feed again updates its events instead of adding copies.

The private feed's token is random (256 bits) and only its SHA-256 is stored: making
a new one replaces the row, so the old address stops working.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import icalendar
import sqlalchemy as sa
from flask_babel import gettext as _

from lms.accounts.models import User
from lms.audit import services as audit
from lms.clock import utcnow
from lms.domain import retraining as rules
from lms.extensions import db
from lms.retraining.holder import HolderPlan
from lms.retraining.models import CalendarToken

UID_DOMAIN = "unioncadre-academy"
#: longer strings cannot be a token we made (token_urlsafe(32) is 43 characters)
MAX_TOKEN_LENGTH = 64


# -- the private feed's token -------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(user: User) -> str:
    """Make the user's private feed token, replacing (revoking) any earlier one; audited.
    The token is returned once and never stored (the caller commits)."""
    token = secrets.token_urlsafe(32)
    row = db.session.get(CalendarToken, user.id)
    if row is None:
        db.session.add(CalendarToken(user_id=user.id, token_hash=_digest(token)))
    else:
        row.token_hash, row.created_at = _digest(token), utcnow()
    audit.record("calendar.token_created", actor=user, object_type="calendar_tokens",
                 object_id=user.id, after={"replaced": row is not None})
    return token


def revoke_token(user: User) -> bool:
    """Stop the user's private feed; False when there was none (the caller commits)."""
    row = db.session.get(CalendarToken, user.id)
    if row is None:
        return False
    db.session.delete(row)
    audit.record("calendar.token_revoked", actor=user, object_type="calendar_tokens",
                 object_id=user.id)
    return True


def token_of(user_id: int) -> CalendarToken | None:
    return db.session.get(CalendarToken, user_id)


def user_for_token(token: str) -> User | None:
    """The active user whose feed ``token`` opens, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    user = db.session.scalar(
        sa.select(User).join(CalendarToken, CalendarToken.user_id == User.id)
        .where(CalendarToken.token_hash == _digest(token)))
    return user if user is not None and user.active else None


# -- what goes in the calendar (pure) -------------------------------------------------

@dataclass(frozen=True)
class Item:
    """One dated thing of a plan. ``end`` is the last day (inclusive)."""

    kind: str  # cycle_end / course / recert_window / expiry
    start: date
    end: date
    open: bool  # still to do: reminded at the offsets
    cycle: rules.Cycle | None = None
    course: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.course}" if self.course else self.kind


def items_of(plan: rules.Plan, expires_on: date, mandatory: Iterable[str]) -> list[Item]:
    """The plan's dated items: cycle ends, mandatory courses per cycle, the recert
    window and the expiry, in date order."""
    items: list[Item] = []
    renewal_done = all(c.met for c in plan.cycles) and plan.recert_passed
    for cycle in plan.cycles:
        items.append(Item("cycle_end", cycle.end, cycle.end,
                          cycle.hours_earned < cycle.hours_required, cycle))
        items.extend(Item("course", cycle.end, cycle.end, code in cycle.courses_missing,
                          cycle, code) for code in mandatory)
    if plan.recert_window:
        opens, closes = plan.recert_window
        items.append(Item("recert_window", opens, closes, not plan.recert_passed))
    items.append(Item("expiry", expires_on, expires_on, not renewal_done))
    return sorted(items, key=lambda i: (i.start, i.kind, i.course))


# -- iCalendar ---------------------------------------------------------------------------

def _texts(item: Item, hp: HolderPlan) -> tuple[str, str]:
    """Summary and description of an item, in the current language."""
    name = f"{hp.certificate.qualification.title}（{hp.certificate.level.title}）"
    if item.kind == "cycle_end":
        cycle = item.cycle
        return (_("Training hours due: %(name)s, cycle %(number)s", name=name,
                  number=cycle.number),
                _("%(earned)s of %(required)s hours earned in this cycle.",
                  earned=_hours(cycle.hours_earned), required=_hours(cycle.hours_required)))
    if item.kind == "course":
        course = hp.courses.get(item.course)
        title = course.title if course else item.course
        return (_("Mandatory course due: %(course)s", course=title),
                _("Complete it for %(name)s, cycle %(number)s.", name=name,
                  number=item.cycle.number) if item.open else _("Completed."))
    if item.kind == "recert_window":
        return (_("Recertification exam window: %(name)s", name=name),
                _("Pass the recertification exam within this window to renew."))
    return (_("Certificate expires: %(name)s", name=name),
            _("Serial %(serial)s.", serial=hp.certificate.serial))


def _hours(value) -> str:
    return f"{value.normalize():f}"


def _event(item: Item, hp: HolderPlan, stamp) -> icalendar.Event:
    summary, description = _texts(item, hp)
    event = icalendar.Event()
    event.add("uid", f"{hp.certificate.serial}-{item.key}-{item.start:%Y%m%d}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", item.start)
    event.add("dtend", item.end + timedelta(days=1))  # all-day: DTEND is exclusive
    event.add("summary", summary)
    event.add("description", description)
    event.add("transp", "TRANSPARENT")
    if item.open:
        for offset in hp.policy.reminder_offsets:
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", summary)
            alarm.add("trigger", timedelta(days=-offset))
            event.add_component(alarm)
    return event


def calendar_of(plans: list[HolderPlan], *, name: str) -> bytes:
    """The iCalendar document of a holder's plans."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//UnionCadre Academy//Retraining plan//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", timedelta(days=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "P1D")
    stamp = utcnow()
    for hp in plans:
        for item in items_of(hp.plan, hp.certificate.expires_on,
                             hp.policy.mandatory_courses):
            cal.add_component(_event(item, hp, stamp))
    return cal.to_ical()
