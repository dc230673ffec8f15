"""What candidates read when the platform says no: one sentence per reason, in
their language, saying what to do next."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.domain.eligibility import Reason
from lms.templating import format_dt

PROFILE_FIELDS = {"real_name": _l("your real name"), "id_number": _l("your ID number"),
                  "photo": _l("a photo")}

REASONS = {
    "courses_incomplete": _l("Complete the required courses first: %(courses)s."),
    "already_registered": _l("You are already registered for this exam."),
    "no_attempts_left": _l("You have used all %(allowed)s attempts allowed for this exam."),
    "cooldown": _l("You may book this exam again from %(until)s."),
    "profile_incomplete": _l("Complete your profile first: add %(missing)s."),
    "session_over": _l("This session is over."),
    "registration_closed": _l("Registration for this session has closed."),
    "session_full": _l("This session is full. Please choose another one."),
    "consent_needed": _l("A remotely proctored session needs your consent to webcam pictures: "
                         "tick it when you book, or book a test-centre session instead."),
}

REFUSALS = {
    "not_registered": _l("You are not waiting to check in for this exam."),
    "too_early": _l("Check-in opens at %(opens)s."),
    "session_over": _l("This session is over."),
    "wrong_code": _l("That access code is not right. Ask your proctor for the current code."),
    "not_started": _l("The session starts at %(starts)s."),
    "paused": _l("The proctor has paused your exam. Your answers are kept."),
    "finished": _l("This exam has already been handed in."),
    "other_device": _l("This exam is open on another device. Ask your proctor to unlock it."),
    "time_up": _l("Time is up. Your saved answers have been handed in."),
    "reason_required": _l("Please give a reason."),
    "minutes": _l("Give between 1 and 600 minutes."),
    "snapshot": _l("The camera picture could not be used (a JPEG of at most 256 KB)."),
    "snapshot_too_soon": _l("A camera picture was received moments ago."),
    "decision": _l("Choose to clear or to invalidate the attempt."),
    "not_finished": _l("Only a finished attempt can be reviewed."),
}


def _formatted(params: dict) -> dict:
    out = {}
    for key, value in params.items():
        if hasattr(value, "tzinfo"):
            value = format_dt(value)
        elif key == "missing":
            value = "、".join(str(PROFILE_FIELDS[m]) for m in value)
        out[key] = value
    return out


def reason_text(reason: Reason) -> str:
    return str(REASONS[reason.code]) % _formatted(reason.params)


def refusal_text(refused) -> str:
    return str(REFUSALS.get(refused.code, REFUSALS["finished"])) % _formatted(refused.params)
