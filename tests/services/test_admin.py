"""Administration of users, organisations and administrative units."""

from datetime import date

import pytest
from sqlalchemy import select

from app.models import AdminUnit, AuditLog, Organisation, User
from app.services import scope
from app.services.admin import (
    create_user,
    reset_password,
    save_organisation,
    save_unit,
    set_user_active,
    update_user,
)
from app.services.auth import authenticate, open_session, user_for_session
from app.services.households import RegistryError
from tests.factories import PASSWORD, make_organisation, make_user


def user_data(world, **overrides) -> dict:
    return {
        "username": "canbo.moi",
        "full_name": " Cán Bộ Mới ",
        "role": "staff",
        "organisation_id": None,
        "scope_unit_id": world.commune_a.id,
        "locale": "vi",
        "password": "mat khau dai du",
    } | overrides


def edit_data(user: User, **overrides) -> dict:
    data = {f: getattr(user, f) for f in ("full_name", "role", "organisation_id", "scope_unit_id", "locale")}
    return data | overrides


def unit_data(unit: AdminUnit | None = None, **overrides) -> dict:
    fields = ("code", "name", "kind", "parent_id", "valid_from", "valid_to", "successor_id", "note")
    data = {f: getattr(unit, f) for f in fields} if unit else dict.fromkeys(fields)
    return data | overrides


@pytest.fixture
def commune_admin(world, db):
    user = make_user("admin", world.commune_a, "admin.a")
    db.session.flush()
    return user


def _audit(db, action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def test_create_user_hashes_the_password_and_audits_without_it(world, db):
    user = create_user(world.users.admin, user_data(world, username=" CanBo.Moi "), ip="10.0.0.2")
    db.session.flush()

    assert (user.username, user.full_name, user.active) == ("canbo.moi", "Cán Bộ Mới", True)
    assert user.password_hash != "mat khau dai du"
    assert user.check_password("mat khau dai du")
    assert authenticate("canbo.moi", "mat khau dai du", ip=None).user.id == user.id
    row = _audit(db, "create")[0]
    assert (row.object_type, row.object_id, row.ip) == ("users", user.id, "10.0.0.2")
    assert "password" not in row.changes and "password_hash" not in row.changes
    assert "mat khau" not in str(row.changes)


@pytest.mark.parametrize("username", ["staff.a", "STAFF.A", " staff.a "])
def test_create_user_refuses_a_taken_username(world, db, username):
    with pytest.raises(RegistryError) as error:
        create_user(world.users.admin, user_data(world, username=username), ip=None)

    assert error.value.field == "username"


def test_create_user_refuses_a_scope_unit_outside_the_admin_scope(world, commune_admin):
    for unit in (world.commune_b, world.village_b1, world.district, world.province):
        with pytest.raises(RegistryError) as error:
            create_user(commune_admin, user_data(world, scope_unit_id=unit.id), ip=None)
        assert error.value.field == "scope_unit_id"

    assert create_user(commune_admin, user_data(world, scope_unit_id=world.village_a1.id), ip=None).id


def test_create_user_refuses_an_organisation_outside_the_admin_scope(world, commune_admin, db):
    org_b = make_organisation(world.commune_b, "Hội Nông dân xã B")
    db.session.flush()

    for org_id in (org_b.id, 10**9):
        with pytest.raises(RegistryError) as error:
            create_user(commune_admin, user_data(world, organisation_id=org_id), ip=None)
        assert error.value.field == "organisation_id"


def test_update_user_refuses_to_remove_the_admin_own_admin_role(world, db):
    admin = world.users.admin

    with pytest.raises(RegistryError) as error:
        update_user(admin, admin, edit_data(admin, role="manager"), ip=None)

    assert error.value.field == "role"
    assert admin.role == "admin"


def test_update_user_may_change_another_admin_role(world, db):
    other = make_user("admin", world.district, "admin.khac")

    update_user(world.users.admin, other, edit_data(other, role="manager"), ip=None)

    assert other.role == "manager"


@pytest.mark.parametrize("change", ["scope", "role"])
def test_a_change_of_scope_or_role_revokes_the_user_sessions(world, db, change):
    user = world.users.staff_a
    session = open_session(user, ip=None)
    db.session.flush()
    data = (
        edit_data(user, scope_unit_id=world.village_a1.id)
        if change == "scope"
        else edit_data(user, role="supervisor")
    )

    update_user(world.users.admin, user, data, ip=None)
    db.session.flush()

    assert user_for_session(session.token) is None
    assert len(_audit(db, "update")) == 1


def test_a_change_of_name_keeps_the_sessions(world, db):
    user = world.users.staff_a
    session = open_session(user, ip=None)

    update_user(world.users.admin, user, edit_data(user, full_name="Tên Mới"), ip=None)

    assert user_for_session(session.token).id == user.id
    assert [r.changes for r in _audit(db, "update")] == [{"full_name": ["Người dùng staff", "Tên Mới"]}]


def test_update_user_refuses_a_scope_outside_the_admin_scope(world, commune_admin):
    user = world.users.supervisor_a

    with pytest.raises(RegistryError) as error:
        update_user(commune_admin, user, edit_data(user, scope_unit_id=world.commune_b.id), ip=None)

    assert error.value.field == "scope_unit_id"


def test_an_admin_cannot_deactivate_themself(world, db):
    admin = world.users.admin

    with pytest.raises(RegistryError) as error:
        set_user_active(admin, admin, False, ip=None)

    assert error.value.field == "active"
    assert admin.active is True


def test_deactivation_revokes_sessions_and_reactivation_restores_login(world, db):
    user = world.users.staff_b
    session = open_session(user, ip=None)
    db.session.flush()

    set_user_active(world.users.admin, user, False, ip=None)
    db.session.flush()

    assert user.active is False
    assert user_for_session(session.token) is None
    assert authenticate("staff.b", PASSWORD, ip=None).user is None

    set_user_active(world.users.admin, user, True, ip=None)
    assert authenticate("staff.b", PASSWORD, ip=None).user.id == user.id
    assert user_for_session(session.token) is None  # the old cookie stays dead
    assert [r.action for r in db.session.scalars(select(AuditLog).where(AuditLog.object_type == "users"))][
        :2
    ] == [
        "deactivate",
        "reactivate",
    ]


def test_setting_the_same_state_writes_nothing(world, db):
    set_user_active(world.users.admin, world.users.staff_b, True, ip=None)

    assert _audit(db, "reactivate") == [] and _audit(db, "deactivate") == []


def test_reset_password_returns_a_working_password_and_ends_sessions(world, db):
    user = world.users.staff_a
    session = open_session(user, ip=None)
    db.session.flush()

    new = reset_password(world.users.admin, user, ip=None)
    db.session.flush()

    assert new and new != PASSWORD
    assert user_for_session(session.token) is None
    assert authenticate("staff.a", PASSWORD, ip=None).user is None
    assert authenticate("staff.a", new, ip=None).user.id == user.id
    assert reset_password(world.users.admin, user, ip=None) != new
    assert new not in str([r.changes for r in _audit(db, "reset_password")])


def test_save_organisation_creates_and_updates_with_audit(world, db):
    admin = world.users.admin

    org = save_organisation(
        admin,
        None,
        {"name": " Hội Phụ nữ xã B ", "kind": "mass_organisation", "unit_id": world.commune_b.id},
        ip=None,
    )
    save_organisation(
        admin,
        org,
        {
            "name": "Hội Phụ nữ xã B",
            "kind": "mass_organisation",
            "unit_id": world.commune_b.id,
            "active": False,
        },
        ip=None,
    )
    db.session.flush()

    assert (org.name, org.kind, org.unit_id, org.active) == (
        "Hội Phụ nữ xã B",
        "mass_organisation",
        world.commune_b.id,
        False,
    )
    rows = list(
        db.session.scalars(
            select(AuditLog).where(AuditLog.object_type == "organisations").order_by(AuditLog.id)
        )
    )
    assert [r.action for r in rows] == ["create", "update"]
    assert rows[1].changes == {"active": [True, False]}


def test_save_organisation_refuses_a_unit_outside_the_admin_scope(world, commune_admin, db):
    with pytest.raises(RegistryError) as error:
        save_organisation(
            commune_admin, None, {"name": "X", "kind": "other", "unit_id": world.commune_b.id}, ip=None
        )

    assert error.value.field == "unit_id"
    assert db.session.scalars(select(Organisation).where(Organisation.name == "X")).first() is None


def test_save_unit_creates_a_unit_with_its_path_and_it_joins_the_scope(world, db):
    village = save_unit(
        world.users.admin,
        None,
        unit_data(code="99901-03", name="Thôn Mới", kind="village", parent_id=world.commune_a.id),
        ip=None,
    )
    db.session.flush()
    scope.forget_units()

    assert village.path == f"{world.commune_a.path}{village.id}/"
    assert village.depth == world.commune_a.depth + 1 == 3
    assert village.id in scope.scope_unit_ids(world.users.staff_a)
    assert village.id not in scope.scope_unit_ids(world.users.staff_b)
    assert [r.object_id for r in _audit(db, "create") if r.object_type == "admin_units"] == [village.id]


def test_moving_a_unit_recomputes_the_paths_below_it(world, db):
    commune_a = world.commune_a
    new_district = save_unit(
        world.users.admin,
        None,
        unit_data(code="998", name="Huyện Mới", kind="district", parent_id=world.district.id),
        ip=None,
    )
    scope.forget_units()  # a new request: the request's unit index predates the new district
    save_unit(world.users.admin, commune_a, unit_data(commune_a, parent_id=new_district.id), ip=None)
    db.session.flush()
    scope.forget_units()

    for village in (world.village_a1, world.village_a2):
        assert village.path == f"{world.district.path}{new_district.id}/{commune_a.id}/{village.id}/"
        assert village.depth == 4


@pytest.mark.parametrize("new_parent", ["commune_a", "village_a1", "village_a2"])
def test_save_unit_refuses_a_parent_cycle(world, db, new_parent):
    commune_a = world.commune_a

    with pytest.raises(RegistryError) as error:
        save_unit(
            world.users.admin,
            commune_a,
            unit_data(commune_a, parent_id=getattr(world, new_parent).id),
            ip=None,
        )

    assert error.value.field == "parent_id"
    db.session.rollback()
    assert db.session.get(AdminUnit, commune_a.id).parent_id == world.district.id


def test_save_unit_refuses_a_parent_outside_the_admin_scope(world, commune_admin):
    with pytest.raises(RegistryError) as error:
        save_unit(
            commune_admin,
            None,
            unit_data(code="99902-09", name="Thôn X", kind="village", parent_id=world.commune_b.id),
            ip=None,
        )

    assert error.value.field == "parent_id"


def test_save_unit_refuses_the_unit_as_its_own_successor(world):
    commune_b = world.commune_b

    with pytest.raises(RegistryError) as error:
        save_unit(world.users.admin, commune_b, unit_data(commune_b, successor_id=commune_b.id), ip=None)

    assert error.value.field == "successor_id"


def test_save_unit_refuses_reversed_dates(world):
    with pytest.raises(RegistryError) as error:
        save_unit(
            world.users.admin,
            None,
            unit_data(
                code="99901-04",
                name="Thôn Ngược",
                kind="village",
                parent_id=world.commune_a.id,
                valid_from=date(2021, 1, 1),
                valid_to=date(2020, 12, 31),
            ),
            ip=None,
        )

    assert error.value.field == "valid_to"


def test_save_unit_accepts_a_one_day_unit(world):
    unit = save_unit(
        world.users.admin,
        None,
        unit_data(
            code="99901-05",
            name="Thôn Một Ngày",
            kind="village",
            parent_id=world.commune_a.id,
            valid_from=date(2021, 1, 1),
            valid_to=date(2021, 1, 1),
        ),
        ip=None,
    )

    assert unit.valid_from == unit.valid_to == date(2021, 1, 1)


def test_save_unit_refuses_a_code_taken_for_the_same_start(world):
    with pytest.raises(RegistryError) as error:
        save_unit(
            world.users.admin,
            None,
            unit_data(code="99901-01", name="Trùng", kind="village", parent_id=world.commune_a.id),
            ip=None,
        )

    assert error.value.field == "code"


def test_a_merge_saved_through_save_unit_widens_the_successor_scope(world, db):
    commune_b = world.commune_b
    save_unit(
        world.users.admin,
        commune_b,
        unit_data(commune_b, valid_to=date(2020, 1, 31), successor_id=world.commune_a.id),
        ip=None,
    )
    db.session.flush()
    scope.forget_units()

    assert world.village_b1.id in scope.scope_unit_ids(world.users.staff_a)
    assert world.village_a1.id not in scope.scope_unit_ids(world.users.staff_b)
