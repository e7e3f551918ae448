"""Administration of the reporting regime: the report definitions' elements and deadline rules,
the public holidays, and a preview of the calendar that given rules produce.

Definitions are neither created nor deleted here: each is tied to a builder in code
(``report_content``). Rules and holidays apply to report instances created afterwards: an
instance's deadline is fixed when ``reports.schedule`` creates it.
"""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Holiday, ReportDefinition, User
from app.services import audit, reports
from app.services import report_calendar as cal

DEFINITION_FIELDS = (
    "name",
    "content",
    "legal_basis",
    "sent_by",
    "procedure",
    "recipients",
    "sections",
    "active",
    "cutoff_month",
    "cutoff_day",
)
#: the last day of an annual period (the 15th-to-14th rule): a fixed cut-off falls by then
ANNUAL_END = (12, 14)


class ReportAdminError(ValueError):
    """A rule of the reporting regime refused an edit: ``code`` names the rule, ``field`` the
    form field at fault (``index``: the deadline level's position), ``params`` fill the message."""

    def __init__(self, field: str, code: str, index: int | None = None, **params):
        super().__init__(code)
        self.field = field
        self.code = code
        self.index = index
        self.params = params


@dataclass(frozen=True)
class DeadlineRule:
    """One level's deadline: ``working_days`` after the cut-off, or a fixed day of the year."""

    level: str
    receiving_level: str
    working_days: int | None = None
    fixed_month: int | None = None
    fixed_day: int | None = None

    def audit_value(self) -> dict:
        if self.working_days is not None:
            return {"working_days": self.working_days}
        return {"fixed_month": self.fixed_month, "fixed_day": self.fixed_day}


@dataclass(frozen=True)
class CalendarRules:
    """What decides a definition's periods and deadlines; reads like a ``ReportDefinition`` for
    ``reports.definition_period`` and its ``deadlines`` like ``ReportDeadline`` rows."""

    frequency: str
    cutoff_month: int | None
    cutoff_day: int | None
    deadlines: tuple[DeadlineRule, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PreviewRow:
    period: cal.Period
    deadlines: list[tuple[DeadlineRule, date]]


def rules_of(definition: ReportDefinition) -> CalendarRules:
    """The stored rules of ``definition``."""
    return CalendarRules(
        definition.frequency,
        definition.cutoff_month,
        definition.cutoff_day,
        tuple(
            DeadlineRule(r.level, r.receiving_level, r.working_days, r.fixed_month, r.fixed_day)
            for r in definition.deadlines
        ),
    )


def _cut_off_day(rules: CalendarRules) -> tuple[int, int]:
    """(month, day) of an annual period's cut-off."""
    if rules.cutoff_month is not None:
        return rules.cutoff_month, rules.cutoff_day
    return ANNUAL_END


def check_rules(definition: ReportDefinition, rules: CalendarRules) -> None:
    """Refuse rules the calendar cannot honour (ReportAdminError), beyond what a form checks
    alone (ranges, real dates, one rule per level): a fixed cut-off or a fixed deadline suits an
    annual report only (``fixed_deadline`` takes the period's year), a fixed cut-off falls within
    the annual period, a fixed deadline comes after the cut-off (NĐ 09/2019: at least one
    working day after it), and a builder keyed on the cut-off keeps it given or absent."""
    annual = rules.frequency == cal.Frequency.ANNUAL
    if rules.cutoff_month is not None:
        if not annual:
            raise ReportAdminError("cutoff_month", "cutoff_annual_only")
        if (rules.cutoff_month, rules.cutoff_day) > ANNUAL_END:
            raise ReportAdminError("cutoff_month", "cutoff_after_period")
    if len(rules.deadlines) != len(definition.deadlines):
        raise ReportAdminError("deadlines", "deadline_levels")
    cut_off = _cut_off_day(rules)
    for index, rule in enumerate(rules.deadlines):
        if rule.fixed_month is None:
            continue
        if not annual:
            raise ReportAdminError("fixed_month", "fixed_annual_only", index)
        if (rule.fixed_month, rule.fixed_day) <= cut_off:
            raise ReportAdminError(
                "fixed_month", "fixed_before_cutoff", index, cut_off=f"{cut_off[1]:02d}/{cut_off[0]:02d}"
            )


def _first_period(rules: CalendarRules, today: date) -> cal.Period:
    """The period whose cut-off is the first on or after ``today``."""
    period = reports.definition_period(rules, cal.period_of(rules.frequency, today).key)
    while period.cut_off < today:  # a fixed cut-off can fall before the standard one
        period = reports.definition_period(rules, cal.next_period(period).key)
    return period


def preview(
    rules: CalendarRules, today: date, days_off: Collection[date], count: int = 3
) -> list[PreviewRow]:
    """The cut-off and each level's deadline of the ``count`` periods from the one whose cut-off
    is next (on or after ``today``), under ``rules`` and with ``days_off`` as holidays. The rules
    must have passed ``check_rules``."""
    rows, period = [], _first_period(rules, today)
    for _ in range(count):
        rows.append(
            PreviewRow(
                period, [(rule, reports.deadline_of(rule, period, days_off)) for rule in rules.deadlines]
            )
        )
        period = reports.definition_period(rules, cal.next_period(period).key)
    return rows


def _definition_snapshot(definition: ReportDefinition) -> dict:
    snapshot = {f: getattr(definition, f) for f in DEFINITION_FIELDS}
    snapshot["recipients"] = list(definition.recipients or [])
    snapshot["sections"] = list(definition.sections or [])
    for rule in rules_of(definition).deadlines:
        snapshot[f"deadline_{rule.level}"] = rule.audit_value()
    return snapshot


def save_definition(
    admin: User, definition: ReportDefinition, data: dict, rules: CalendarRules, *, ip: str | None
) -> ReportDefinition:
    """Change a definition's elements and its rules (code, frequency and builder stay; the levels
    stay, each with its new rule, in order). ``data`` holds the ``DEFINITION_FIELDS`` but the
    cut-off, which ``rules`` gives. Raises ReportAdminError (``check_rules``). Audited as one
    ``update`` row with the changed fields, ``deadline_<level>`` for a level's rule.

    Report instances already created keep their cut-off and deadline."""
    check_rules(definition, rules)
    before = _definition_snapshot(definition)
    definition.name = data["name"].strip()
    definition.content = (data.get("content") or "").strip()
    definition.legal_basis = (data.get("legal_basis") or "").strip()
    definition.sent_by = (data.get("sent_by") or "").strip()
    definition.procedure = (data.get("procedure") or "").strip()
    definition.recipients = list(data["recipients"])
    definition.sections = list(data["sections"])
    definition.active = bool(data.get("active"))
    definition.cutoff_month, definition.cutoff_day = rules.cutoff_month, rules.cutoff_day
    for row, rule in zip(definition.deadlines, rules.deadlines, strict=True):
        row.working_days = rule.working_days
        row.fixed_month, row.fixed_day = rule.fixed_month, rule.fixed_day
    db.session.flush()
    changes = audit.diff(before, _definition_snapshot(definition))
    if changes:
        audit.record("update", actor=admin, ip=ip, obj=definition, changes=changes)
    return definition


def holidays_of(year: int) -> list[Holiday]:
    return list(
        db.session.scalars(
            select(Holiday)
            .where(Holiday.day.between(date(year, 1, 1), date(year, 12, 31)))
            .order_by(Holiday.day)
        )
    )


def holiday_years() -> list[int]:
    """The years that have holidays, in order."""
    return sorted({day.year for day in db.session.scalars(select(Holiday.day))})


def add_holiday(admin: User, day: date, name: str, *, ip: str | None) -> Holiday:
    """Add a public holiday (audited). ReportAdminError ``holiday_taken`` if ``day`` has one.
    Deadlines of instances already created do not move."""
    taken = db.session.scalars(select(Holiday).where(Holiday.day == day)).first()
    if taken is not None:
        raise ReportAdminError("day", "holiday_taken", name=taken.name)
    holiday = Holiday(day=day, name=name.strip())
    try:
        with db.session.begin_nested():
            db.session.add(holiday)
    except IntegrityError:  # another admin added one for that day meanwhile
        raise ReportAdminError("day", "holiday_taken", name=name.strip()) from None
    audit.record(
        "create", actor=admin, ip=ip, obj=holiday, changes={"day": [None, day], "name": [None, holiday.name]}
    )
    return holiday


def delete_holiday(admin: User, holiday: Holiday, *, ip: str | None) -> None:
    """Remove a holiday (audited with what it was)."""
    audit.record(
        "delete",
        actor=admin,
        ip=ip,
        obj=holiday,
        changes={"day": [holiday.day, None], "name": [holiday.name, None]},
    )
    db.session.delete(holiday)
    db.session.flush()
