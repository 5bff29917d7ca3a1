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
    if isinstance(codes, dict):
        codes = next(iter(codes.values()), "invalid")
    if isinstance(codes, list):
        codes = codes[0] if codes else "invalid"
        return _first_code(codes)
    return str(codes)


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
        first = next(iter(errors.values()), None)
        message = first[0] if isinstance(first, list) and first and isinstance(first[0], str) else None
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
