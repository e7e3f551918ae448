"""Targets: a unit's yearly poverty-reduction targets beside their actual values, set by managers,
and a district's targets split across its communes."""
