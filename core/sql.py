"""Helpers for bulk reads that run alike on PostgreSQL and SQLite (any app may import this)."""

from collections.abc import Iterable

# Values per `IN (...)` query; SQLite builds before 3.32 allow 999 bound parameters.
IN_CHUNK = 900
# Maps A-Z to a-z only: what SQLite's LOWER() does (PostgreSQL's lowers all of Unicode).
_ASCII_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}


def chunked(values: Iterable, size: int = IN_CHUNK) -> Iterable[list]:
    """`values` in lists of at most `size`, for `IN (...)` filters."""
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def lower_variants(values: Iterable[str]) -> set[str]:
    """Every form SQL LOWER() can give a stored copy of these values, on either database.

    Filter `Lower(field) IN lower_variants(...)`, then compare `.lower()` in Python: that
    matches case-insensitively on PostgreSQL, and on SQLite (ASCII-only LOWER) it still
    finds every value stored exactly as given, which is what makes re-imports idempotent.
    """
    variants = set()
    for value in values:
        variants.add(value.lower())
        variants.add(value.translate(_ASCII_LOWER))
    return variants
