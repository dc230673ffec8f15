"""Account operations. Each flushes, writes the audit log where a decision is
made, and leaves the commit to the caller."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from lms.accounts import personal_data
from lms.accounts.consent import CONSENTS
from lms.accounts.models import (
    CHILD_KIND,
    ConsentRecord,
    Organisation,
    Role,
    RoleAssignment,
    User,
)
from lms.audit import services as audit
from lms.certificates.models import Certificate
from lms.clock import utcnow
from lms.domain.identity import (
    MIN_AGE,
    InvalidIdNumber,
    age_on,
    mask_id_number,
    normalise_email,
    normalise_mobile,
    normalise_text,
    validate_id_number,
)
from lms.domain.passwords import password_problems
from lms.errors import InvalidTransition, NotFound, ValidationFailed
from lms.extensions import db
from lms.retraining import tallies

log = logging.getLogger(__name__)

#: A hash to compare against when the e-mail is unknown, so timing does not tell.
_DUMMY_HASH = generate_password_hash("unused-password-for-timing")


@dataclass(frozen=True)
class RegistrationInfo:
    email: str
    real_name: str
    password: str
    mobile: str | None = None
    id_number: str | None = None
    photo: bytes | None = None
    consent_personal_info: bool = False
    consent_id_number: bool = False
    consent_photo: bool = False
    locale: str | None = None
    organisation_id: int | None = None


def _client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def active_organisations() -> list[Organisation]:
    """Every active organisation in tree order, for pickers."""
    return list(db.session.scalars(
        sa.select(Organisation).where(Organisation.active).order_by(Organisation.path)))


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def check_new_password(password: str, *identifiers: str) -> None:
    problems = password_problems(password, identifiers=identifiers)
    if problems:
        raise ValidationFailed("password", problems[0])


def _checked_email(email: str, *, exclude_id: int | None = None) -> str:
    email = normalise_email(email)
    query = sa.select(User.id).where(User.email == email)
    if exclude_id:
        query = query.where(User.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise ValidationFailed("email", "taken")
    return email


def _checked_id_number(raw: str, *, exclude_id: int | None = None) -> tuple[bytes, str]:
    today = date.today()
    try:
        number = validate_id_number(raw, today=today)
    except InvalidIdNumber as exc:
        raise ValidationFailed("id_number", exc.code) from None
    if age_on(number, today) < MIN_AGE:  # no guardian consent flow (lms.accounts.privacy)
        raise ValidationFailed("id_number", "too_young", age=MIN_AGE)
    digest = personal_data.id_number_digest(number)
    query = sa.select(User.id).where(User.id_number_digest == digest)
    if exclude_id:
        query = query.where(User.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise ValidationFailed("id_number", "taken")
    return personal_data.encrypt(number.encode()), digest


def _checked_mobile(raw: str | None) -> str | None:
    if not raw or not raw.strip():
        return None
    try:
        return normalise_mobile(raw)
    except ValueError:
        raise ValidationFailed("mobile", "invalid") from None


def record_consent(user: User, purpose: str) -> ConsentRecord:
    consent = ConsentRecord(user_id=user.id, purpose=purpose,
                            version=CONSENTS[purpose].version, ip=_client_ip())
    db.session.add(consent)
    return consent


def register_user(info: RegistrationInfo) -> User:
    """Create a candidate account from a self-registration.

    Every field is checked before anything is written, and the photo file is
    written last, so a rejected registration leaves nothing behind.
    """
    if not info.consent_personal_info:
        raise ValidationFailed("consent_personal_info", "required")
    email = _checked_email(info.email)
    real_name = normalise_text(info.real_name)
    if not real_name:
        raise ValidationFailed("real_name", "required")
    mobile = _checked_mobile(info.mobile)
    if info.organisation_id is not None and not db.session.scalar(sa.select(Organisation.id).where(
            Organisation.id == info.organisation_id, Organisation.active)):
        raise ValidationFailed("organisation_id", "unknown")
    id_fields: dict = {}
    if info.id_number and info.id_number.strip():
        if not info.consent_id_number:
            raise ValidationFailed("consent_id_number", "required")
        encrypted, digest = _checked_id_number(info.id_number)
        id_fields = {"id_number_encrypted": encrypted, "id_number_digest": digest}
    photo = None
    if info.photo:
        if not info.consent_photo:
            raise ValidationFailed("consent_photo", "required")
        photo = personal_data.prepare_photo(info.photo)
    check_new_password(info.password, email, real_name)

    user = User(email=email, real_name=real_name, mobile=mobile,
                password_hash=generate_password_hash(info.password),
                locale=info.locale, organisation_id=info.organisation_id, **id_fields)
    user.role_assignments.append(RoleAssignment(role=Role.CANDIDATE))
    db.session.add(user)
    db.session.flush()
    record_consent(user, "personal_info")
    if id_fields:
        record_consent(user, "id_number")
    if photo:
        record_consent(user, "photo")
        user.photo_file = personal_data.store_photo(photo)
    audit.record("user.registered", actor=user, obj=user, after={"email": email})
    log.info("user %s registered", user.id)
    return user


def create_user(*, email: str, real_name: str, password: str, roles: list[Role],
                organisation: Organisation | None = None, actor: User | None = None) -> User:
    """Create an account with given roles (administration and the CLI)."""
    email = _checked_email(email)
    check_new_password(password, email, real_name)
    user = User(email=email, real_name=normalise_text(real_name),
                password_hash=generate_password_hash(password), organisation=organisation)
    db.session.add(user)
    for role in roles:
        scope = organisation if role in (Role.OFFICER, Role.PROCTOR) else None
        user.role_assignments.append(RoleAssignment(role=role, organisation=scope,
                                                    granted_by_id=getattr(actor, "id", None)))
    db.session.flush()
    audit.record("user.created", actor=actor, obj=user,
                 after={"email": email, "roles": sorted(r.value for r in roles)})
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None. Both outcomes are audited."""
    user = find_user_by_email(email)
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.active:
        audit.record("auth.login_failed", actor=user, object_type="users",
                     object_id=user.id if user else None)
        return None
    if current_app.config.get("REHASH_PASSWORDS", True) and not user.password_hash.startswith(
            "scrypt:"):
        user.password_hash = generate_password_hash(password)
    user.last_login_at = utcnow()
    audit.record("auth.login", actor=user, obj=user)
    return user


def end_all_sessions(user: User) -> None:
    """Invalidate every session and remember-cookie the user holds."""
    user.session_generation += 1


def change_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise ValidationFailed("current_password", "wrong")
    set_password(user, new)


def set_password(user: User, new: str) -> None:
    check_new_password(new, user.email, user.real_name)
    user.password_hash = generate_password_hash(new)
    end_all_sessions(user)
    audit.record("user.password_changed", actor=user, obj=user)


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def make_reset_token(user: User) -> str:
    # The hash's tail makes the token single-use: it dies when the password changes.
    return _reset_serializer().dumps({"uid": user.id, "h": user.password_hash[-12:]})


def request_password_reset(email: str) -> None:
    """Mail a reset link if the address belongs to an active account.

    Says nothing either way to the caller, so addresses cannot be probed.
    """
    from flask import url_for

    from lms.notifications.services import queue_mail

    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    link = current_app.config["BASE_URL"].rstrip("/") + url_for(
        "accounts.reset_password", token=make_reset_token(user))
    queue_mail("password_reset", user.email, locale=user.locale, user=user, link=link)
    audit.record("user.password_reset_requested", actor=None, obj=user)


def user_for_reset_token(token: str) -> User:
    try:
        data = _reset_serializer().loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        raise ValidationFailed("token", "invalid") from None
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.active or user.password_hash[-12:] != data.get("h"):
        raise ValidationFailed("token", "invalid")
    return user


def update_profile(user: User, *, real_name: str, mobile: str | None, locale: str | None,
                   id_number: str | None = None, consent_id_number: bool = False,
                   photo: bytes | None = None, consent_photo: bool = False) -> User:
    """Edit one's own profile. A new ID number or photo needs its own consent."""
    real_name = normalise_text(real_name)
    if not real_name:
        raise ValidationFailed("real_name", "required")
    before = profile_snapshot(user)
    user.mobile = _checked_mobile(mobile)
    user.real_name = real_name
    user.locale = locale or None
    if id_number and id_number.strip():
        if not consent_id_number:
            raise ValidationFailed("consent_id_number", "required")
        user.id_number_encrypted, user.id_number_digest = _checked_id_number(
            id_number, exclude_id=user.id)
        record_consent(user, "id_number")
    if photo:
        if not consent_photo:
            raise ValidationFailed("consent_photo", "required")
        prepared = personal_data.prepare_photo(photo)
        old = user.photo_file
        user.photo_file = personal_data.store_photo(prepared)
        personal_data.delete_photo(old)
        record_consent(user, "photo")
    old_values, new_values = audit.changes(before, profile_snapshot(user))
    if new_values:
        audit.record("user.profile_updated", actor=user, obj=user,
                     before=old_values, after=new_values)
    return user


def profile_snapshot(user: User) -> dict:
    """Audit-safe view of a profile: the ID number only masked, the photo as a flag."""
    return {
        "real_name": user.real_name,
        "mobile": user.mobile,
        "locale": user.locale,
        "id_number": masked_id_number(user),
        "photo": bool(user.photo_file),
        "organisation_id": user.organisation_id,
        "active": user.active,
    }


def masked_id_number(user: User) -> str:
    if not user.id_number_encrypted:
        return ""
    return mask_id_number(personal_data.decrypt(user.id_number_encrypted).decode())


# -- administration ---------------------------------------------------------


def set_active(user: User, active: bool, *, actor: User) -> None:
    if user.id == actor.id and not active:
        raise InvalidTransition("cannot deactivate yourself")
    if user.active == active:
        return
    user.active = active
    if not active:
        end_all_sessions(user)
    audit.record("user.activated" if active else "user.deactivated", actor=actor, obj=user,
                 before={"active": not active}, after={"active": active})


def set_organisation(user: User, organisation: Organisation | None, *, actor: User) -> None:
    before = user.organisation_id
    user.organisation = organisation
    after = organisation.id if organisation else None
    if before != after:
        audit.record("user.organisation_changed", actor=actor, obj=user,
                     before={"organisation_id": before}, after={"organisation_id": after})
        # the retraining dashboard counts a holder's plans under their organisation
        db.session.flush()
        tallies.refresh_tallies(db.session.scalars(
            sa.select(Certificate.qualification_id).where(Certificate.holder_id == user.id)))


def grant_role(user: User, role: Role, organisation: Organisation | None, *,
               actor: User | None) -> RoleAssignment:
    """Give ``user`` the role over ``organisation``'s subtree (None: platform-wide)."""
    org_id = organisation.id if organisation else None
    for existing in user.role_assignments:
        if existing.role == role and existing.organisation_id == org_id:
            return existing
    assignment = RoleAssignment(role=role, organisation=organisation,
                                granted_by_id=getattr(actor, "id", None))
    user.role_assignments.append(assignment)
    db.session.flush()
    audit.record("user.role_granted", actor=actor, obj=user,
                 after={"role": role.value, "organisation_id": org_id})
    return assignment


def revoke_role(user: User, assignment_id: int, *, actor: User) -> None:
    assignment = next((a for a in user.role_assignments if a.id == assignment_id), None)
    if assignment is None:
        raise NotFound()
    if user.id == actor.id and assignment.role == Role.ADMIN:
        raise InvalidTransition("cannot remove your own admin role")
    user.role_assignments.remove(assignment)
    audit.record("user.role_revoked", actor=actor, obj=user,
                 before={"role": assignment.role.value,
                         "organisation_id": assignment.organisation_id})


def create_organisation(*, name: str, code: str, parent: Organisation | None,
                        actor: User | None = None) -> Organisation:
    """Add an organisation below ``parent``; its kind follows from the parent's."""
    kind = CHILD_KIND.get(parent.kind if parent else None)
    if kind is None:
        raise ValidationFailed("parent", "too_deep")
    code = normalise_text(code).lower()
    if db.session.scalar(sa.select(Organisation.id).where(Organisation.code == code)):
        raise ValidationFailed("code", "taken")
    org = Organisation(name=normalise_text(name), code=code, kind=kind, parent=parent,
                       depth=(parent.depth + 1) if parent else 0)
    db.session.add(org)
    db.session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    audit.record("organisation.created", actor=actor, obj=org,
                 after={"name": org.name, "code": code, "parent_id": org.parent_id})
    return org

