"""Assigning responsibility: one or many households, handovers with reasons, scope, all or nothing."""

import pytest
from sqlalchemy import select

from app.models import Assignment, AuditLog
from app.services.households import HouseholdFilter, RegistryError, matching_household_ids
from app.services.responsibility import assign_households
from tests.factories import make_organisation, make_user


def _active(db, household):
    return db.session.scalars(
        select(Assignment).where(Assignment.household_id == household.id, Assignment.end_date.is_(None))
    ).one_or_none()


def test_assigning_households_nobody_follows(world, db):
    h = world.households
    result = assign_households(
        world.users.staff_a, [h.duc.id, h.lan.id], world.organisations.a.id, world.users.supervisor_a.id
    )

    assert (result.assigned, result.handed_over, result.unchanged) == (2, 0, 0)
    active = _active(db, h.duc)
    assert (active.organisation_id, active.officer_id, active.created_by_id) == (
        world.organisations.a.id,
        world.users.supervisor_a.id,
        world.users.staff_a.id,
    )
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "assign")).all()
    assert sorted(r.object_id for r in rows) == sorted([h.duc.id, h.lan.id])


def test_a_handover_needs_a_reason_and_keeps_the_history(world, db):
    duc, staff, org = world.households.duc, world.users.staff_a, world.organisations.a
    assign_households(staff, [duc.id], org.id, world.users.supervisor_a.id)
    other = make_user("supervisor", world.commune_a, organisation_id=org.id)

    with pytest.raises(RegistryError, match="handover_reason_required"):
        assign_households(staff, [duc.id], org.id, other.id)
    result = assign_households(staff, [duc.id], org.id, other.id, reason="  Cán bộ chuyển công tác  ")

    assert result.handed_over == 1
    history = db.session.scalars(
        select(Assignment).where(Assignment.household_id == duc.id).order_by(Assignment.id)
    ).all()
    assert [(a.officer_id, a.end_date is None, a.handover_reason) for a in history] == [
        (world.users.supervisor_a.id, False, "Cán bộ chuyển công tác"),
        (other.id, True, None),
    ]


def test_the_same_assignment_again_changes_nothing(world, db):
    duc = world.households.duc
    assign_households(world.users.staff_a, [duc.id], world.organisations.a.id, None)
    again = assign_households(world.users.staff_a, [duc.id], world.organisations.a.id, None)
    assert (again.unchanged, again.changed) == (1, 0)


def test_an_officer_only_gets_households_of_their_area_and_nothing_is_half_done(world, db):
    h = world.households
    org_d = make_organisation(world.district, "Phòng LĐ-TB&XH")
    with pytest.raises(RegistryError, match="officer_not_for_household"):
        assign_households(world.users.staff, [h.duc.id, h.pao.id], org_d.id, world.users.supervisor_a.id)
    assert _active(db, h.duc) is None and _active(db, h.pao) is None


@pytest.mark.parametrize(
    "who,ids,org,officer,code",
    [
        ("supervisor_a", ["duc"], "a", None, "assign_not_allowed"),
        ("manager", ["duc"], "a", None, "assign_not_allowed"),
        ("staff_a", ["pao"], "a", None, "household_out_of_scope"),
        ("staff_a", [], "a", None, "no_household_selected"),
        ("staff_a", ["duc"], None, None, "organisation_out_of_scope"),
        ("staff_a", ["duc"], "a", "staff_b", "officer_out_of_scope"),
        ("staff_a", ["duc"], "a", "manager", "officer_out_of_scope"),
    ],
)
def test_refusals(world, db, who, ids, org, officer, code):
    user = getattr(world.users, who)
    household_ids = [getattr(world.households, i).id for i in ids]
    org_id = world.organisations.a.id if org else None
    officer_id = getattr(world.users, officer).id if officer else None

    with pytest.raises(RegistryError, match=code):
        assign_households(user, household_ids, org_id, officer_id)


def test_matching_household_ids_follow_the_filter_and_the_scope(world):
    assert matching_household_ids(world.users.staff, HouseholdFilter(status="poor")) == [
        world.households.duc.id,
        world.households.pao.id,
    ]
    assert matching_household_ids(world.users.staff_a, HouseholdFilter(status="poor")) == [
        world.households.duc.id
    ]
