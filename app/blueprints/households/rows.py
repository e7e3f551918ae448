"""The households list as plain rows, resolved in Python.

A list page renders 25 rows of eight cells; a template call per cell (unit lookups, label
tables, the badge macro, ``url_for``) cost more than the queries behind the page, so the view
resolves each row once here and the template only prints it.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import url_for

from app import labels
from app.services import scope


@dataclass(frozen=True, slots=True)
class HouseholdRow:
    id: int
    url: str
    code: str
    head_name: str
    ethnicity: str
    village: str
    commune: str
    area: str
    status: str  # the code, for the badge's class
    status_label: str
    status_year: int | None
    criterion: str


def _detail_url() -> Callable[[int], str]:
    """The household page's URL for any id, from one ``url_for`` per page (rows differ only by
    the id, and building a URL through the routing map costs as much as a whole row here)."""
    marker = 987_654_321
    head, tail = url_for("households.detail", household_id=marker).split(str(marker))
    return lambda household_id: f"{head}{household_id}{tail}"


def household_rows(households: Iterable) -> list[HouseholdRow]:
    """Rows for households or ``LIST_COLUMNS`` rows of ``search_households``."""
    units = scope.unit_index().units
    text = labels.translated()
    detail_url = _detail_url()
    rows = []
    for h in households:
        village = units.get(h.unit_id)
        commune = units.get(village.parent_id) if village and village.parent_id else None
        rows.append(
            HouseholdRow(
                id=h.id,
                url=detail_url(h.id),
                code=h.code,
                head_name=h.head_name,
                ethnicity=h.ethnicity,
                village=village.name if village else "",
                commune=commune.name if commune else "",
                area=text.AREAS.get(h.area, ""),
                status=h.status,
                status_label=labels.status_text(h.status, h.status_year),
                status_year=h.status_year,
                criterion=text.CRITERIA.get(h.status_criterion or "", ""),
            )
        )
    return rows
