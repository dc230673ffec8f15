"""The holder's side of retraining: my training plan (/plan/), my calendar (a download
and a private feed whose address holds a revocable token) and my inbox (/inbox)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from lms.certificates.artefacts import absolute_url
from lms.domain.retraining import Standing
from lms.extensions import db
from lms.i18n import local_today
from lms.retraining import ical, inbox
from lms.retraining.holder import HolderPlan, Step, plans_of
from lms.templating import format_dt, format_hours

bp = Blueprint("retraining", __name__)

#: the session key under which a new feed address waits to be shown once
FEED_URL_KEY = "calendar_feed_url"

STANDING_LABELS = {
    Standing.GOOD: _l("In good standing"),
    Standing.DUE_SOON: _l("Due soon"),
    Standing.OVERDUE: _l("Overdue"),
    Standing.IN_GRACE: _l("In grace period"),
    Standing.SUSPENDED: _l("Suspended"),
    Standing.EXPIRED: _l("No longer valid"),
}
STANDING_STYLES = {
    Standing.GOOD: "success", Standing.DUE_SOON: "warning", Standing.OVERDUE: "danger",
    Standing.IN_GRACE: "danger", Standing.SUSPENDED: "secondary", Standing.EXPIRED: "dark",
}


class PostForm(FlaskForm):
    """A button that changes something: only its CSRF token."""


@bp.app_context_processor
def _inbox_badge():
    def inbox_unread() -> int:
        """Unread messages of the signed-in user, counted once per request."""
        if not current_user.is_authenticated:
            return 0
        if "inbox_unread" not in g:
            g.inbox_unread = inbox.unread_count(current_user.id)
        return g.inbox_unread

    return {"inbox_unread": inbox_unread}


def step_text(step: Step, hp: HolderPlan) -> str:
    """The plan's next step in one sentence."""
    due = format_dt(step.due, "date") if step.due else ""
    if step.kind == "expired":
        return _("The certificate is no longer valid and you have left the register: pass "
                 "the qualification exam again to requalify.")
    if step.kind == "course":
        course = hp.courses.get(step.course)
        title = course.title if course else step.course
        return (_("Complete the mandatory course %(course)s now: it was due on %(date)s.",
                  course=title, date=due) if step.late else
                _("Complete the mandatory course %(course)s by %(date)s.",
                  course=title, date=due))
    if step.kind == "hours":
        hours = format_hours(step.hours)
        return (_("Earn %(hours)s more training hours now: they were due on %(date)s.",
                  hours=hours, date=due) if step.late else
                _("Earn %(hours)s more training hours by %(date)s.", hours=hours, date=due))
    if step.kind == "recert":
        return _("Pass the recertification exam by %(date)s.", date=due)
    if step.kind == "recert_later":
        return _("Nothing to do now: the recertification exam window opens on %(date)s.",
                 date=due)
    return _("All requirements are met: the certificate is renewed before it expires on "
             "%(date)s.", date=due)


@bp.get("/plan/")
@login_required
def plan():
    plans = plans_of(current_user.id, local_today())
    token = ical.token_of(current_user.id)
    return render_template(
        "retraining/plan.html", plans=plans, steps={hp.certificate.id: step_text(hp.step, hp)
                                                    for hp in plans},
        labels=STANDING_LABELS, styles=STANDING_STYLES, form=PostForm(), token=token,
        feed_url=session.pop(FEED_URL_KEY, None))


def _ics_response(data: bytes, *, download: bool):
    headers = {"Cache-Control": "private, no-store"}
    if download:
        headers["Content-Disposition"] = 'attachment; filename="training-plan.ics"'
    return current_app.response_class(data, mimetype="text/calendar", headers=headers)


@bp.get("/plan/calendar.ics")
@login_required
def calendar_download():
    data = ical.calendar_of(plans_of(current_user.id, local_today()),
                            name=_("My training plan"))
    return _ics_response(data, download=True)


@bp.post("/plan/calendar-feed")
@login_required
def calendar_feed_new():
    """Make a new private feed address (the old one stops working) and show it once."""
    if not PostForm().validate_on_submit():
        abort(400)
    token = ical.new_token(current_user)
    db.session.commit()
    session[FEED_URL_KEY] = absolute_url(url_for(".feed", token=token))
    flash(_("Your private calendar address is ready. Copy it now: it is shown only once."),
          "success")
    return redirect(url_for(".plan") + "#calendar")


@bp.post("/plan/calendar-feed/stop")
@login_required
def calendar_feed_stop():
    if not PostForm().validate_on_submit():
        abort(400)
    if ical.revoke_token(current_user):
        db.session.commit()
        flash(_("Your private calendar address no longer works."), "success")
    return redirect(url_for(".plan") + "#calendar")


@bp.get("/calendar/<token>.ics")
def feed(token: str):
    """The private feed: no login, the token is the key; unknown tokens are a 404."""
    user = ical.user_for_token(token)
    if user is None:
        abort(404)
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        data = ical.calendar_of(plans_of(user.id, local_today()), name=_("My training plan"))
    return _ics_response(data, download=False)


@bp.get("/inbox")
@login_required
def inbox_index():
    return render_template("retraining/inbox.html",
                           messages=inbox.messages_for(current_user.id), form=PostForm())


@bp.post("/inbox/<int:message_id>/read")
@login_required
def inbox_read(message_id: int):
    """Open a message: it is marked read and leads to its link (or back to the inbox)."""
    if not PostForm().validate_on_submit():
        abort(400)
    message = inbox.mark_read(current_user.id, message_id)
    if message is None:
        abort(404)
    db.session.commit()
    if message.link and inbox.is_local_link(message.link):
        return redirect(message.link)
    return redirect(url_for(".inbox_index") + f"#message-{message.id}")


@bp.post("/inbox/read-all")
@login_required
def inbox_read_all():
    if not PostForm().validate_on_submit():
        abort(400)
    inbox.mark_all_read(current_user.id)
    db.session.commit()
    return redirect(url_for(".inbox_index"))
