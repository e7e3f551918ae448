"""Small SQL expressions the services share."""

from sqlalchemy import ColumnElement, case, func


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows meet ``condition`` (0, not NULL, when none do): one aggregate per figure."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
