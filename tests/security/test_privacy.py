"""P3, P4, P6, P7: ID-photo retention, masking and encryption of ID numbers, export and
erasure on request, and the age floor that stands in for a guardian's consent
(rules: lms.accounts.privacy)."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from datetime import date, timedelta

import sqlalchemy as sa
import time_machine
from cryptography.fernet import Fernet

from lms import tasks
from lms.accounts import personal_data, privacy
from lms.accounts import services as accounts
from lms.accounts.models import Role, User
from lms.audit.models import AuditEntry
from lms.certificates import ledger
from lms.certificates.models import Certificate
from lms.clock import utcnow
from lms.domain.identity import MIN_AGE, id_check_character, mask_id_number
from lms.errors import ValidationFailed
from lms.exams import attempts, registration
from lms.exams.models import ExamAnswer, ExamAttempt
from lms.extensions import db
from tests.certificate_factories import certificate_of, certified_exam, photo_file, sit
from tests.conftest import login
from tests.exam_factories import make_session, ready_candidate
from tests.factories import PASSWORD, make_org, make_user

MOBILE = "13912345678"


def id_number(born: date, serial: str = "123") -> str:
    first = f"110105{born:%Y%m%d}{serial}"
    return first + id_check_character(first)


NUMBER = id_number(date(1988, 3, 14))


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (200, 260), (20, 120, 60)).save(out, format="JPEG")
    return out.getvalue()


def certified_person(name: str = "欧阳明月", number: str = NUMBER):
    """A candidate holding a certificate, whose profile has a real ID number, a
    mobile number and a photo, set through the profile service (audited)."""
    exam, _qualification = certified_exam()
    attempt = sit(exam, 5, name=name)
    user = db.session.get(User, attempt.user_id)
    user.id_number_encrypted = None  # the factory's placeholder, not a real cipher text
    accounts.update_profile(user, real_name=name, mobile=MOBILE, locale="zh_CN",
                            id_number=number, consent_id_number=True,
                            photo=_jpeg(), consent_photo=True)
    db.session.commit()
    assert certificate_of(attempt) is not None
    return user, attempt


def _all_text() -> str:
    """Every value of every table, as text: what a thief of the database would read."""
    meta = sa.MetaData()
    meta.reflect(db.engine)
    chunks = []
    with db.engine.connect() as connection:
        for table in meta.tables.values():
            for row in connection.execute(sa.select(table)):
                chunks.append(" ".join(
                    v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row))
    return "\n".join(chunks)


# -- P3 retention ---------------------------------------------------------------------------


def test_P3_id_photos_are_deleted_after_the_retention_period(app, runner):
    app.config["ID_PHOTO_RETENTION_DAYS"] = 30
    idle = make_user(photo_file=photo_file())
    shown, _attempt = certified_person()
    db.session.execute(sa.update(Certificate).where(Certificate.holder_id == shown.id)
                       .values(photo_public=True))
    db.session.commit()
    idle_path = personal_data.photo_dir() / idle.photo_file
    start = utcnow()

    with time_machine.travel(start + timedelta(days=29), tick=False):
        assert runner.invoke(args=["lms", "privacy", "purge-photos"]).output == \
            "deleted 0 photos\n"
    with time_machine.travel(start + timedelta(days=31), tick=False):
        assert runner.invoke(args=["lms", "privacy", "purge-photos"]).output == \
            "deleted 1 photos\n"
    db.session.expire_all()
    assert db.session.get(User, idle.id).photo_file is None
    assert not idle_path.exists()
    # a valid certificate that shows the photo keeps it
    assert db.session.get(User, shown.id).photo_file is not None
    entry = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "user.photos_purged"))
    assert entry.after["count"] == 1


def test_P3_the_worker_purges_photos_and_webcam_pictures_daily(app):
    schedule = app.extensions["celery"].conf.beat_schedule
    for task in (tasks.PURGE_ID_PHOTOS, tasks.PURGE_EXAM_SNAPSHOTS):
        assert any(e["task"] == task and e["schedule"] == 24 * 3600.0
                   for e in schedule.values())
    user = make_user(photo_file=photo_file())
    later = utcnow() + timedelta(days=app.config["ID_PHOTO_RETENTION_DAYS"] + 1)
    with time_machine.travel(later, tick=False):
        assert tasks.purge_id_photos() == 1
    db.session.expire_all()
    assert db.session.get(User, user.id).photo_file is None


def test_P3_someone_who_sat_an_exam_recently_keeps_their_photo(app):
    app.config["ID_PHOTO_RETENTION_DAYS"] = 30
    start = utcnow()
    with time_machine.travel(start - timedelta(days=60), tick=False):
        user = ready_candidate()
        user.photo_file = photo_file()
        db.session.commit()
    exam, _qualification = certified_exam()
    session = make_session(exam)
    registration.book(user, session, utcnow())
    db.session.commit()
    assert privacy.purge_id_photos(utcnow(), 30) == 0


# -- P4 masking and encryption --------------------------------------------------------------


def test_P4_the_id_number_is_masked_on_every_page_that_shows_it(app, caplog):
    caplog.set_level(logging.DEBUG)
    org = make_org()
    admin = make_user(Role.ADMIN)
    user, _attempt = certified_person()
    user.organisation_id = org.id
    db.session.commit()
    masked = mask_id_number(NUMBER)
    own, staff = app.test_client(), app.test_client()
    login(own, user)
    login(staff, admin)
    pages = {
        "profile": own.get("/account/profile"),
        "dashboard": own.get("/dashboard"),
        "admin user": staff.get(f"/admin/users/{user.id}"),
        "admin list": staff.get(f"/admin/users?q={user.email}"),
    }
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert NUMBER not in page.get_data(as_text=True), name
    assert masked in pages["profile"].get_data(as_text=True)
    assert masked in pages["admin user"].get_data(as_text=True)
    export = json.loads(zipfile.ZipFile(io.BytesIO(
        own.post("/account/data-export").data)).read("data.json"))
    assert export["profile"]["id_number"] == masked
    assert NUMBER not in json.dumps(export)
    # nor in the logs of all that, nor in the audit log
    assert NUMBER not in caplog.text
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        sa.cast(AuditEntry.after, sa.Text).contains(NUMBER)))


def test_P4_the_id_number_is_encrypted_in_the_raw_row(app):
    user, _attempt = certified_person()
    raw = db.session.execute(sa.text(
        "SELECT id_number_encrypted, id_number_digest FROM users WHERE id = :id"),
        {"id": user.id}).one()
    cipher = bytes(raw[0])
    assert NUMBER.encode() not in cipher and NUMBER[-8:].encode() not in cipher
    key = app.config["ID_ENCRYPTION_KEY"].encode()
    assert Fernet(key).decrypt(cipher).decode() == NUMBER
    assert raw[1] != hashlib.sha256(NUMBER.encode()).hexdigest()  # keyed, not a bare hash
    assert NUMBER not in _all_text()
    # the photo on disk is no JPEG either
    stored = (personal_data.photo_dir() / user.photo_file).read_bytes()
    assert not stored.startswith(b"\xff\xd8") and b"JFIF" not in stored


# -- P6 export and erasure ------------------------------------------------------------------


def test_P6_a_candidate_downloads_everything_held_about_them(app):
    user, attempt = certified_person()
    other, _ = certified_person(name="司马青云", number=id_number(date(1979, 5, 2)))
    client = app.test_client()
    login(client, user)
    response = client.post("/account/data-export")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert "no-store" in response.headers["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = json.loads(archive.read("data.json"))
    assert data["profile"]["email"] == user.email and data["profile"]["mobile"] == MOBILE
    assert {c["purpose"] for c in data["consents"]} >= {"id_number", "photo"}
    [sat] = data["exam_attempts"]
    assert sat["id"] == attempt.id and len(sat["answers"]) == 5
    assert sat["result"]["passed"] is True
    assert "paper" not in sat and "device_digest" not in sat
    [held] = data["certificates"]
    assert held["serial"] == certificate_of(attempt).serial
    assert "password_hash" not in data["profile"]
    assert any(e["action"] == "user.profile_updated" for e in data["audit_entries"])
    names = archive.namelist()
    assert "photo.jpg" in names and f"certificates/{held['serial']}.pdf" in names
    assert other.email not in json.dumps(data, ensure_ascii=False)
    entry = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "user.data_exported"))
    assert entry.actor_id == user.id and entry.after == {"by": "self"}


def test_P6_only_an_admin_in_scope_exports_or_erases_someone_else(app):
    org, elsewhere = make_org(), make_org()
    user, _ = certified_person()
    user.organisation_id = org.id
    db.session.commit()
    for role, scope, allowed in ((Role.ADMIN, None, True), (Role.ADMIN, elsewhere, False),
                                 (Role.OFFICER, org, False), (Role.CANDIDATE, None, False)):
        client = app.test_client()
        login(client, make_user(role, scope=scope))
        export = client.post(f"/admin/users/{user.id}/data-export")
        assert (export.status_code == 200) is allowed, (role, scope)
        if not allowed:
            assert export.status_code in (403, 404)
            erase = client.post(f"/admin/users/{user.id}/erase",
                                data={"reason": "申请单 7", "confirm": "y"})
            assert erase.status_code in (403, 404)
    db.session.expire_all()
    assert not privacy.is_erased(db.session.get(User, user.id))


def test_P6_erasure_removes_the_personal_data_and_keeps_the_records(app):
    admin = make_user(Role.ADMIN)
    user, attempt = certified_person()
    email, name, user_id = user.email, user.real_name, user.id
    certificate = certificate_of(attempt)
    serial, pdf_path = certificate.serial, None
    from lms.certificates.artefacts import pdf_dir

    pdf_path = pdf_dir() / certificate.pdf_file
    photo_path = personal_data.photo_dir() / user.photo_file
    audit_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.object_type == "users", AuditEntry.object_id == str(user_id)))
    answers = db.session.scalar(sa.select(sa.func.count()).select_from(ExamAnswer))
    before = _all_text()
    assert all(v in before for v in (email, name, MOBILE, mask_id_number(NUMBER)))
    own = app.test_client()
    login(own, user)
    assert own.get("/account/profile").status_code == 200
    desk = app.test_client()
    login(desk, admin)

    refused = desk.post(f"/admin/users/{user_id}/erase", data={"reason": "申请单 7"})
    assert refused.status_code == 200  # not confirmed: nothing happens, the page says
    assert 'value="申请单 7"' in refused.text  # so, and keeps the reference as typed
    assert "is-invalid" in refused.text
    db.session.expire_all()
    assert not privacy.is_erased(db.session.get(User, user_id))

    done = desk.post(f"/admin/users/{user_id}/erase",
                     data={"reason": "申请单 2026-118", "confirm": "y"})
    assert done.status_code == 302
    db.session.expire_all()

    everything = _all_text()
    for value in (email, name, MOBILE, NUMBER, mask_id_number(NUMBER)):
        assert value not in everything, value
    assert not photo_path.exists() and not pdf_path.exists()
    # the person can no longer log in, and their open session has ended
    assert own.get("/account/profile").status_code == 302
    anonymous = app.test_client()
    anonymous.post("/login", data={"email": email, "password": PASSWORD})
    assert anonymous.get("/account/profile").status_code == 302

    # the records others rely on stay: the attempt and its answers, the certificate
    # (still verifiable by serial), the ledger, the audit trail
    assert db.session.get(ExamAttempt, attempt.id) is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamAnswer)) == answers
    kept = db.session.scalar(sa.select(Certificate).where(Certificate.serial == serial))
    assert kept.status == "active" and kept.pdf_sha256
    assert app.test_client().get(f"/verify/{serial}").status_code == 200
    assert ledger.verify() is None
    trail = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.object_type == "users", AuditEntry.object_id == str(user_id))).all()
    assert len(trail) == audit_before + 1
    [erased] = [e for e in trail if e.action == "user.erased"]
    assert erased.actor_id == admin.id and erased.after["reason"] == "申请单 2026-118"
    assert erased.after["files_deleted"] >= 2


def test_P6_erasure_waits_for_an_exam_being_sat_and_refuses_oneself(app):
    admin = make_user(Role.ADMIN)
    exam, _qualification = certified_exam()
    session = make_session(exam)
    candidate = ready_candidate(name="上官飞")
    now = utcnow()
    attempt = registration.book(candidate, session, now)
    attempts.check_in(attempt, session.access_code, now)
    attempts.start(attempt, now)
    db.session.commit()
    desk = app.test_client()
    login(desk, admin)
    form = {"reason": "申请单 9", "confirm": "y"}
    desk.post(f"/admin/users/{candidate.id}/erase", data=form)
    desk.post(f"/admin/users/{admin.id}/erase", data=form)
    db.session.expire_all()
    assert not privacy.is_erased(db.session.get(User, candidate.id))
    assert not privacy.is_erased(db.session.get(User, admin.id))
    assert not db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.erased"))


def test_P6_erasure_from_the_command_line(app, runner):
    user, _attempt = certified_person()
    result = runner.invoke(args=["lms", "privacy", "erase", str(user.id), "--reason", "R-1",
                                 "--yes"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert privacy.is_erased(db.session.get(User, user.id))


# -- P7 under-14s ---------------------------------------------------------------------------


def _birthday_years_ago(years: int, days: int = 0) -> date:
    today = date.today()
    try:
        born = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        born = today.replace(year=today.year - years, day=28)
    return born + timedelta(days=days)


def test_P7_an_id_number_of_a_child_under_14_is_refused(app):
    child = id_number(_birthday_years_ago(MIN_AGE, days=1), serial="456")
    info = accounts.RegistrationInfo(
        email="child@example.cn", real_name="小明", password="a long enough pass phrase",
        id_number=child, consent_personal_info=True, consent_id_number=True)
    try:
        accounts.register_user(info)
    except ValidationFailed as exc:
        assert (exc.field, exc.reason) == ("id_number", "too_young")
    else:
        raise AssertionError("a 13-year-old's ID number was accepted")
    db.session.rollback()
    # fourteen today: accepted
    ok = id_number(_birthday_years_ago(MIN_AGE), serial="457")
    user = accounts.register_user(accounts.RegistrationInfo(
        email="teen@example.cn", real_name="小红", password="a long enough pass phrase",
        id_number=ok, consent_personal_info=True, consent_id_number=True))
    assert user.id_number_encrypted


def test_P7_the_profile_page_says_why_a_childs_id_number_is_refused(app):
    user = make_user()
    client = app.test_client()
    login(client, user)
    child = id_number(_birthday_years_ago(10), serial="458")
    page = client.post("/account/profile", data={
        "real_name": "测试用户", "locale": "en", "id_number": child, "consent_id_number": "y"},
        headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "账号仅限年满14周岁的人使用" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).id_number_encrypted is None


def test_P3_old_backups_are_deleted_on_schedule(app, tmp_path):
    """Backups hold personal data (erased people's too): ``backup --keep N`` keeps the
    newest N, as a nightly job would run it."""
    make_user(photo_file=photo_file())
    folder = tmp_path / "backups"
    start = utcnow()
    for night in range(3):
        with time_machine.travel(start + timedelta(days=night), tick=False):
            result = app.test_cli_runner().invoke(args=[
                "lms", "backup", "--output", str(folder / f"night-{night}"), "--keep", "2"])
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["night-1", "night-2"]
    assert "deleted old backup" in result.output
