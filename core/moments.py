"""Moments from outside (query parameters, imported files) made safe to store and compare."""

from datetime import UTC, datetime, timedelta

# Real UTC offsets run from -12:00 to +14:00. Python accepts up to ±23:59, PostgreSQL
# refuses some of those (+20:00), so anything past ±14:00 is refused before a query sees it.
MAX_UTC_OFFSET = timedelta(hours=14)


def as_utc(moment: datetime) -> datetime:
    """The same moment in UTC; a naive one is taken as UTC already.

    Raises ValueError for an offset beyond ±14:00 or a moment that leaves the calendar
    when moved to UTC (0001-01-01T00:00+01:00).
    """
    offset = moment.utcoffset()
    if offset is None:  # naive, or a tzinfo that gives no offset
        return moment.replace(tzinfo=UTC)
    if abs(offset) > MAX_UTC_OFFSET:
        raise ValueError("has a UTC offset beyond ±14:00")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None
