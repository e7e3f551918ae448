"""XLSX imports of households, members and review results: upload, check, preview, confirm, write.

A batch goes queued → parsing → invalid | ready → committing → committed (or cancelled, or
failed when the job itself broke). The upload is checked by its content (``xlsx_guard``) and
stored under a random name; a job reads it (``import_workbook``) and checks every row against the
registry as it is then, in the uploader's scope; the preview shows every problem, or what the
file would create, update and leave unchanged. Nothing is written before the uploader confirms.
The commit job reads and checks the file again (the registry may have changed since the
preview) and writes it in one transaction, or writes nothing.

Keys: a household by its code; a member by citizen ID, else by household, name and birth year; a
review result by household, year and kind, written through ``reviews.write_records`` with the
classification of the year's standard. A value equal to the stored one is not written, so
importing the same file twice changes nothing the second time. Members the file does not list
are kept. Progress: ``rows_done`` / ``rows_total`` committed every ``PROGRESS_EVERY`` rows read;
the commit job's writing is reported through its ``written`` callback (RQ's ``job.meta``).
"""

import secrets
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Household,
    ImportBatch,
    Member,
    PovertyCause,
    PovertyStandard,
    ReviewRecord,
    ReviewRound,
    SupportNeed,
    User,
)
from app.models.imports import ImportStatus as S
from app.models.reviews import ReviewKind, RoundType
from app.services import audit, clock, evidence, reviews, scope, xlsx_guard
from app.services.classification import Lines, classify
from app.services.households import MEMBER_FIELDS, Page, rebuild_search_text
from app.services.import_workbook import (
    HOUSEHOLDS,
    MEMBERS,
    N_,
    REVIEWS,
    Codes,
    HouseholdRow,
    MemberRow,
    Parsed,
    Problems,
    ReviewRow,
    read_workbook,
    write_template,
)

PROGRESS_EVERY = 500
HISTORY_PER_PAGE = 20
PROBLEMS_PER_PAGE = 50
#: a SQL IN list at most this long (SQLite's and the drivers' limits stay far away)
CHUNK = 500

UNKNOWN_VILLAGE = N_("No village has the code “%(code)s”. The codes are listed on the sheet “Hướng dẫn”.")
OUTSIDE_VILLAGE = N_("The village “%(code)s” is outside your area.")
OLD_VILLAGE = N_("The village “%(code)s” no longer exists (it was merged); use the code of the current one.")
OUTSIDE_HOUSEHOLD = N_(
    "The household code %(code)s belongs to a household outside your area: check the code, or ask the "
    "office in charge of that household."
)
DUPLICATE_CODE = N_("The household code %(code)s is already in row %(other)s of this sheet.")
UNKNOWN_CAUSES = N_("Unknown cause code(s): %(codes)s. The codes are listed on the sheet “Hướng dẫn”.")
UNKNOWN_NEEDS = N_("Unknown support need code(s): %(codes)s. The codes are listed on the sheet “Hướng dẫn”.")
UNKNOWN_HOUSEHOLD = N_(
    "The household %(code)s is neither on the sheet “Hộ gia đình” of this file nor in the registry of "
    "your area."
)
NEW_WITHOUT_HEAD = N_(
    "The household %(code)s is new: add its head to the sheet “Thành viên” with the relation “Chủ hộ”."
)
HEADS_IN_FILE = N_("The household %(code)s has more than one head (“Chủ hộ”) on this sheet: rows %(rows)s.")
HEAD_IN_REGISTRY = N_(
    "The household %(code)s already has a head in the registry (%(name)s): a household has exactly one head."
)
HEAD_NAME = N_("The head's name must be the same as the household's “Họ tên chủ hộ” (%(name)s).")
DUPLICATE_ID = N_("This citizen ID is also in row %(other)s of this sheet.")
ID_TAKEN = N_("This citizen ID already belongs to a member of the household %(code)s.")
ID_TAKEN_ELSEWHERE = N_("This citizen ID already belongs to a member of a household outside your area.")
DUPLICATE_PERSON = N_(
    "The same person (name and birth year, no citizen ID) is also in row %(other)s: give the citizen ID, "
    "or remove one of the rows."
)
NO_STANDARD = N_("No poverty standard covers %(year)s: the standards cover the years %(years)s.")
NOT_INDICATORS = N_(
    "Not indicator(s) of the standard for %(year)s (%(standard)s): %(codes)s. The codes are listed on the "
    "sheet “Hướng dẫn”."
)
UNDER_REVIEW = N_(
    "The review of %(year)s of this household's commune is run in the application: its results come from"
    " the review round and its decision, not from a file."
)
DUPLICATE_REVIEW = N_("This household's result of the same year and kind is already in row %(other)s.")

Written = Callable[[int, int], None]


# -- batches ------------------------------------------------------------------------------------


def import_dir() -> Path:
    return evidence.storage_dir("imports")


def stored_path(batch: ImportBatch) -> Path:
    return import_dir() / batch.stored_name


def receive(user: User, stream: BinaryIO, filename: str) -> ImportBatch:
    """Check an upload by its content, store it under a random name and record its batch, queued
    for parsing (the caller commits, then enqueues). The uploader's name is only shown, never a path.

    :raises xlsx_guard.UploadRefused: not a plain XLSX workbook of at most 10 MB; nothing is stored.
    """
    data = stream.read(xlsx_guard.MAX_BYTES + 1)
    checked = xlsx_guard.check_workbook(data)
    stored_name = f"{secrets.token_hex(16)}.xlsx"
    evidence.write_file(import_dir() / stored_name, data)
    batch = ImportBatch(
        user_id=user.id,
        unit_id=user.scope_unit_id,
        filename=evidence.display_name(filename, "xlsx", "danh-sach"),
        sha256=checked.sha256,
        size=checked.size,
        stored_name=stored_name,
        status=S.QUEUED,
        rows_total=0,
        rows_done=0,
        problems=[],
        problem_count=0,
        counts={},
        created_at=audit.utcnow(),
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def load_batch(user: User, batch_id: int) -> ImportBatch:
    """The batch if the user's scope holds its uploader's unit, else 404."""
    return scope.get_or_404(ImportBatch, batch_id, user, selectinload(ImportBatch.user))


def history(user: User, page: int) -> Page:
    """The batches of the user's scope, newest first, one page."""
    in_scope = scope.scope_clause(ImportBatch, user)
    total = db.session.scalar(select(func.count()).select_from(ImportBatch).where(in_scope))
    page = min(max(1, page), max(1, -(-total // HISTORY_PER_PAGE)))
    items = db.session.scalars(
        select(ImportBatch)
        .where(in_scope)
        .options(selectinload(ImportBatch.user))
        .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc())
        .limit(HISTORY_PER_PAGE)
        .offset((page - 1) * HISTORY_PER_PAGE)
    ).all()
    return Page(list(items), total, page, HISTORY_PER_PAGE)


def problem_page(batch: ImportBatch, page: int) -> Page:
    """One page of the batch's stored problems (at most MAX_PROBLEMS of ``problem_count``)."""
    return Page.of(batch.problems or [], page, PROBLEMS_PER_PAGE)


def earlier_import(user: User, batch: ImportBatch) -> ImportBatch | None:
    """The latest committed batch of the same file (same sha256) in the user's scope, if any."""
    return db.session.scalars(
        scope.scoped(ImportBatch, user)
        .where(
            ImportBatch.sha256 == batch.sha256,
            ImportBatch.status == S.COMMITTED,
            ImportBatch.id != batch.id,
        )
        .order_by(ImportBatch.committed_at.desc())
    ).first()


def _move(batch: ImportBatch, user: User, before: tuple[str, ...], after: str, **values) -> bool:
    """Compare-and-set of the uploader's own batch from one of ``before`` to ``after`` (a double
    click, or two tabs, moves it once)."""
    moved = db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id, ImportBatch.user_id == user.id, ImportBatch.status.in_(before))
        .values(status=after, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(batch)
    return bool(moved)


def confirm(user: User, batch: ImportBatch) -> bool:
    """Ask for a ready batch to be written (the caller commits, then enqueues the commit job).
    False when it is not ready any more, or not the user's own upload."""
    return _move(batch, user, (S.READY,), S.COMMITTING, error=None, rows_done=0)


def unconfirm(user: User, batch: ImportBatch) -> bool:
    """Back to ready after the commit job could not be enqueued (Redis down): confirm again later."""
    return _move(batch, user, (S.COMMITTING,), S.READY)


def cancel(user: User, batch: ImportBatch) -> bool:
    """Give up a checked batch of the user's own (the caller commits, then ``discard``s the file)."""
    return _move(batch, user, (S.READY, S.INVALID), S.CANCELLED)


def in_progress() -> list[ImportBatch]:
    """The batches a job is reading or writing, or should be."""
    return list(
        db.session.scalars(
            select(ImportBatch).where(ImportBatch.status.in_((S.QUEUED, S.PARSING, S.COMMITTING)))
        )
    )


def interrupted(batch: ImportBatch) -> None:
    """A batch whose job stopped for good without saying so (its worker was killed): reading
    fails (upload the file again); writing goes back to ready (nothing was written: confirm again)."""
    if batch.status == S.COMMITTING:
        batch.status, batch.error = S.READY, "import_write_interrupted"  # app.labels.MESSAGES
    else:
        batch.status, batch.error = S.FAILED, "import_read_interrupted"


def discard(batch: ImportBatch) -> None:
    """Remove a cancelled batch's stored file: it holds personal data nobody will import."""
    stored_path(batch).unlink(missing_ok=True)


def not_enqueued(batch: ImportBatch, reason: str) -> None:
    """A batch whose parse job could not be enqueued: failed, with the reason to show."""
    batch.status, batch.error = S.FAILED, reason[:500]


def template_for(user: User) -> bytes:
    """The template workbook with the codes this user may use (villages of their scope)."""
    villages = sorted(
        (village.code, village.name, commune.name)
        for commune, members in scope.villages_by_commune(user)
        for village in members
    )
    standards = [
        (s.code, s.name, s.legal_basis, s.year_from, s.year_to, [(i.code, i.name) for i in s.indicators])
        for s in _standards()
    ]
    causes, needs = _active(PovertyCause), _active(SupportNeed)
    unit = scope.unit_index().units[user.scope_unit_id]
    return write_template(
        Codes(
            villages=villages,
            causes=[(c.code, c.name_vi) for c in causes.values()],
            needs=[(n.code, n.name_vi) for n in needs.values()],
            standards=standards,
            made_for=f"{user.full_name}, {unit.name}",
            made_on=clock.today(),
        )
    )


# -- what the file's codes may name ------------------------------------------------------------------


def _active(model) -> dict:
    rows = db.session.scalars(select(model).where(model.active).order_by(model.sort_order))
    return {row.code: row for row in rows}


def _standards() -> list[PovertyStandard]:
    query = select(PovertyStandard).options(selectinload(PovertyStandard.indicators))
    return list(db.session.scalars(query.order_by(PovertyStandard.year_from)))


@dataclass
class Catalogue:
    """The codes a file may use, for the uploader's scope: ``unit_ids``, and its current villages."""

    unit_ids: frozenset[int]
    villages: dict[str, Any]
    causes: dict[str, PovertyCause]
    needs: dict[str, SupportNeed]
    _by_year: dict[int, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, unit_id: int) -> "Catalogue":
        unit_scope = scope.UnitScope(unit_id)
        villages = scope.current_units_in_scope(unit_scope, ("village",))
        return cls(
            scope.scope_unit_ids(unit_scope),
            {v.code: v for v in villages},
            _active(PovertyCause),
            _active(SupportNeed),
        )

    def standard(self, year: int):
        """``reviews.standard_for(year)``, asked once per year."""
        if year not in self._by_year:
            self._by_year[year] = reviews.standard_for(year)
        return self._by_year[year]

    @cached_property
    def years_covered(self) -> str:
        """The periods of the standards, for a message: "2016–2021, 2022–2026, …"."""
        return ", ".join(f"{s.year_from}–{s.year_to}" for s in _standards())

    def village_problem(self, code: str) -> str | None:
        """Why a village code cannot be used, or None when it can."""
        if code in self.villages:
            return None
        unit = scope.unit_index().resolve(code)
        if unit is None or unit.kind != "village":
            return UNKNOWN_VILLAGE
        return OUTSIDE_VILLAGE if unit.id not in self.unit_ids else OLD_VILLAGE


def _chunks(values: Iterable, size: int = CHUNK) -> Iterable[list]:
    items = sorted(set(values))
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class Registry:
    """What the registry holds for the file: its households (any scope, with members and
    catalogues), the holders of its citizen IDs, and those households' review records."""

    households: dict[str, Household]
    holders: dict[str, tuple[str, int]]  # citizen ID → (household code, household unit)
    records: dict[tuple[str, int, str], ReviewRecord]
    officials: dict[str, dict[int, str]]  # household code → {year: official result}

    @classmethod
    def load(cls, parsed: Parsed) -> "Registry":
        codes = {r.code for r in parsed.households} | {
            r.household for r in (*parsed.members, *parsed.reviews)
        }
        codes.discard(None)
        households = {}
        query = select(Household).options(
            selectinload(Household.members), selectinload(Household.causes), selectinload(Household.needs)
        )
        for chunk in _chunks(codes):
            for household in db.session.scalars(query.where(Household.code.in_(chunk))):
                households[household.code] = household
        holders = {}
        for chunk in _chunks(r.citizen_id for r in parsed.members if r.citizen_id):
            query = select(Member.citizen_id, Household.code, Household.unit_id).join(Household)
            for citizen_id, code, unit_id in db.session.execute(query.where(Member.citizen_id.in_(chunk))):
                holders[citizen_id] = (code, unit_id)
        records, officials = _records({h.id: h.code for h in households.values()})
        return cls(households, holders, records, officials)

    def in_scope(self, code: str, catalogue: Catalogue) -> Household | None:
        household = self.households.get(code)
        return household if household is not None and household.unit_id in catalogue.unit_ids else None


def _records(codes_by_id: dict[int, str]):
    records, officials = {}, defaultdict(dict)
    for chunk in _chunks(codes_by_id):
        query = select(ReviewRecord).where(ReviewRecord.household_id.in_(chunk))
        for record in db.session.scalars(query.options(selectinload(ReviewRecord.deprivations))):
            code = codes_by_id[record.household_id]
            records[(code, record.year, record.kind)] = record
            if record.kind == ReviewKind.OFFICIAL:
                officials[code][record.year] = record.result
    return records, officials


# -- checking the rows against the registry ---------------------------------------------------------


def _name_key(name: str | None) -> str:
    return " ".join((name or "").split()).casefold()


@dataclass
class Checked:
    """A workbook checked against the registry: its problems, and the stored member each member
    row is (None: a new member), by the row's number."""

    parsed: Parsed
    catalogue: Catalogue
    registry: Registry
    matches: dict[int, Member | None] = field(default_factory=dict)
    #: the households of the file's first sheet: code → head name
    file_heads: dict[str, str | None] = field(default_factory=dict)

    @property
    def problems(self) -> Problems:
        return self.parsed.problems

    def household_problem(self, code: str) -> str | None:
        """Why a member or review row cannot name this household (None when it can)."""
        if code in self.file_heads or self.registry.in_scope(code, self.catalogue):
            return None
        return OUTSIDE_HOUSEHOLD if code in self.registry.households else UNKNOWN_HOUSEHOLD

    def head_name(self, code: str) -> str | None:
        """The household's head name after the import: the file's, else the registry's."""
        if code in self.file_heads:
            return self.file_heads[code]
        stored = self.registry.households.get(code)
        return stored.head_name if stored else None


def check(parsed: Parsed, catalogue: Catalogue) -> Checked:
    """Check the parsed rows against the registry; problems are added to ``parsed.problems``.
    A workbook with a sheet missing or misshapen is not checked further: every member of a
    household sheet that could not be read would otherwise be reported as unknown."""
    if parsed.skipped:
        return Checked(parsed, catalogue, Registry({}, {}, {}, {}))
    checked = Checked(parsed, catalogue, Registry.load(parsed))
    for row in parsed.households:
        if row.code:
            checked.file_heads.setdefault(row.code, row.head_name)
    _check_households(checked)
    _check_members(checked)
    _check_heads(checked)
    _check_reviews(checked)
    return checked


def _check_households(checked: Checked) -> None:
    catalogue, problems, seen = checked.catalogue, checked.problems, {}
    for row in checked.parsed.households:
        stored = checked.registry.households.get(row.code)
        if row.code in seen:
            problems.at(HOUSEHOLDS, row.row, "code", DUPLICATE_CODE, code=row.code, other=seen[row.code])
        elif stored is not None and stored.unit_id not in catalogue.unit_ids:
            problems.at(HOUSEHOLDS, row.row, "code", OUTSIDE_HOUSEHOLD, code=row.code)
        if row.code:
            seen.setdefault(row.code, row.row)
        if row.village and (message := catalogue.village_problem(row.village)):
            problems.at(HOUSEHOLDS, row.row, "village", message, code=row.village)
        for key, known, message in (
            ("causes", catalogue.causes, UNKNOWN_CAUSES),
            ("needs", catalogue.needs, UNKNOWN_NEEDS),
        ):
            unknown = [code for code in getattr(row, key) if code not in known]
            if unknown:
                problems.at(HOUSEHOLDS, row.row, key, message, codes=", ".join(unknown))


def _check_members(checked: Checked) -> None:
    by_household: dict[str, list[MemberRow]] = defaultdict(list)
    seen_ids: dict[str, int] = {}
    seen_people: dict[tuple, int] = {}
    for row in checked.parsed.members:
        message = row.household and checked.household_problem(row.household)
        if message:
            checked.problems.at(MEMBERS, row.row, "household", message, code=row.household)
        elif row.household:
            by_household[row.household].append(row)
        _check_citizen_id(checked, row, seen_ids)
        _check_person(checked.problems, row, seen_people)
    for code, rows in by_household.items():
        stored = checked.registry.in_scope(code, checked.catalogue)
        for row, member in zip(rows, _match_members(stored.members if stored else [], rows), strict=True):
            checked.matches[row.row] = member


def _check_citizen_id(checked: Checked, row: MemberRow, seen: dict[str, int]) -> None:
    """Once in the file, and not already a member's of another household."""
    if not row.citizen_id:
        return
    if row.citizen_id in seen:
        checked.problems.at(MEMBERS, row.row, "citizen_id", DUPLICATE_ID, other=seen[row.citizen_id])
        return
    seen[row.citizen_id] = row.row
    holder = checked.registry.holders.get(row.citizen_id)
    if holder is None or holder[0] == row.household:
        return
    code, unit_id = holder
    if unit_id in checked.catalogue.unit_ids:
        checked.problems.at(MEMBERS, row.row, "citizen_id", ID_TAKEN, code=code)
    else:
        checked.problems.at(MEMBERS, row.row, "citizen_id", ID_TAKEN_ELSEWHERE)


def _check_person(problems: Problems, row: MemberRow, seen: dict[tuple, int]) -> None:
    """A person without a citizen ID is known by household, name and birth year: once each."""
    if row.citizen_id or not (row.household and row.full_name and row.birth_year):
        return
    key = (row.household, _name_key(row.full_name), row.birth_year)
    if key in seen:
        problems.at(MEMBERS, row.row, "full_name", DUPLICATE_PERSON, other=seen[key])
    seen.setdefault(key, row.row)


def _match_members(stored: list[Member], rows: list[MemberRow]) -> list[Member | None]:
    """The stored member each row is, or None: by citizen ID first; then a row with no match
    takes a member of the same name and birth year whose citizen ID does not say otherwise (one
    without an ID first). A stored member is matched once."""
    by_id = {m.citizen_id: m for m in stored if m.citizen_id}
    matches = [by_id.get(row.citizen_id) if row.citizen_id else None for row in rows]
    taken = {id(m) for m in matches if m is not None}
    candidates = sorted(stored, key=lambda m: m.citizen_id is not None)
    for index, row in enumerate(rows):
        if matches[index] is None:
            matches[index] = _same_person(candidates, row, taken)
    return matches


def _same_person(candidates: list[Member], row: MemberRow, taken: set[int]) -> Member | None:
    key = (_name_key(row.full_name), row.birth_year)
    for member in candidates:
        if id(member) in taken or (_name_key(member.full_name), member.birth_year) != key:
            continue
        if member.citizen_id and row.citizen_id:
            continue  # two citizen IDs: two people
        taken.add(id(member))
        return member
    return None


def _check_heads(checked: Checked) -> None:
    """Exactly one head per household after the import, named as the household's head."""
    heads: dict[str, list[MemberRow]] = defaultdict(list)
    for row in checked.parsed.members:
        if row.relation == "head" and row.household:
            heads[row.household].append(row)
    matched = {id(m) for m in checked.matches.values() if m is not None}
    for code, rows in heads.items():
        listed = ", ".join(str(r.row) for r in rows)
        for row in rows if len(rows) > 1 else ():
            checked.problems.at(MEMBERS, row.row, "relation", HEADS_IN_FILE, code=code, rows=listed)
        if len(rows) == 1:
            _check_single_head(checked, code, rows[0], matched)
    for row in checked.parsed.households:
        if row.code and row.code not in checked.registry.households and row.code not in heads:
            checked.problems.at(HOUSEHOLDS, row.row, "head_name", NEW_WITHOUT_HEAD, code=row.code)


def _check_single_head(checked: Checked, code: str, row: MemberRow, matched: set[int]) -> None:
    stored = checked.registry.in_scope(code, checked.catalogue)
    members = stored.members if stored else []
    other = next((m for m in members if m.relation == "head" and id(m) not in matched), None)
    if other is not None:
        checked.problems.at(MEMBERS, row.row, "relation", HEAD_IN_REGISTRY, code=code, name=other.full_name)
    expected = checked.head_name(code)
    if row.full_name and expected and _name_key(row.full_name) != _name_key(expected):
        checked.problems.at(MEMBERS, row.row, "full_name", HEAD_NAME, name=expected)


def _check_reviews(checked: Checked) -> None:
    seen: dict[tuple, int] = {}
    in_rounds = _years_under_review(checked)
    villages = {r.code: r.village for r in checked.parsed.households if r.code} if in_rounds else {}
    for row in checked.parsed.reviews:
        if row.household and (message := checked.household_problem(row.household)):
            checked.problems.at(REVIEWS, row.row, "household", message, code=row.household)
        elif (
            in_rounds
            and row.household
            and (_commune_of(checked, villages, row.household), row.year) in in_rounds
        ):
            checked.problems.at(REVIEWS, row.row, "year", UNDER_REVIEW, year=row.year)
        if row.year is not None:
            _check_standard(checked, row)
        key = (row.household, row.year, row.kind)
        if None not in key and key in seen:
            checked.problems.at(REVIEWS, row.row, "household", DUPLICATE_REVIEW, other=seen[key])
        seen.setdefault(key, row.row)


def _years_under_review(checked: Checked) -> set[tuple[int, int]]:
    """(commune, year) of the periodic reviews run in the application for the file's years: their
    results come from the round (and its decision), never from a file."""
    years = {row.year for row in checked.parsed.reviews if row.year is not None}
    if not years:
        return set()
    rounds = select(ReviewRound.unit_id, ReviewRound.year).where(
        ReviewRound.year.in_(years), ReviewRound.round_type == RoundType.PERIODIC
    )
    return {(unit_id, year) for unit_id, year in db.session.execute(rounds)}


def _commune_of(checked: Checked, villages: dict[str, str | None], code: str) -> int | None:
    """The commune a household lives in: its village on the file's first sheet (``villages``: code →
    village code), else in the registry."""
    village = checked.catalogue.villages.get(villages.get(code) or "")
    stored = checked.registry.households.get(code)
    unit_id = village.id if village is not None else (stored.unit_id if stored is not None else None)
    commune = scope.unit_index().commune_of(unit_id) if unit_id is not None else None
    return commune.id if commune is not None else None


def _check_standard(checked: Checked, row: ReviewRow) -> None:
    """A standard covers the year, and the indicators are that standard's."""
    standard = checked.catalogue.standard(row.year)
    if standard is None:
        years = checked.catalogue.years_covered
        checked.problems.at(REVIEWS, row.row, "year", NO_STANDARD, year=row.year, years=years)
        return
    known = {i.code for i in standard.indicators}
    unknown = ", ".join(code for code in row.indicators if code not in known)
    if unknown:
        params = {"year": row.year, "standard": standard.code, "codes": unknown}
        checked.problems.at(REVIEWS, row.row, "indicators", NOT_INDICATORS, **params)


# -- what a valid file changes ------------------------------------------------------------------


@dataclass
class Change:
    """What one row does to one registry object: ``stored`` is None for a new one; ``values`` holds
    what the row sets (every field for a new object, the fields that differ otherwise)."""

    code: str  # the household's code
    stored: Any
    values: dict

    @property
    def action(self) -> str:
        return "created" if self.stored is None else "updated" if self.values else "unchanged"


@dataclass
class ReviewChange:
    code: str
    year: int
    kind: str
    standard: PovertyStandard
    found: reviews.Result
    action: str


@dataclass
class Plan:
    households: list[Change]
    members: list[Change]
    renames: list[Change]  # registry heads that follow their household's new head name
    reviews: list[ReviewChange]

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        tally = {
            "households": Counter(c.action for c in self.households),
            "members": Counter(c.action for c in self.members) + Counter(updated=len(self.renames)),
            "reviews": Counter(c.action for c in self.reviews),
        }
        return {table: _three(counter) for table, counter in tally.items()}


def _three(counter: Counter) -> dict[str, int]:
    return {action: counter.get(action, 0) for action in ("created", "updated", "unchanged")}


def _same(stored: Any, value: Any) -> bool:
    if isinstance(value, list):  # catalogue entries, in any order
        return {item.id for item in stored} == {item.id for item in value}
    return stored == value


def _changed(stored: Any, values: dict) -> dict:
    if stored is None:
        return values
    return {key: value for key, value in values.items() if not _same(getattr(stored, key), value)}


def plan(checked: Checked) -> Plan:
    """What a file without problems would write, computed against the registry (nothing written)."""
    households = [_household_change(checked, row) for row in checked.parsed.households]
    homes = {code: (h.unit_id, h.area) for code, h in checked.registry.households.items()}
    for change in households:
        merged = {**_fields(change.stored, ("unit_id", "area")), **change.values}
        homes[change.code] = (merged["unit_id"], merged["area"])
    members = [_member_change(checked, row) for row in checked.parsed.members]
    return Plan(households, members, _renames(checked, households), _review_changes(checked, homes))


def _fields(obj: Any, names: tuple[str, ...]) -> dict:
    return {name: getattr(obj, name) for name in names} if obj is not None else {}


def _household_change(checked: Checked, row: HouseholdRow) -> Change:
    catalogue = checked.catalogue
    values = {
        "head_name": row.head_name,
        "ethnicity": row.ethnicity,
        "unit_id": catalogue.villages[row.village].id,
        "address": row.address,
        "area": row.area,
        "phone": row.phone,
        "notes": row.notes,
        "causes": [catalogue.causes[code] for code in row.causes],
        "needs": [catalogue.needs[code] for code in row.needs],
    }
    stored = checked.registry.households.get(row.code)
    return Change(row.code, stored, _changed(stored, values))


def _member_change(checked: Checked, row: MemberRow) -> Change:
    stored = checked.matches.get(row.row)
    values = {name: getattr(row, name) for name in MEMBER_FIELDS}
    if values["citizen_id"] is None and stored is not None:
        values["citizen_id"] = stored.citizen_id  # an empty cell does not erase a known ID
    return Change(row.household, stored, _changed(stored, values))


def _renames(checked: Checked, households: list[Change]) -> list[Change]:
    """A registry head the file does not list takes the household's new head name (as an edit of
    the household does)."""
    matched = {id(m) for m in checked.matches.values() if m is not None}
    renames = []
    for change in households:
        name = change.values.get("head_name")
        if change.stored is None or name is None:
            continue
        for member in change.stored.members:
            if member.relation == "head" and id(member) not in matched and member.full_name != name:
                renames.append(Change(change.code, member, {"full_name": name}))
    return renames


def _review_changes(checked: Checked, homes: dict[str, tuple[int, str]]) -> list[ReviewChange]:
    """Each result classified under its year's standard, with the transition ``write_records`` will
    compute (rows in year order: an earlier official result of the file counts for a later one)."""
    officials = {code: dict(years) for code, years in checked.registry.officials.items()}
    changes = []
    for row in sorted(
        checked.parsed.reviews, key=lambda r: (r.household, r.year, r.kind == ReviewKind.OFFICIAL)
    ):
        standard = checked.catalogue.standard(row.year)
        by_code = {i.code: i for i in standard.indicators}
        deprived = [by_code[code] for code in row.indicators]
        unit_id, area = homes[row.household]
        verdict = classify(Lines.of(standard), area, row.income, len(deprived))
        moved = _transition(officials.setdefault(row.household, {}), row, verdict.result)
        found = reviews.Result(
            unit_id, area, row.income, deprived, verdict.result, verdict.criterion,
            row.decision_number, row.decision_date,
        )  # fmt: skip
        stored = checked.registry.records.get((row.household, row.year, row.kind))
        action = (
            "created"
            if stored is None
            else "unchanged"
            if _same_record(stored, standard, found, moved)
            else "updated"
        )
        changes.append(ReviewChange(row.household, row.year, row.kind, standard, found, action))
    return changes


def _transition(officials: dict[int, str], row: ReviewRow, result: str):
    """``reviews.transition`` from the official results known so far (the registry's, then the
    file's); an official row becomes one of them."""
    if row.kind != ReviewKind.OFFICIAL:
        return None
    officials[row.year] = str(result)
    return reviews.transition_from(officials, row.year, result)


def _same_record(record: ReviewRecord, standard, found: reviews.Result, moved) -> bool:
    """Whether ``write_records`` would leave ``record`` as it is (its own comparison)."""
    return reviews.is_same(record, reviews.record_values(standard, found, moved), found.deprivations)


def apply(
    checked: Checked, planned: Plan, written: Written, actor: User | None = None
) -> dict[str, dict[str, int]]:
    """Write the plan (the caller commits, or rolls back on any error); returns what was done.
    ``written(done, total)`` is called every PROGRESS_EVERY review results written."""
    now = audit.utcnow()
    homes = _write_households(checked, planned, now, actor)
    counts = planned.counts
    counts["reviews"] = _three(Counter())
    # A result the plan found unchanged (write_records' own comparison, in this transaction) is not
    # written again: a re-import then costs no query per row. The rest go by year and kind, the
    # earlier years first, so that a year's transition sees the year before as the file set it.
    groups: dict[tuple, list[ReviewChange]] = defaultdict(list)
    for change in planned.reviews:
        if change.action == "unchanged":
            counts["reviews"]["unchanged"] += 1
        else:
            groups[(change.year, change.kind != ReviewKind.PRELIMINARY, change.standard.id)].append(change)
    done, total = 0, len(planned.reviews)
    for key in sorted(groups):
        changes = groups[key]
        for start in range(0, len(changes), PROGRESS_EVERY):
            part = changes[start : start + PROGRESS_EVERY]
            first = part[0]
            items = [(homes[c.code], c.found) for c in part]
            wrote = reviews.write_records(items, first.year, first.kind, first.standard, now)
            for change in part:
                outcome = "created" if change.action == "created" else "updated"
                counts["reviews"][outcome if homes[change.code].id in wrote else "unchanged"] += 1
            done += len(part)
            written(done, total)
    return counts


def _write_households(checked: Checked, planned: Plan, now, actor: User | None) -> dict[str, Household]:
    """Create and update the households and members, each change audited in the record's history
    as an edit by the uploader would be; returns every household of the file by code."""
    homes = dict(checked.registry.households)
    touched: set[str] = set()
    history: list[tuple[str, Any, dict]] = []
    for change in planned.households:
        if change.code not in homes:
            homes[change.code] = Household(code=change.code, created_at=now, updated_at=now)
            db.session.add(homes[change.code])
        if change.values:
            history.append(_audited(homes[change.code], change))
            _set(homes[change.code], {**change.values, "updated_at": now})
            touched.add(change.code)
    for change in (*planned.members, *planned.renames):
        if change.stored is None:
            member = Member(**change.values)
            homes[change.code].members.append(member)
            history.append(_audited(member, change))
        else:
            history.append(_audited(change.stored, change))
            _set(change.stored, change.values)
        if change.values:
            touched.add(change.code)
    for code in touched:
        rebuild_search_text(homes[code])
    db.session.flush()
    for action, obj, changes in history:
        if changes:
            audit.record(action, actor=actor, obj=obj, changes=changes)
    return homes


def _audited(obj: Any, change: Change) -> tuple[str, Any, dict]:
    """(action, object, ``{field: [before, after]}``) of one change, read before it is made."""
    created = change.stored is None
    before = {} if created else {key: _plain(getattr(obj, key)) for key in change.values}
    changes = {key: [before.get(key), _plain(value)] for key, value in change.values.items()}
    return ("create" if created else "update", obj, changes)


def _plain(value: Any) -> Any:
    """A value as the audit log keeps it: causes and needs by their codes, as household edits do."""
    if isinstance(value, list | tuple):
        return [getattr(item, "code", item) for item in value]
    return value


def _set(obj: Any, values: dict) -> None:
    for key, value in values.items():
        setattr(obj, key, value)


# -- the jobs' work (app/tasks/imports.py runs it and commits) -----------------------------------


def start(batch_id: int, before: tuple[str, ...], status: str) -> ImportBatch | None:
    """The batch, moved to ``status``, if it is in one of ``before`` (None: cancelled meanwhile,
    or done by an earlier attempt)."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.status not in before:
        return None
    batch.status, batch.rows_done = status, 0
    return batch


def note_progress(batch_id: int, done: int, total: int) -> None:
    """How many rows the reading has reached (the page polling the batch shows it)."""
    db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch_id)
        .values(rows_done=done, rows_total=total)
        .execution_options(synchronize_session=False)
    )


def evaluate(batch: ImportBatch, progress: Callable[[int, int], None]) -> Checked:
    """Read the batch's stored file and check it against the registry as it is now."""
    path = stored_path(batch)
    if not path.is_file():
        raise FileNotFoundError(f"the stored file of import {batch.id} is missing")
    parsed = read_workbook(path, progress)
    return check(parsed, Catalogue.load(batch.unit_id))


def record_check(batch: ImportBatch, checked: Checked, counts: dict) -> None:
    """What the parse found: invalid with its problems, or ready with the planned ``counts``."""
    batch.rows_total = batch.rows_done = checked.parsed.rows
    batch.problems = checked.problems.listed()
    batch.problem_count = checked.problems.count
    batch.status = S.INVALID if checked.problems else S.READY
    batch.counts = counts
    batch.parsed_at = audit.utcnow()
    batch.error = None


def write(batch: ImportBatch, checked: Checked, written: Written) -> None:
    """Write a valid, confirmed file (the caller commits, or rolls back on any error) and record
    what was done on the batch, audited."""
    uploader = db.session.get(User, batch.user_id)
    counts = apply(checked, plan(checked), written, uploader)
    audit.record(
        "import",
        actor=uploader,
        obj=batch,
        changes={"filename": batch.filename, "sha256": batch.sha256, **counts},
    )
    batch.status, batch.counts, batch.error = S.COMMITTED, counts, None
    batch.rows_total = batch.rows_done = checked.parsed.rows
    batch.committed_at = audit.utcnow()


def note_failure(batch_id: int, error: BaseException, *, final: bool) -> None:
    """A failed attempt on the batch (after the caller rolled back what it wrote); after the last
    one the batch is ``failed`` with a readable reason (citizen IDs masked)."""
    values = {"error": audit.mask_citizen_id(f"{type(error).__name__}: {error}")[:500]}
    if final:
        values["status"] = S.FAILED
    db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch_id, ImportBatch.status.in_((S.QUEUED, S.PARSING, S.COMMITTING)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
