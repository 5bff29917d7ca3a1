"""One error shape for the whole API: `{"detail", "code"}`, plus `errors` for 400s."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This conflicts with the current state."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "A service TuneWave depends on is unavailable. Try again later."
    default_code = "service_unavailable"


def _first_code(codes) -> str:
    """The first error's code, however deep: a list item's errors nest as {"artists": {5: [...]}}."""
    if isinstance(codes, dict):
        return _first_code(next(iter(codes.values()), "invalid"))
    if isinstance(codes, list):
        return _first_code(codes[0]) if codes else "invalid"
    return str(codes)


def _first_message(errors) -> str | None:
    if isinstance(errors, dict):
        return _first_message(next(iter(errors.values()), None))
    if isinstance(errors, list):
        return _first_message(errors[0]) if errors else None
    return str(errors) if errors is not None else None


def exception_handler(exc, context):
    # Imported here: rest_framework.views loads the parser settings, which import this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        message = _first_message(errors)
        field = next(iter(errors), None)
        detail = f"{field}: {message}" if message and field != "non_field_errors" else (message or "Invalid input.")
        response.data = {"detail": detail, "code": _first_code(exc.get_codes()), "errors": errors}
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        detail = exc.detail
        if isinstance(detail, dict):
            detail = detail.get("detail", "Error.")
        if isinstance(detail, list):
            detail = detail[0] if detail else "Error."
        response.data = {
            "detail": str(detail),
            "code": _first_code(codes.get("detail", codes) if isinstance(codes, dict) else codes),
        }
    return response
