"""The household registry: audited edits of households and members (searching: test_households_search.py)."""

import re
from datetime import date

import pytest
from sqlalchemy import select, text

from app.models import AuditLog, Household, Member, PovertyCause
from app.services import scope
from app.services.households import (
    HouseholdFilter,
    RegistryError,
    add_member,
    create_household,
    search_households,
    update_household,
    update_member,
)
from tests.factories import day, make_household, make_unit

CITIZEN_ID = "001203045678"
OTHER_ID = "034195001234"
TWELVE_DIGITS = re.compile(r"\d{12}")


def codes(user, **flt) -> list[str]:
    return [h.code for h in search_households(user, HouseholdFilter(**flt)).items]


def cause(db, code: str) -> PovertyCause:
    return db.session.scalars(select(PovertyCause).where(PovertyCause.code == code)).one()


def audit_rows(db, action: str | None = None, object_type: str | None = None) -> list[AuditLog]:
    stmt = select(AuditLog).order_by(AuditLog.id)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    if object_type:
        stmt = stmt.where(AuditLog.object_type == object_type)
    return list(db.session.scalars(stmt))


def stored_audit_json(db) -> list[str]:
    """``audit_log.changes`` as the database stores it."""
    return [t for t in db.session.execute(text("SELECT CAST(changes AS TEXT) FROM audit_log")).scalars() if t]


def household_data(world, **overrides) -> dict:
    return {
        "code": "",
        "head_name": "Lục Văn Tài",
        "ethnicity": "Tày",
        "unit_id": world.village_a1.id,
        "address": "Thôn Nà Pài, xã Cẩm Giàng",
        "area": None,
        "phone": None,
        "notes": None,
        "head_sex": "male",
        "head_birth_year": 1970,
        "cause_ids": [],
        "need_ids": [],
    } | overrides


def edit_data(household: Household, **overrides) -> dict:
    """The edit form of ``household`` as it stands, with ``overrides``."""
    data = {
        f: getattr(household, f)
        for f in ("code", "head_name", "ethnicity", "unit_id", "address", "area", "phone", "notes")
    }
    data["cause_ids"] = [c.id for c in household.causes]
    data["need_ids"] = [n.id for n in household.needs]
    return data | overrides


def member_data(**overrides) -> dict:
    return {
        "full_name": "Nguyễn Thị Hoa",
        "relation": "spouse",
        "sex": "female",
        "birth_year": 1980,
        "ethnicity": "Tày",
        "citizen_id": "",
        "occupation": "Làm ruộng",
        "health_insurance_card": None,
        "schooling": None,
        "has_disability": False,
    } | overrides


def test_search_finds_a_member_name_and_citizen_id(world, db):
    add_member(
        world.users.staff_a, world.households.lan, member_data(full_name="Vi Văn Sáng", citizen_id=CITIZEN_ID)
    )
    db.session.flush()

    assert codes(world.users.admin, q=CITIZEN_ID) == ["A-0002"]
    assert codes(world.users.admin, q=CITIZEN_ID[:7]) == ["A-0002"]
    assert codes(world.users.admin, q="vi van sang") == ["A-0002"]
    assert codes(world.users.staff_b, q=CITIZEN_ID) == []


def test_name_sort_ignores_diacritics(world, db):
    make_household(world.village_a1, "Đàm Văn Ân", code="A-0003")
    make_household(world.village_a1, "Ân Thị Mai", code="A-0004")
    db.session.flush()

    # ân thi mai < dam van an < giang ... < hoang ... < nguyen ...
    assert codes(world.users.admin, sort="name") == ["A-0004", "A-0003", "B-0001", "A-0002", "A-0001"]


def test_the_total_counts_every_match_not_only_the_page(world, db):
    for i in range(7):
        make_household(world.village_a2, f"Nông Văn {i}", code=f"A-1{i:03d}")
    db.session.flush()

    result = search_households(
        world.users.staff_a, HouseholdFilter(q="nong van", sort="code", per_page=3, page=3)
    )

    assert (result.total, result.pages, result.page) == (7, 3, 3)
    assert [h.code for h in result.items] == ["A-1006"]


def test_create_household_generates_the_next_code_of_the_commune(world, db):
    staff_a = world.users.staff_a

    first = create_household(staff_a, household_data(world))
    second = create_household(
        staff_a, household_data(world, head_name="Lục Thị Hà", unit_id=world.village_a2.id)
    )

    assert (first.code, second.code) == ("99901-0001", "99901-0002")


def test_the_generated_code_follows_the_highest_number_in_the_commune(world, db):
    make_household(world.village_a1, "Hộ Cũ", code="99901-0041")
    make_household(world.village_b1, "Hộ Khác", code="99902-0077")
    db.session.flush()

    assert create_household(world.users.staff_a, household_data(world)).code == "99901-0042"
    data = household_data(world, unit_id=world.village_b1.id)
    assert create_household(world.users.staff_b, data).code == "99902-0078"


def test_create_household_keeps_a_given_code_stripped(world):
    household = create_household(world.users.staff_a, household_data(world, code="  A-0100 "))

    assert household.code == "A-0100"


def test_create_household_builds_the_head_member_and_the_search_text(world, db):
    data = household_data(world, head_sex="female", head_birth_year=1966, head_name="Hà Thị Nguyệt")
    data["cause_ids"] = [cause(db, "NO_CAPITAL").id]

    household = create_household(world.users.staff_a, data)
    db.session.flush()

    assert [(m.full_name, m.relation, m.sex, m.birth_year, m.ethnicity) for m in household.members] == [
        ("Hà Thị Nguyệt", "head", "female", 1966, "Tày")
    ]
    assert household.sort_name == "ha thi nguyet"
    assert "ha thi nguyet" in household.search_text
    assert household.status == "other"
    assert [c.code for c in household.causes] == ["NO_CAPITAL"]
    assert codes(world.users.staff_a, q="nguyet") == [household.code]


def test_create_household_writes_an_audit_row(world, db):
    household = create_household(world.users.staff_a, household_data(world), ip="10.0.0.7")
    db.session.flush()

    rows = audit_rows(db, "create", "households")
    assert len(rows) == 1
    row = rows[0]
    assert (row.object_id, row.actor_id, row.actor_name, row.ip) == (
        household.id,
        world.users.staff_a.id,
        "staff.a",
        "10.0.0.7",
    )
    assert row.changes["head_name"] == "Lục Văn Tài"
    assert row.changes["code"] == household.code
    assert row.changes["unit_id"] == world.village_a1.id


def test_the_area_defaults_from_the_commune_kind(world, db):
    town = make_unit("99904", "Thị trấn Thử", "town", world.district)
    street = make_unit("99904-01", "Tổ dân phố 1", "village", town)
    db.session.flush()
    scope.forget_units()
    admin = world.users.admin

    assert create_household(admin, household_data(world, unit_id=street.id)).area == "urban"
    assert create_household(admin, household_data(world)).area == "rural"
    assert create_household(admin, household_data(world, area="urban")).area == "urban"


@pytest.mark.parametrize("unit", ["village_b1", "commune_a", "district"])
def test_create_household_refuses_a_unit_that_is_not_a_village_in_scope(world, unit):
    with pytest.raises(RegistryError) as error:
        create_household(world.users.staff_a, household_data(world, unit_id=getattr(world, unit).id))

    assert error.value.field == "unit_id"


def test_create_household_refuses_an_unknown_or_past_village(world, db):
    old = make_unit("99901-09", "Thôn Đã Nhập", "village", world.commune_a, valid_to=day("2020-01-31"))
    db.session.flush()
    scope.forget_units()

    for unit_id in (old.id, 10**9):
        with pytest.raises(RegistryError) as error:
            create_household(world.users.staff_a, household_data(world, unit_id=unit_id))
        assert error.value.field == "unit_id"
    assert db.session.scalar(select(Household.id).where(Household.unit_id == old.id)) is None


def test_create_household_refuses_a_code_taken_anywhere(world, db):
    # B-0001 is outside staff.a's scope, and still taken
    for taken in ("A-0001", "B-0001", " B-0001 "):
        with pytest.raises(RegistryError) as error:
            create_household(world.users.staff_a, household_data(world, code=taken))
        assert error.value.field == "code"
    assert audit_rows(db, "create") == []


def test_update_household_renames_the_head_member_and_rebuilds_the_search_text(world, db):
    duc = world.households.duc

    update_household(world.users.staff_a, duc, edit_data(duc, head_name="Nguyễn Văn Đạt"))
    db.session.flush()

    assert [m.full_name for m in duc.members if m.relation == "head"] == ["Nguyễn Văn Đạt"]
    assert duc.sort_name == "nguyen van dat"
    assert codes(world.users.staff_a, q="dat") == ["A-0001"]
    assert codes(world.users.staff_a, q="duc") == []


def test_update_household_audits_only_the_changed_fields(world, db):
    lan = world.households.lan
    old_address = lan.address

    update_household(world.users.staff_a, lan, edit_data(lan, address="Bản Mới, xã Cẩm Giàng"), ip="10.0.0.8")
    db.session.flush()

    rows = audit_rows(db, "update", "households")
    assert [(r.object_id, r.ip, r.changes) for r in rows] == [
        (lan.id, "10.0.0.8", {"address": [old_address, "Bản Mới, xã Cẩm Giàng"]})
    ]


def test_update_household_audits_a_change_of_causes(world, db):
    duc = world.households.duc

    update_household(world.users.staff_a, duc, edit_data(duc, cause_ids=[cause(db, "NO_LAND").id]))

    assert [r.changes for r in audit_rows(db, "update")] == [{"causes": [[], ["NO_LAND"]]}]


def test_an_update_that_changes_nothing_writes_no_audit_row(world, db):
    duc = world.households.duc

    update_household(world.users.staff_a, duc, edit_data(duc))

    assert audit_rows(db, "update") == []


def test_update_household_moves_only_to_a_village_in_scope(world, db):
    lan = world.households.lan

    with pytest.raises(RegistryError) as error:
        update_household(world.users.staff_a, lan, edit_data(lan, unit_id=world.village_b1.id))
    assert error.value.field == "unit_id"

    update_household(world.users.staff_a, lan, edit_data(lan, unit_id=world.village_a1.id))
    assert lan.unit_id == world.village_a1.id


def test_update_household_refuses_a_code_taken_by_another_household(world):
    lan = world.households.lan

    with pytest.raises(RegistryError) as error:
        update_household(world.users.staff_a, lan, edit_data(lan, code="B-0001"))
    assert error.value.field == "code"

    update_household(world.users.staff_a, lan, edit_data(lan, code="A-0002"))
    update_household(world.users.staff_a, lan, edit_data(lan, code=""))
    assert lan.code == "A-0002"


def test_add_member_stores_the_member_and_audits_with_the_citizen_id_masked(world, db):
    lan = world.households.lan

    member = add_member(world.users.staff_a, lan, member_data(citizen_id=f" {CITIZEN_ID} "), ip="10.0.0.9")
    db.session.flush()
    db.session.expire_all()

    assert db.session.get(Member, member.id).citizen_id == CITIZEN_ID
    assert CITIZEN_ID in lan.search_text
    rows = audit_rows(db, "create", "members")
    assert [(r.object_id, r.ip) for r in rows] == [(member.id, "10.0.0.9")]
    assert rows[0].changes["citizen_id"] == "001******678"
    assert rows[0].changes["full_name"] == "Nguyễn Thị Hoa"
    assert not any(TWELVE_DIGITS.search(j) for j in stored_audit_json(db))


def test_an_empty_citizen_id_is_stored_as_none(world, db):
    member = add_member(world.users.staff_a, world.households.lan, member_data(citizen_id="   "))
    second = add_member(
        world.users.staff_a, world.households.lan, member_data(full_name="Bé", citizen_id=None)
    )

    assert (member.citizen_id, second.citizen_id) == (None, None)


@pytest.mark.parametrize(
    "citizen_id",
    [
        "00120304567",  # 11 digits
        "0012030456789",  # 13 digits
        "00120304567a",
        "001 203 045 678",
        "001-203-045-678",
        "００１２０３０４５６７８",  # full-width digits: would dodge the uniqueness check
        "٠٠١٢٠٣٠٤٥٦٧٨",  # Arabic-Indic digits
    ],
    ids=["11-digits", "13-digits", "letter", "spaces", "dashes", "full-width-digits", "arabic-indic-digits"],
)
def test_add_member_refuses_a_malformed_citizen_id(world, db, citizen_id):
    with pytest.raises(RegistryError) as error:
        add_member(world.users.staff_a, world.households.lan, member_data(citizen_id=citizen_id))

    assert error.value.field == "citizen_id"
    assert audit_rows(db, "create", "members") == []


def test_a_citizen_id_is_unique_across_households(world, db):
    add_member(world.users.staff_a, world.households.duc, member_data(citizen_id=CITIZEN_ID))
    db.session.flush()

    with pytest.raises(RegistryError) as error:
        add_member(
            world.users.staff_a, world.households.lan, member_data(full_name="Khác", citizen_id=CITIZEN_ID)
        )
    assert error.value.field == "citizen_id"

    with pytest.raises(RegistryError):
        add_member(world.users.staff_b, world.households.pao, member_data(citizen_id=CITIZEN_ID))


def test_update_member_may_keep_its_own_citizen_id(world, db):
    member = add_member(world.users.staff_a, world.households.duc, member_data(citizen_id=CITIZEN_ID))
    other = add_member(
        world.users.staff_a, world.households.duc, member_data(full_name="Con", relation="child")
    )

    update_member(world.users.staff_a, member, member_data(citizen_id=CITIZEN_ID, occupation="Buôn bán"))
    assert member.citizen_id == CITIZEN_ID

    with pytest.raises(RegistryError) as error:
        update_member(
            world.users.staff_a, other, member_data(full_name="Con", relation="child", citizen_id=CITIZEN_ID)
        )
    assert error.value.field == "citizen_id"


@pytest.mark.parametrize("offset", [-121, 1, 50])
def test_add_member_refuses_a_birth_year_out_of_range(world, offset):
    with pytest.raises(RegistryError) as error:
        add_member(
            world.users.staff_a, world.households.lan, member_data(birth_year=date.today().year + offset)
        )

    assert error.value.field == "birth_year"


def test_add_member_refuses_a_missing_birth_year(world):
    with pytest.raises(RegistryError) as error:
        add_member(world.users.staff_a, world.households.lan, member_data(birth_year=None))

    assert error.value.field == "birth_year"


@pytest.mark.parametrize("offset", [-120, 0])
def test_add_member_accepts_the_ends_of_the_birth_year_range(world, offset):
    year = date.today().year + offset

    assert (
        add_member(world.users.staff_a, world.households.lan, member_data(birth_year=year)).birth_year == year
    )


def test_a_second_head_is_refused(world, db):
    duc = world.households.duc
    staff_a = world.users.staff_a

    with pytest.raises(RegistryError) as error:
        add_member(staff_a, duc, member_data(relation="head"))
    assert error.value.field == "relation"

    spouse = add_member(staff_a, duc, member_data())
    with pytest.raises(RegistryError) as error:
        update_member(staff_a, spouse, member_data(relation="head"))
    assert error.value.field == "relation"
    assert [m.relation for m in duc.members].count("head") == 1


def test_renaming_the_head_member_renames_the_household(world, db):
    duc = world.households.duc
    head = next(m for m in duc.members if m.relation == "head")

    update_member(
        world.users.staff_a,
        head,
        member_data(full_name="Nguyễn Văn Đông", relation="head", sex="male", birth_year=1975),
    )
    db.session.flush()

    assert duc.head_name == "Nguyễn Văn Đông"
    assert codes(world.users.staff_a, q="dong") == ["A-0001"]


def test_update_member_audits_the_changed_fields_with_citizen_ids_masked(world, db):
    member = add_member(world.users.staff_a, world.households.lan, member_data(citizen_id=CITIZEN_ID))
    db.session.flush()

    update_member(
        world.users.staff_a, member, member_data(citizen_id=OTHER_ID, occupation="Làm thuê"), ip="10.1.1.1"
    )
    db.session.flush()

    rows = audit_rows(db, "update", "members")
    assert [r.changes for r in rows] == [
        {"citizen_id": ["001******678", "034******234"], "occupation": ["Làm ruộng", "Làm thuê"]}
    ]
    assert not any(TWELVE_DIGITS.search(j) for j in stored_audit_json(db))


@pytest.mark.parametrize(
    "notes",
    ["CCCD: 001203045678", "CCCD001203045678", "số CCCD_001203045678 cấp 2021"],
    ids=["after-a-space", "glued-to-letters", "after-an-underscore"],
)
def test_a_citizen_id_typed_in_the_notes_is_masked_in_the_audit_log(world, db, notes):
    lan = world.households.lan

    update_household(world.users.staff_a, lan, edit_data(lan, notes=notes))
    db.session.flush()

    stored = stored_audit_json(db)
    assert stored
    assert not any(TWELVE_DIGITS.search(j) for j in stored), stored
