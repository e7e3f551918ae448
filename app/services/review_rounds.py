"""Running a review in a commune (DOMAIN.md §4, QĐ 24/2021/QĐ-TTg): open a round, record each
household's figures, keep the procedure's checklist, publish the preliminary results, then
recognise the official ones.

A round's entries are the clerk's working figures; the figures of the district only ever come
from review records (``reviews.write_records``), written when the preliminary results are
published (kind "preliminary") and when the commune chairman's decision recognises them (kind
"official"). Entries can be corrected until recognition: the difference between a year's
preliminary and official results is then visible on the movements page.

The checklist gate: official results cannot be recognised until every village has held its
meeting with at least half of those present agreeing and two signed minutes attached, the
results have been posted publicly (from–to), and every written request (Mẫu số 01) is processed.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import BinaryIO

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    AdminUnit,
    Household,
    Indicator,
    MeetingMinutes,
    ReviewEntry,
    ReviewRecord,
    ReviewRequest,
    ReviewRound,
    User,
    VillageMeeting,
)
from app.models.reviews import (
    Criterion,
    RequestOutcome,
    ReviewKind,
    ReviewResult,
    RoundStage,
    RoundType,
)
from app.models.users import Role
from app.services import audit, clock, evidence, reviews, scope
from app.services.classification import Classification, Lines, classify
from app.services.households import Page, RegistryError, search_clause

#: a periodic review runs from 1 September to 14 December (preliminary results before
#: 15 November, official before 20 December)
PERIODIC_WINDOW = ((9, 1), (12, 14))
PRELIMINARY_BY = (11, 14)
OFFICIAL_BY = (12, 19)
MINUTES_PER_MEETING = 2
REASON_MIN = 10
#: who may recognise official results (the commune chairman's decision, entered by an office)
RECOGNISERS = (Role.MANAGER, Role.ADMIN)


class RoundError(RegistryError):
    """A rule of the review refused a change; ``field`` names the culprit, the message is a key of
    ``app.labels.MESSAGES``."""


# --- opening -------------------------------------------------------------------------------------


def open_round(
    user: User, unit_id: int, year: int, round_type: str, month: int, *, ip: str | None = None
) -> ReviewRound:
    """Open a commune's periodic review of ``year`` or its regular review of ``month``.

    :raises RoundError: the commune is outside the scope or not a commune; no standard covers the
        year; the month is missing or out of range; the same round is already open.
    """
    unit = db.session.get(AdminUnit, unit_id)
    if unit is None or unit_id not in scope.scope_unit_ids(user) or not unit.is_commune_level:
        raise RoundError("unit", "commune_out_of_scope")
    standard = reviews.standard_for(year)
    if standard is None:
        raise RoundError("year", "no_standard")
    if round_type == RoundType.PERIODIC:
        month = 0
    elif not 1 <= (month or 0) <= 12:
        raise RoundError("month", "month_required")
    row = ReviewRound(
        unit_id=unit.id,
        year=year,
        round_type=round_type,
        month=month,
        standard_id=standard.id,
        stage=RoundStage.OPEN,
        opened_by_id=user.id,
        opened_at=audit.utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise RoundError("year", "round_exists") from None
    audit.record(
        "create", actor=user, ip=ip, obj=row, changes={"year": [None, year], "type": [None, round_type]}
    )
    return row


def deadlines(row: ReviewRound) -> dict[str, date] | None:
    """A periodic review's window and the dates its results are due by; None for a regular one."""
    if row.round_type != RoundType.PERIODIC:
        return None
    (m1, d1), (m2, d2) = PERIODIC_WINDOW
    return {
        "starts": date(row.year, m1, d1),
        "ends": date(row.year, m2, d2),
        "preliminary": date(row.year, *PRELIMINARY_BY),
        "official": date(row.year, *OFFICIAL_BY),
    }


def period(row: ReviewRound) -> tuple[date, date]:
    """The days a round's meetings, posting and decision fall in: 1 September – 31 December for a
    periodic review (official results are due by 19 December); for a regular review, its month
    and the next (results are due by the 5th of the next month)."""
    if row.round_type == RoundType.PERIODIC:
        return date(row.year, *PERIODIC_WINDOW[0]), date(row.year, 12, 31)
    following = date(row.year + row.month // 12, row.month % 12 + 1, 1)
    last = date(following.year + following.month // 12, following.month % 12 + 1, 1) - timedelta(days=1)
    return date(row.year, row.month, 1), last


def _check_day(row: ReviewRound, day: date, field_name: str, *, earliest: date | None = None) -> None:
    """A day the procedure happened: within the round's period, and not after the real today."""
    first, last = period(row)
    if day > clock.real_today():
        raise RoundError(field_name, "date_in_future")
    if not (earliest or first) <= day <= last:
        raise RoundError(field_name, "date_outside_round")


def villages_of(row: ReviewRound) -> list[scope.Unit]:
    """The villages of the round's commune as they stood in its year, by name (from the unit
    index: no query)."""
    index, on = scope.unit_index(), date(row.year, 12, 31)
    villages = (index.units[i] for i in index.subtree(row.unit_id))
    return sorted((v for v in villages if v.kind == "village" and v.is_valid_on(on)), key=lambda v: v.name)


def village_of(row: ReviewRound, village_id: int) -> scope.Unit | None:
    """One of the round's villages, or None when ``village_id`` is not one."""
    return next((v for v in villages_of(row) if v.id == village_id), None)


def round_households(row: ReviewRound) -> Select:
    """The households a round reviews: those of the commune's villages today."""
    return select(Household).where(Household.unit_id.in_(scope.unit_index().subtree(row.unit_id)))


# --- entries -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryInput:
    income: int
    indicator_ids: Sequence[int]
    result: str | None = None  # a result other than the computed one, with ``reason``
    reason: str | None = None


def _claim(row: ReviewRound) -> None:
    """Take the round's row lock (a write that changes nothing) and read the round again: whoever
    changes a round or its entries waits for whoever is at it, then sees what they did — two
    recognitions, a double-submitted entry, a publication racing the recognition."""
    db.session.execute(
        update(ReviewRound)
        .where(ReviewRound.id == row.id)
        .values(opened_at=ReviewRound.opened_at)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(row)


def _editable(row: ReviewRound) -> None:
    """Claim the round; refuse once it is recognised."""
    _claim(row)
    if row.stage == RoundStage.OFFICIAL:
        raise RoundError("stage", "round_recognised")


def classify_entry(row: ReviewRound, household: Household, income: int, deprived: int) -> Classification:
    """The result the round's standard gives for these figures."""
    return classify(Lines.of(row.standard), household.area, income, deprived)


def record_entry(
    user: User, row: ReviewRound, household: Household, data: EntryInput, *, ip: str | None = None
) -> ReviewEntry:
    """Record (or correct) a household's figures in an open round. The result is the
    classification's unless ``data.result`` overrides it, which needs a written reason; an
    override is audited as such.

    :raises RoundError: round recognised; household not of the round's commune; an indicator not
        of the round's standard; a negative income; an override without a reason.
    """
    _editable(row)
    if not in_round(row, household):
        raise RoundError("household", "household_not_in_round")
    if data.income is None or data.income < 0:
        raise RoundError("income", "income_negative")
    indicators = list(db.session.scalars(select(Indicator).where(Indicator.id.in_(data.indicator_ids))))
    if len(indicators) != len(set(data.indicator_ids)) or any(
        i.standard_id != row.standard_id for i in indicators
    ):
        raise RoundError("deprivations", "unknown_indicator")
    computed = classify_entry(row, household, data.income, len(indicators))
    result, criterion, reason = computed.result, computed.criterion, None
    if data.result and data.result != computed.result:
        if data.result not in set(ReviewResult):
            raise RoundError("result", "result_unknown")
        reason = (data.reason or "").strip()
        if len(reason) < REASON_MIN:
            raise RoundError("reason", "override_reason_required")
        result = ReviewResult(data.result)
        criterion = (
            _override_criterion(row, household, data.income, computed)
            if result == ReviewResult.POOR
            else None
        )
    entry = entry_of(row, household)
    before = _entry_snapshot(entry)
    if entry is None:
        entry = ReviewEntry(round_id=row.id, household_id=household.id)
        db.session.add(entry)
    entry.unit_id, entry.area = household.unit_id, household.area
    entry.income_per_month = data.income
    entry.computed_result = str(computed.result)
    entry.computed_criterion = str(computed.criterion) if computed.criterion else None
    entry.result, entry.criterion = str(result), str(criterion) if criterion else None
    entry.override_reason = reason
    entry.deprivations = indicators
    entry.recorded_by_id, entry.recorded_at = user.id, audit.utcnow()
    db.session.flush()
    changes = audit.diff(before, _entry_snapshot(entry))
    if changes:
        action = "review.override" if reason else "review.entry"
        audit.record(action, actor=user, ip=ip, obj=entry, changes=changes)
    return entry


def _override_criterion(row: ReviewRound, household: Household, income: int, computed: Classification):
    """The criterion of a result changed to poor: the computed one if it was poor already; under
    QĐ 59/2015 (income or deprivation), income when at or under the poor line, else deprivation
    (so poor by income and by deprivation still add up to poor); none under the later rules."""
    if computed.result == ReviewResult.POOR:
        return computed.criterion
    lines = Lines.of(row.standard)
    if lines.rule != "income_or_deprivation":
        return None
    poor_line = lines.poor_urban if household.area == "urban" else lines.poor_rural
    return Criterion.INCOME if income <= poor_line else Criterion.DEPRIVATION


def in_round(row: ReviewRound, household: Household) -> bool:
    """Whether the household lives in the round's commune."""
    return household.unit_id in scope.unit_index().subtree(row.unit_id)


def _entry_snapshot(entry: ReviewEntry | None) -> dict:
    if entry is None:
        return {}
    return {
        "income_per_month": entry.income_per_month,
        "deprivations": sorted(i.code for i in entry.deprivations),
        "computed_result": entry.computed_result,
        "result": entry.result,
        "override_reason": entry.override_reason,
    }


# --- the procedure's checklist -------------------------------------------------------------------


@dataclass
class Checklist:
    """What the procedure still needs before recognition; ``missing`` lists message keys."""

    villages: list[AdminUnit]
    meetings: dict[int, VillageMeeting]
    entries: int
    households: int
    requests_pending: int
    posted: bool
    missing: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing

    def meeting_done(self, village_id: int) -> bool:
        meeting = self.meetings.get(village_id)
        return meeting is not None and meeting.agreed and len(meeting.minutes) >= MINUTES_PER_MEETING


def checklist(row: ReviewRound) -> Checklist:
    villages = villages_of(row)
    meetings = {
        m.village_id: m
        for m in db.session.scalars(
            select(VillageMeeting)
            .where(VillageMeeting.round_id == row.id)
            .options(selectinload(VillageMeeting.minutes))
        )
    }
    entries = db.session.scalar(select(func.count()).where(ReviewEntry.round_id == row.id)) or 0
    households = db.session.scalar(select(func.count()).select_from(round_households(row).subquery())) or 0
    pending = db.session.scalar(
        select(func.count()).where(
            ReviewRequest.round_id == row.id, ReviewRequest.outcome == RequestOutcome.PENDING
        )
    )
    found = Checklist(
        villages, meetings, entries, households, pending or 0, bool(row.posting_from and row.posting_to)
    )
    if row.round_type == RoundType.REGULAR:
        reviewed = set(db.session.scalars(select(ReviewEntry.unit_id).where(ReviewEntry.round_id == row.id)))
        found.villages = [v for v in villages if v.id in reviewed]
    if not entries:
        found.missing.append("checklist_no_entries")
    elif row.round_type == RoundType.PERIODIC and entries < households:
        found.missing.append("checklist_households")
    if not all(found.meeting_done(v.id) for v in found.villages):
        found.missing.append("checklist_meetings")
    if not found.posted:
        found.missing.append("checklist_posting")
    if found.requests_pending:
        found.missing.append("checklist_requests")
    return found


def save_meeting(
    user: User,
    row: ReviewRound,
    village_id: int,
    held_on: date,
    attendees: int,
    agreeing: int,
    *,
    ip: str | None = None,
) -> VillageMeeting:
    """Record (or correct) a village's meeting: its date, how many attended and agreed.

    :raises RoundError: not a village of the round; counts impossible; a date in the future.
    """
    _editable(row)
    if village_of(row, village_id) is None:
        raise RoundError("village", "village_out_of_scope")
    if attendees < 1:
        raise RoundError("attendees", "attendees_positive")
    if not 0 <= agreeing <= attendees:
        raise RoundError("agreeing", "agreeing_range")
    _check_day(row, held_on, "held_on")
    meeting = db.session.scalars(
        select(VillageMeeting).where(
            VillageMeeting.round_id == row.id, VillageMeeting.village_id == village_id
        )
    ).first()
    before = {} if meeting is None else _meeting_snapshot(meeting)
    if meeting is None:
        meeting = VillageMeeting(round_id=row.id, village_id=village_id)
        db.session.add(meeting)
    meeting.held_on, meeting.attendees, meeting.agreeing = held_on, attendees, agreeing
    db.session.flush()
    audit.record(
        "update", actor=user, ip=ip, obj=meeting, changes=audit.diff(before, _meeting_snapshot(meeting))
    )
    return meeting


def _meeting_snapshot(meeting: VillageMeeting) -> dict:
    return {"held_on": meeting.held_on, "attendees": meeting.attendees, "agreeing": meeting.agreeing}


def add_minutes(
    user: User, meeting: VillageMeeting, stream: BinaryIO, filename: str, *, ip: str | None = None
) -> MeetingMinutes:
    """Attach a signed minutes file (PDF, JPEG or PNG by content, at most 10 MB) to a meeting.

    :raises RoundError: round recognised; the file refused (``evidence.store`` says why).
    """
    row = db.session.get(ReviewRound, meeting.round_id)
    _editable(row)
    try:
        stored = evidence.store(evidence.storage_dir("minutes"), stream, filename, default_name="bien-ban")
    except evidence.FileRefused as refused:
        raise RoundError("file", str(refused)) from None
    minutes = MeetingMinutes(
        meeting_id=meeting.id,
        uploaded_by_id=user.id,
        created_at=audit.utcnow(),
        **stored.columns(),
    )
    db.session.add(minutes)
    db.session.flush()
    audit.record("create", actor=user, ip=ip, obj=minutes, changes={"sha256": [None, stored.sha256]})
    return minutes


def set_posting(
    user: User, row: ReviewRound, posted_from: date, posted_to: date, *, ip: str | None = None
) -> None:
    """Record the public posting of the results (niêm yết công khai), from and to.

    :raises RoundError: the end before the start; a start in the future.
    """
    _editable(row)
    if posted_to < posted_from:
        raise RoundError("posting_to", "dates_reversed")
    _check_day(row, posted_from, "posting_from")
    _check_day(row, posted_to, "posting_to")
    last_meeting = db.session.scalar(
        select(func.max(VillageMeeting.held_on)).where(VillageMeeting.round_id == row.id)
    )
    if last_meeting is not None and posted_from < last_meeting:
        raise RoundError("posting_from", "posting_before_meetings")
    before = {"posting_from": row.posting_from, "posting_to": row.posting_to}
    row.posting_from, row.posting_to = posted_from, posted_to
    after = {"posting_from": posted_from, "posting_to": posted_to}
    audit.record("update", actor=user, ip=ip, obj=row, changes=audit.diff(before, after))


def add_request(
    user: User, row: ReviewRound, household: Household, received_on: date, *, ip: str | None = None
) -> ReviewRequest:
    """Register a household's written request to be reviewed (Mẫu số 01).

    :raises RoundError: household not of the round's commune; a date in the future.
    """
    _editable(row)
    if not in_round(row, household):
        raise RoundError("household", "household_not_in_round")
    _check_day(row, received_on, "received_on", earliest=date(row.year, 1, 1))
    request_row = ReviewRequest(round_id=row.id, household_id=household.id, received_on=received_on)
    db.session.add(request_row)
    db.session.flush()
    audit.record("create", actor=user, ip=ip, obj=request_row, changes={"household_id": [None, household.id]})
    return request_row


def process_request(
    user: User,
    request_row: ReviewRequest,
    outcome: str,
    processed_on: date,
    note: str | None,
    *,
    ip: str | None = None,
) -> None:
    """Answer a request: the household was reviewed in the round, or refused in writing (with a
    note saying why).

    :raises RoundError: an unknown outcome; "reviewed" without an entry for the household;
        "refused" without a note; a date before the request or in the future.
    """
    row = db.session.get(ReviewRound, request_row.round_id)
    _editable(row)
    if outcome not in (RequestOutcome.REVIEWED, RequestOutcome.REFUSED):
        raise RoundError("outcome", "outcome_unknown")
    _check_day(row, processed_on, "processed_on", earliest=request_row.received_on)
    note = (note or "").strip() or None
    if outcome == RequestOutcome.REFUSED and note is None:
        raise RoundError("note", "reason_required")
    if outcome == RequestOutcome.REVIEWED and not db.session.scalar(
        select(ReviewEntry.id).where(
            ReviewEntry.round_id == row.id, ReviewEntry.household_id == request_row.household_id
        )
    ):
        raise RoundError("outcome", "request_not_reviewed")
    before = {
        "outcome": request_row.outcome,
        "processed_on": request_row.processed_on,
        "note": request_row.note,
    }
    request_row.outcome, request_row.processed_on, request_row.note = outcome, processed_on, note
    after = {"outcome": outcome, "processed_on": processed_on, "note": note}
    audit.record("update", actor=user, ip=ip, obj=request_row, changes=audit.diff(before, after))


# --- results -------------------------------------------------------------------------------------


def _entries(row: ReviewRound) -> list[ReviewEntry]:
    return list(
        db.session.scalars(
            select(ReviewEntry)
            .where(ReviewEntry.round_id == row.id)
            .options(selectinload(ReviewEntry.deprivations), selectinload(ReviewEntry.household))
            .order_by(ReviewEntry.id)
        )
    )


def _write_results(row: ReviewRound, kind: str, decision: tuple[str, date] | None = None) -> int:
    """Write every entry of the round as a review record of ``kind``; how many records changed."""
    number, day = decision or (None, None)
    items = [
        (
            entry.household,
            reviews.Result(
                unit_id=entry.unit_id,
                area=entry.area,
                income=entry.income_per_month,
                deprivations=entry.deprivations,
                result=entry.result,
                criterion=entry.criterion,
                decision_number=number,
                decision_date=day,
            ),
        )
        for entry in _entries(row)
    ]
    return len(reviews.write_records(items, row.year, kind, row.standard, audit.utcnow()))


def publish_preliminary(user: User, row: ReviewRound, *, ip: str | None = None) -> int:
    """Publish the round's results as preliminary (sơ bộ) records; again after corrections.

    :raises RoundError: no entry yet; the round recognised.
    :returns: how many records were written.
    """
    _editable(row)
    if not db.session.scalar(select(ReviewEntry.id).where(ReviewEntry.round_id == row.id).limit(1)):
        raise RoundError("stage", "checklist_no_entries")
    written = _write_results(row, ReviewKind.PRELIMINARY)
    row.stage, row.preliminary_at = RoundStage.PRELIMINARY, audit.utcnow()
    audit.record("review.preliminary", actor=user, ip=ip, obj=row, changes={"records": [None, written]})
    return written


def recognise(
    user: User, row: ReviewRound, decision_number: str, decision_date: date, *, ip: str | None = None
) -> int:
    """Recognise the official (chính thức) results by the chairman's decision: writes the official
    records (with their transitions) and moves the households' status. Final: the round can no
    longer change.

    :raises RoundError: not allowed to the user's role; preliminary results not published; the
        checklist incomplete; the decision's number missing or its date before the posting ended
        or in the future.
    """
    if user.role not in RECOGNISERS:
        raise RoundError("decision_number", "recognise_not_allowed")
    _claim(row)
    if row.stage != RoundStage.PRELIMINARY:
        raise RoundError("stage", "preliminary_first")
    if not checklist(row).complete:
        raise RoundError("stage", "checklist_incomplete")
    number = (decision_number or "").strip()
    if not number:
        raise RoundError("decision_number", "decision_number_required")
    if row.posting_to and decision_date < row.posting_to:
        raise RoundError("decision_date", "decision_before_posting")
    _check_day(row, decision_date, "decision_date")
    written = _write_results(row, ReviewKind.OFFICIAL, (number, decision_date))
    row.stage, row.decision_number, row.decision_date = RoundStage.OFFICIAL, number, decision_date
    row.recognised_by_id, row.recognised_at = user.id, audit.utcnow()
    audit.record(
        "review.recognise",
        actor=user,
        ip=ip,
        obj=row,
        changes={"decision_number": [None, number], "records": [None, written]},
    )
    return written


def results_by_kind(row: ReviewRound) -> dict[str, int]:
    """How many entries of each result the round holds, and how many were overridden."""
    counts = dict(
        db.session.execute(
            select(ReviewEntry.result, func.count())
            .where(ReviewEntry.round_id == row.id)
            .group_by(ReviewEntry.result)
        ).all()
    )
    counts["overridden"] = (
        db.session.scalar(
            select(func.count()).where(
                ReviewEntry.round_id == row.id, ReviewEntry.result != ReviewEntry.computed_result
            )
        )
        or 0
    )
    return counts


def default_decision_date(row: ReviewRound) -> date:
    """Today, if it falls in the round's period; else the period's last day for results."""
    first, last = period(row)
    if first <= clock.today() <= last:
        return clock.today()
    return date(row.year, *OFFICIAL_BY) if row.round_type == RoundType.PERIODIC else last


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundHousehold:
    household: Household
    village: str
    entry: ReviewEntry | None


def entry_counts(round_ids: list[int]) -> dict[int, int]:
    """How many households each round has recorded."""
    if not round_ids:
        return {}
    rows = db.session.execute(
        select(ReviewEntry.round_id, func.count())
        .where(ReviewEntry.round_id.in_(round_ids))
        .group_by(ReviewEntry.round_id)
    )
    return dict(rows.all())


def _household_rows(row: ReviewRound, query: str, state: str) -> Select:
    """The round's households (with their village's name and entry id), matching ``query`` (a name
    or code, diacritics ignored) and ``state``: not yet recorded, recorded, or overridden; in the
    list's order."""
    entries = select(ReviewEntry).where(ReviewEntry.round_id == row.id).subquery()
    statement = (
        select(Household, AdminUnit.name, entries.c.id)
        .join(AdminUnit, AdminUnit.id == Household.unit_id)
        .outerjoin(entries, entries.c.household_id == Household.id)
        .where(Household.unit_id.in_(scope.unit_index().subtree(row.unit_id)))
    )
    matching = search_clause(query)
    if matching is not None:
        statement = statement.where(matching)
    if state == "todo":
        statement = statement.where(entries.c.id.is_(None))
    elif state == "done":
        statement = statement.where(entries.c.id.is_not(None))
    elif state == "overridden":
        statement = statement.where(entries.c.result != entries.c.computed_result)
    return statement.order_by(AdminUnit.name, Household.sort_name, Household.code)


def _with_entries(rows) -> list[RoundHousehold]:
    loaded = {
        e.id: e
        for e in db.session.scalars(
            select(ReviewEntry)
            .where(ReviewEntry.id.in_([r[2] for r in rows if r[2]]))
            .options(selectinload(ReviewEntry.deprivations))
        )
    }
    return [RoundHousehold(h, village, loaded.get(entry_id)) for h, village, entry_id in rows]


def household_page(row: ReviewRound, query: str, state: str, page: int, per_page: int) -> Page:
    """A page of the round's households with their entries (``_household_rows``)."""
    statement = _household_rows(row, query, state)
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    found = Page(total=total, page=page, per_page=per_page)
    found.page = min(found.page, found.pages)
    rows = db.session.execute(statement.limit(per_page).offset((found.page - 1) * per_page)).all()
    found.items = _with_entries(rows)
    return found


def household_list(row: ReviewRound, query: str, state: str, limit: int) -> list[RoundHousehold]:
    """Every matching household of the round (an export of the list as filtered), at most ``limit``."""
    return _with_entries(db.session.execute(_household_rows(row, query, state).limit(limit)).all())


def entry_of(row: ReviewRound, household: Household) -> ReviewEntry | None:
    return db.session.scalars(
        select(ReviewEntry).where(ReviewEntry.round_id == row.id, ReviewEntry.household_id == household.id)
    ).first()


def next_household(row: ReviewRound, after: Household) -> Household | None:
    """The next household of the round (in the list's order) that has no entry yet."""
    recorded = select(ReviewEntry.household_id).where(ReviewEntry.round_id == row.id)
    return db.session.scalars(
        round_households(row)
        .join(AdminUnit, AdminUnit.id == Household.unit_id)
        .where(Household.id.not_in(recorded), Household.id != after.id)
        .order_by(AdminUnit.name, Household.sort_name, Household.code)
        .limit(1)
    ).first()


def preview_entry(row: ReviewRound, household: Household, form) -> Classification | None:
    """The classification of the figures typed in an entry form, or None while they are
    incomplete (no valid income yet)."""
    income = getattr(form.income, "amount", None)
    if income is None or income < 0:
        return None
    ids = {i.id for i in row.standard.indicators}
    deprived = sum(1 for i in (form.deprivations.data or []) if i in ids)
    return classify_entry(row, household, income, deprived)


def previous_result(household: Household, year: int) -> ReviewRecord | None:
    """The household's latest official record before ``year``."""
    return db.session.scalars(
        select(ReviewRecord)
        .where(
            ReviewRecord.household_id == household.id,
            ReviewRecord.kind == ReviewKind.OFFICIAL,
            ReviewRecord.year < year,
        )
        .order_by(ReviewRecord.year.desc())
        .limit(1)
    ).first()


def meeting_of(row: ReviewRound, village_id: int) -> VillageMeeting | None:
    return db.session.scalars(
        select(VillageMeeting)
        .where(VillageMeeting.round_id == row.id, VillageMeeting.village_id == village_id)
        .options(selectinload(VillageMeeting.minutes))
    ).first()


def minutes_in_scope(user: User, minutes_id: int) -> MeetingMinutes | None:
    """A minutes file, if its round's commune is in the user's scope."""
    return db.session.scalars(
        select(MeetingMinutes)
        .join(VillageMeeting, VillageMeeting.id == MeetingMinutes.meeting_id)
        .join(ReviewRound, ReviewRound.id == VillageMeeting.round_id)
        .where(MeetingMinutes.id == minutes_id, scope.scope_clause(ReviewRound, user))
    ).first()


def household_by_code(user: User, row: ReviewRound, code: str) -> Household:
    """The household of the round's commune (and of the user's scope) with this code.

    :raises RoundError: no such household there.
    """
    household = db.session.scalars(
        scope.scoped(Household, user).where(
            Household.code == (code or "").strip(),
            Household.unit_id.in_(scope.unit_index().subtree(row.unit_id)),
        )
    ).first()
    if household is None:
        raise RoundError("household", "household_code_unknown")
    return household
