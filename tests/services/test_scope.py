"""The scoped-query helper: every model it supports, subtrees, merged units.

Every test here only reads, so the module shares one world (see ``shared_app``).
"""

from datetime import date
from types import SimpleNamespace

import pytest
from flask import g
from sqlalchemy import select, update
from werkzeug.exceptions import NotFound

from app.models import (
    AdminUnit,
    Assignment,
    AuditLog,
    Household,
    Member,
    Organisation,
    PovertyStandard,
    ReviewRecord,
    SupportTask,
    TaskNote,
    User,
)
from app.services import scope
from app.services.audit import utcnow
from tests.factories import (
    build_world,
    day,
    make_assignment,
    make_household,
    make_organisation,
    make_review,
    make_task,
    make_unit,
    make_user,
)

MODELS = [AdminUnit, Household, Organisation, User, ReviewRecord, Member, Assignment, SupportTask, TaskNote]


def _note(db, task, author):
    note = TaskNote(task_id=task.id, author_id=author.id, created_at=utcnow(), body="Ghi chú")
    db.session.add(note)
    db.session.flush()
    return note


def _build_merged(world):
    """Commune X (until 2020-01-31) merged into commune Y (from 2020-02-01), which keeps X's code."""
    y = make_unit("99903", "Xã Hợp Nhất", "commune", world.district, valid_from=day("2020-02-01"))
    x = make_unit("99903", "Xã Cũ", "commune", world.district, valid_to=day("2020-01-31"), successor_id=y.id)
    xv = make_unit("99903-01", "Thôn Cũ", "village", x, valid_to=day("2020-01-31"))
    yv = make_unit("99903-51", "Thôn Mới", "village", y, valid_from=day("2020-02-01"))
    hx = make_household(xv, "Triệu Văn Cũ", code="X-0001")
    hy = make_household(yv, "Triệu Thị Mới", code="Y-0001")
    return SimpleNamespace(
        x=x,
        y=y,
        xv=xv,
        yv=yv,
        hx=hx,
        hy=hy,
        review_x=make_review(hx, 2019, "poor", criterion="income"),
        review_y=make_review(hy, 2021, "near_poor"),
        user_x=make_user("staff", x, "staff.x"),
        user_y=make_user("staff", y, "staff.y"),
    )


@pytest.fixture(scope="module")
def data(shared_app):
    """The world, an organisation and an assignment on each side, and a merged pair of communes.

    ``rows``: the ids of each model by side: commune A, commune B, the district level, the merged
    communes.
    """
    db = shared_app.extensions["sqlalchemy"]
    w = build_world()
    u, h = w.users, w.households
    org_a = db.session.scalars(select(Organisation).where(Organisation.unit_id == w.commune_a.id)).one()
    org_b = make_organisation(w.commune_b, "UBND Xã Quang Thuận Thử")
    org_d = make_organisation(w.district, "Phòng LĐ-TB&XH huyện", kind="state_department")
    assignment_a = make_assignment(h.duc, org_a, u.staff_a)
    assignment_b = make_assignment(h.pao, org_b, u.staff_b)
    task_a, task_b = make_task(h.duc, org_a), make_task(h.pao, org_b)
    note_a, note_b = (_note(db, t, u.staff) for t in (task_a, task_b))
    merged = _build_merged(w)
    task_x = make_task(merged.hx, org_d)
    db.session.commit()

    def reviews(*households):
        ids = [x.id for x in households]
        return set(db.session.scalars(select(ReviewRecord.id).where(ReviewRecord.household_id.in_(ids))))

    def members(*households):
        return {m.id for x in households for m in x.members}

    m = merged
    rows = SimpleNamespace(
        a={
            AdminUnit: {w.commune_a.id, w.village_a1.id, w.village_a2.id},
            Household: {h.duc.id, h.lan.id},
            Organisation: {org_a.id},
            User: {u.staff_a.id, u.supervisor_a.id},
            ReviewRecord: reviews(h.duc, h.lan),
            Member: members(h.duc, h.lan),
            Assignment: {assignment_a.id},
            SupportTask: {task_a.id},
            TaskNote: {note_a.id},
        },
        b={
            AdminUnit: {w.commune_b.id, w.village_b1.id},
            Household: {h.pao.id},
            Organisation: {org_b.id},
            User: {u.staff_b.id},
            ReviewRecord: reviews(h.pao),
            Member: members(h.pao),
            Assignment: {assignment_b.id},
            SupportTask: {task_b.id},
            TaskNote: {note_b.id},
        },
        district={
            AdminUnit: {w.district.id},
            User: {u.admin.id, u.manager.id, u.staff.id},
            Organisation: {org_d.id},
        },
        merged={
            AdminUnit: {m.x.id, m.xv.id, m.y.id, m.yv.id},
            Household: {m.hx.id, m.hy.id},
            User: {m.user_x.id, m.user_y.id},
            ReviewRecord: {m.review_x.id, m.review_y.id},
            Member: members(m.hx, m.hy),
            SupportTask: {task_x.id},
        },
    )
    return SimpleNamespace(world=w, rows=rows, merged=merged)


@pytest.fixture
def world(data):
    return data.world


@pytest.fixture
def rows(data):
    return data.rows


@pytest.fixture
def merged(data):
    return data.merged


def _ids(db, model, user):
    return set(db.session.scalars(scope.scoped(model, user).with_only_columns(model.id)))


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_a_commune_user_sees_exactly_the_commune_subtree(model, rows, world, db):
    assert rows.a[model] and rows.b[model]

    assert _ids(db, model, world.users.staff_a) == rows.a[model]
    assert _ids(db, model, world.users.supervisor_a) == rows.a[model]
    assert _ids(db, model, world.users.staff_b) == rows.b[model]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_a_district_user_sees_everything_below_the_district(model, rows, world, db):
    expected = rows.a[model] | rows.b[model] | rows.district.get(model, set()) | rows.merged.get(model, set())

    for user in (world.users.staff, world.users.manager, world.users.admin):
        assert _ids(db, model, user) == expected


def test_the_province_above_the_district_is_out_of_a_district_user_scope(rows, world, db):
    assert world.province.id not in _ids(db, AdminUnit, world.users.admin)


def test_scope_clause_narrows_to_given_units(rows, world, db):
    def ids(unit_ids):
        clause = scope.scope_clause(Household, world.users.admin, unit_ids)
        return set(db.session.scalars(select(Household.id).where(clause)))

    assert ids({world.village_a2.id}) == {world.households.lan.id}
    assert ids(set()) == set()


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_a_user_scoped_to_every_unit_sees_every_row_without_a_list_of_units(model, rows, world, db):
    """The province covers every unit there is, so its clause needs no IN list of ~1,000 ids."""
    top = make_user("manager", world.province, "tinh")
    db.session.flush()
    every = set(db.session.scalars(select(model.id)))

    assert scope.scope_clause(model, top).compile(db.engine).params == {}  # no unit ids bound
    assert _ids(db, model, top) == every


def test_the_unit_index_is_reused_across_requests_while_the_units_are_unchanged(world, db):
    first = scope.unit_index()
    g.pop("unit_index")  # the next request

    assert scope.unit_index() is first


def test_a_unit_changed_behind_the_app_is_seen_at_the_next_request(world, db):
    """Another worker's change: no forget_units() here, only the row's updated_at moves."""
    scope.unit_index()
    db.session.execute(
        update(AdminUnit).where(AdminUnit.id == world.village_a1.id).values(name="Thôn Đổi Tên")
    )
    g.pop("unit_index")

    assert scope.unit_index().units[world.village_a1.id].name == "Thôn Đổi Tên"


def test_a_unit_added_behind_the_app_is_seen_at_the_next_request(world, db):
    scope.unit_index()
    village = make_unit("99901-77", "Thôn Mới Lập", "village", world.commune_a)
    db.session.flush()
    g.pop("unit_index")

    assert village.id in scope.scope_unit_ids(world.users.staff_a)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_get_or_404_returns_in_scope_rows_and_hides_the_others(model, rows, world, db):
    staff_a = world.users.staff_a

    for ident in rows.a[model]:
        assert scope.get_or_404(model, ident, staff_a).id == ident
    for ident in rows.b[model] | rows.district.get(model, set()):
        with pytest.raises(NotFound):
            scope.get_or_404(model, ident, staff_a)
    with pytest.raises(NotFound):
        scope.get_or_404(model, 10**9, staff_a)


@pytest.mark.parametrize("model", [PovertyStandard, AuditLog], ids=lambda m: m.__name__)
def test_a_model_without_scope_rule_raises_type_error(model, world):
    with pytest.raises(TypeError):
        scope.scope_clause(model, world.users.admin)
    with pytest.raises(TypeError):
        scope.scoped(model, world.users.admin)


def test_unit_in_scope_or_404(world):
    staff_a = world.users.staff_a

    assert scope.unit_in_scope_or_404(staff_a, None).id == world.commune_a.id
    assert scope.unit_in_scope_or_404(staff_a, "").id == world.commune_a.id
    assert scope.unit_in_scope_or_404(staff_a, "99901-02").id == world.village_a2.id
    for code in ("99902", "99902-01", "999", "99", "00000"):
        with pytest.raises(NotFound):
            scope.unit_in_scope_or_404(staff_a, code)
    assert scope.unit_in_scope_or_404(world.users.admin, "99902-01").id == world.village_b1.id


def test_villages_by_commune(world):
    grouped = scope.villages_by_commune(world.users.staff_a)

    assert [(c.id, [v.name for v in vs]) for c, vs in grouped] == [
        (world.commune_a.id, ["Thôn Khuổi Chắp", "Thôn Nà Pài"])
    ]


def test_a_user_of_the_merged_commune_sees_the_absorbed_commune_records(merged, db):
    m = merged

    assert _ids(db, AdminUnit, m.user_y) == {m.x.id, m.xv.id, m.y.id, m.yv.id}
    assert _ids(db, Household, m.user_y) == {m.hx.id, m.hy.id}
    assert _ids(db, ReviewRecord, m.user_y) == {m.review_x.id, m.review_y.id}
    assert scope.get_or_404(Household, m.hx.id, m.user_y).id == m.hx.id


def test_a_user_of_the_absorbed_commune_does_not_see_the_successor(merged, db):
    m = merged

    assert _ids(db, Household, m.user_x) == {m.hx.id}
    with pytest.raises(NotFound):
        scope.get_or_404(Household, m.hy.id, m.user_x)


def test_merges_do_not_widen_another_commune_scope(merged, world, db):
    assert _ids(db, Household, world.users.staff_a) == {world.households.duc.id, world.households.lan.id}
    assert {merged.hx.id, merged.hy.id} <= _ids(db, Household, world.users.staff)


def test_resolve_picks_the_unit_valid_that_year(merged):
    index = scope.unit_index()

    assert index.resolve("99903", 2018).id == merged.x.id
    assert index.resolve("99903", 2019).id == merged.x.id
    assert index.resolve("99903", 2020).id == merged.y.id
    assert index.resolve("99903", 2024).id == merged.y.id
    assert index.resolve("99903").id == merged.y.id
    assert index.resolve("99999") is None


def test_unit_in_scope_or_404_resolves_a_shared_code_by_year(merged):
    assert scope.unit_in_scope_or_404(merged.user_y, "99903", 2019).id == merged.x.id
    assert scope.unit_in_scope_or_404(merged.user_y, "99903", 2021).id == merged.y.id
    with pytest.raises(NotFound):
        scope.unit_in_scope_or_404(merged.user_x, "99903", 2021)


def test_units_for_year(merged):
    index = scope.unit_index()
    m = merged

    assert index.units_for_year(m.y.id, 2021) == {m.y.id, m.yv.id}
    assert index.units_for_year(m.y.id, 2020) == {m.y.id, m.yv.id}
    assert index.units_for_year(m.y.id, 2019) == {m.x.id, m.xv.id, m.y.id, m.yv.id}
    assert index.units_for_year(m.x.id, 2019) == {m.x.id, m.xv.id}


def test_current_units_in_scope_lists_the_communes_valid_on_a_day(merged, world):
    def codes(on):
        units = scope.current_units_in_scope(world.users.admin, ("commune",), on=on)
        return [(u.code, u.name) for u in units]

    assert codes(date(2019, 6, 1)) == [
        ("99901", "Xã Cẩm Giàng Thử"),
        ("99902", "Xã Quang Thuận Thử"),
        ("99903", "Xã Cũ"),
    ]
    assert codes(date(2021, 6, 1)) == [
        ("99901", "Xã Cẩm Giàng Thử"),
        ("99902", "Xã Quang Thuận Thử"),
        ("99903", "Xã Hợp Nhất"),
    ]


def test_ancestors(world):
    chain = scope.unit_index().ancestors(world.village_b1.id)

    assert [u.id for u in chain] == [world.province.id, world.district.id, world.commune_b.id]
