"""The poverty-reduction indicators of a unit, always computed from the registry and the tasks.

Each indicator has a definition written for people (shown beside it on screen and in reports).
``actual`` computes one at a date, for a unit, within a scope (a user's or a unit's).
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import ColumnElement, and_, exists, func, select

from app.extensions import db
from app.models import Household, Indicator, Member, ReviewRecord, SupportTask, Target, TaskType
from app.models.households import HouseholdStatus
from app.models.reviews import ReviewKind, ReviewResult, review_deprivations
from app.models.tasks import OutcomeKind, TaskStatus
from app.services import scope, stats


@dataclass(frozen=True)
class IndicatorSpec:
    key: str
    name: str  # Vietnamese: reports are Vietnamese documents
    measure: str  # "points" | "percent" | "count"
    definition: str
    #: the value builds up through the year (jobs found, exemptions granted), so a share of the
    #: year gone predicts the year's end; the others are levels, known as they stand
    accrues: bool = False
    #: what a count counts: "people" or "tasks"
    counts: str = "people"
    #: the name and definition for an English reader (reports and the API keep the Vietnamese)
    name_en: str = ""
    definition_en: str = ""

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name

    def meaning(self, locale: str) -> str:
        return self.definition_en if locale == "en" and self.definition_en else self.definition


INDICATORS = [
    IndicatorSpec(
        "poverty_rate_reduction",
        "Giảm tỷ lệ hộ nghèo",
        "points",
        "Tỷ lệ hộ nghèo năm trước trừ tỷ lệ năm nay, theo kết quả rà soát chính thức (điểm %).",
        name_en="Poverty rate reduction",
        definition_en=(
            "Last year's poverty rate minus this year's, by the official review results (percentage points)."
        ),
    ),
    IndicatorSpec(
        "near_poor_rate_reduction",
        "Giảm tỷ lệ hộ cận nghèo",
        "points",
        "Tỷ lệ hộ cận nghèo năm trước trừ tỷ lệ năm nay, theo kết quả rà soát chính thức (điểm %).",
        name_en="Near-poor rate reduction",
        definition_en=(
            "Last year's near-poor rate minus this year's, by the official review "
            "results (percentage points)."
        ),
    ),
    IndicatorSpec(
        "new_jobs",
        "Lao động có việc làm mới",
        "count",
        "Nhiệm vụ giới thiệu việc làm đã hoàn thành trong năm có ghi nơi làm việc.",
        accrues=True,
        name_en="Workers with a new job",
        definition_en="Job-placement tasks done in the year with the employer recorded.",
    ),
    IndicatorSpec(
        "health_insurance",
        "Người nghèo được cấp thẻ BHYT",
        "percent",
        "Thành viên hộ nghèo có số thẻ bảo hiểm y tế / tổng số thành viên hộ nghèo.",
        name_en="Poor people with a health-insurance card",
        definition_en=(
            "Members of poor households with a health-insurance card number / all members of poor households."
        ),
    ),
    IndicatorSpec(
        "hygienic_water",
        "Hộ nghèo có nước sinh hoạt hợp vệ sinh",
        "percent",
        "Hộ nghèo không thiếu hụt chỉ số nguồn nước sinh hoạt / tổng số hộ nghèo (rà soát gần nhất).",
        name_en="Poor households with hygienic domestic water",
        definition_en="Poor households not deprived on domestic water / all poor households (latest review).",
    ),
    IndicatorSpec(
        "tuition_exemption",
        "Học sinh hộ nghèo, cận nghèo được miễn, giảm học phí",
        "percent",
        "Nhiệm vụ miễn, giảm học phí đã hoàn thành / nhiệm vụ miễn, giảm học phí (trừ đã huỷ).",
        accrues=True,
        name_en="Pupils of poor and near-poor households with tuition exemption",
        definition_en="Tuition exemption tasks done / all tuition exemption tasks (cancelled ones left out).",
    ),
    IndicatorSpec(
        "telecom",
        "Hộ nghèo sử dụng dịch vụ viễn thông",
        "percent",
        "Hộ nghèo không thiếu hụt chỉ số sử dụng dịch vụ viễn thông / tổng số hộ nghèo.",
        name_en="Poor households using telecom services",
        definition_en="Poor households not deprived on telecom use / all poor households.",
    ),
    IndicatorSpec(
        "information",
        "Hộ nghèo được tiếp cận thông tin",
        "percent",
        "Hộ nghèo không thiếu hụt chỉ số tài sản, phương tiện tiếp cận thông tin / tổng số hộ nghèo.",
        name_en="Poor households with access to information",
        definition_en="Poor households not deprived on information assets and access / all poor households.",
    ),
]
BY_KEY = {spec.key: spec for spec in INDICATORS}
#: deprivation indicator codes (shared by the standards) behind each household indicator
DEPRIVATIONS = {
    "hygienic_water": ("DOMESTIC_WATER",),
    "telecom": ("TELECOM",),
    "information": ("INFO_ASSETS", "INFO_ACCESS"),
}
DEPRIVED_CODES = sorted({code for codes in DEPRIVATIONS.values() for code in codes})


#: a custom target's key: this prefix and the code of a task type ("tasks:HOUSING")
TASKS_PREFIX = "tasks:"


def task_indicator(code: str, name: str, name_en: str = "") -> IndicatorSpec:
    """A custom count: the tasks of one type done in the year (a target set for a kind of support)."""
    return IndicatorSpec(
        f"{TASKS_PREFIX}{code}",
        name,
        "count",
        f"Nhiệm vụ “{name}” đã hoàn thành trong năm (không tính nhiệm vụ đã huỷ).",
        accrues=True,
        counts="tasks",
        name_en=name_en,
        definition_en=f"“{name_en}” tasks done in the year (cancelled ones left out)." if name_en else "",
    )


def tasks_done(who, unit: scope.Unit, codes: list[str], year: int, on: date) -> dict[str, Decimal]:
    """For each task type code: its tasks in the unit done between 1 January of ``year`` and
    ``on``, created by ``on``; one query for all."""
    if not codes:
        return {}
    rows = db.session.execute(
        select(TaskType.code, func.count())
        .select_from(SupportTask)
        .join(TaskType, TaskType.id == SupportTask.task_type_id)
        .where(
            TaskType.code.in_(codes),
            scope.unit_clause(SupportTask, who, unit.id),
            SupportTask.status == TaskStatus.DONE,
            SupportTask.done_on.between(date(year, 1, 1), on),
            SupportTask.created_at <= datetime.combine(on, time.max),
        )
        .group_by(TaskType.code)
    )
    done = dict(rows.all())
    return {code: Decimal(done.get(code, 0)) for code in codes}


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.01"), ROUND_HALF_UP)


def review_year_by(on: date, who, years: list[int] | None = None) -> int | None:
    """The latest official review year complete by ``on`` (a year's review ends on 14 December);
    ``years``: the official years in scope, when already known."""
    done = [y for y in (stats.official_years(who) if years is None else years) if date(y, 12, 14) <= on]
    return done[-1] if done else None


def _rate_reduction(who, unit: scope.Unit, year: int, field: str, years: list[int]) -> Decimal | None:
    if year not in years or year - 1 not in years:
        return None
    now, before = stats.household_stats(who, unit, year), stats.household_stats(who, unit, year - 1)
    return getattr(before, field) - getattr(now, field)


def _done_tasks(who, unit: scope.Unit, conditions: dict[str, ColumnElement[bool]], first: date, on: date):
    """For each condition (by key): (done between ``first`` and ``on``, all but cancelled) of the
    tasks meeting it created by ``on``; one pass over the tasks for all of them."""
    done = and_(SupportTask.status == TaskStatus.DONE, SupportTask.done_on.between(first, on))
    counts = []
    for condition in conditions.values():
        counts += [func.count().filter(and_(condition, done)), func.count().filter(condition)]
    row = db.session.execute(
        select(*counts)
        .select_from(SupportTask)
        .join(TaskType, TaskType.id == SupportTask.task_type_id)
        .where(
            scope.unit_clause(SupportTask, who, unit.id),
            SupportTask.status != TaskStatus.CANCELLED,
            SupportTask.created_at <= datetime.combine(on, time.max),
        )
    ).one()
    return {key: (int(row[2 * i]), int(row[2 * i + 1])) for i, key in enumerate(conditions)}


def _without_deprivations(who, unit: scope.Unit, year: int | None) -> dict[str, Decimal | None]:
    """The share of poor households not deprived on each of ``DEPRIVATIONS``, in one query."""
    if year is None:
        return dict.fromkeys(DEPRIVATIONS)

    ids: dict[str, list[int]] = {}  # a code names an indicator of each standard that has it
    for code, indicator_id in db.session.execute(
        select(Indicator.code, Indicator.id).where(Indicator.code.in_(DEPRIVED_CODES))
    ):
        ids.setdefault(code, []).append(indicator_id)

    def deprived(codes: tuple[str, ...]):
        """An index-only probe of (review, indicator) per record (codes resolved beforehand: a
        join to the indicators in each probe doubled the query's time on PostgreSQL)."""
        return exists(
            select(1)
            .select_from(review_deprivations)
            .where(
                review_deprivations.c.review_id == ReviewRecord.id,
                review_deprivations.c.indicator_id.in_([i for code in codes for i in ids.get(code, ())]),
            )
        )

    unit_ids = scope.unit_index().units_for_year(unit.id, year) & scope.scope_unit_ids(who)
    row = db.session.execute(
        select(
            func.count(), *(func.count().filter(deprived(codes)) for codes in DEPRIVATIONS.values())
        ).where(
            ReviewRecord.year == year,
            ReviewRecord.kind == ReviewKind.OFFICIAL,
            ReviewRecord.result == ReviewResult.POOR,
            scope.scope_clause(ReviewRecord, who, unit_ids),
        )
    ).one()
    poor = int(row[0])
    return {key: _percent(poor - int(n), poor) for key, n in zip(DEPRIVATIONS, row[1:], strict=True)}


def _health_insurance(who, unit: scope.Unit) -> Decimal | None:
    row = db.session.execute(
        select(func.count(), func.count(Member.health_insurance_card))
        .join(Household, Household.id == Member.household_id)
        .where(
            Household.status == HouseholdStatus.POOR,
            scope.unit_clause(Household, who, unit.id),
        )
    ).one()
    return _percent(int(row[1]), int(row[0]))


def actuals(
    who, unit: scope.Unit, year: int, on: date, *, years: list[int] | None = None
) -> dict[str, Decimal | None]:
    """The value of every indicator for ``unit`` in ``year`` as known on ``on`` (None: nothing to
    measure yet, e.g. no review of ``year`` or no poor household), by key; ``years``: the official
    review years in scope, when already known."""
    first = date(year, 1, 1)
    years = stats.official_years(who) if years is None else years
    reviewed = date(year, 12, 14) <= on
    tasks = _done_tasks(
        who,
        unit,
        {
            "jobs": and_(TaskType.outcome_kind == OutcomeKind.JOB, SupportTask.outcome_employer.is_not(None)),
            "tuition": TaskType.code == "TUITION",
        },
        first,
        on,
    )
    values = {
        "poverty_rate_reduction": _rate_reduction(who, unit, year, "poor_rate", years) if reviewed else None,
        "near_poor_rate_reduction": _rate_reduction(who, unit, year, "near_poor_rate", years)
        if reviewed
        else None,
        "new_jobs": Decimal(tasks["jobs"][0]),
        "tuition_exemption": _percent(*tasks["tuition"]),
        "health_insurance": _health_insurance(who, unit),
        **_without_deprivations(who, unit, review_year_by(on, who, years)),
    }
    return {spec.key: values[spec.key] for spec in INDICATORS}


def actual(who, unit: scope.Unit, key: str, year: int, on: date) -> Decimal | None:
    """One indicator of ``actuals``."""
    if key not in BY_KEY:
        raise KeyError(key)
    return actuals(who, unit, year, on)[key]


def targets(unit_id: int, year: int) -> dict[str, Decimal]:
    """The targets set for the unit and year, by indicator."""
    rows = db.session.execute(
        select(Target.indicator, Target.value).where(Target.unit_id == unit_id, Target.year == year)
    )
    return {indicator: value for indicator, value in rows}
