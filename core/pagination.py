"""Query parameters for long lists: `limit` (capped), `offset`, `before_timestamp`."""

from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import ValidationError

from core.moments import as_utc


def _int_param(request, name: str, default: int, minimum: int, maximum: int | None) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValidationError({name: [f"{name} must be a whole number."]}) from exc
    if value < minimum:
        raise ValidationError({name: [f"{name} must be at least {minimum}."]})
    return min(value, maximum) if maximum is not None else value


def limit_param(request, *, default: int, maximum: int, required: bool = False) -> int:
    """`limit`, at least 1; values above `maximum` are capped rather than refused."""
    if required and request.query_params.get("limit") in (None, ""):
        raise ValidationError({"limit": ["limit is required."]})
    return _int_param(request, "limit", default, 1, maximum)


def offset_param(request) -> int:
    return _int_param(request, "offset", 0, 0, 1_000_000)


def before_param(request, name: str = "before_timestamp") -> datetime | None:
    """An ISO 8601 datetime (naive means UTC) or Unix seconds; None when absent."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    value = None
    try:
        value = datetime.fromtimestamp(float(raw), tz=UTC)
    except (ValueError, OverflowError, OSError):
        try:
            value = parse_datetime(raw.replace(" ", "+"))
        except ValueError:
            value = None
    if value is None:
        raise ValidationError({name: [f"{name} must be an ISO 8601 datetime or Unix seconds."]})
    try:
        return as_utc(value)
    except ValueError as exc:
        raise ValidationError({name: [f"{name} {exc}."]}) from exc
