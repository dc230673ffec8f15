"""User administration: search, paginate, roles, organisations, deactivation, audit."""

import sqlalchemy as sa

from lms.accounts.models import Organisation, OrganisationKind, Role
from lms.audit.models import AuditEntry
from lms.extensions import db
from tests.conftest import count_queries


def audit_entries(action):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


def test_admin_searches_users_by_name_email_and_role(client, login_as, make_user):
    make_user(name="王小红", email="wang@example.cn")
    make_user(Role.TRAINER, name="赵老师", email="zhao@example.cn")
    login_as(make_user(Role.ADMIN, name="管理员"))
    by_name = client.get("/admin/users?q=小红").get_data(as_text=True)
    assert "王小红" in by_name and "赵老师" not in by_name
    by_email = client.get("/admin/users?q=ZHAO@").get_data(as_text=True)
    assert "赵老师" in by_email and "王小红" not in by_email
    by_role = client.get("/admin/users?role=trainer").get_data(as_text=True)
    assert "赵老师" in by_role and "王小红" not in by_role


def test_user_list_paginates_with_a_fixed_number_of_queries(client, login_as, make_user,
                                                              make_org):
    org = make_org()
    admin = make_user(Role.ADMIN)
    login_as(admin)
    for n in range(3):
        make_user(org=org, name=f"学员{n}")
    with count_queries() as few:
        assert client.get("/admin/users").status_code == 200
    for n in range(30):
        make_user(org=org, name=f"学员{n + 3}")
    with count_queries() as many:
        page = client.get("/admin/users").get_data(as_text=True)
    assert len(many) == len(few)  # no query per row
    assert 'href="/admin/users?page=2"' in page


def test_admin_grants_and_revokes_a_scoped_role_with_audit(client, login_as, make_user,
                                                           make_org):
    district = make_org("东城区总工会")
    admin = make_user(Role.ADMIN)
    target = make_user()
    login_as(admin)
    client.post(f"/admin/users/{target.id}/roles",
                data={"role": "officer", "organisation_id": district.id})
    assignment = next(a for a in target.role_assignments if a.role == Role.OFFICER)
    assert assignment.organisation_id == district.id and assignment.granted_by_id == admin.id
    [granted] = audit_entries("user.role_granted")
    assert granted.actor_id == admin.id and granted.object_id == str(target.id)
    assert granted.after == {"role": "officer", "organisation_id": district.id}
    assert granted.ip == "127.0.0.1"

    client.post(f"/admin/users/{target.id}/roles/{assignment.id}/revoke")
    assert Role.OFFICER not in target.roles
    [revoked] = audit_entries("user.role_revoked")
    assert revoked.before == {"role": "officer", "organisation_id": district.id}


def test_admin_cannot_lock_themselves_out(client, login_as, make_user):
    admin = make_user(Role.ADMIN)
    login_as(admin)
    client.post(f"/admin/users/{admin.id}/active", data={"active": "0"})
    client.post(f"/admin/users/{admin.id}/roles/{admin.role_assignments[0].id}/revoke")
    assert admin.active and Role.ADMIN in admin.roles


def test_admin_builds_the_organisation_tree(client, login_as, make_user):
    login_as(make_user(Role.ADMIN))
    client.post("/admin/organisations", data={"name": "示范市总工会", "code": "city",
                                              "parent_id": ""})
    city = db.session.scalar(sa.select(Organisation).where(Organisation.code == "city"))
    client.post("/admin/organisations", data={"name": "东城区总工会", "code": "dongcheng",
                                              "parent_id": city.id})
    district = db.session.scalar(sa.select(Organisation).where(
        Organisation.code == "dongcheng"))
    assert city.kind == OrganisationKind.FEDERATION and district.kind == OrganisationKind.DISTRICT
    assert district.path == f"/{city.id}/{district.id}/"
    duplicate = client.post("/admin/organisations", data={"name": "重复", "code": "CITY",
                                                          "parent_id": ""})
    assert "该代码已被其他组织使用" in duplicate.get_data(as_text=True)
    assert len(audit_entries("organisation.created")) == 2


def test_enterprise_union_cannot_have_children(client, login_as, make_user, make_org):
    enterprise = make_org("企业工会", parent=make_org(parent=make_org(parent=make_org())))
    login_as(make_user(Role.ADMIN))
    response = client.post("/admin/organisations", data={
        "name": "下级", "code": "too-deep", "parent_id": enterprise.id})
    assert "企业工会是组织树的最底层" in response.get_data(as_text=True)


def test_audit_log_lists_decisions_for_platform_admins(client, login_as, make_user):
    admin = make_user(Role.ADMIN, name="审计管理员")
    target = make_user()
    login_as(admin)
    client.post(f"/admin/users/{target.id}/active", data={"active": "0"})
    page = client.get("/admin/audit/?action=user.").get_data(as_text=True)
    assert "user.deactivated" in page and "审计管理员" in page


def test_profile_edit_is_audited_without_the_id_number(client, login_as, make_user):
    user = make_user()
    login_as(user)
    client.post("/account/profile", data={"real_name": "新名字", "mobile": "13900139000",
                                          "locale": "zh_CN", "id_number": "11010519491231002X",
                                          "consent_id_number": "y"})
    [entry] = audit_entries("user.profile_updated")
    assert entry.after["real_name"] == "新名字"
    assert entry.after["id_number"] == "1101**********002X"
    assert "11010519491231002X" not in str(entry.before) + str(entry.after)
