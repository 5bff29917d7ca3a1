"""The REST side of TuneWave's errors: one place that turns an error into a response.

Domain errors (`core.errors`, raised by services) get their HTTP status here; DRF's own
exceptions (authentication, parsing, a view's `PermissionDenied`) and Django's `Http404` /
`PermissionDenied` / `RequestDataTooBig` are rendered in the same shape and the same codes
(`forbidden`, not DRF's `permission_denied`; `rate_limited`, not `throttled`), so one rule
gives one code here and on the sockets (`core.socket_errors`).

The shape: `{"detail", "code"}`, plus `errors` {field: [messages]} for 400s.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from core import errors

# The status of each domain error; a subclass takes its nearest listed base's.
STATUS: dict[type[errors.DomainError], int] = {
    errors.Invalid: status.HTTP_400_BAD_REQUEST,
    errors.NotAuthenticated: status.HTTP_401_UNAUTHORIZED,
    errors.Forbidden: status.HTTP_403_FORBIDDEN,
    errors.NotFound: status.HTTP_404_NOT_FOUND,
    errors.Conflict: status.HTTP_409_CONFLICT,
    errors.TooLarge: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    errors.RateLimited: status.HTTP_429_TOO_MANY_REQUESTS,
    errors.ServiceUnavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
    errors.DomainError: status.HTTP_400_BAD_REQUEST,
}

# DRF's and simplejwt's own codes, in TuneWave's words (core.errors.CODES).
UNIFIED_CODES = {
    "permission_denied": errors.Forbidden.code,
    "throttled": errors.RateLimited.code,
    # simplejwt's refusals of a presented token: the client refreshes or signs in again.
    "authentication_failed": errors.TokenNotValid.code,
    "user_not_found": errors.TokenNotValid.code,
    "user_inactive": errors.TokenNotValid.code,
    "no_active_account": errors.TokenNotValid.code,
    "bad_authorization_header": errors.TokenNotValid.code,
}


def http_status(error: errors.DomainError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return status.HTTP_400_BAD_REQUEST


class _Rendered(exceptions.APIException):
    """A domain error as DRF renders it. DRF's handler sends Retry-After from `wait` and
    WWW-Authenticate from `auth_header` when they are set."""

    wait: float | None = None
    auth_header: str | None = None


def _as_drf(exc: errors.DomainError, context) -> exceptions.APIException:
    """The DRF exception that renders `exc` with its status, headers and code."""
    if isinstance(exc, errors.Invalid):
        return exceptions.ValidationError(exc.errors, code=exc.code)
    drf_exc = _Rendered(exc.detail, exc.code)
    drf_exc.status_code = http_status(exc)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        drf_exc.wait = retry_after  # DRF sends it as Retry-After
    if isinstance(exc, errors.NotAuthenticated):
        # What DRF's APIView.handle_exception does for its own 401s, which it has already
        # passed by the time this handler runs: WWW-Authenticate, or 403 without a scheme.
        view, request = context.get("view"), context.get("request")
        header = view.get_authenticate_header(request) if view is not None and request is not None else None
        if header:
            drf_exc.auth_header = header
        else:
            drf_exc.status_code = status.HTTP_403_FORBIDDEN
    return drf_exc


def _first_code(codes) -> str:
    """The first error's code, however deep: a list item's errors nest as {"artists": {5: [...]}}."""
    if isinstance(codes, dict):
        return _first_code(next(iter(codes.values()), "invalid"))
    if isinstance(codes, list):
        return _first_code(codes[0]) if codes else "invalid"
    return str(codes)


def _first_message(field_errors) -> str | None:
    if isinstance(field_errors, dict):
        return _first_message(next(iter(field_errors.values()), None))
    if isinstance(field_errors, list):
        return _first_message(field_errors[0]) if field_errors else None
    return str(field_errors) if field_errors is not None else None


def exception_handler(exc, context):
    if isinstance(exc, errors.DomainError):
        exc = _as_drf(exc, context)
    elif isinstance(exc, RequestDataTooBig):
        exc = _as_drf(errors.TooLarge(), context)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        field_errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        message = _first_message(field_errors)
        field = next(iter(field_errors), None)
        detail = f"{field}: {message}" if message and field != "non_field_errors" else (message or "Invalid input.")
        response.data = {"detail": detail, "code": _first_code(exc.get_codes()), "errors": field_errors}
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        shown: object = exc.detail
        if isinstance(shown, dict):
            shown = shown.get("detail", "Error.")
        if isinstance(shown, list):
            shown = shown[0] if shown else "Error."
        code = _first_code(codes.get("detail", codes) if isinstance(codes, dict) else codes)
        response.data = {"detail": str(shown), "code": UNIFIED_CODES.get(code, code)}
    return response
