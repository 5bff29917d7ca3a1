"""The socket side of TuneWave's errors: one place that turns an error into an error frame.

The REST side is `core.exceptions`; both give a domain error (`core.errors`) the same
`code`. A frame is `{"type": "error", "code", "detail"}`, plus `retry_after` (whole seconds)
when the client may retry, plus whatever the consumer adds (`in_reply_to`: the frame type
this answers).
"""

from typing import Any, overload

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404

from core import errors
from core.frames import FrameError


def as_domain_error(exc: BaseException) -> errors.DomainError | None:
    """`exc` as a domain error; Django's Http404 and PermissionDenied (raised by selectors
    such as `get_object_or_404`) count as `not_found` and `forbidden`, and a refused frame
    (`FrameError`) keeps its code. None for anything else: a fault, not a refusal."""
    if isinstance(exc, errors.DomainError):
        return exc
    if isinstance(exc, FrameError):
        return errors.DomainError(exc.detail, code=exc.code)
    if isinstance(exc, Http404):
        return errors.NotFound(str(exc) or None)
    if isinstance(exc, DjangoPermissionDenied):
        return errors.Forbidden(str(exc) or None)
    return None


@overload
def error_frame(exc: errors.DomainError | FrameError, **extra: Any) -> dict[str, Any]: ...
@overload
def error_frame(exc: BaseException, **extra: Any) -> dict[str, Any] | None: ...
def error_frame(exc: BaseException, **extra: Any) -> dict[str, Any] | None:
    """The error frame for `exc`, or None when `exc` is not a refusal (the caller logs it and
    answers `server_error`)."""
    error = as_domain_error(exc)
    if error is None:
        return None
    frame: dict[str, Any] = {"type": "error", "code": error.code, "detail": error.detail}
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        frame["retry_after"] = retry_after
    frame.update(extra)
    return frame
