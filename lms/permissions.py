"""Every permission rule, as named predicates used three ways: views call
``require_*`` (raises), templates call ``can_*`` (bool) and list queries use
``visible_*_filter`` so that a list never shows what its detail page refuses.

Scope: a role assignment without an organisation is platform-wide; one with
an organisation covers that organisation and its whole subtree.
"""

from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask_login import current_user

from lms.accounts.models import Organisation, Role, User
from lms.errors import PermissionDenied

__all__ = [
    "Role",
    "can_appraise",
    "can_assign_course_to_user",
    "can_assign_courses",
    "can_author_courses",
    "can_author_questions",
    "can_certify_for",
    "can_edit_bank",
    "can_edit_exam_definition",
    "can_edit_exam_definitions",
    "can_manage_certificates",
    "can_manage_exam",
    "can_manage_exams",
    "can_manage_organisation",
    "can_manage_qualification",
    "can_manage_users",
    "can_mark_essays",
    "can_review_question",
    "can_study",
    "can_view_audit_log",
    "can_view_user",
    "editable_banks_filter",
    "exams_in_scope_filter",
    "has_role",
    "qualifications_in_scope_filter",
    "require",
    "require_assign_course_to_user",
    "require_assign_courses",
    "require_assign_scope",
    "require_author_courses",
    "require_author_questions",
    "require_edit_bank",
    "require_edit_exam_definition",
    "require_edit_exam_definitions",
    "require_manage_exam",
    "require_manage_exams",
    "require_manage_organisation",
    "require_manage_users",
    "require_mark_essays",
    "require_review_question",
    "require_study",
    "require_view_audit_log",
    "require_view_user",
    "roles_required",
    "scope_paths",
    "visible_organisations_filter",
    "visible_users_filter",
]

ALL = object()  #: scope marker: platform-wide


def _authenticated(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def has_role(user, *roles: Role) -> bool:
    return _authenticated(user) and user.has_role(*roles)


def scope_paths(user, *roles: Role):
    """The subtree paths over which ``user`` holds one of ``roles``.

    Returns `ALL` for a platform-wide assignment, else a list of path prefixes
    (possibly empty).
    """
    if not _authenticated(user):
        return []
    paths = []
    for assignment in user.role_assignments:
        if assignment.role not in roles:
            continue
        if assignment.organisation is None:
            return ALL
        paths.append(assignment.organisation.path)
    return paths


def _within(paths, organisation: Organisation | None) -> bool:
    if paths is ALL:
        return True
    return organisation is not None and any(organisation.path.startswith(p) for p in paths)


#: Roles that see and manage the people in their subtree.
USER_MANAGERS = (Role.ADMIN,)
USER_VIEWERS = (Role.ADMIN, Role.OFFICER)


def can_view_user(actor, user: User) -> bool:
    """Yourself; otherwise an admin or officer whose scope holds the user's organisation."""
    if not _authenticated(actor):
        return False
    if actor.id == user.id:
        return True
    return _within(scope_paths(actor, *USER_VIEWERS), user.organisation)


def can_manage_users(actor, user: User | None = None) -> bool:
    """Admins manage users; a scoped admin only those in their subtree."""
    paths = scope_paths(actor, *USER_MANAGERS)
    if user is None:
        return paths is ALL or bool(paths)
    return _within(paths, user.organisation)


def can_manage_organisation(actor, organisation: Organisation | None = None) -> bool:
    paths = scope_paths(actor, *USER_MANAGERS)
    if organisation is None:
        return paths is ALL or bool(paths)
    return _within(paths, organisation)


def can_assign_scope(actor, organisation: Organisation | None) -> bool:
    """Whether ``actor`` may grant a role over ``organisation`` (None = platform-wide)."""
    paths = scope_paths(actor, *USER_MANAGERS)
    if organisation is None:
        return paths is ALL
    return _within(paths, organisation)


def can_view_audit_log(actor) -> bool:
    return scope_paths(actor, Role.ADMIN) is ALL


def visible_users_filter(actor):
    """A WHERE clause limiting a ``User`` query to what ``can_view_user`` allows."""
    paths = scope_paths(actor, *USER_VIEWERS)
    if paths is ALL:
        return sa.true()
    own = User.id == actor.id if _authenticated(actor) else sa.false()
    if not paths:
        return own
    in_scope = User.organisation_id.in_(
        sa.select(Organisation.id).where(sa.or_(*(Organisation.path.startswith(p) for p in paths)))
    )
    return sa.or_(own, in_scope)


def visible_organisations_filter(actor):
    """Organisations an admin may manage (platform-wide or in their subtree)."""
    return organisations_in_scope_filter(actor, *USER_MANAGERS)


def organisations_in_scope_filter(actor, *roles: Role):
    """A WHERE clause for the organisations ``actor`` holds one of ``roles`` over."""
    paths = scope_paths(actor, *roles)
    if paths is ALL:
        return sa.true()
    if not paths:
        return sa.false()
    return sa.or_(*(Organisation.path.startswith(p) for p in paths))


# -- courses ----------------------------------------------------------------

#: Roles that write courses and question banks.
AUTHORS = (Role.TRAINER, Role.ADMIN)


def can_author_courses(actor) -> bool:
    """Trainers and administrators edit course drafts and publish them."""
    return has_role(actor, *AUTHORS)


def can_study(actor) -> bool:
    """Any logged-in, active user may enrol in published courses."""
    return _authenticated(actor)


def can_assign_courses(actor, organisation: Organisation | None = None) -> bool:
    """Officers and admins assign courses within their scope (None: to anyone they see)."""
    paths = scope_paths(actor, Role.OFFICER, Role.ADMIN)
    if organisation is None:
        return paths is ALL or bool(paths)
    return _within(paths, organisation)


def can_assign_course_to_user(actor, user: User) -> bool:
    return _within(scope_paths(actor, Role.OFFICER, Role.ADMIN), user.organisation)


def can_manage_assignment(actor, assignment) -> bool:
    """Whether the assignment's target (subtree or person) lies in the actor's scope."""
    target = assignment.organisation or (assignment.user.organisation if assignment.user
                                         else None)
    return _within(scope_paths(actor, Role.OFFICER, Role.ADMIN), target)


# -- question banks ------------------------------------------------------------
#
# Every trainer and administrator may open every bank and question (to reuse
# and review each other's work); only a bank's owner, its shared editors and
# platform-wide administrators change it. Reviewing is open to any trainer or
# administrator except the author of the version under review.


def can_author_questions(actor) -> bool:
    """Trainers and administrators open the question banks."""
    return has_role(actor, *AUTHORS)


def can_edit_bank(actor, bank) -> bool:
    """Write questions, import, settings: platform-wide admins, the owner, shared editors."""
    if not can_author_questions(actor):
        return False
    if scope_paths(actor, Role.ADMIN) is ALL or bank.owner_id == actor.id:
        return True
    return any(editor.id == actor.id for editor in bank.editors)


def can_review_question(actor, question) -> bool:
    """Approve or request changes: a trainer or administrator who did not write the version."""
    from lms.questions import services

    return can_author_questions(actor) and services.can_approve(question, actor)


def editable_banks_filter(actor):
    """A WHERE clause for the `QuestionBank` rows ``can_edit_bank`` allows."""
    from lms.questions.models import QuestionBank, bank_editors

    if not can_author_questions(actor):
        return sa.false()
    if scope_paths(actor, Role.ADMIN) is ALL:
        return sa.true()
    shared = sa.select(bank_editors.c.bank_id).where(bank_editors.c.user_id == actor.id)
    return sa.or_(QuestionBank.owner_id == actor.id, QuestionBank.id.in_(shared))


# -- exams ----------------------------------------------------------------------
#
# An exam belongs to an organisation (or to the platform, when it has none).
# Officers and administrators whose scope holds that organisation set it up:
# publish and archive it, schedule its sessions with their proctors, grant
# accommodations to the candidates in their scope, watch its sessions and review
# and release its results. Trainers in scope may write its definition (settings
# and blueprint). A platform exam is managed by platform-wide roles only.

EXAM_MANAGERS = (Role.OFFICER, Role.ADMIN)
EXAM_EDITORS = (*EXAM_MANAGERS, Role.TRAINER)


def can_manage_exams(actor) -> bool:
    """Officers and administrators (of some scope): the exam-setup pages."""
    return has_role(actor, *EXAM_MANAGERS)


def can_edit_exam_definitions(actor) -> bool:
    """Create and edit exams' settings and blueprints: exam managers and trainers."""
    return has_role(actor, *EXAM_EDITORS)


def can_manage_exam(actor, exam) -> bool:
    """Publish, schedule, accommodate, review and release ``exam``: its managers in scope."""
    return _within(scope_paths(actor, *EXAM_MANAGERS), exam.organisation)


def can_edit_exam_definition(actor, exam) -> bool:
    return _within(scope_paths(actor, *EXAM_EDITORS), exam.organisation)


def exams_in_scope_filter(actor, *roles: Role):
    """A WHERE clause for the exams ``actor`` holds one of ``roles`` over (default:
    the exam editors)."""
    from lms.exams.models import Exam

    paths = scope_paths(actor, *(roles or EXAM_EDITORS))
    if paths is ALL:
        return sa.true()
    if not paths:
        return sa.false()
    return Exam.organisation_id.in_(
        sa.select(Organisation.id).where(sa.or_(*(Organisation.path.startswith(p)
                                                   for p in paths))))


def can_accommodate(actor, user: User) -> bool:
    """Extra time or another session for ``user``: an exam manager whose scope holds them."""
    return _within(scope_paths(actor, *EXAM_MANAGERS), user.organisation)


def can_proctor_session(actor, session) -> bool:
    """The session's assigned proctors, and the managers of its exam (who review it)."""
    if not _authenticated(actor):
        return False
    if can_manage_exam(actor, session.exam):
        return True
    return has_role(actor, Role.PROCTOR) and any(p.id == actor.id for p in session.proctors)


# -- essay marking ---------------------------------------------------------------
#
# Trainers, officers and administrators mark essays blind. A platform-wide role
# reaches every candidate; a role scoped to an organisation reaches the candidates
# of that organisation's subtree. (An exam may also keep markers from the candidates
# of their own organisation: `lms.grading.essays` applies that per exam.)

MARKERS = (Role.TRAINER, Role.OFFICER, Role.ADMIN)


def can_mark_essays(actor) -> bool:
    """The essay-marking queue: trainers, officers and administrators."""
    return has_role(actor, *MARKERS)


def can_mark_candidate(actor, candidate: User) -> bool:
    """Whether ``candidate``'s answers lie within the marker's scope."""
    return can_mark_essays(actor) and _within(scope_paths(actor, *MARKERS),
                                              candidate.organisation)


def markable_candidates_filter(actor):
    """A WHERE clause on `User` (the candidate) for the answers ``actor`` may mark."""
    paths = scope_paths(actor, *MARKERS)
    if paths is ALL:
        return sa.true()
    if not paths:
        return sa.false()
    return User.organisation_id.in_(sa.select(Organisation.id).where(
        sa.or_(*(Organisation.path.startswith(p) for p in paths))))


def require(allowed: bool) -> None:
    """Raise `PermissionDenied` unless ``allowed``: ``require(can_view_user(me, u))``."""
    if not allowed:
        raise PermissionDenied()


def roles_required(*roles: Role):
    """View decorator: the current user must hold one of ``roles`` (any scope)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            from lms.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            require(has_role(current_user, *roles))
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _requiring(predicate):
    """``require_x(...)`` for a ``can_x(...)``: same arguments, raises instead of False."""

    def guard(*args, **kwargs) -> None:
        require(predicate(*args, **kwargs))

    guard.__name__ = predicate.__name__.replace("can_", "require_", 1)
    guard.__doc__ = f"Raise `PermissionDenied` unless `{predicate.__name__}` allows it."
    return guard


require_view_user = _requiring(can_view_user)
require_manage_users = _requiring(can_manage_users)
require_manage_organisation = _requiring(can_manage_organisation)
require_assign_scope = _requiring(can_assign_scope)
require_view_audit_log = _requiring(can_view_audit_log)
require_author_courses = _requiring(can_author_courses)
require_study = _requiring(can_study)
require_proctor_session = _requiring(can_proctor_session)
require_author_questions = _requiring(can_author_questions)
require_edit_bank = _requiring(can_edit_bank)
require_review_question = _requiring(can_review_question)
require_assign_courses = _requiring(can_assign_courses)
require_manage_exams = _requiring(can_manage_exams)
require_edit_exam_definitions = _requiring(can_edit_exam_definitions)
require_manage_exam = _requiring(can_manage_exam)
require_edit_exam_definition = _requiring(can_edit_exam_definition)
require_accommodate = _requiring(can_accommodate)
require_mark_essays = _requiring(can_mark_essays)
require_assign_course_to_user = _requiring(can_assign_course_to_user)

# -- qualifications and certificates ------------------------------------------------------
#: who manages a qualification and decides on its certificates: the issuing
#: organisation's certification officers (and those above it), and admins
CERTIFICATE_OFFICERS = (Role.OFFICER, Role.ADMIN)


def can_manage_certificates(actor) -> bool:
    """Anything of the certificate administration at all (menus, the queue)."""
    return has_role(actor, *CERTIFICATE_OFFICERS)


def can_certify_for(actor, organisation) -> bool:
    """Own qualifications issued by ``organisation``."""
    return _within(scope_paths(actor, *CERTIFICATE_OFFICERS), organisation)


def can_manage_qualification(actor, qualification) -> bool:
    """Edit ``qualification``, approve, suspend, reinstate and revoke its certificates."""
    return can_certify_for(actor, qualification.organisation)


def qualifications_in_scope_filter(actor):
    """A WHERE clause for the qualifications ``actor`` manages."""
    from lms.certificates.models import Qualification

    paths = scope_paths(actor, *CERTIFICATE_OFFICERS)
    if paths is ALL:
        return sa.true()
    if not paths:
        return sa.false()
    return Qualification.organisation_id.in_(
        sa.select(Organisation.id).where(sa.or_(*(Organisation.path.startswith(p)
                                                   for p in paths))))


def can_appraise(actor, holder: User) -> bool:
    """Record (or correct) ``holder``'s annual appraisal and read its evidence: an officer
    or admin whose scope holds the holder's organisation, never about themselves."""
    if not _authenticated(actor) or actor.id == holder.id:
        return False
    return _within(scope_paths(actor, *CERTIFICATE_OFFICERS), holder.organisation)


#: Exposed to templates as globals.
TEMPLATE_GLOBALS = {
    "has_role": has_role,
    "can_view_user": can_view_user,
    "can_manage_users": can_manage_users,
    "can_manage_organisation": can_manage_organisation,
    "can_view_audit_log": can_view_audit_log,
    "can_author_courses": can_author_courses,
    "can_author_questions": can_author_questions,
    "can_edit_bank": can_edit_bank,
    "can_review_question": can_review_question,
    "can_assign_courses": can_assign_courses,
    "can_study": can_study,
    "can_manage_exams": can_manage_exams,
    "can_edit_exam_definitions": can_edit_exam_definitions,
    "can_manage_exam": can_manage_exam,
    "can_mark_essays": can_mark_essays,
    "can_manage_certificates": can_manage_certificates,
    "Role": Role,
}

