"""Classification of a household under a poverty standard: one pure function.

Rules (DOMAIN.md §3):

``income_or_deprivation`` (QĐ 59/2015/QĐ-TTg, 2016–2021)
    poor when income ≤ the poor line (criterion: income), or when income is in
    the near-poor band and the household is deprived in at least
    ``deprivation_threshold`` indicators (criterion: deprivation); near-poor
    when income is in the band with fewer deprivations; otherwise not poor.
``income_and_deprivation`` (NĐ 07/2021/NĐ-CP and later)
    poor when income ≤ the line and deprived in at least the threshold;
    near-poor when income ≤ the line with fewer; average living standard when
    income is above the line up to the average line; otherwise not poor.
"""

from dataclasses import dataclass

from app.models.households import Area
from app.models.reviews import Criterion, ReviewResult


@dataclass(frozen=True)
class Lines:
    """The figures of a standard the rule needs, in đồng per person per month."""

    rule: str
    poor_rural: int
    poor_urban: int
    near_poor_rural: int
    near_poor_urban: int
    average_rural: int | None = None
    average_urban: int | None = None
    deprivation_threshold: int = 3

    @classmethod
    def of(cls, standard) -> "Lines":
        return cls(
            rule=standard.rule,
            poor_rural=standard.poor_line_rural,
            poor_urban=standard.poor_line_urban,
            near_poor_rural=standard.near_poor_line_rural,
            near_poor_urban=standard.near_poor_line_urban,
            average_rural=standard.average_line_rural,
            average_urban=standard.average_line_urban,
            deprivation_threshold=standard.deprivation_threshold,
        )


@dataclass(frozen=True)
class Classification:
    result: ReviewResult
    criterion: Criterion | None = None


def classify(lines: Lines, area: str, income: int, deprived: int) -> Classification:
    """Classify one household.

    :param lines: the standard's lines and rule.
    :param area: ``"urban"`` or ``"rural"``.
    :param income: income per person per month, in đồng (≥ 0).
    :param deprived: number of indicators the household is deprived in (≥ 0).
    :raises ValueError: on a negative figure, an unknown area or rule.
    """
    if income < 0 or deprived < 0:
        raise ValueError("income and deprivation count must not be negative")
    if area not in (Area.URBAN, Area.RURAL):
        raise ValueError(f"unknown area {area!r}")
    urban = area == Area.URBAN
    poor_line = lines.poor_urban if urban else lines.poor_rural
    band_top = lines.near_poor_urban if urban else lines.near_poor_rural
    many = deprived >= lines.deprivation_threshold

    if lines.rule == "income_or_deprivation":
        if income <= poor_line:
            return Classification(ReviewResult.POOR, Criterion.INCOME)
        if income <= band_top:
            if many:
                return Classification(ReviewResult.POOR, Criterion.DEPRIVATION)
            return Classification(ReviewResult.NEAR_POOR)
        return Classification(ReviewResult.NOT_POOR)

    if lines.rule == "income_and_deprivation":
        if income <= poor_line:
            return Classification(ReviewResult.POOR if many else ReviewResult.NEAR_POOR)
        average_top = lines.average_urban if urban else lines.average_rural
        if average_top is not None and income <= average_top:
            return Classification(ReviewResult.AVERAGE)
        return Classification(ReviewResult.NOT_POOR)

    raise ValueError(f"unknown classification rule {lines.rule!r}")
