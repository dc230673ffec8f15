"""P1, P2, P5: separate, versioned consents; an exam without webcam consent at a test
centre; webcam pictures only for the session's proctors, every view audited."""

from __future__ import annotations

import io

import sqlalchemy as sa
from PIL import Image

from lms.accounts.consent import CONSENTS
from lms.accounts.models import ConsentRecord, User
from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.domain.attempt_states import AttemptState as S
from lms.domain.identity import id_check_character
from lms.exams import attempts, integrity, registration
from lms.exams.models import ProctoringMode, Snapshot
from lms.extensions import db
from tests.conftest import login
from tests.exam_factories import make_exam, make_session
from tests.factories import make_user
from tests.web.test_exam_pages import begin


def _valid_id() -> str:
    first = "11010519880314123"
    return first + id_check_character(first)


def _picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (240, 320), (90, 30, 160)).save(out, format="JPEG")
    return out.getvalue()


def _register(client, **fields):
    form = {"email": "zhou@example.cn", "real_name": "周正", "password": "a long pass phrase 7",
            "password_confirm": "a long pass phrase 7", "organisation_id": "",
            "id_number": _valid_id(), "consent_personal_info": "y"}
    form.update(fields)
    return client.post("/register", data=form, content_type="multipart/form-data")


def test_P1_each_purpose_has_its_own_consent_recorded_with_version_and_time(app):
    page = app.test_client().get("/register").get_data(as_text=True)
    for purpose in ("consent_personal_info", "consent_id_number", "consent_photo"):
        assert f'name="{purpose}"' in page  # three separate boxes, none bundled
    # an ID number without its own consent is refused, and nothing is stored
    refused = _register(app.test_client())
    assert refused.status_code == 200
    assert db.session.scalar(sa.select(User).where(User.email == "zhou@example.cn")) is None

    done = _register(app.test_client(), consent_id_number="y", consent_photo="y",
                     photo=(io.BytesIO(_picture()), "me.jpg"))
    assert done.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "zhou@example.cn"))
    records = db.session.scalars(sa.select(ConsentRecord).where(
        ConsentRecord.user_id == user.id)).all()
    assert {r.purpose for r in records} == {"personal_info", "id_number", "photo"}
    for record in records:
        assert record.version == CONSENTS[record.purpose].version
        assert record.granted_at is not None and record.withdrawn_at is None
    # the webcam consent is not part of registration: it is asked at booking, with
    # its own text on why the pictures are needed and what happens to them
    assert "proctoring" not in {r.purpose for r in records}
    text = app.test_client().get("/consent/proctoring")
    assert text.status_code == 200


def test_P2_without_webcam_consent_the_exam_is_sat_at_a_test_centre(app):
    exam = make_exam()
    online = make_session(exam)
    centre = make_session(exam, mode=ProctoringMode.CENTRE, code="CTR234")
    proctor = make_user("proctor")
    centre.proctors.append(proctor)
    candidate = make_user(id_number_encrypted=b"encrypted", photo_file="photo.jpg")
    db.session.commit()
    now = utcnow()
    try:
        registration.book(candidate, online, now)
    except registration.NotEligible as exc:
        assert [r.code for r in exc.reasons] == ["consent_needed"]
    else:
        raise AssertionError("a remote-proctored booking without webcam consent")
    db.session.rollback()

    attempt = registration.book(candidate, centre, now)
    assert attempts.check_in(attempt, "CTR234", now) == S.REGISTERED
    try:  # no picture at the check-in either: the proctor compares in person
        integrity.store_check_in_picture(attempt, _picture(), now)
    except attempts.AttemptRefused as exc:
        assert exc.code == "consent_needed"
    else:
        raise AssertionError("a check-in picture without consent")
    attempts.admit(attempt, proctor, now)
    attempts.start(attempt, now)
    db.session.commit()
    assert attempt.state == S.IN_PROGRESS
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Snapshot)) == 0


def test_P5_only_the_sessions_proctors_see_webcam_pictures_and_each_view_is_logged(app):
    client = app.test_client()
    attempt = begin(client, exam=make_exam(webcam_required=True))
    assert client.post(f"/exams/attempts/{attempt.id}/snapshots", data=_picture(),
                       content_type="image/jpeg").status_code in (200, 201, 204)
    snapshot = db.session.scalar(sa.select(Snapshot))
    url = f"/proctor/snapshots/{snapshot.id}"

    assigned, other = make_user("proctor"), make_user("proctor")
    attempt.session.proctors.append(assigned)
    db.session.commit()
    for user, allowed in ((assigned, True), (other, False), (attempt.user, False)):
        viewer = app.test_client()
        login(viewer, user)
        response = viewer.get(url)
        assert (response.status_code == 200) is allowed, user
        if allowed:
            assert response.data == _picture_of(snapshot)
            assert "no-store" in response.headers.get("Cache-Control", "")
    views = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "exam_snapshot.viewed")).all()
    assert [(v.actor_id, v.object_id) for v in views] == [(assigned.id, str(snapshot.id))]


def _picture_of(snapshot) -> bytes:
    from lms.accounts.personal_data import decrypt

    return decrypt((integrity.snapshot_dir() / snapshot.file_name).read_bytes())
