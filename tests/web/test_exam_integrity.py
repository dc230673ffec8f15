"""Integrity monitoring through HTTP: events, flags, webcam pictures (who may see
them, every view audited, deleted after the retention), warnings and the review."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from lms.accounts import personal_data
from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.domain.attempt_states import AttemptState as S
from lms.exams import integrity
from lms.exams.models import ExamAttempt, IntegrityEvent, Snapshot
from lms.extensions import db
from tests.conftest import login
from tests.exam_factories import make_exam
from tests.factories import make_user
from tests.web.test_exam_pages import begin


def jpeg(colour=(200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, format="JPEG", quality=60)
    return out.getvalue()


def desk_for(app, attempt, role="proctor"):
    """A logged-in client of a proctor assigned to the attempt's session (or an officer)."""
    user = make_user(role)
    if role == "proctor":
        attempt.session.proctors.append(user)
        db.session.commit()
    desk = app.test_client()
    login(desk, user)
    return desk, user


def audited(action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == action))


def test_page_events_are_stored_clamped_and_turn_into_flags(client, app):
    attempt = begin(client, exam=make_exam(focus_loss_limit=2))
    now_ms = int(utcnow().timestamp() * 1000)
    events = [{"kind": "blur", "at": now_ms}, {"kind": "hidden", "at": now_ms + 10},
              {"kind": "blur", "at": now_ms + 20},
              {"kind": "paste", "at": now_ms + 99_000_000}]  # a date in the future
    response = client.post(f"/exams/attempts/{attempt.id}/events", json={"events": events})
    assert response.status_code == 200 and response.json["stored"] == 4
    latest = db.session.scalar(sa.select(sa.func.max(IntegrityEvent.occurred_at)))
    assert latest <= utcnow()
    desk, _ = desk_for(app, attempt)
    row = desk.get(f"/proctor/sessions/{attempt.session_id}/live.json").json["rows"][0]
    assert set(row["flags"]) == {"focus_losses", "paste"}
    page = desk.get(f"/proctor/attempts/{attempt.id}").text
    assert 'data-flag="focus_losses"' in page


@pytest.mark.parametrize("body", [
    {"events": [{"kind": "delete_everything", "at": 1}]},
    {"events": [{"kind": "blur", "at": "soon"}]},
    {"events": [{"kind": "blur", "at": 1}] * 101},
    {"events": "blur"},
])
def test_malformed_events_are_refused_whole(client, body):
    attempt = begin(client)
    assert client.post(f"/exams/attempts/{attempt.id}/events", json=body).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IntegrityEvent)) == 0


def test_a_change_of_address_or_browser_is_noticed_by_the_server(client):
    attempt = begin(client)
    client.post(f"/exams/attempts/{attempt.id}/events", json={"events": []},
                environ_base={"REMOTE_ADDR": "10.9.8.7"}, headers={"User-Agent": "Other/1.0"})
    kinds = set(db.session.scalars(sa.select(IntegrityEvent.kind)))
    assert kinds == {"ip_change", "agent_change"}


def test_only_the_candidate_on_their_device_reports_events(client, app):
    attempt = begin(client)
    other = app.test_client()
    login(other, make_user())
    assert other.post(f"/exams/attempts/{attempt.id}/events",
                      json={"events": []}).status_code == 404
    same_user_other_device = app.test_client()
    login(same_user_other_device, attempt.user)
    assert same_user_other_device.post(f"/exams/attempts/{attempt.id}/events",
                                       json={"events": []}).status_code == 409


def test_snapshots_are_jpegs_spaced_out_encrypted_and_shown_only_to_the_sessions_staff(
        client, app):
    attempt = begin(client, exam=make_exam(snapshot_interval_seconds=60, webcam_required=True))
    url = f"/exams/attempts/{attempt.id}/snapshots"
    picture = jpeg()
    assert client.post(url, data=picture, content_type="image/jpeg").status_code == 201
    assert client.post(url, data=jpeg((0, 0, 0)),
                       content_type="image/jpeg").json["error"] == "snapshot_too_soon"
    assert client.post(url, data=b"<svg onload=alert(1)>",
                       content_type="image/jpeg").status_code == 400
    snapshot = db.session.scalar(sa.select(Snapshot))
    stored = (integrity.snapshot_dir() / snapshot.file_name).read_bytes()
    assert picture not in stored and personal_data.decrypt(stored) == picture

    image_url = f"/proctor/snapshots/{snapshot.id}"
    assert client.get(image_url).status_code == 403  # not the candidate
    stranger = app.test_client()
    login(stranger, make_user("proctor"))
    assert stranger.get(image_url).status_code == 403  # a proctor of another session
    desk, _ = desk_for(app, attempt)
    response = desk.get(image_url)
    assert response.status_code == 200 and response.data == picture
    assert response.headers["Cache-Control"] == "private, no-store"
    assert audited("exam_snapshot.viewed") == 1
    row = desk.get(f"/proctor/sessions/{attempt.session_id}/live.json").json["rows"][0]
    assert row["snapshot"] == snapshot.id


def test_snapshots_are_deleted_after_the_retention_period(client, app, runner):
    attempt = begin(client)
    client.post(f"/exams/attempts/{attempt.id}/snapshots", data=jpeg(),
                content_type="image/jpeg")
    snapshot = db.session.scalar(sa.select(Snapshot))
    path = integrity.snapshot_dir() / snapshot.file_name
    assert runner.invoke(args=["lms", "exams", "purge-snapshots"]).output == \
        "deleted 0 pictures\n"
    snapshot.taken_at = utcnow() - timedelta(days=91)
    db.session.commit()
    assert runner.invoke(args=["lms", "exams", "purge-snapshots"]).output == \
        "deleted 1 pictures\n"
    assert not path.exists()
    desk, _ = desk_for(app, attempt)
    assert desk.get(f"/proctor/snapshots/{snapshot.id}").status_code == 410


def test_a_proctors_warning_reaches_the_candidates_page(client, app):
    attempt = begin(client)
    desk, _ = desk_for(app, attempt)
    desk.post(f"/proctor/attempts/{attempt.id}/warn", data={"message": "请把手机放到桌面以外"})
    status = client.get(f"/exams/attempts/{attempt.id}/status?since=0").json
    assert [m["body"] for m in status["messages"]] == ["请把手机放到桌面以外"]
    last = status["messages"][-1]["id"]
    assert client.get(f"/exams/attempts/{attempt.id}/status?since={last}").json["messages"] == []
    assert audited("exam_attempt.warned") == 1


def test_officers_review_finished_attempts_and_proctors_cannot(client, app):
    attempt = begin(client)
    desk, _ = desk_for(app, attempt)
    officer_desk, _ = desk_for(app, attempt, role="officer")
    url = f"/proctor/attempts/{attempt.id}/review"
    officer_desk.post(url, data={"decision": "clear"})
    assert db.session.get(ExamAttempt, attempt.id).review_decision is None  # still running
    client.post(f"/exams/attempts/{attempt.id}/submit", json={"saves": []})
    assert desk.post(url, data={"decision": "invalidate", "reason": "x"}).status_code == 403
    officer_desk.post(url, data={"decision": "invalidate", "reason": ""})
    assert db.session.get(ExamAttempt, attempt.id).state == S.GRADED  # a reason is needed
    officer_desk.post(url, data={"decision": "invalidate", "reason": "答题期间多次离开摄像头"})
    reviewed = db.session.get(ExamAttempt, attempt.id)
    assert reviewed.state == S.INVALIDATED and reviewed.review_decision == "invalidate"
    assert audited("exam_attempt.reviewed") == 1
    assert 'data-review="invalidate"' in officer_desk.get(f"/proctor/attempts/{attempt.id}").text


def test_the_proctor_sees_the_registered_photo_and_the_view_is_audited(client, app):
    attempt = begin(client)
    user = attempt.user
    source = io.BytesIO()
    Image.new("RGB", (200, 200), (10, 120, 200)).save(source, format="PNG")
    user.photo_file = personal_data.store_photo(personal_data.prepare_photo(source.getvalue()))
    db.session.commit()
    desk, _ = desk_for(app, attempt)
    response = desk.get(f"/proctor/attempts/{attempt.id}/photo")
    assert response.status_code == 200 and response.data[:2] == b"\xff\xd8"
    assert audited("user.photo_viewed") == 1
    assert client.get(f"/proctor/attempts/{attempt.id}/photo").status_code == 403


def test_json_nested_too_deep_is_a_bad_request_on_every_json_endpoint(client):
    """The parser's RecursionError is handled once for the app, not per view (B1)."""
    attempt = begin(client)
    deep = "[" * 100_000 + "]" * 100_000
    for url in (f"/exams/attempts/{attempt.id}/events", f"/exams/attempts/{attempt.id}/answers"):
        response = client.post(url, data=deep, content_type="application/json")
        assert response.status_code == 400, url


def test_a_test_centre_check_in_sends_a_live_picture_the_proctor_sees_beside_the_photo(
        client, app):
    from lms.exams.models import ProctoringMode
    from tests.exam_factories import make_session, ready_candidate

    session = make_session(make_exam(), mode=ProctoringMode.CENTRE)
    candidate = ready_candidate()
    login(client, candidate)
    client.post(f"/exams/sessions/{session.id}/book")
    attempt = db.session.scalar(sa.select(ExamAttempt))
    url = f"/exams/attempts/{attempt.id}/check-in/picture"
    assert client.post(url, data=jpeg(), content_type="image/jpeg").json["error"] \
        == "not_checked_in"  # no picture before the access code
    client.post(f"/exams/attempts/{attempt.id}/check-in", data={"code": session.access_code})
    waiting = client.get(f"/exams/attempts/{attempt.id}").text
    assert f'data-picture-url="{url}"' in waiting and "js/check-in.js" in waiting

    picture = jpeg((10, 120, 10))
    assert client.post(url, data=picture, content_type="image/jpeg").status_code == 201
    assert client.post(url, data=jpeg(), content_type="image/jpeg").json["error"] \
        == "snapshot_too_soon"
    assert client.post(url, data=b"GIF89a", content_type="image/jpeg").status_code == 400
    stranger = app.test_client()
    login(stranger, make_user())
    assert stranger.post(url, data=jpeg(), content_type="image/jpeg").status_code == 404

    desk, _ = desk_for(app, attempt)
    snapshot = db.session.scalar(sa.select(Snapshot))
    console = desk.get(f"/proctor/sessions/{session.id}").text
    assert f"/proctor/attempts/{attempt.id}/photo" in console  # the registered photo …
    assert f"/proctor/snapshots/{snapshot.id}" in console      # … beside the live picture
    row = desk.get(f"/proctor/sessions/{session.id}/live.json").json["rows"][0]
    assert row["snapshot_url"] == f"/proctor/snapshots/{snapshot.id}"
    assert desk.get(row["snapshot_url"]).data == picture
    assert "data-check-in" in desk.get(f"/proctor/attempts/{attempt.id}").text

    desk.post(f"/proctor/attempts/{attempt.id}/admit")
    assert client.post(url, data=jpeg((1, 2, 3)), content_type="image/jpeg").json["error"] \
        == "not_checked_in"  # admitted: the exam's own snapshots take over


def test_without_consent_to_pictures_the_waiting_page_takes_none_and_says_so(client):
    from lms.accounts.models import ConsentRecord
    from lms.exams.models import ProctoringMode
    from tests.exam_factories import make_session, ready_candidate

    session = make_session(make_exam(), mode=ProctoringMode.CENTRE)
    candidate = ready_candidate()
    db.session.execute(sa.update(ConsentRecord).values(withdrawn_at=utcnow()))
    db.session.commit()
    login(client, candidate)
    client.post(f"/exams/sessions/{session.id}/book")
    attempt = db.session.scalar(sa.select(ExamAttempt))
    client.post(f"/exams/attempts/{attempt.id}/check-in", data={"code": session.access_code})
    waiting = client.get(f"/exams/attempts/{attempt.id}").text
    assert "data-picture-url" not in waiting and 'id="check-in-wait"' in waiting
    response = client.post(f"/exams/attempts/{attempt.id}/check-in/picture", data=jpeg(),
                           content_type="image/jpeg")
    assert response.status_code == 409 and response.json["error"] == "consent_needed"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Snapshot)) == 0
