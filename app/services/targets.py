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
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from app.services import clock, indicators, scope
from app.services.indicators import IndicatorSpec

HUNDRED = Decimal(100)


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
    expected = (actual / gone).quantize(Decimal("0.01"), ROUND_HALF_UP)
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
    known on ``on`` (default today; a past year is taken at its end)."""
    on = min(on or clock.today(), date(year, 12, 31))
    gone = share_of_year(year, on)
    set_for = indicators.targets(unit.id, year)
    if gone:
        values = indicators.actuals(who, unit, year, on)
    else:  # a year not begun: nothing measured yet
        values = dict.fromkeys(indicators.BY_KEY)
    rows = []
    for spec in indicators.INDICATORS:
        actual = values[spec.key]
        projected = project(spec, actual, gone)
        target = set_for.get(spec.key)
        rows.append(Progress(spec, target, actual, projected, status_of(target, actual, projected)))
    return rows
