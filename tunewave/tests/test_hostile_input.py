"""Hostile input gets a 4xx in the JSON error shape, never a 500 (issue 11, items 6, 7, 10).

The NUL and out-of-range UTC offset cases only ever failed on PostgreSQL (SQLite stores
both), so they matter in services mode; they run in both.
"""

import asyncio
import http.client
import inspect
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from daphne import http_protocol
from django.core.asgi import get_asgi_application
from twisted.web import http as twisted_http

from accounts.services import tokens_issue
from tunewave.asgi_limits import BodyLimitMiddleware
from tunewave.daphne_requests import FormlessWebRequest
from tunewave.tests import BASE_DIR, clean_env

pytestmark = pytest.mark.django_db

NESTED = "[" * 20_000 + "]" * 20_000


def assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["code"], str)
    return body


# --- deeply nested JSON -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/auth/token/refresh", "/auth/dev/login", "/rooms/"])
def test_it_answers_deeply_nested_json_with_400(api, alice, as_user, path):
    anonymous = api.post(path, NESTED, content_type="application/json")
    assert_error_shape(anonymous, 401 if path == "/rooms/" else 400)  # creating a room needs a sign-in
    body = assert_error_shape(as_user(alice).post(path, NESTED, content_type="application/json"), 400)
    assert body["code"] == "parse_error"
    assert "nested too deeply" in body["detail"]


def test_it_answers_deeply_nested_json_on_profile_update_with_400(alice, as_user):
    response = as_user(alice).put(f"/users/{alice.pk}", NESTED, content_type="application/json")
    assert_error_shape(response, 400)
    alice.refresh_from_db()
    assert alice.username == "alice"


# --- NUL characters in the URL --------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/rooms/?search=%00",
        "/rooms/?genre=%00",
        "/rooms/?search=a%00b&genre=rock",
        "/rooms/by-name/?name=%00",
        "/rooms/by-name?name=x%00",
        "/rooms/%00",
        "/users/%00",
        "/users/%00/history",
        "/favorites/%00",
        "/track/%00",
        "/chat/%00?limit=5",
    ],
)
def test_it_refuses_nul_in_the_url_anonymously(api, url):
    body = assert_error_shape(api.get(url), 400)
    assert body["code"] == "null_characters_not_allowed"


def test_it_refuses_nul_in_path_parameters_for_signed_in_users(alice, as_user):
    client = as_user(alice)
    assert_error_shape(client.delete("/favorites/me/%00"), 400)
    assert_error_shape(client.post("/rooms/%00/join"), 400)
    assert_error_shape(client.get("/users/me/history?before_timestamp=%00"), 400)


def test_it_names_the_query_parameter_holding_the_nul(api):
    body = assert_error_shape(api.get("/rooms/?order=newest&search=%00"), 400)
    assert list(body["errors"]) == ["search"]


def test_it_keeps_ordinary_searches_working(api):
    assert api.get("/rooms/?search=jazz&genre=rock").status_code == 200


def test_the_admin_gets_a_plain_400_for_nul_too(client):
    response = client.get("/admin/login/?next=%00")
    assert response.status_code == 400


# --- UTC offsets in before_timestamp -------------------------------------------------------


HISTORY_URLS = ["/users/me/history", "/users/{alice}/history"]


@pytest.mark.parametrize("url", HISTORY_URLS)
@pytest.mark.parametrize("offset", ["%2B20:00", "-16:00", "%2B14:01", "%2B23:59"])
def test_it_refuses_utc_offsets_no_place_has(alice, as_user, url, offset):
    response = as_user(alice).get(f"{url.format(alice=alice.pk)}?before_timestamp=2024-01-01T00:00:00{offset}")
    body = assert_error_shape(response, 400)
    assert "before_timestamp" in body["errors"]


@pytest.mark.parametrize("url", HISTORY_URLS)
@pytest.mark.parametrize(
    "stamp", ["2024-01-01T00:00:00%2B14:00", "2024-01-01T00:00:00-12:00", "2024-01-01T00:00:00%2B05:30", "1704067200"]
)
def test_it_takes_real_utc_offsets(alice, as_user, url, stamp):
    response = as_user(alice).get(f"{url.format(alice=alice.pk)}?before_timestamp={stamp}")
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00%2B01:00", "9999-12-31T23:59:59-01:00", "1e300", "nan"])
def test_it_refuses_moments_out_of_range(alice, as_user, stamp):
    response = as_user(alice).get(f"/users/me/history?before_timestamp={stamp}")
    assert_error_shape(response, 400)


def test_chat_history_refuses_the_same_offsets(api, public_room):
    response = api.get(f"/chat/{public_room.pk}?limit=5&before_timestamp=2024-01-01T00:00:00%2B20:00")
    assert_error_shape(response, 400)


# --- OAuth `next` ----------------------------------------------------------------------------


def test_a_next_whose_host_normalises_to_a_hash_is_ignored_not_a_500(settings, client):
    settings.SPOTIFY_CLIENT_ID = settings.SOCIAL_AUTH_SPOTIFY_KEY = "id"
    settings.SPOTIFY_CLIENT_SECRET = settings.SOCIAL_AUTH_SPOTIFY_SECRET = "secret"  # noqa: S105
    response = client.get("/auth/spotify/login?next=http://a%EF%BC%83b@evil.example")
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    assert "a%EF%BC%83b" not in response["Location"]


def test_an_unconfigured_provider_with_that_next_lands_on_the_app(client):
    response = client.get("/auth/google/login?next=http://a%EF%BC%83b@evil.example")
    assert response.status_code in (302, 404)
    assert "evil.example" not in response.get("Location", "")


# --- empty and malformed multipart avatar uploads --------------------------------------------

MULTIPART_BODIES = [
    b"",
    b"--x--\r\n",
    b"--x\r\n",
    b"garbage",
    b'--x\r\nContent-Disposition: form-data; name="avatar_file"; filename="a.png"\r\n\r\n\r\n--x--\r\n',
]


@pytest.mark.parametrize("body", MULTIPART_BODIES)
@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=x", "multipart/form-data"])
def test_empty_or_malformed_multipart_avatar_posts_get_the_json_error_shape(alice, as_user, body, content_type):
    response = as_user(alice).post("/users/me/avatar", body, content_type=content_type)
    assert_error_shape(response, 400)
    alice.refresh_from_db()
    assert not alice.avatar


# --- the ASGI body limits (tunewave/asgi_limits.py) ------------------------------------------


class Upload:
    """An ASGI request whose body arrives in chunks; counts what the app pulled."""

    def __init__(self, path: str, *, body_size: int, declare_length: bool = True, headers=(), method="POST"):
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"testserver"), *headers]
            + ([(b"content-length", str(body_size).encode())] if declare_length else []),
            "client": ("127.0.0.1", 5000),
            "server": ("testserver", 80),
        }
        self.remaining = body_size
        self.pulled = 0
        self.sent: list[dict] = []

    async def receive(self) -> dict:
        if self.remaining <= 0 and self.pulled:
            await asyncio.sleep(3600)  # the client waits for the answer: no disconnect
        chunk = min(self.remaining, 64 * 1024)
        self.remaining -= chunk
        self.pulled += chunk
        return {"type": "http.request", "body": b"\0" * chunk, "more_body": self.remaining > 0}

    async def send(self, message: dict) -> None:
        self.sent.append(message)

    def run(self, app) -> None:
        asyncio.run(asyncio.wait_for(app(self.scope, self.receive, self.send), timeout=30))

    @property
    def status(self) -> int:
        return next(m["status"] for m in self.sent if m["type"] == "http.response.start")

    @property
    def json(self) -> dict:
        return json.loads(b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body"))


async def never_called(scope, receive, send):
    raise AssertionError("the request should have been refused before the app")


def bearer(user) -> tuple[bytes, bytes]:
    return (b"authorization", f"Bearer {tokens_issue(user=user)['access']}".encode())


def test_an_anonymous_50_mb_avatar_post_is_refused_before_its_body_is_read():
    upload = Upload("/users/me/avatar", body_size=50 * 1024 * 1024, headers=[(b"content-type", b"multipart/form-data")])
    upload.run(BodyLimitMiddleware(never_called))
    assert upload.status in (401, 413)
    assert upload.pulled == 0
    assert upload.json["code"] in ("not_authenticated", "too_large")


def test_an_anonymous_avatar_post_of_ordinary_size_gets_401_unread():
    upload = Upload("/users/me/avatar", body_size=200_000, headers=[(b"content-type", b"multipart/form-data")])
    upload.run(BodyLimitMiddleware(never_called))
    assert upload.status == 401
    assert upload.pulled == 0
    assert upload.json["code"] == "not_authenticated"
    assert (b"www-authenticate", b'Bearer realm="api"') in upload.sent[0]["headers"]


@pytest.mark.parametrize("token", [b"Bearer not.a.jwt", b"Bearer \xff\xfe", b"Basic abc", b"Bearer a b"])
def test_a_forged_or_garbled_token_is_no_token(token):
    upload = Upload("/users/me/avatar/", body_size=100, headers=[(b"authorization", token)])
    upload.run(BodyLimitMiddleware(never_called))
    assert upload.status == 401
    assert upload.pulled == 0


def test_a_signed_in_upload_over_the_avatar_limit_gets_413_unread(alice):
    upload = Upload("/users/me/avatar", body_size=6 * 1024 * 1024, headers=[bearer(alice)])
    upload.run(BodyLimitMiddleware(never_called))
    assert upload.status == 413
    assert upload.pulled == 0
    assert upload.json["code"] == "too_large"


@pytest.mark.parametrize("path", ["/rooms/", "/auth/token/refresh", "/users/me"])
def test_a_json_body_over_1_mib_gets_413_unread(path):
    upload = Upload(path, body_size=1024 * 1024 + 1, headers=[(b"content-type", b"application/json")])
    upload.run(BodyLimitMiddleware(never_called))
    assert upload.status == 413
    assert upload.pulled == 0
    assert upload.json == {
        "detail": "The request body is too large: this path takes at most 1024 KiB.",
        "code": "too_large",
    }


def test_a_chunked_body_is_cut_off_once_it_passes_the_limit():
    upload = Upload("/rooms/", body_size=50 * 1024 * 1024, declare_length=False)
    upload.run(BodyLimitMiddleware(get_asgi_application()))
    assert upload.status == 413
    assert upload.json["code"] == "too_large"
    assert upload.pulled <= 1024 * 1024 + 64 * 1024
    assert [m["type"] for m in upload.sent] == ["http.response.start", "http.response.body"]


@pytest.mark.django_db(transaction=True)  # the view runs on another thread, with its own connection
def test_a_signed_in_avatar_upload_under_the_limit_reaches_the_view(alice):
    content = b'--x\r\nContent-Disposition: form-data; name="other"\r\n\r\nhi\r\n--x--\r\n'
    upload = Upload(
        "/users/me/avatar",
        body_size=len(content),
        headers=[bearer(alice), (b"content-type", b"multipart/form-data; boundary=x")],
    )

    async def receive():
        if upload.pulled:
            await asyncio.sleep(3600)
        upload.pulled += len(content)
        return {"type": "http.request", "body": content, "more_body": False}

    upload.receive = receive
    asyncio.run(BodyLimitMiddleware(get_asgi_application())(upload.scope, upload.receive, upload.send))
    assert upload.status == 400  # reached DRF: the serializer wants avatar_file
    assert upload.json["errors"] == {"avatar_file": ["No file was submitted."]}


def test_websocket_scopes_pass_through():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    asyncio.run(BodyLimitMiddleware(app)({"type": "websocket", "path": "/ws/x"}, None, None))
    assert seen == ["websocket"]


def test_the_json_limit_applies_to_the_full_application(settings):
    """The ASGI app Daphne serves is wrapped (not only the class under test)."""
    from tunewave.asgi import application  # importing it runs gc.freeze(): only in the tests that need it

    upload = Upload("/rooms/", body_size=2 * 1024 * 1024)
    upload.run(application)
    assert upload.status == 413
    assert upload.pulled == 0


def test_daphne_requests_skip_twisteds_own_form_parsing():
    """tunewave/daphne_requests.py: fails loudly if a Daphne or Twisted upgrade undoes it."""
    import tunewave.asgi  # noqa: F401 - importing the ASGI module installs the request class (and runs gc.freeze)

    assert http_protocol.WebRequest is FormlessWebRequest

    assert issubclass(FormlessWebRequest, twisted_http.Request)
    assert "parsePOSTFormSubmission" in inspect.signature(twisted_http.Request.__init__).parameters


@pytest.mark.parametrize("body", [b"--x--\r\n", b"garbage", b"\r\n"])
def test_an_empty_multipart_avatar_post_through_a_real_daphne_gets_json(live_daphne, body):
    """Twisted itself parsed POSTed multipart bodies and answered these (an empty form is just
    the closing boundary) with a bare 400 the app never saw (tunewave/daphne_requests.py)."""
    call, token = live_daphne
    headers = {"Content-Type": "multipart/form-data; boundary=x", "Authorization": f"Bearer {token}"}
    status, response_headers, content = call("POST", "/users/me/avatar", body, headers)
    assert status == 400
    assert response_headers["content-type"] == "application/json"
    assert json.loads(content)["errors"] == {"avatar_file": ["No file was submitted."]}


def test_an_anonymous_multipart_post_through_a_real_daphne_gets_json_401(live_daphne):
    call, _ = live_daphne
    status, headers, content = call(
        "POST", "/users/me/avatar", b"--x--\r\n", {"Content-Type": "multipart/form-data; boundary=x"}
    )
    assert status == 401
    assert headers["content-type"] == "application/json"
    assert json.loads(content)["code"] == "not_authenticated"


@pytest.fixture(scope="module")
def live_daphne(tmp_path_factory):
    """One Daphne process (DEBUG=0, SQLite in a temporary directory) for the module."""
    tmp = tmp_path_factory.mktemp("daphne")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = clean_env(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        MEDIA_ROOT=str(tmp / "media"),
    )
    for args in (["migrate", "--noinput", "--verbosity", "0"], ["issue_token", "--create", "daphne@example.com"]):
        done = subprocess.run(  # noqa: S603 - our own interpreter
            [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True
        )
    token = done.stdout.split()[-1]
    daphne = Path(sys.executable).with_name("daphne")
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter's daphne
        [str(daphne), "-b", "127.0.0.1", "-p", str(port), "--access-log", "/dev/null", "tunewave.asgi:application"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def call(method, path, body=b"", headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if call("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
            time.sleep(0.2)
        yield call, token
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
