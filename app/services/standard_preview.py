"""What a new poverty standard would do to the registry, before any review under it is recorded.

When a year falls under a new standard (2022: NĐ 07/2021; 2027: NĐ 351/2025), each household's
latest official review before that year is classified again under the new standard: the same
income per person, and the deprivations the new standard shares with the old one by indicator
code. An indicator the old review did not measure (the new standard's employment, dependants,
nutrition, information access) counts as not deprived, so the preview can only understate
deprivation; the page says so. Nothing is written.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from app.extensions import db
from app.models import AdminUnit, Household, Indicator, PovertyStandard, ReviewRecord, User
from app.models.reviews import ReviewKind, review_deprivations
from app.services import reviews, scope, stats
from app.services.classification import Lines, classify


@dataclass(frozen=True)
class Change:
    household_id: int
    code: str
    head_name: str
    village: str
    income: int
    deprived_before: int
    deprived_after: int
    before: str
    after: str


@dataclass
class Preview:
    year: int
    base_year: int | None
    old: PovertyStandard | None
    new: PovertyStandard
    #: (result before, result after) → households
    matrix: Counter = field(default_factory=Counter)
    changes: list[Change] = field(default_factory=list)
    #: the new standard's indicator codes the old review did not measure
    unmeasured: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.matrix.values())


def new_standard_years() -> list[int]:
    """The first year of every standard that follows another (2022, 2027)."""
    starts = sorted(db.session.scalars(select(PovertyStandard.year_from)))
    return starts[1:]


def preview(user: User, unit: scope.Unit, year: int) -> Preview:
    """Classify the unit's households of the latest official review before ``year`` under the
    standard of ``year``.

    :raises LookupError: no standard covers ``year``.
    """
    new = reviews.standard_for(year)
    if new is None:
        raise LookupError(year)
    earlier = [y for y in stats.official_years(user) if y < year]
    base_year = earlier[-1] if earlier else None
    found = Preview(year=year, base_year=base_year, old=None, new=new)
    if base_year is None:
        return found
    found.old = reviews.standard_for(base_year)
    new_codes = {i.code: i for i in new.indicators}
    old_codes = {i.code for i in found.old.indicators} if found.old else set()
    found.unmeasured = [i.name for i in new.indicators if i.code not in old_codes]
    lines = Lines.of(new)
    records = db.session.execute(
        select(
            ReviewRecord.id,
            ReviewRecord.household_id,
            ReviewRecord.area,
            ReviewRecord.income_per_month,
            ReviewRecord.result,
            Household.code,
            Household.head_name,
            AdminUnit.name,
        )
        .join(Household, Household.id == ReviewRecord.household_id)
        .join(AdminUnit, AdminUnit.id == ReviewRecord.unit_id)
        .where(
            ReviewRecord.year == base_year,
            ReviewRecord.kind == ReviewKind.OFFICIAL,
            scope.unit_clause(ReviewRecord, user, unit.id),
        )
        .order_by(AdminUnit.name, Household.sort_name, Household.code)
    ).all()
    deprived = _deprivation_codes([r.id for r in records])
    for r in records:
        codes = deprived.get(r.id, ())
        shared = sum(1 for code in codes if code in new_codes)
        after = str(classify(lines, r.area, r.income_per_month, shared).result)
        found.matrix[(r.result, after)] += 1
        if after != r.result:
            found.changes.append(
                Change(
                    r.household_id,
                    r.code,
                    r.head_name,
                    r.name,
                    r.income_per_month,
                    len(codes),
                    shared,
                    r.result,
                    after,
                )
            )
    return found


def _deprivation_codes(record_ids: list[int], chunk: int = 5000) -> dict[int, list[str]]:
    """Each record's deprivation indicator codes, read a chunk of records at a time."""
    codes: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(record_ids), chunk):
        rows = db.session.execute(
            select(review_deprivations.c.review_id, Indicator.code)
            .join(Indicator, Indicator.id == review_deprivations.c.indicator_id)
            .where(review_deprivations.c.review_id.in_(record_ids[start : start + chunk]))
        )
        for record_id, code in rows:
            codes[record_id].append(code)
    return codes
