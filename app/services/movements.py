"""Movements of households between two review years (DOMAIN.md §4), for any unit in a scope.

Every household that is poor or near-poor in either year, by the official results, falls in
exactly one kind (``KINDS``), so that the kinds add up to the poor and near-poor counts of both
years (``stats.household_stats``): a household counts in a year where its record of that year
lies in the unit as it was then (``units_for_year``); one that was not reviewed, or reviewed in
another unit, is "neither" there. "Fallen back" is a household poor in some official review
before ``to`` that was neither in ``from`` and is poor again.
"""

from collections import Counter
from collections.abc import Iterable, Set
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Household, ReviewRecord
from app.models.households import household_causes
from app.models.reviews import ReviewKind, ReviewResult
from app.services import scope

POOR, NEAR_POOR = ReviewResult.POOR.value, ReviewResult.NEAR_POOR.value
#: each kind: (result in ``from``, result in ``to``); None: neither poor nor near-poor
KINDS = {
    "continuing_poor": (POOR, POOR),
    "continuing_near_poor": (NEAR_POOR, NEAR_POOR),
    "poor_to_near_poor": (POOR, NEAR_POOR),
    "near_poor_to_poor": (NEAR_POOR, POOR),
    "escaped_poverty": (POOR, None),
    "escaped_near_poverty": (NEAR_POOR, None),
    "newly_poor": (None, POOR),
    "fallen_back": (None, POOR),
    "newly_near_poor": (None, NEAR_POOR),
}
#: households read per statement (an IN list stays well under SQLite's variable limit)
CHUNK = 5000
_BY_PAIR = {pair: kind for kind, pair in KINDS.items() if kind != "fallen_back"}


class MovementError(ValueError):
    """Years that cannot be compared; ``str(error)`` says why."""


@dataclass
class Movements:
    unit: scope.Unit
    first: int
    last: int
    #: household id → its kind
    kinds: dict[int, str] = field(default_factory=dict)
    #: household id → the unit it was reviewed in (in ``last``, else in ``first``)
    units: dict[int, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """How many households of each kind (every kind, 0 included), in ``KINDS`` order."""
        found = Counter(self.kinds.values())
        return {kind: found[kind] for kind in KINDS}


def _results(who, unit: scope.Unit, year: int, within: Set[int] | None) -> dict[int, tuple[str, int]]:
    """Household → (its official result of ``year``, poor or near-poor; the unit it was reviewed
    in), for the records in the unit (as it was that year) within the scope (and ``within``)."""
    unit_ids = scope.unit_index().units_for_year(unit.id, year) & scope.scope_unit_ids(who)
    if within is not None:
        unit_ids &= within
    rows = db.session.execute(
        select(ReviewRecord.household_id, ReviewRecord.result, ReviewRecord.unit_id).where(
            ReviewRecord.year == year,
            ReviewRecord.kind == ReviewKind.OFFICIAL,
            ReviewRecord.result.in_((POOR, NEAR_POOR)),
            scope.scope_clause(ReviewRecord, who, unit_ids),
        )
    )
    return {household: (result, unit_id) for household, result, unit_id in rows}


def _poor_before(households: list[int], last: int) -> set[int]:
    """Those of ``households`` poor in some official review before ``last``, wherever it was."""
    found = set()
    for start in range(0, len(households), CHUNK):
        found.update(
            db.session.scalars(
                select(ReviewRecord.household_id)
                .where(
                    ReviewRecord.household_id.in_(households[start : start + CHUNK]),
                    ReviewRecord.kind == ReviewKind.OFFICIAL,
                    ReviewRecord.result == POOR,
                    ReviewRecord.year < last,
                )
                .distinct()
            )
        )
    return found


def movements(
    who, unit: scope.Unit, first: int, last: int, *, communes: Iterable[int] | None = None
) -> Movements:
    """The movement of each household poor or near-poor in ``first`` or ``last`` (``first`` <
    ``last``) in ``unit``, read within ``who``'s scope. A household reviewed poor elsewhere in
    ``first`` that is poor here in ``last`` counts as fallen back (it was poor before).

    :param communes: compare only these communes (with their villages and the units merged into
        them): those that finished ``last``'s review while others are still at it.
    """
    if first >= last:
        raise MovementError("from must be an earlier year than to")
    within = None
    if communes is not None:
        index = scope.unit_index()
        within = set().union(*(index.family(c) for c in communes))
    before, after = _results(who, unit, first, within), _results(who, unit, last, within)
    entering = sorted(h for h, (result, _unit) in after.items() if result == POOR and h not in before)
    poor_earlier = _poor_before(entering, last) if entering else set()
    found = Movements(unit, first, last)
    for household in before.keys() | after.keys():
        pair = (before.get(household, (None,))[0], after.get(household, (None,))[0])
        kind = _BY_PAIR[pair]
        if kind == "newly_poor" and household in poor_earlier:
            kind = "fallen_back"
        found.kinds[household] = kind
        found.units[household] = (after.get(household) or before[household])[1]
    return found


# -- who moved: by commune, ethnicity and cause, and the list --------------------------------------


@dataclass(frozen=True)
class Moved:
    """One household that moved, as the movements page lists it."""

    id: int
    code: str
    head_name: str
    ethnicity: str
    commune: str
    causes: tuple[str, ...]
    kind: str
    #: whether it lives in the reader's scope now (its page can be opened)
    linkable: bool = True


def households(found: Movements, cause_names: dict[int, str], who=None) -> list[Moved]:
    """The households of ``found`` with what the breakdowns need, by commune then code; the commune
    is that of the review (a household that moved since counts where it was reviewed);
    ``cause_names``: cause id → its name in the reader's language; ``who``: the reader (whether a
    household's page is in their scope now)."""
    index = scope.unit_index()
    allowed = scope.scope_unit_ids(who) if who is not None else None
    ids = sorted(found.kinds)
    rows, causes = [], {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows += db.session.execute(
            select(
                Household.id, Household.code, Household.head_name, Household.ethnicity, Household.unit_id
            ).where(Household.id.in_(chunk))
        ).all()
        for household_id, cause_id in db.session.execute(
            select(household_causes.c.household_id, household_causes.c.cause_id).where(
                household_causes.c.household_id.in_(chunk)
            )
        ):
            causes.setdefault(household_id, []).append(cause_names.get(cause_id, str(cause_id)))

    moved = [
        Moved(
            hid,
            code,
            name,
            ethnicity,
            (index.commune_of(found.units[hid]) or index.units[found.units[hid]]).name,
            tuple(sorted(causes.get(hid, ()))),
            found.kinds[hid],
            allowed is None or unit_id in allowed,
        )
        for hid, code, name, ethnicity, unit_id in rows
    ]
    return sorted(moved, key=lambda m: (m.commune, m.code))


def tally(moved: list[Moved], key) -> list[tuple[str, Counter]]:
    """Households by ``key(household)`` (one value, or several: a household with two causes counts
    under each) and kind, the group with the most households first."""
    groups: dict[str, Counter] = {}
    for household in moved:
        values = key(household)
        for value in values if isinstance(values, tuple) else (values,):
            groups.setdefault(value, Counter())[household.kind] += 1
    return sorted(groups.items(), key=lambda item: (-sum(item[1].values()), item[0]))


def preliminary_changes(who, unit: scope.Unit, year: int) -> Counter:
    """For ``year``: (preliminary result, official result) → households whose official result
    differs from the preliminary one, in the unit (as it was that year) within the scope."""
    unit_ids = scope.unit_index().units_for_year(unit.id, year) & scope.scope_unit_ids(who)
    official = aliased(ReviewRecord)
    rows = db.session.execute(
        select(ReviewRecord.result, official.result, func.count())
        .join(
            official,
            and_(
                official.household_id == ReviewRecord.household_id,
                official.year == ReviewRecord.year,
                official.kind == ReviewKind.OFFICIAL,
            ),
        )
        .where(
            ReviewRecord.year == year,
            ReviewRecord.kind == ReviewKind.PRELIMINARY,
            ReviewRecord.result != official.result,
            scope.scope_clause(ReviewRecord, who, unit_ids),
        )
        .group_by(ReviewRecord.result, official.result)
    )
    return Counter({(before, after): count for before, after, count in rows})
