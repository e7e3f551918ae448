"""Reference data: the Bạch Thông unit list, poverty standards, catalogues."""

import csv
from datetime import date

import pytest
from sqlalchemy import func, select

from app.models import AdminUnit, Indicator, PovertyCause, PovertyStandard, SupportNeed, TaskType
from app.services import reference

UNITS_CSV = reference.SEED_DIR / "bach-thong-units.csv"


@pytest.fixture
def units(db):
    """The units of the real seed file, loaded into an empty database, by (code, name)."""
    added = reference.load_units_csv()
    db.session.flush()
    return added, {(u.code, u.name): u for u in db.session.scalars(select(AdminUnit))}


def named(units, name: str) -> AdminUnit:
    (unit,) = [u for (_, n), u in units[1].items() if n == name]
    return unit


def test_every_row_of_the_file_becomes_a_unit(units, db):
    with UNITS_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))

    assert len(rows) == 21
    assert units[0] == 21
    assert db.session.scalar(select(func.count(AdminUnit.id))) == 21
    assert sorted((r["code"], r["name"]) for r in rows) == sorted(units[1])


def test_tan_tien_and_tan_tu_share_a_code_with_different_validity(units):
    tan_tien, tan_tu = named(units, "Xã Tân Tiến"), named(units, "Xã Tân Tú")

    assert tan_tien.code == tan_tu.code == "01993"
    assert tan_tien.id != tan_tu.id
    assert (tan_tien.valid_from, tan_tien.valid_to) == (None, date(2020, 1, 31))
    assert (tan_tu.valid_from, tan_tu.valid_to) == (date(2020, 2, 1), date(2025, 6, 30))


@pytest.mark.parametrize(
    "name,successor",
    [
        ("Xã Tân Tiến", "Xã Tân Tú"),
        ("Xã Tú Trĩ", "Xã Tân Tú"),
        ("Xã Hà Vị", "Xã Quân Hà"),
        ("Xã Quân Bình", "Xã Quân Hà"),
        ("Xã Phương Linh", "Thị trấn Phủ Thông"),
    ],
)
def test_merged_communes_point_to_their_successor(units, name, successor):
    unit = named(units, name)

    assert unit.successor_id == named(units, successor).id
    assert unit.successor_id != unit.id


def test_units_without_a_successor_column_have_none(units):
    merged = {"Xã Tân Tiến", "Xã Tú Trĩ", "Xã Hà Vị", "Xã Quân Bình", "Xã Phương Linh"}

    assert sorted(n for (_, n), u in units[1].items() if u.successor_id is not None) == sorted(merged)


def test_paths_follow_the_tree(units):
    province, district = named(units, "Tỉnh Bắc Kạn"), named(units, "Huyện Bạch Thông")

    assert (province.path, province.depth, province.parent_id) == (f"/{province.id}/", 0, None)
    assert (district.path, district.depth, district.parent_id) == (
        f"/{province.id}/{district.id}/",
        1,
        province.id,
    )
    communes = [u for u in units[1].values() if u.kind in ("commune", "town")]
    assert len(communes) == 19
    for unit in communes:
        assert unit.parent_id == district.id
        assert (unit.path, unit.depth) == (f"{district.path}{unit.id}/", 2)


def test_a_second_load_adds_nothing(units, db):
    before = {u.id: (u.parent_id, u.successor_id, u.path) for u in db.session.scalars(select(AdminUnit))}

    assert reference.load_units_csv() == 0
    db.session.flush()

    after = {u.id: (u.parent_id, u.successor_id, u.path) for u in db.session.scalars(select(AdminUnit))}
    assert after == before


def test_the_loaded_tree_resolves_the_shared_code_by_year(units):
    from app.services.scope import unit_index

    index = unit_index()

    assert index.resolve("01993", 2019).name == "Xã Tân Tiến"
    assert index.resolve("01993", 2021).name == "Xã Tân Tú"
    assert {index.units[i].name for i in index.family(named(units, "Xã Tân Tú").id)} == {
        "Xã Tân Tú",
        "Xã Tân Tiến",
        "Xã Tú Trĩ",
    }


def test_seed_standards_is_idempotent(db):
    assert reference.seed_standards() == 3
    db.session.flush()
    assert reference.seed_standards() == 0
    db.session.flush()

    assert db.session.scalar(select(func.count(PovertyStandard.id))) == 3


def test_the_standards_have_10_12_12_indicators(db):
    reference.seed_standards()
    db.session.flush()

    counts = dict(
        db.session.execute(
            select(PovertyStandard.code, func.count(Indicator.id))
            .join(Indicator, Indicator.standard_id == PovertyStandard.id)
            .group_by(PovertyStandard.code)
        ).all()
    )
    assert counts == {"QD59-2015": 10, "ND07-2021": 12, "ND351-2025": 12}


def test_the_2022_indicators_span_six_dimensions_and_the_2016_ones_five(db):
    reference.seed_standards()
    db.session.flush()

    def dimensions(code):
        standard = db.session.scalars(select(PovertyStandard).where(PovertyStandard.code == code)).one()
        return {i.dimension_code for i in standard.indicators}

    assert len(dimensions("QD59-2015")) == 5
    assert len(dimensions("ND07-2021")) == 6


def test_seed_catalogues_is_idempotent_and_holds_the_domain_causes(db):
    first = reference.seed_catalogues()
    db.session.flush()

    assert first > 0
    assert reference.seed_catalogues() == 0
    causes = set(db.session.scalars(select(PovertyCause.name_en)))
    for cause in (
        "Lack of production land",
        "Lack of capital",
        "Lack of labour",
        "Lack of production knowledge",
        "Lack of work skills",
        "Illness, serious disease or accident",
        "Other",
    ):
        assert cause in causes
    assert db.session.scalar(select(func.count(SupportNeed.id))) > 0


def test_every_task_type_addresses_a_known_indicator_or_cause(db):
    reference.seed_standards()
    reference.seed_catalogues()
    db.session.flush()
    indicator_codes = set(db.session.scalars(select(Indicator.code)))
    types = db.session.scalars(select(TaskType).order_by(TaskType.sort_order)).all()

    assert len(types) == len(reference.TASK_TYPES) >= 14
    for kind in types:
        assert set(kind.indicators) <= indicator_codes, kind.code
        assert kind.indicators or kind.causes, f"{kind.code} addresses nothing"
        assert kind.programme_project and 1 <= kind.default_duration_days <= 730
    # the support DOMAIN.md §5 lists, each a task type
    codes = {k.code for k in types}
    assert {
        "PRODUCTION",
        "VOCATIONAL",
        "JOB",
        "CREDIT",
        "HEALTH_CARD",
        "TUITION",
        "WATER",
        "LATRINE",
    } <= codes
    assert {"HOUSING", "TELECOM", "INFORMATION", "LEGAL_AID"} <= codes
    # every deprivation of both standards in force has a task type that addresses it
    addressed = {code for k in types for code in k.indicators}
    assert indicator_codes - addressed == set(), indicator_codes - addressed
