"""Domain errors are translated in one place per transport, to the same codes.

Services raise `core.errors`; `core.exceptions.exception_handler` gives REST its
status and `{"detail", "code"}`, `core.socket_errors.error_frame` gives the sockets
`{"type": "error", "code", "detail"}`. DRF's own exceptions speak the same words.
"""

import ast
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.http import Http404
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework import exceptions as drf
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core import errors
from core.exceptions import exception_handler
from core.frames import FrameError
from core.socket_errors import error_frame

ROOT = Path(settings.BASE_DIR)
APPS = ["accounts", "music", "social", "rooms", "chat", "recommendations"]


def rest(exc, view=None):
    request = APIRequestFactory().get("/")
    response = exception_handler(exc, {"view": view or APIView(), "request": request})
    return response.status_code, response.data, response


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (errors.Invalid("Say something.", field="text"), 400, "invalid"),
        (errors.NotAuthenticated(), 401, "not_authenticated"),
        (errors.TokenNotValid("Spent."), 401, "token_not_valid"),
        (errors.Forbidden("Only the owner can."), 403, "forbidden"),
        (errors.NotFound("No such room."), 404, "not_found"),
        (errors.Conflict("Taken."), 409, "conflict"),
        (errors.TooLarge(), 413, "too_large"),
        (errors.RateLimited("Slow down.", retry_after=2.2), 429, "rate_limited"),
        (errors.ServiceUnavailable("Spotify is down.", retry_after=30), 503, "service_unavailable"),
    ],
    ids=lambda value: getattr(value, "code", value) if isinstance(value, errors.DomainError) else None,
)
def test_it_gives_one_code_on_rest_and_on_the_socket(error, status, code):
    http_status, body, response = rest(error)
    frame = error_frame(error, in_reply_to="chat.message")
    assert http_status == status
    assert body["code"] == frame["code"] == code
    assert body["detail"] == frame["detail"] == error.detail
    assert frame["type"] == "error" and frame["in_reply_to"] == "chat.message"
    if code in ("rate_limited", "service_unavailable"):
        assert response["Retry-After"] == str(frame["retry_after"]) == str(error.retry_after)
    assert code in errors.CODES


def test_field_errors_keep_the_rest_shape():
    status, body, _ = rest(errors.Invalid("A message needs some text.", field="text"))
    assert status == 400
    assert body == {
        "detail": "text: A message needs some text.",
        "code": "invalid",
        "errors": {"text": ["A message needs some text."]},
    }
    assert rest(errors.Invalid("Bad."))[1] == {
        "detail": "Bad.",
        "code": "invalid",
        "errors": {"non_field_errors": ["Bad."]},
    }


def test_a_401_names_the_scheme_like_drf_does():
    class Bearer(APIView):
        def get_authenticate_header(self, request):
            return 'Bearer realm="api"'

    status, _, response = rest(errors.TokenNotValid(), view=Bearer())
    assert status == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (drf.PermissionDenied(), 403, "forbidden"),
        (drf.Throttled(wait=3), 429, "rate_limited"),
        (drf.NotAuthenticated(), 401, "not_authenticated"),
        (drf.AuthenticationFailed(), 401, "token_not_valid"),
        (drf.NotFound(), 404, "not_found"),
        (drf.ParseError(), 400, "parse_error"),
        (drf.MethodNotAllowed("PUT"), 405, "method_not_allowed"),
        (drf.UnsupportedMediaType("text/xml"), 415, "unsupported_media_type"),
    ],
)
def test_drfs_own_exceptions_speak_the_same_words(exc, status, code):
    class Bearer(APIView):
        def get_authenticate_header(self, request):
            return 'Bearer realm="api"'

    http_status, body, _ = rest(exc, view=Bearer())
    assert (http_status, body["code"]) == (status, code)
    assert code in errors.CODES


def test_socket_refusals_from_django_and_frames_map_too():
    assert error_frame(Http404("No such message."))["code"] == "not_found"
    assert error_frame(FrameError("bad_json", "Not JSON."))["code"] == "bad_json"
    assert error_frame(RuntimeError("boom")) is None  # a fault: the consumer answers server_error


@pytest.mark.django_db
def test_the_schema_documents_every_code():
    document = json.loads(
        OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True), renderer_context={})
    )
    described = document["components"]["schemas"]["Error"]["properties"]["code"]["description"]
    assert all(f"`{code}`" in described for code in errors.CODES)


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "module",
    [f"{app}/{name}.py" for app in APPS for name in ("services", "selectors")]
    + ["chat/consumers.py", "social/consumers.py", "core/errors.py", "core/socket_errors.py"],
)
def test_services_and_consumers_do_not_speak_http(module):
    """Services raise domain errors, not DRF's; consumers translate through error_frame."""
    path = ROOT / module
    if not path.exists():
        pytest.skip(f"{module} does not exist")
    drf_imports = {name for name in _imports(path) if name == "rest_framework" or name.startswith("rest_framework.")}
    assert drf_imports == set(), f"{module} imports {sorted(drf_imports)}"
