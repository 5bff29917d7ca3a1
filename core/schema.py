"""The OpenAPI schema lists every error response an operation can give, in the one error shape.

`AutoSchema` (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS) adds to each operation the statuses that
follow from what the view declares, instead of restating them on every view:

- 400 when the operation takes a body or parameters (bad JSON, field errors, a malformed id);
- 401 when the view reads the Authorization header: a bad or expired token is refused even
  where signing in is optional;
- 403 when a signed-in caller acts on an object or writes (object and role permissions);
- 404 when the path names an object (unknown, or a private room the caller may not see);
- 413 and 415 when the operation takes a body (too large; a media type it does not read);
- 429 when the view method carries a documented limit (`core.ratelimit.rate_limit`).

Statuses that depend on the domain (409 conflicts, 503 when Spotify or the cache is down, a
public view's 401 or 403) are declared by the view itself with `extend_schema(responses=…)`,
as `{409: ERROR}`. Whatever a view declares for a 4xx or 5xx is rendered as the `Error`
component: `{"detail", "code"}`, plus `errors` (field errors) on a 400 — the shape
`core.exceptions.exception_handler` writes.

Besides the public `map_parsers`, this overrides four of drf-spectacular's private methods
(`_get_response_for_code`, `_get_response_bodies`, `_map_basic_serializer`, `_get_parameters`;
drf-spectacular is pinned in requirements.txt). They live here alone, and
tunewave/tests/test_schema_contract.py fails loudly if another version changes what they do.
"""

from drf_spectacular import openapi
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from core.errors import CODES

# The `code` of an error response: one of CODES (the socket's error frames use the same words),
# or on a 400 from field validation the first field error's code.
CODE_HELP = (
    "What went wrong, for programs; the same word on the REST API and the sockets. "
    + "; ".join(f"`{code}`: {meaning}" for code, meaning in CODES.items())
    + ". A 400 from field validation carries its first field error's code instead "
    "(`required`, `blank`, `max_length`, `invalid_choice`, …)."
)

ERROR_SERIALIZER = inline_serializer(
    "Error",
    {
        "detail": serializers.CharField(help_text="What went wrong, for people."),
        "code": serializers.CharField(help_text=CODE_HELP),
        "errors": serializers.DictField(
            required=False,
            help_text="400 only: the field errors, as {field: [messages]} (nested for nested fields).",
        ),
    },
)
# What a view declares for a status the schema cannot infer, e.g. `responses={201: X, 409: ERROR}`.
ERROR = OpenApiResponse(ERROR_SERIALIZER)

DESCRIPTIONS = {
    400: "Invalid input: a malformed body or parameter (`errors` names the fields).",
    401: "Missing (`not_authenticated`), or invalid or expired credentials (`token_not_valid`).",
    403: "Signed in, but not allowed to do this (`forbidden`).",
    404: "No such object, or one the caller may not see (`not_found`).",
    409: "Conflicts with the current state: taken name, existing request or membership, … (`conflict`).",
    413: "The request body is too large (`too_large`).",
    415: "The body's media type is not one this operation reads (`unsupported_media_type`).",
    429: "Over the rate limit (`rate_limited`); retry after `Retry-After` seconds.",
    503: "A service TuneWave depends on is unavailable (`service_unavailable`); retry later.",
}
RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before trying again.",
    }
}

# Query parameters shared by every paged list, as core.pagination reads them: an empty
# value means "absent", `limit` is at least 1 (larger values are capped, not refused), `offset`
# at least 0, and `before_timestamp` takes real UTC offsets only (±14:00 at most).
PAGING: dict[str, dict[str, object]] = {
    "limit": {"minimum": 1},
    "offset": {"minimum": 0},
    "before_timestamp": {"pattern": r"(?:[Zz]|[+-](?:0\d|1[0-3]):?[0-5]\d|[+-]14:?00)$"},
}

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
BODY_METHODS = {"POST", "PUT", "PATCH"}


class JWTScheme(SimpleJWTScheme):
    """Bearer JWTs for simplejwt's authentication and its subclasses (accounts.authentication)."""

    match_subclasses = True
    priority = 1


class AutoSchema(openapi.AutoSchema):
    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(
            ERROR_SERIALIZER if int(status_code) >= 400 else serializer, status_code, media_types, direction
        )
        if int(status_code) >= 400:
            response["description"] = DESCRIPTIONS.get(int(status_code), response.get("description", ""))
            if int(status_code) in (429, 503):
                response["headers"] = dict(RETRY_AFTER)
        return response

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in sorted(self.error_statuses() - {int(code) for code in responses}):
            responses[str(status)] = self._get_response_for_code(ERROR_SERIALIZER, str(status), direction=direction)
        return dict(sorted(responses.items()))

    def error_statuses(self) -> set[int]:
        statuses = set()
        parameters = self._get_parameters()
        in_path = any(p["in"] == "path" for p in parameters)
        has_body = self.method in BODY_METHODS and self.get_request_serializer() is not None
        reads_token = bool(self.view.get_authenticators())
        handler = getattr(self.view, self.method.lower(), None)

        if has_body or parameters:
            statuses.add(400)
        if reads_token:
            statuses.add(401)
            if in_path or self.method in WRITE_METHODS:
                statuses.add(403)
        if in_path:
            statuses.add(404)
        if has_body:
            statuses |= {413, 415}
        if getattr(handler, "rate_limit", None):
            statuses.add(429)
        return statuses

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        echoed = getattr(serializer, "echoed_fields", None)
        if direction == "request" and echoed is not None:
            # The serializer refuses unknown fields (400), except read-only ones echoed back.
            schema["additionalProperties"] = False
            for name in sorted(echoed):
                schema["properties"].setdefault(name, {"description": "Read-only; ignored when sent back."})
        return schema

    def map_parsers(self):
        # JSON endpoints document JSON only: DRF's default form parsers also read form bodies
        # there, but that is not the contract (the SPA and clients send JSON). Views with their
        # own parsers (the avatar upload) keep theirs.
        media_types = super().map_parsers()
        return ["application/json"] if "application/json" in media_types else media_types

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            rules = PAGING.get(parameter["name"])
            if parameter["in"] == "query" and rules is not None:
                if not parameter.get("required"):  # a required `limit` must have a value
                    parameter["allowEmptyValue"] = True
                for keyword, value in rules.items():
                    parameter["schema"].setdefault(keyword, value)
        return parameters
