"""The bench builder (bench/build.py) makes a registry the app would have made: a tiny one here."""

from collections import Counter
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.models import AdminUnit, Household, Member, PovertyStandard, ReviewRecord, User, review_deprivations
from app.services.classification import Lines, classify
from app.services.households import rebuild_search_text
from app.services.reviews import status_from
from bench.build import RegistryBuilder

HOUSEHOLDS = 300


@pytest.fixture
def built(db):
    report = RegistryBuilder(HOUSEHOLDS, districts=2, seed=7).run()
    return report, db


def test_counts(built):
    report, db = built
    households = db.session.scalar(select(func.count(Household.id)))
    members = db.session.scalar(select(func.count(Member.id)))
    assert households == report.households == HOUSEHOLDS
    assert members == report.members
    assert 3.5 * HOUSEHOLDS <= members <= 4.5 * HOUSEHOLDS
    per_household = Counter(db.session.scalars(select(ReviewRecord.household_id)))
    assert len(per_household) == HOUSEHOLDS and set(per_household.values()) == {2}
    years = Counter(db.session.execute(select(ReviewRecord.year, ReviewRecord.kind)).all())
    assert years == {(2018, "official"): HOUSEHOLDS, (2019, "official"): HOUSEHOLDS}
    districts = db.session.scalars(select(AdminUnit.name).where(AdminUnit.kind == "district")).all()
    assert len(districts) == 2
    ids = [c for c in db.session.scalars(select(Member.citizen_id)) if c]
    assert len(ids) == len(set(ids))


def test_every_review_classifies_to_its_result(built):
    _, db = built
    standard = db.session.scalars(select(PovertyStandard).where(PovertyStandard.code == "QD59-2015")).one()
    lines = Lines.of(standard)
    deprived = dict(
        db.session.execute(
            select(review_deprivations.c.review_id, func.count()).group_by(review_deprivations.c.review_id)
        ).all()
    )
    reviews = db.session.scalars(select(ReviewRecord)).all()
    for review in reviews:
        verdict = classify(lines, review.area, review.income_per_month, deprived.get(review.id, 0))
        assert (verdict.result, verdict.criterion) == (review.result, review.criterion), review
    results = Counter(r.result for r in reviews if r.year == 2019)
    assert 0.1 < results["poor"] / HOUSEHOLDS < 0.25 and results["near_poor"] > 0


def test_status_and_search_text_as_the_app_keeps_them(built):
    _, db = built
    households = db.session.scalars(select(Household).options(selectinload(Household.members))).all()
    official: dict[int, list] = {}
    for r in db.session.scalars(select(ReviewRecord)):
        official.setdefault(r.household_id, []).append((r.year, r.result, r.criterion))
    for household in households:
        assert (household.status, household.status_criterion, household.status_year) == status_from(
            official[household.id]
        )
        expected = SimpleNamespace(
            code=household.code,
            head_name=household.head_name,
            address=household.address,
            members=household.members,
        )
        rebuild_search_text(expected)
        assert (household.search_text, household.sort_name) == (expected.search_text, expected.sort_name)
        assert household.members[0].relation == "head"


def test_managers_scope(built):
    _, db = built
    by_name = {u.username: u for u in db.session.scalars(select(User))}
    assert by_name["manager"].scope_unit.kind == "province"
    assert by_name["manager.district"].scope_unit.code == "063"
    assert by_name["staff.camgiang"].scope_unit.code == "02008"
