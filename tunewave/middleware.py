import json
import time

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import SimpleLazyObject

from core.request_id import request_id_accept, request_id_bind, request_id_unbind
from tunewave.logging import access_logger

# Paths that belong to HTML pages; everything else is the JSON API.
_HTML_PREFIXES = ("/admin", "/app", "/api/docs", "/static", "/media")


def wants_json(path: str) -> bool:
    return not path.startswith(_HTML_PREFIXES)


class JsonNotFoundMiddleware:
    """Answers unknown API paths with the JSON error shape instead of Django's HTML page.

    Unmatched URLs never reach DRF, so its exception handler cannot render them; this
    keeps the contract "every API error is JSON" for them too (DEBUG included).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in (404, 405) and wants_json(request.path):
            if not response.get("Content-Type", "").startswith("application/json"):
                code = "not_found" if response.status_code == 404 else "method_not_allowed"
                detail = "Not found." if response.status_code == 404 else "Method not allowed."
                new = JsonResponse({"detail": detail, "code": code}, status=response.status_code)
                if response.has_header("Allow"):
                    new["Allow"] = response["Allow"]
                return new
        return response


def json_server_error(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """handler500: a JSON body for API clients, plain text elsewhere."""
    if wants_json(request.path):
        body = json.dumps({"detail": "Internal server error.", "code": "server_error"})
        return HttpResponse(body, status=500, content_type="application/json")
    return HttpResponse("Internal server error.", status=500, content_type="text/plain")


def json_bad_request(request: HttpRequest, exception=None, *args, **kwargs) -> HttpResponse:
    """handler400: oversize bodies and other suspicious requests outside DRF views."""
    return JsonResponse({"detail": "Bad request.", "code": "bad_request"}, status=400)


class RejectNulMiddleware:
    """A NUL character in the path or a query parameter is a 400, for every endpoint.

    PostgreSQL text cannot hold NUL, so a `?search=%00` or `/favorites/me/%00` that reaches
    a query is a 500 there (SQLite takes it). Serializer fields already refuse NUL in bodies
    (DRF's CharField validator); this covers what views read from the URL themselves.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path:
            return _nul_refused(request, "Paths may not contain NUL characters.")
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return _nul_refused(request, "Query parameters may not contain NUL characters.", name)
        return self.get_response(request)


def _nul_refused(request: HttpRequest, detail: str, param: str | None = None) -> HttpResponse:
    if not wants_json(request.path):
        return HttpResponse(detail, status=400, content_type="text/plain")
    body: dict[str, object] = {"detail": detail, "code": "null_characters_not_allowed"}
    if param is not None:
        body["errors"] = {param.replace("\x00", "\\0"): [detail]}
    return JsonResponse(body, status=400)


class RequestLogMiddleware:
    """One access line per HTTP request (tunewave/logging.py): method, path without the query
    string (where OAuth codes and tickets travel), status, duration, user and request id. First
    in MIDDLEWARE, so the duration covers the whole stack and every response, errors included,
    carries `X-Request-ID`.

    The request id is nginx's `X-Request-ID` when it is a sane one, else a new one; it stays
    bound while the view runs, so the view's log records and the tasks it enqueues carry it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_accept(request.headers.get("X-Request-ID"))
        token = request_id_bind(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            duration_ms = round((time.monotonic() - started) * 1000, 1)
            user_id = _user_id(request)
            access_logger.info(
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={
                    "event": "http_request",
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "user_id": user_id,
                    "request_id": request_id,
                },
            )
            return response
        finally:
            request_id_unbind(token)


def _user_id(request: HttpRequest) -> str | None:
    """The signed-in user's id, if the request was authenticated by then. DRF puts the user it
    authenticated (JWT) on the request; a session user stays a lazy object until something asks,
    and Django keeps the looked-up user in `_cached_user`: the log line reads that instead of
    spending a query on a request that never needed the user."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = request.__dict__.get("_cached_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return str(user.pk)
