"""The audit log: citizen IDs masked at any depth, dates as ISO text."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text

from app.models import AuditLog
from app.services import audit


@pytest.mark.parametrize(
    "value,masked",
    [
        ("001203045678", "001******678"),
        ("CCCD: 001203045678", "CCCD: 001******678"),
        ("001203045678, 034195001234", "001******678, 034******234"),
        ("(001203045678)", "(001******678)"),
        ("", ""),
        (None, None),
        ("Nguyễn Văn Đức", "Nguyễn Văn Đức"),
        ("0912345678", "0912345678"),  # a phone number is not a citizen ID
        ("0012030456789", "0012030456789"),  # 13 digits: not a citizen ID
    ],
)
def test_mask_citizen_id(value, masked):
    assert audit.mask_citizen_id(value) == masked


@pytest.mark.parametrize(
    "value,masked",
    [
        ("CCCD001203045678", "CCCD001******678"),
        ("cccd_001203045678", "cccd_001******678"),
        ("số001203045678", "số001******678"),
    ],
    ids=["CCCD-prefix", "underscore", "vietnamese-word"],
)
def test_mask_citizen_id_glued_to_letters(value, masked):
    assert audit.mask_citizen_id(value) == masked


def test_record_masks_nested_values_and_serialises_dates(db):
    changes = {
        "citizen_id": ["001203045678", "034195001234"],
        "members": [{"citizen_id": "001203045678", "born": date(1980, 5, 1)}, ("x", "034195001234")],
        "decision_date": date(2020, 12, 18),
        "at": datetime(2020, 12, 18, 9, 30, 5),
        "count": 3,
        "flag": True,
        "none": None,
    }

    row = audit.record(
        "update", actor_name="tester", ip="10.0.0.1", object_type="things", object_id=7, changes=changes
    )
    db.session.flush()
    db.session.expire_all()

    stored = db.session.get(AuditLog, row.id)
    assert stored.changes == {
        "citizen_id": ["001******678", "034******234"],
        "members": [{"citizen_id": "001******678", "born": "1980-05-01"}, ["x", "034******234"]],
        "decision_date": "2020-12-18",
        "at": "2020-12-18T09:30:05",
        "count": 3,
        "flag": True,
        "none": None,
    }
    assert (stored.action, stored.actor_name, stored.ip, stored.object_type, stored.object_id) == (
        "update",
        "tester",
        "10.0.0.1",
        "things",
        7,
    )
    raw = db.session.execute(text("SELECT CAST(changes AS TEXT) FROM audit_log")).scalar_one()
    assert "001203045678" not in raw and "034195001234" not in raw


def test_record_does_not_alter_the_caller_dict(db):
    changes = {"citizen_id": "001203045678", "nested": {"id": "001203045678"}}

    audit.record("x", changes=changes)

    assert changes == {"citizen_id": "001203045678", "nested": {"id": "001203045678"}}


def test_record_takes_type_and_id_from_the_object_and_the_actor(world, db):
    staff_a = world.users.staff_a

    row = audit.record("login", actor=staff_a, obj=world.households.duc)
    db.session.flush()

    assert (row.actor_id, row.actor_name) == (staff_a.id, "staff.a")
    assert (row.object_type, row.object_id) == ("households", world.households.duc.id)
    assert row.changes is None
    assert row.at is not None and row.at.tzinfo is None


def test_empty_changes_are_stored_as_null(db):
    audit.record("x", changes={})
    db.session.flush()

    assert db.session.scalars(select(AuditLog.changes)).one() is None


def test_diff():
    before = {"a": 1, "b": "x", "c": None}
    after = {"a": 1, "b": "y", "c": "new", "d": 4}

    assert audit.diff(before, after) == {"b": ["x", "y"], "c": [None, "new"], "d": [None, 4]}
    assert audit.diff(after, after) == {}


def test_utcnow_is_naive_utc():
    now = audit.utcnow()

    assert now.tzinfo is None
    assert abs((datetime.now(UTC).replace(tzinfo=None) - now).total_seconds()) < 5
