"""The household registry: search, listing, and edits of households and members."""

import re
from dataclasses import dataclass, field

from flask import abort
from sqlalchemy import Row, Select, and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    AdminUnit,
    DataVersion,
    Household,
    Member,
    PovertyCause,
    SupportNeed,
    User,
    household_causes,
)
from app.models.households import Relation
from app.models.versions import REGISTRY
from app.services import audit, clock, coverage, scope
from app.services.text import fold, search_terms

CITIZEN_ID_RE = re.compile(r"[0-9]{12}")
SEARCH_SEPARATOR = " | "
SORTS = {
    "code": (Household.code,),
    "name": (Household.sort_name, Household.code),
    "-name": (Household.sort_name.desc(), Household.code),
    "status": (Household.status, Household.code),
    "-code": (Household.code.desc(),),
}
HOUSEHOLD_FIELDS = ("code", "head_name", "ethnicity", "unit_id", "address", "area", "phone", "notes")
MEMBER_FIELDS = (
    "full_name",
    "relation",
    "sex",
    "birth_year",
    "ethnicity",
    "citizen_id",
    "occupation",
    "health_insurance_card",
    "schooling",
    "has_disability",
)


class RegistryError(ValueError):
    """A rule of the registry refused an edit; ``field`` names the culprit."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass
class HouseholdFilter:
    q: str = ""
    unit_id: int | None = None
    status: str | None = None
    cause_id: int | None = None
    criterion: str | None = None
    area: str | None = None
    #: who follows it: assigned, unassigned or orphaned (app.services.coverage)
    followed: str | None = None
    #: a member needs something: a key of MEMBER_GAPS
    gap: str | None = None
    sort: str = ""
    page: int = 1
    per_page: int = 25


@dataclass
class Page:
    items: list = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 25
    #: True when ``total`` is a floor: a text search stopped counting there
    more: bool = False

    @classmethod
    def of(cls, items: list, page: int, per_page: int) -> "Page":
        """One page of a list held in memory, the page number kept within the pages there are."""
        found = cls(total=len(items), page=max(1, page), per_page=per_page)
        found.page = min(found.page, found.pages)
        found.items = items[(found.page - 1) * per_page : found.page * per_page]
        return found

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)


#: what a member may lack, as a condition on Member (the household list's "member needs" filter)
MEMBER_GAPS = {
    "no_health_card": lambda: or_(Member.health_insurance_card.is_(None), Member.health_insurance_card == ""),
    "dropped_out": lambda: Member.schooling == "dropped_out",
}


def _conditions(user: User, flt: HouseholdFilter) -> list:
    """The WHERE conditions of ``flt`` within the user's scope."""
    unit_ids = scope.scope_unit_ids(user)
    if flt.unit_id is not None:
        unit_ids = unit_ids & scope.unit_index().family(flt.unit_id)
    conditions = [scope.scope_clause(Household, user, unit_ids)]
    clause = search_clause(flt.q)
    if clause is not None:
        conditions.append(clause)
    if flt.status:
        conditions.append(Household.status == flt.status)
    if flt.criterion:
        conditions.append(Household.status_criterion == flt.criterion)
    if flt.area:
        conditions.append(Household.area == flt.area)
    if flt.cause_id:
        causes = select(household_causes.c.household_id).where(household_causes.c.cause_id == flt.cause_id)
        conditions.append(Household.id.in_(causes))
    if flt.followed:
        conditions.append(coverage.category_clause(flt.followed))
    if flt.gap:
        members = select(Member.household_id).where(MEMBER_GAPS[flt.gap]())
        conditions.append(Household.id.in_(members))
    return conditions


def search_document(parts: list[str | None]) -> str:
    """The folded text active search matches; a separator keeps a phrase inside one field."""
    return SEARCH_SEPARATOR.join(fold(p) for p in parts if p)


def search_clause(query: str | None):
    """Households whose one field (a name, the code, the address, a citizen ID) contains the
    folded phrase, or whose head's name contains every word ("nguyen duc" finds "Nguyễn Văn Đức").
    None for an empty query."""
    terms = search_terms(query)
    if not terms:
        return None
    phrase = " ".join(terms)
    head_has_every_word = and_(*(Household.sort_name.contains(t, autoescape=True) for t in terms))
    return or_(Household.search_text.contains(phrase, autoescape=True), head_has_every_word)


def _order(flt: HouseholdFilter) -> tuple:
    terms = search_terms(flt.q)
    if flt.sort in SORTS:
        return SORTS[flt.sort]
    if terms:  # best match first: the head's own name, then the code
        head_first = case((Household.sort_name.contains(" ".join(terms), autoescape=True), 0), else_=1)
        return (head_first, Household.code)
    return SORTS["code"]


#: What a list shows of a household; a page is read as plain rows of these, not ORM objects
LIST_COLUMNS = (
    Household.id,
    Household.code,
    Household.head_name,
    Household.ethnicity,
    Household.unit_id,
    Household.address,
    Household.area,
    Household.status,
    Household.status_criterion,
    Household.status_year,
)


def _in_order(ids: list[int]) -> list[Row]:
    found = {row.id: row for row in db.session.execute(select(*LIST_COLUMNS).where(Household.id.in_(ids)))}
    return [found[i] for i in ids if i in found]  # a row deleted meanwhile is left out


def _page_of(ids: Select, total: int, flt: HouseholdFilter, *, more: bool = False) -> Page:
    """Page ``flt.page`` (clamped) of the ordered id query: only ids are sorted and paged (the
    index ``(unit_id, status, code)`` covers a filtered list), then that page's rows are loaded."""
    page = min(max(1, flt.page), max(1, -(-total // flt.per_page)))
    offset = (page - 1) * flt.per_page
    size = min(flt.per_page, max(0, total - offset))  # a floor ``total`` also ends the list
    page_ids = db.session.scalars(ids.limit(size).offset(offset)).all()
    return Page(_in_order(list(page_ids)), total, page, flt.per_page, more)


def search_households(user: User, flt: HouseholdFilter, *, count_limit: int | None = None) -> Page:
    """One page of the households in the user's scope that match ``flt``; its items are rows of
    ``LIST_COLUMNS``.

    :param count_limit: for a text search, count at most this many matches (the list reads
        "more than …" beyond it), so that one common word across a province stays fast.
    """
    conditions = _conditions(user, flt)
    if count_limit and search_terms(flt.q):
        return _text_search_page(conditions, flt, count_limit)
    total = db.session.scalar(select(func.count()).select_from(Household).where(*conditions))
    return _page_of(select(Household.id).where(*conditions).order_by(*_order(flt)), total, flt)


def _text_search_page(conditions: list, flt: HouseholdFilter, limit: int) -> Page:
    """A text search reads its matches once, stopping after ``limit`` + 1 of them. Up to ``limit``
    matches are ranked among themselves (``_order``); more than that are listed in the order asked
    (code by default, which an index gives without sorting every match) and the total is a floor."""
    matches = db.session.scalars(select(Household.id).where(*conditions).limit(limit + 1)).all()
    if len(matches) > limit:
        order = SORTS.get(flt.sort, SORTS["code"])
        return _page_of(select(Household.id).where(*conditions).order_by(*order), limit, flt, more=True)
    ranked = select(Household.id).where(Household.id.in_(matches)).order_by(*_order(flt))
    return _page_of(ranked, len(matches), flt)


#: The most households one "all that match" action takes at once
MATCHING_LIMIT = 5000


def matching_household_ids(user: User, flt: HouseholdFilter) -> list[int]:
    """Every household in scope that matches ``flt`` (for an action on "all that match"), by code,
    at most ``MATCHING_LIMIT`` + 1 so that a caller can refuse a larger set."""
    stmt = select(Household.id).where(*_conditions(user, flt)).order_by(Household.code)
    return list(db.session.scalars(stmt.limit(MATCHING_LIMIT + 1)))


def registry_version() -> int | None:
    """The registry's change counter (raised by database triggers), None if it is missing."""
    return db.session.scalar(select(DataVersion.version).where(DataVersion.name == REGISTRY))


def load_household(user: User, household_id: int) -> Household:
    """The household with its members and catalogues, if in scope (else 404)."""
    stmt = (
        scope.scoped(Household, user)
        .where(Household.id == household_id)
        .options(
            selectinload(Household.members), selectinload(Household.causes), selectinload(Household.needs)
        )
    )
    household = db.session.scalars(stmt).first()
    if household is None:
        abort(404)
    return household


def rebuild_search_text(household: Household) -> None:
    parts = [household.code, household.head_name, household.address]
    for member in household.members:
        parts += [member.full_name, member.citizen_id]
    household.search_text = search_document(parts)
    household.sort_name = fold(household.head_name)


def next_household_code(village: AdminUnit) -> str:
    """``<commune code>-<n>``, one more than the highest number in that commune."""
    commune_code = village.parent.code if village.parent else village.code
    prefix = f"{commune_code}-"
    codes = db.session.scalars(select(Household.code).where(Household.code.startswith(prefix))).all()
    numbers = [int(c[len(prefix) :]) for c in codes if c[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def _check_village(user: User, unit_id: int) -> AdminUnit:
    unit = db.session.get(AdminUnit, unit_id)
    if unit is None or unit.id not in scope.scope_unit_ids(user) or unit.kind != "village":
        raise RegistryError("unit_id", "village_out_of_scope")
    if not unit.is_valid_on(clock.today()):
        raise RegistryError("unit_id", "village_not_current")
    return unit


def _check_code_free(code: str, household_id: int | None = None) -> None:
    other = db.session.scalars(select(Household.id).where(Household.code == code)).first()
    if other is not None and other != household_id:
        raise RegistryError("code", "code_taken")


def _snapshot(obj, fields: tuple[str, ...]) -> dict:
    return {f: getattr(obj, f) for f in fields}


def _catalogues(data: dict) -> tuple[list[PovertyCause], list[SupportNeed]]:
    """The chosen causes and needs, loaded before the household changes (one flush, one version)."""
    causes = db.session.scalars(select(PovertyCause).where(PovertyCause.id.in_(data.get("cause_ids") or [])))
    needs = db.session.scalars(select(SupportNeed).where(SupportNeed.id.in_(data.get("need_ids") or [])))
    return list(causes), list(needs)


def create_household(user: User, data: dict, *, ip: str | None = None) -> Household:
    """Create a household and its head as first member.

    :param data: the household fields, plus ``head_sex``, ``head_birth_year``,
        ``cause_ids`` and ``need_ids``; ``code`` may be empty (generated).
    :raises RegistryError: village outside scope, code taken.
    """
    village = _check_village(user, data["unit_id"])
    code = (data.get("code") or "").strip() or next_household_code(village)
    _check_code_free(code)
    causes, needs = _catalogues(data)
    now = audit.utcnow()
    household = Household(
        created_at=now,
        updated_at=now,
        **{f: data.get(f) for f in HOUSEHOLD_FIELDS if f != "code"},
        code=code,
    )
    household.area = data.get("area") or (
        "urban" if village.parent and village.parent.kind == "town" else "rural"
    )
    household.members.append(
        Member(
            full_name=household.head_name,
            relation=Relation.HEAD,
            sex=data.get("head_sex") or "male",
            birth_year=data.get("head_birth_year") or 1980,
            ethnicity=household.ethnicity,
        )
    )
    household.causes, household.needs = causes, needs
    rebuild_search_text(household)
    db.session.add(household)
    db.session.flush()
    audit.record("create", actor=user, ip=ip, obj=household, changes=_snapshot(household, HOUSEHOLD_FIELDS))
    return household


def update_household(user: User, household: Household, data: dict, *, ip: str | None = None) -> Household:
    """Apply the edit form to ``household`` (in scope); keeps the head member's name in step."""
    before = _snapshot(household, HOUSEHOLD_FIELDS) | {"causes": [c.code for c in household.causes]}
    if data["unit_id"] != household.unit_id:
        _check_village(user, data["unit_id"])
    code = (data.get("code") or "").strip() or household.code
    _check_code_free(code, household.id)
    causes, needs = _catalogues(data)
    for f in HOUSEHOLD_FIELDS:
        if f in data and f != "code":
            setattr(household, f, data[f])
    household.code = code
    for member in household.members:
        if member.relation == Relation.HEAD:
            member.full_name = household.head_name
    household.causes, household.needs = causes, needs
    household.updated_at = audit.utcnow()
    rebuild_search_text(household)
    after = _snapshot(household, HOUSEHOLD_FIELDS) | {"causes": [c.code for c in household.causes]}
    changes = audit.diff(before, after)
    if changes:
        audit.record("update", actor=user, ip=ip, obj=household, changes=changes)
    return household


def _check_member(household: Household, data: dict, member_id: int | None) -> None:
    citizen_id = data.get("citizen_id")
    if citizen_id:
        if not CITIZEN_ID_RE.fullmatch(citizen_id):
            raise RegistryError("citizen_id", "citizen_id_format")
        other = db.session.scalars(select(Member.id).where(Member.citizen_id == citizen_id)).first()
        if other is not None and other != member_id:
            raise RegistryError("citizen_id", "citizen_id_taken")
    year = data.get("birth_year")
    if year is None or not (clock.today().year - 120 <= year <= clock.today().year):
        raise RegistryError("birth_year", "birth_year_range")
    if data.get("relation") == Relation.HEAD:
        heads = [m for m in household.members if m.relation == Relation.HEAD and m.id != member_id]
        if heads:
            raise RegistryError("relation", "second_head")


def add_member(user: User, household: Household, data: dict, *, ip: str | None = None) -> Member:
    """Add a member; ``citizen_id`` empty means none. Raises RegistryError."""
    data = {**data, "citizen_id": (data.get("citizen_id") or "").strip() or None}
    _check_member(household, data, None)
    member = Member(**{f: data.get(f) for f in MEMBER_FIELDS})
    member.has_disability = bool(data.get("has_disability"))
    household.members.append(member)
    household.updated_at = audit.utcnow()
    rebuild_search_text(household)
    db.session.flush()
    audit.record("create", actor=user, ip=ip, obj=member, changes=_snapshot(member, MEMBER_FIELDS))
    return member


def update_member(user: User, member: Member, data: dict, *, ip: str | None = None) -> Member:
    data = {**data, "citizen_id": (data.get("citizen_id") or "").strip() or None}
    _check_member(member.household, data, member.id)
    before = _snapshot(member, MEMBER_FIELDS)
    for f in MEMBER_FIELDS:
        if f in data:
            setattr(member, f, data[f])
    member.has_disability = bool(data.get("has_disability"))
    household = member.household
    if member.relation == Relation.HEAD:
        household.head_name = member.full_name
    household.updated_at = audit.utcnow()
    rebuild_search_text(household)
    changes = audit.diff(before, _snapshot(member, MEMBER_FIELDS))
    if changes:
        audit.record("update", actor=user, ip=ip, obj=member, changes=changes)
    return member


def export_rows(user: User, flt: HouseholdFilter, limit: int) -> list[Row]:
    """Every household in scope matching ``flt``, in the list's order, at most ``limit`` + 1 (so a
    caller can refuse more): the list's columns but the id (``LIST_COLUMNS``), then the head's
    citizen ID and the number of members."""
    head_id = (
        select(Member.citizen_id)
        .where(Member.household_id == Household.id, Member.relation == Relation.HEAD)
        .limit(1)
        .scalar_subquery()
    )
    members = select(func.count()).where(Member.household_id == Household.id).scalar_subquery()
    stmt = (
        select(*LIST_COLUMNS[1:], head_id, members)
        .where(*_conditions(user, flt))
        .order_by(*_order(flt))
        .limit(limit + 1)
    )
    return db.session.execute(stmt).all()
