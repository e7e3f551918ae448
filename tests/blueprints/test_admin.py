"""Administration: admins only (every /admin route, from the URL map), users, organisations, units."""

import re

import pytest
from sqlalchemy import select

from app.models import AdminUnit, AuditLog, Organisation, User
from tests.blueprints.helpers import RULES, build_url, location_path, parse, rule_for
from tests.factories import PASSWORD

ADMIN_CASES = [
    pytest.param(rule.rule, rule.endpoint, method, id=f"{method} {rule.rule}")
    for rule in RULES
    if rule.rule.startswith("/admin/")
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
]


def _login(client, username: str, password: str):
    client.refresh_csrf()
    return client.post(
        "/auth/login", data={"username": username, "password": password, "csrf_token": client.csrf}
    )


def _user_form(world, **changes) -> dict:
    data = {
        "username": "can.bo.moi",
        "full_name": "Cán Bộ Mới",
        "email": " Can.Bo.Moi@BachThong.gov.vn ",
        "role": "staff",
        "organisation_id": "",
        "scope_unit_id": str(world.commune_a.id),
        "locale": "vi",
        "password": "mat khau rat dai 1",
        "confirm": "mat khau rat dai 1",
    }
    data.update(changes)
    return data


def _edit_user_form(world, user, **changes) -> dict:
    data = {
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "organisation_id": str(user.organisation_id or ""),
        "scope_unit_id": str(user.scope_unit_id),
        "locale": user.locale,
    }
    data.update(changes)
    return data


def test_admin_routes_are_all_covered():
    assert len(ADMIN_CASES) >= 12


@pytest.mark.parametrize("role", ["staff", "manager", "supervisor_a"])
@pytest.mark.parametrize(("rule_text", "endpoint", "method"), ADMIN_CASES)
def test_only_admins_reach_admin_routes(app, world, db, login_as, role, rule_text, endpoint, method):
    user = getattr(world.users, role)
    client = login_as(user)
    url = build_url(app, world, rule_for(app, rule_text, endpoint))
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post_form(url, {"active": "0", "name": "Bị đổi", "full_name": "Bị đổi"})
    assert response.status_code == 403
    denied = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "access_denied", AuditLog.actor_id == user.id)
    ).all()
    assert len(denied) == 1
    assert denied[0].changes["endpoint"] == endpoint
    assert db.session.get(User, world.users.staff_a.id).active is True


@pytest.mark.parametrize("url", ["/admin/users", "/admin/organisations", "/admin/units"])
def test_admin_reaches_admin_pages(world, login_as, url):
    assert login_as(world.users.admin).get(url).status_code == 200


def test_non_admins_do_not_see_the_administration_link(world, login_as):
    for user, visible in ((world.users.admin, True), (world.users.manager, False)):
        links = [a.attrs.get("href") for a in parse(login_as(user).get("/")).find_all("a")]
        assert ("/admin/users" in links) is visible


def test_user_list_search_fragment(world, login_as):
    client = login_as(world.users.admin)
    response = client.htmx_get("/admin/users?q=staff.a", target="user-results")
    assert response.status_code == 200
    roots = parse(response).roots
    assert [r.id for r in roots] == ["user-results"]
    assert "staff.a" in roots[0].text and "manager.t" not in roots[0].text
    assert "HX-Request" in response.headers.get("Vary", "")


# -- users ----------------------------------------------------------------------------------------


def test_admin_creates_a_user_who_can_log_in(world, db, login_as, new_client):
    client = login_as(world.users.admin)
    assert client.get("/admin/users/new").status_code == 200
    response = client.post_form("/admin/users/new", _user_form(world))
    assert response.status_code == 302
    assert location_path(response) == "/admin/users"
    user = db.session.scalars(select(User).where(User.username == "can.bo.moi")).one()
    assert (user.role, user.scope_unit_id, user.active) == ("staff", world.commune_a.id, True)
    assert user.email == "can.bo.moi@bachthong.gov.vn"  # trimmed and lower-cased
    assert user.password_hash != "mat khau rat dai 1"
    assert db.session.scalars(
        select(AuditLog).where(AuditLog.action == "create", AuditLog.object_id == user.id)
    ).first()
    assert _login(new_client(), "can.bo.moi", "mat khau rat dai 1").status_code == 302


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"username": "staff.a"}, "username"),
        ({"username": "STAFF.A"}, "username"),
        ({"password": "short", "confirm": "short"}, "password"),
        ({"confirm": "something else entirely"}, "confirm"),
        ({"username": "có dấu"}, "username"),
        ({"full_name": ""}, "full_name"),
        ({"scope_unit_id": "999999"}, "scope_unit_id"),
        ({"email": "khong-phai-thu"}, "email"),
    ],
    ids=[
        "duplicate",
        "duplicate-case",
        "short-password",
        "mismatch",
        "bad-username",
        "no-name",
        "bad-scope",
        "bad-email",
    ],
)
def test_user_validation_answers_422(world, db, login_as, changes, field):
    before = db.session.scalars(select(User.id)).all()
    response = login_as(world.users.admin).post_form("/admin/users/new", _user_form(world, **changes))
    assert response.status_code == 422
    doc = parse(response)
    wrappers = [e for e in doc.find_all("div") if "has-error" in (e.attrs.get("class") or "").split()]
    assert any(e.find_all(name=field) for e in wrappers), field
    assert sorted(db.session.scalars(select(User.id)).all()) == sorted(before)


def test_deactivated_user_loses_their_session_and_cannot_log_in(world, db, login_as, new_client):
    staff_a = login_as(world.users.staff_a)
    assert staff_a.get("/").status_code == 200
    admin = login_as(world.users.admin)
    response = admin.post_form(f"/admin/users/{world.users.staff_a.id}/active", {"active": "0"})
    assert response.status_code == 303
    assert db.session.get(User, world.users.staff_a.id).active is False

    dead = staff_a.get("/households")
    assert dead.status_code == 302 and location_path(dead) == "/auth/login"
    assert staff_a.get("/api/v1/households").status_code == 401
    assert _login(new_client(), "staff.a", PASSWORD).status_code != 302

    again = admin.post_form(f"/admin/users/{world.users.staff_a.id}/active", {"active": "1"})
    assert again.status_code == 303
    assert _login(new_client(), "staff.a", PASSWORD).status_code == 302


def test_admin_cannot_deactivate_themself(world, db, login_as):
    admin = login_as(world.users.admin)
    admin.post_form(f"/admin/users/{world.users.admin.id}/active", {"active": "0"})
    assert db.session.get(User, world.users.admin.id).active is True
    assert admin.get("/admin/users").status_code == 200


def test_password_reset_shows_a_new_password_once_and_it_works(world, db, login_as, new_client):
    staff_a = login_as(world.users.staff_a)
    admin = login_as(world.users.admin)
    response = admin.post_form(f"/admin/users/{world.users.staff_a.id}/password", {})
    assert response.status_code == 303
    page = admin.get(response.headers["Location"])
    flashes = parse(page).by_id("flashes").text
    user = db.session.get(User, world.users.staff_a.id)
    candidates = [w for w in re.findall(r"[A-Za-z0-9_\-]{10,}", flashes) if user.check_password(w)]
    assert len(candidates) == 1, "the flash shows the new password"
    new_password = candidates[0]
    assert "staff.a" in flashes

    again = admin.get("/admin/users")
    assert new_password not in again.get_data(as_text=True), "shown only once"
    assert staff_a.get("/").status_code == 302, "the old session ends"
    assert _login(new_client(), "staff.a", PASSWORD).status_code != 302
    assert _login(new_client(), "staff.a", new_password).status_code == 302
    assert db.session.scalars(select(AuditLog).where(AuditLog.action == "reset_password")).first()
    audit_text = str([r.changes for r in db.session.scalars(select(AuditLog))])
    assert new_password not in audit_text


def test_changing_a_users_scope_takes_effect_at_next_login(world, db, login_as):
    staff_a = login_as(world.users.staff_a)
    assert staff_a.get(f"/households/{world.households.pao.id}").status_code == 404
    admin = login_as(world.users.admin)
    response = admin.post_form(
        f"/admin/users/{world.users.staff_a.id}/edit",
        _edit_user_form(
            world, world.users.staff_a, scope_unit_id=str(world.commune_b.id), organisation_id=""
        ),
    )
    assert response.status_code == 302
    assert db.session.get(User, world.users.staff_a.id).scope_unit_id == world.commune_b.id
    assert staff_a.get("/").status_code == 302, "sessions end when the rights change"
    moved = login_as(world.users.staff_a)
    assert moved.get(f"/households/{world.households.pao.id}").status_code == 200
    assert moved.get(f"/households/{world.households.duc.id}").status_code == 404


def test_user_edit_page_renders_the_current_values(world, login_as):
    doc = parse(login_as(world.users.admin).get(f"/admin/users/{world.users.staff_a.id}/edit"))
    selects = {s.attrs.get("name"): s for s in doc.find_all("select")}
    chosen = [
        o.attrs.get("value") for o in selects["scope_unit_id"].find_all("option") if "selected" in o.attrs
    ]
    assert chosen == [str(world.commune_a.id)]


def test_admin_cannot_drop_their_own_admin_role(world, db, login_as):
    admin = login_as(world.users.admin)
    response = admin.post_form(
        f"/admin/users/{world.users.admin.id}/edit", _edit_user_form(world, world.users.admin, role="staff")
    )
    assert response.status_code == 422
    assert db.session.get(User, world.users.admin.id).role == "admin"


# -- organisations and units ----------------------------------------------------------------------


def test_organisation_create_and_edit(world, db, login_as):
    client = login_as(world.users.admin)
    assert client.get("/admin/organisations/new").status_code == 200
    data = {
        "name": "Hội Phụ nữ xã",
        "kind": "mass_organisation",
        "unit_id": str(world.commune_a.id),
        "active": "y",
    }
    response = client.post_form("/admin/organisations/new", data)
    assert response.status_code == 302
    org = db.session.scalars(select(Organisation).where(Organisation.name == "Hội Phụ nữ xã")).one()
    assert (org.kind, org.unit_id, org.active) == ("mass_organisation", world.commune_a.id, True)

    edited = client.post_form(
        f"/admin/organisations/{org.id}/edit", data | {"name": "Hội LHPN xã", "active": ""}
    )
    assert edited.status_code == 302
    org = db.session.get(Organisation, org.id)
    assert org.name == "Hội LHPN xã"
    assert "Hội LHPN xã" in client.get("/admin/organisations").get_data(as_text=True)


def test_organisation_validation(world, db, login_as):
    client = login_as(world.users.admin)
    response = client.post_form("/admin/organisations/new", {"name": "", "kind": "bank", "unit_id": ""})
    assert response.status_code == 422
    assert db.session.scalars(select(Organisation).where(Organisation.kind == "bank")).first() is None


def _unit_form(**changes) -> dict:
    data = {"code": "99901-03", "name": "Thôn Mới", "kind": "village", "parent_id": "", "note": ""}
    data.update(changes)
    return data


def test_unit_create_and_edit(world, db, login_as):
    client = login_as(world.users.admin)
    assert client.get(f"/admin/units/new?parent={world.commune_a.id}").status_code == 200
    response = client.post_form("/admin/units/new", _unit_form(parent_id=str(world.commune_a.id)))
    assert response.status_code == 302
    unit = db.session.scalars(select(AdminUnit).where(AdminUnit.code == "99901-03")).one()
    assert unit.parent_id == world.commune_a.id
    assert unit.path.startswith(db.session.get(AdminUnit, world.commune_a.id).path)

    edited = client.post_form(
        f"/admin/units/{unit.id}/edit", _unit_form(name="Thôn Mới Đổi", parent_id=str(world.commune_a.id))
    )
    assert edited.status_code == 302
    assert db.session.get(AdminUnit, unit.id).name == "Thôn Mới Đổi"
    units = login_as(world.users.staff_a).get("/api/v1/units").get_json()
    assert "99901-03" in {u["code"] for u in units["items"]}


@pytest.mark.parametrize("parent", ["self", "child"])
def test_unit_cycle_is_refused(world, db, login_as, parent):
    district = world.district
    parent_id = district.id if parent == "self" else world.commune_a.id
    response = login_as(world.users.admin).post_form(
        f"/admin/units/{district.id}/edit",
        _unit_form(code="999", name=district.name, kind="district", parent_id=str(parent_id)),
    )
    assert response.status_code == 422
    doc = parse(response)
    wrappers = [e for e in doc.find_all("div") if "has-error" in (e.attrs.get("class") or "").split()]
    assert any(e.find_all(name="parent_id") for e in wrappers)
    assert db.session.get(AdminUnit, district.id).parent_id == world.province.id


def test_unit_with_reversed_dates_is_refused(world, db, login_as):
    response = login_as(world.users.admin).post_form(
        "/admin/units/new",
        _unit_form(parent_id=str(world.commune_a.id), valid_from="2025-07-01", valid_to="2020-01-01"),
    )
    assert response.status_code == 422
    assert db.session.scalars(select(AdminUnit).where(AdminUnit.code == "99901-03")).first() is None
