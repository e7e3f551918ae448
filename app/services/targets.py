"""Where a unit stands against its yearly targets: for each indicator its target, its actual value
(computed by ``indicators``, never typed in), a projection to the end of the year and a status.

The projection is linear through the year for what builds up over it (jobs found, exemptions
granted: the value so far ÷ the share of the year gone); a level (a rate, a share of households)
is projected as it stands. A status compares the two with the target:

- ``achieved``: the actual value has reached the target;
- ``on_track``: not yet, but the projection reaches it by the end of the year;
- ``at_risk``: the projection falls short (or the year is over and the target was missed);
- ``pending``: nothing to measure yet (a rate's reduction before the year's review, no poor
  household, a year not begun);
- ``no_target``: no target set for the indicator.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from babel.numbers import get_group_symbol
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Target, TaskType
from app.services import audit, clock, indicators, scope
from app.services.indicators import IndicatorSpec

HUNDRED = Decimal(100)
#: the first year a plan may be set for
MIN_YEAR = 2000


class Status(StrEnum):
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    PENDING = "pending"
    NO_TARGET = "no_target"


@dataclass(frozen=True)
class Progress:
    spec: IndicatorSpec
    target: Decimal | None
    actual: Decimal | None
    projected: Decimal | None
    status: Status

    @property
    def scale(self) -> Decimal:
        """The top of the indicator's bar: 100 for a percentage, else the largest of target,
        actual and projection (at least 1)."""
        if self.spec.measure == "percent":
            return HUNDRED
        return max(v for v in (self.target, self.actual, self.projected, Decimal(1)) if v is not None)

    def share_of_scale(self, value: Decimal | None) -> int:
        """``value`` as a whole percentage of the bar (0–100; a negative value shows as 0)."""
        if value is None:
            return 0
        return int(min(max(value * 100 / self.scale, Decimal(0)), HUNDRED).to_integral_value(ROUND_HALF_UP))

    def as_json(self) -> dict:
        return {
            "indicator": self.spec.key,
            "name": self.spec.name,
            "definition": self.spec.definition,
            "measure": self.spec.measure,
            "target": _number(self.target),
            "actual": _number(self.actual),
            "projected": _number(self.projected),
            "status": self.status.value,
        }


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def share_of_year(year: int, on: date) -> Decimal:
    """The share of ``year`` gone by the end of ``on`` (0 before it starts, 1 once it is over)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    if on < first:
        return Decimal(0)
    if on >= last:
        return Decimal(1)
    return Decimal((on - first).days + 1) / Decimal((last - first).days + 1)


def project(spec: IndicatorSpec, actual: Decimal | None, gone: Decimal) -> Decimal | None:
    """The value expected at the year's end, from ``actual`` with ``gone`` of the year passed."""
    if actual is None or not gone:
        return None
    if not spec.accrues or gone == 1:
        return actual
    places = Decimal(1) if spec.measure == "count" else Decimal("0.01")  # people come whole
    expected = (actual / gone).quantize(places, ROUND_HALF_UP)
    return min(expected, HUNDRED) if spec.measure == "percent" else expected


def status_of(target: Decimal | None, actual: Decimal | None, projected: Decimal | None) -> Status:
    if target is None:
        return Status.NO_TARGET
    if actual is None:
        return Status.PENDING
    if actual >= target:
        return Status.ACHIEVED
    if projected is not None and projected >= target:
        return Status.ON_TRACK
    return Status.AT_RISK


def progress(who, unit: scope.Unit, year: int, on: date | None = None) -> list[Progress]:
    """Each indicator of ``unit`` (within ``who``'s scope) against its target for ``year``, as
    known on ``on`` (default today; a past year is taken at its end — but the health cards are
    those of today's members: the registry keeps no history of cards)."""
    on = min(on or clock.today(), date(year, 12, 31))
    gone = share_of_year(year, on)
    set_for = indicators.targets(unit.id, year)
    custom = custom_specs(set_for)
    if gone:
        values = indicators.actuals(who, unit, year, on)
        values |= {
            indicators.TASKS_PREFIX + code: count
            for code, count in indicators.tasks_done(
                who, unit, [s.key.removeprefix(indicators.TASKS_PREFIX) for s in custom], year, on
            ).items()
        }
    else:  # a year not begun: nothing measured yet
        values = dict.fromkeys([*indicators.BY_KEY, *(s.key for s in custom)])
    rows = []
    for spec in [*indicators.INDICATORS, *custom]:
        actual = values[spec.key]
        projected = project(spec, actual, gone)
        target = set_for.get(spec.key)
        rows.append(Progress(spec, target, actual, projected, status_of(target, actual, projected)))
    return rows


def task_types(locale: str = "vi") -> dict[str, str]:
    """The active task types a custom target may count, code → name (in ``locale``)."""
    name = TaskType.name_en if locale == "en" else TaskType.name_vi
    return dict(
        db.session.execute(
            select(TaskType.code, name).where(TaskType.active).order_by(TaskType.sort_order)
        ).all()
    )


def custom_specs(keys) -> list[IndicatorSpec]:
    """The custom indicators among ``keys`` (target keys "tasks:<code>"), in the types' order;
    a key whose type is gone keeps its code as its name."""
    codes = {k.removeprefix(indicators.TASKS_PREFIX) for k in keys if k.startswith(indicators.TASKS_PREFIX)}
    if not codes:
        return []
    known = db.session.execute(
        select(TaskType.code, TaskType.name_vi, TaskType.name_en)
        .where(TaskType.code.in_(codes))
        .order_by(TaskType.sort_order)
    ).all()
    names = {code: (vi, en) for code, vi, en in known}
    names |= {code: (code, "") for code in sorted(codes - set(names))}
    return [indicators.task_indicator(code, vi, en) for code, (vi, en) in names.items()]


def spec_of(key: str, *, new: bool = False) -> IndicatorSpec | None:
    """The indicator a target key names: one of the article's, or a custom count of a task type
    (``new``: one being added, whose type must be active; a target already set keeps counting a
    type since retired, and can be changed or cleared)."""
    if key in indicators.BY_KEY:
        return indicators.BY_KEY[key]
    if not key.startswith(indicators.TASKS_PREFIX):
        return None
    code = key.removeprefix(indicators.TASKS_PREFIX)
    kinds = select(TaskType.name_vi, TaskType.name_en).where(TaskType.code == code)
    found = db.session.execute(kinds.where(TaskType.active) if new else kinds).first()
    return indicators.task_indicator(code, *found) if found is not None else None


def plan_years(unit_id: int, *also: int) -> list[int]:
    """The years with targets set for the unit, and ``also``, latest first."""
    years = set(db.session.scalars(select(Target.year).where(Target.unit_id == unit_id).distinct()))
    return sorted(years | set(also), reverse=True)


# -- setting targets -------------------------------------------------------------------------------


class TargetError(ValueError):
    """A target that cannot be set; ``str(error)`` says why, for the person typing it."""


#: the values a target of each measure may take (a reduction of 0 points is no target)
LIMITS = {
    "points": (Decimal("0.01"), HUNDRED),
    "percent": (Decimal(0), HUNDRED),
    "count": (Decimal(0), Decimal(10**7)),
}


def parse_value(text: str | None, measure: str) -> Decimal | None:
    """A target as typed — "2,3" or "2.3" points, "85" %, "550" or "1.000" people (grouped as the
    reader's locale groups thousands) — as a number; empty: no target. Raises TargetError."""
    text = (text or "").strip().replace(" ", "").replace("\u00a0", "").removesuffix("%")
    if not text:
        return None
    if measure == "count":
        digits = text.replace(get_group_symbol(get_locale()), "")  # "1.000" (vi), "1,000" (en)
        if not (digits.isascii() and digits.isdigit()):  # not "²", "٣" or "-3"
            raise TargetError(_("Give a whole number, such as 550."))
        value = Decimal(digits)
    else:
        if text.count(",") + text.count(".") > 1:
            raise TargetError(_("Give a number with at most one decimal separator, such as 2,3."))
        try:
            value = Decimal(text.replace(",", "."))
        except InvalidOperation:
            raise TargetError(_("Give a number, such as 2,3.")) from None
        if not value.is_finite():  # "Infinity", "NaN"
            raise TargetError(_("Give a number, such as 2,3."))
        if value != value.quantize(Decimal("0.01")):
            raise TargetError(_("Give at most two decimal places."))
    low, high = LIMITS[measure]
    if not low <= value <= high:
        raise TargetError(
            _("Give a value from %(low)s to %(high)s.", low=format_decimal(low), high=format_decimal(high))
        )
    return value


def save(
    actor, unit: scope.Unit, year: int, values: dict[str, Decimal | None], *, ip: str | None = None
) -> dict:
    """Set (or clear, with None) the unit's targets for ``year``; audited. Returns the changes,
    ``{indicator: [old, new]}`` (empty when nothing changed). The caller commits."""
    unknown = {key for key in values if key not in indicators.BY_KEY and spec_of(key) is None}
    if unknown:
        raise TargetError(f"unknown indicators: {', '.join(sorted(unknown))}")
    existing = {
        target.indicator: target
        for target in db.session.scalars(select(Target).where(Target.unit_id == unit.id, Target.year == year))
    }
    changes = {}
    for key, value in values.items():
        current = existing.get(key)
        old = None if current is None else current.value
        if value == old:
            continue
        if value is None:
            db.session.delete(current)
        elif current is None:
            db.session.add(Target(year=year, unit_id=unit.id, indicator=key, value=value))
        else:
            current.value = value
        changes[key] = [None if old is None else str(old), None if value is None else str(value)]
    if changes:
        audit.record(
            "targets.set",
            actor=actor,
            ip=ip,
            object_type="admin_units",
            object_id=unit.id,
            changes={"year": [None, year], **changes},
        )
    db.session.flush()
    return changes


# -- a district's targets split across its communes -------------------------------------------------


@dataclass(frozen=True)
class Split:
    """One indicator's targets in the communes of a unit, beside the unit's own: for a count, the
    communes' targets must add up to the unit's."""

    spec: IndicatorSpec
    own: Decimal | None
    by_commune: dict[int, Decimal | None]

    @property
    def total(self) -> Decimal | None:
        values = [v for v in self.by_commune.values() if v is not None]
        return sum(values, Decimal(0)) if values else None

    @property
    def checked(self) -> bool:
        """Whether a sum is checked: counts only (rates and shares are not added up)."""
        return self.spec.measure == "count"

    @property
    def balanced(self) -> bool | None:
        """For a count with both a unit target and commune targets: whether they add up."""
        if not self.checked or self.own is None or self.total is None:
            return None
        return self.total == self.own


def communes_of(unit: scope.Unit, year: int) -> list[scope.Unit]:
    """The commune-level units under ``unit`` in ``year`` (none under a commune)."""
    index = scope.unit_index()
    day = date(year, 12, 31)
    kids = [index.units[i] for i in index.children.get(unit.id, ())]
    return sorted((k for k in kids if k.is_commune_level and k.is_valid_on(day)), key=lambda u: u.code)


def splits(unit: scope.Unit, year: int) -> tuple[list[scope.Unit], list[Split]]:
    """The communes of ``unit`` and, for each indicator, its targets there beside the unit's."""
    communes = communes_of(unit, year)
    ids = [unit.id, *(c.id for c in communes)]
    values: dict[tuple[int, str], Decimal] = {
        (unit_id, key): value
        for unit_id, key, value in db.session.execute(
            select(Target.unit_id, Target.indicator, Target.value).where(
                Target.year == year, Target.unit_id.in_(ids)
            )
        )
    }
    custom = custom_specs({key for _unit_id, key in values})
    rows = [
        Split(spec, values.get((unit.id, spec.key)), {c.id: values.get((c.id, spec.key)) for c in communes})
        for spec in [*indicators.INDICATORS, *custom]
    ]
    return communes, rows


def share_out(total: int, weights: list[int]) -> list[int]:
    """``total`` in whole parts in proportion to ``weights`` (largest remainders; equal parts when
    every weight is 0): the parts add up to ``total``."""
    if not weights:
        return []
    if not any(weights):
        weights = [1] * len(weights)
    whole = sum(weights)
    exact = [Decimal(total) * w / whole for w in weights]
    parts = [int(e) for e in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (exact[i] - parts[i], weights[i]), reverse=True)
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts
