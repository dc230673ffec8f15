"""Self-registration and its bad inputs: clear messages, nothing half-saved."""

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.accounts.models import ConsentRecord, Role, User
from lms.audit.models import AuditEntry
from lms.extensions import db

PHOTO = (Path(__file__).parents[1] / "data" / "photo.jpg").read_bytes()
GOOD = {
    "email": "zhang.san@example.cn",
    "real_name": "张三",
    "mobile": "13800138000",
    "password": "Zhong-Hua-Gong-Hui-2026",
    "password_confirm": "Zhong-Hua-Gong-Hui-2026",
    "consent_personal_info": "y",
}


def register(client, **changes):
    data = {**GOOD, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    return client.post("/register", data=data, content_type="multipart/form-data")


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_candidate_registers_with_consent_and_lands_on_dashboard(client, app):
    response = register(client, id_number="11010519491231002X", consent_id_number="y",
                        photo=(io.BytesIO(PHOTO), "me.jpg"), consent_photo="y")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")
    user = db.session.scalar(sa.select(User))
    assert user.email == "zhang.san@example.cn"
    assert user.roles == {Role.CANDIDATE}
    assert b"11010519491231002X" not in user.id_number_encrypted  # encrypted at rest
    consents = {c.purpose: c.version for c in db.session.scalars(sa.select(ConsentRecord))}
    assert set(consents) == {"personal_info", "id_number", "photo"}
    photo_path = Path(app.instance_path) / "photos" / user.photo_file
    assert photo_path.exists() and b"JFIF" not in photo_path.read_bytes()  # encrypted too
    assert client.get("/dashboard").status_code == 200
    assert db.session.scalar(sa.select(AuditEntry.action)) == "user.registered"


def test_masked_id_number_is_shown_on_the_profile(client):
    register(client, id_number="11010519491231002X", consent_id_number="y")
    page = client.get("/account/profile").get_data(as_text=True)
    assert "1101**********002X" in page
    assert "11010519491231002X" not in page


@pytest.mark.parametrize(("changes", "message"), [
    ({"id_number": "110105194912310021", "consent_id_number": "y"}, "校验码不符"),
    ({"id_number": "11010519491231002X"}, "需要您单独同意"),
    ({"password": "woaini1314", "password_confirm": "woaini1314"}, "过于常见"),
    ({"password": "short", "password_confirm": "short"}, "至少 10 个字符"),
    ({"password_confirm": "something-else-entirely"}, "两次输入的密码不一致"),
    ({"consent_personal_info": None}, "须同意个人信息处理"),
    ({"mobile": "12345"}, "11 位"),
])
def test_bad_input_gets_a_chinese_message_and_saves_nothing(client, app, changes, message):
    response = register(client, **changes)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(User) == count(ConsentRecord) == 0
    assert not (Path(app.instance_path) / "photos").exists() or not any(
        (Path(app.instance_path) / "photos").iterdir())


def test_typed_values_survive_an_error(client):
    page = register(client, id_number="110105194912310021",
                    consent_id_number="y").get_data(as_text=True)
    assert 'value="zhang.san@example.cn"' in page
    assert 'value="张三"' in page
    assert "Zhong-Hua-Gong-Hui-2026" not in page  # passwords are never echoed back


def test_candidate_chooses_their_union_and_its_officer_sees_them(client, app, make_org,
                                                                 make_user):
    district = make_org("东城区总工会")
    enterprise = make_org("机械厂工会", parent=make_org("街道工会", parent=district))
    officer = make_user(Role.OFFICER, scope=district)
    assert "机械厂工会" in client.get("/register").get_data(as_text=True)
    assert register(client, organisation_id=str(enterprise.id)).status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == GOOD["email"]))
    assert user.organisation_id == enterprise.id
    client.post("/logout")
    with client.session_transaction() as session:
        session["_user_id"] = officer.get_id()
    assert "张三" in client.get("/admin/users").get_data(as_text=True)


def test_unknown_union_is_refused(client):
    response = register(client, organisation_id="999")
    assert response.status_code == 200
    assert "不是有效的选择" in response.get_data(as_text=True)
    assert count(User) == 0
