"""TuneWave's own errors: what a service raises when a rule says no.

Services speak the domain, not HTTP: they raise these, and each transport translates them in
one place — `core.exceptions.exception_handler` for the REST API (status + `{"detail",
"code"}`), `core.socket_errors.error_frame` for the sockets (`{"type": "error", "code",
"detail"}`). So one rule gives one `code` on both. Nothing here imports Django REST
framework or Channels: every app may import this module.

`CODES` lists the codes a client may see in an error, REST or socket, and `SOCKET_CODES` the
ones only the sockets send (about frames and the connection); the schema's `Error` component
and the README's error section are written from them.
"""

import math

# code -> what it means. REST statuses are in core.exceptions; a 400 from a serializer
# carries its first field error's code instead (`required`, `max_length`, `invalid_choice`, …).
CODES: dict[str, str] = {
    "invalid": "Bad input (400); REST adds `errors` {field: [messages]}.",
    "blank": "A required text is empty or only spaces (400), e.g. a chat message.",
    "max_length": "A text is longer than its limit (400), e.g. a chat message over 2,000 characters.",
    "parse_error": "REST: the body could not be parsed (400).",
    "not_authenticated": "No credentials where they are needed (401).",
    "token_not_valid": "The token is invalid, expired, revoked or already used (401): refresh or sign in again.",
    "forbidden": "Signed in, but not allowed to do this (403).",
    "not_found": "No such object, or one the caller may not see (404).",
    "method_not_allowed": "REST: the path does not take this method (405).",
    "conflict": "Conflicts with the current state: a taken name, an existing request or membership (409).",
    "too_large": "The body, upload or frame is too large (413).",
    "unsupported_media_type": "REST: a body media type this operation does not read (415).",
    "rate_limited": "Over a rate limit (429): retry after `Retry-After` (REST) or `retry_after` (socket) seconds.",
    "service_unavailable": "A service TuneWave depends on is unavailable (503): retry later.",
    "bad_request": "A request or frame TuneWave cannot read at all (400).",
    "server_error": "A fault on the server (500); on a socket, that frame failed and the socket stays open.",
    "upload_invalid": "An uploaded file is empty, corrupt, truncated, not audio, or also something else (400).",
    "upload_unsupported": "An uploaded file is audio, but not MP3, AAC (M4A), Ogg Vorbis/Opus, FLAC or WAV (400).",
    "upload_too_large": "An uploaded file is over UPLOAD_MAX_BYTES (413).",
    "upload_quota_exceeded": "An uploaded file does not fit the uploader's UPLOAD_QUOTA_BYTES (409).",
    "spotify_not_linked": "No Spotify account is linked to yours (404): connect Spotify.",
    "spotify_scope_missing": "The linked Spotify account did not grant `streaming` (409): connect Spotify again.",
    "spotify_not_premium": "The linked Spotify account is not Premium; Spotify's browser player needs it (409).",
    "spotify_reconnect": "Spotify refused the stored grant, e.g. it was revoked (409): connect Spotify again.",
    "spotify_unavailable": "Spotify did not answer (503): retry later.",
}

SOCKET_CODES: dict[str, str] = {
    "bad_json": "The frame is not valid JSON.",
    "unknown_type": "The frame's `type` is not one this socket takes.",
    "unsupported": "A binary frame: send JSON text frames.",
    "token_expired": "The socket's credential expired; it closes with 4401.",
    "room_closed": "The room was closed; the socket closes with 4404.",
    "left": "You left the room (another tab); the socket closes with 4403.",
    "removed": "You were removed from the room; the socket closes with 4403.",
    "banned": "You were banned from the room; the socket closes with 4403.",
}


class DomainError(Exception):
    """A rule said no. `detail` is for people, `code` for programs."""

    code = "invalid"
    default_detail = "That is not possible."

    def __init__(self, detail: str | None = None, *, code: str | None = None):
        self.detail = str(detail) if detail else self.default_detail
        if code is not None:
            self.code = code
        super().__init__(self.detail)


class Invalid(DomainError):
    """Bad input. `field` names the input at fault: REST lists it in `errors`, and both
    transports' `detail` reads "field: message"."""

    code = "invalid"
    default_detail = "Invalid input."

    def __init__(self, detail: str | None = None, *, field: str | None = None, code: str | None = None):
        super().__init__(detail, code=code)
        self.message = self.detail
        self.field = field
        if field is not None:
            self.detail = f"{field}: {self.message}"

    @property
    def errors(self) -> dict[str, list[str]]:
        return {self.field or "non_field_errors": [self.message]}


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    default_detail = "Authentication credentials were not provided."


class TokenNotValid(NotAuthenticated):
    code = "token_not_valid"
    default_detail = "The token is invalid or expired."


class Forbidden(DomainError):
    code = "forbidden"
    default_detail = "You may not do that here."


class NotFound(DomainError):
    code = "not_found"
    default_detail = "Not found."


class Conflict(DomainError):
    code = "conflict"
    default_detail = "This conflicts with the current state."


class TooLarge(DomainError):
    code = "too_large"
    default_detail = "The request body is too large."


class _Retryable(DomainError):
    """An error a client may retry: `retry_after` whole seconds, or None when unknown."""

    def __init__(self, detail: str | None = None, *, retry_after: float | None = None, code: str | None = None):
        super().__init__(detail, code=code)
        self.retry_after = math.ceil(retry_after) if retry_after else None


class RateLimited(_Retryable):
    code = "rate_limited"
    default_detail = "Too many requests."


class ServiceUnavailable(_Retryable):
    code = "service_unavailable"
    default_detail = "A service TuneWave depends on is unavailable. Try again later."
