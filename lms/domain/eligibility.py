"""Who may book an exam session, and why not.

Every rule that keeps a candidate out gives a reason with its code and the
facts the message needs, so the page can say exactly what to do next ("complete
劳动法律法规", "you may try again from 3 December") instead of a bare "not
eligible". The database layer gathers the facts; this module only decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class CandidateFacts:
    #: titles of required courses not yet completed
    missing_courses: tuple[str, ...] = ()
    attempts_used: int = 0
    attempts_allowed: int = 1
    #: when the candidate's last finished attempt at this exam ended
    last_finished_at: datetime | None = None
    cooldown: timedelta = timedelta(0)
    #: already registered for (or sitting) this exam
    has_open_attempt: bool = False
    #: which of "real_name", "id_number", "photo" the profile lacks
    profile_missing: tuple[str, ...] = ()
    #: consented to webcam images being taken and kept for review
    proctoring_consent: bool = False


@dataclass(frozen=True)
class SessionFacts:
    remote_proctored: bool
    registration_deadline: datetime
    ends_at: datetime
    seats_left: int


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict = field(default_factory=dict)


def exam_reasons(candidate: CandidateFacts, now: datetime) -> list[Reason]:
    """Why the candidate may not book any session of the exam right now."""
    reasons = []
    if candidate.missing_courses:
        reasons.append(Reason("courses_incomplete",
                              {"courses": "、".join(candidate.missing_courses)}))
    if candidate.has_open_attempt:
        reasons.append(Reason("already_registered"))
    elif candidate.attempts_used >= candidate.attempts_allowed:
        reasons.append(Reason("no_attempts_left", {"allowed": candidate.attempts_allowed}))
    elif candidate.last_finished_at is not None:
        until = candidate.last_finished_at + candidate.cooldown
        if now < until:
            reasons.append(Reason("cooldown", {"until": until}))
    if candidate.profile_missing:
        reasons.append(Reason("profile_incomplete", {"missing": candidate.profile_missing}))
    return reasons


def session_reasons(candidate: CandidateFacts, session: SessionFacts,
                    now: datetime) -> list[Reason]:
    """Why the candidate may not book this session (the exam's reasons included).

    A candidate who has not consented to webcam images may still sit the exam at
    a test centre; only remote-proctored sessions need the consent.
    """
    reasons = exam_reasons(candidate, now)
    if now >= session.ends_at:
        reasons.append(Reason("session_over"))
    elif now > session.registration_deadline:
        reasons.append(Reason("registration_closed"))
    elif session.seats_left <= 0:
        reasons.append(Reason("session_full"))
    if session.remote_proctored and not candidate.proctoring_consent:
        reasons.append(Reason("consent_needed"))
    return reasons
