"""POST /track/upload as Daphne serves it: through the ASGI body limits (tunewave/asgi_limits.py)
into Django's handler and the streaming upload handler (music/uploads.py)."""

import asyncio
import json

import pytest
from django.conf import settings
from django.core.asgi import get_asgi_application

from accounts.services import tokens_issue
from music import uploads
from music.models import Upload
from music.tests import upload_samples as samples
from tunewave.asgi_limits import BodyLimitMiddleware, body_limit

BOUNDARY = "tunewaveboundary"


def multipart(content: bytes, filename: str, **fields: str) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


class Post:
    """One ASGI POST whose body arrives in 64 KiB chunks; counts what the app pulled."""

    def __init__(self, body: bytes, *, token: str | None = None, declare_length: bool = True):
        headers = [(b"host", b"testserver"), (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())]
        if token:
            headers.append((b"authorization", f"Bearer {token}".encode()))
        if declare_length:
            headers.append((b"content-length", str(len(body)).encode()))
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/track/upload",
            "raw_path": b"/track/upload",
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 5000),
            "server": ("testserver", 80),
        }
        self.body, self.pulled = body, 0
        self.sent: list[dict] = []

    async def receive(self) -> dict:
        if self.pulled >= len(self.body) and self.pulled:
            await asyncio.sleep(3600)  # the client waits for the answer
        chunk = self.body[self.pulled : self.pulled + 64 * 1024]
        self.pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": self.pulled < len(self.body)}

    async def send(self, message: dict) -> None:
        self.sent.append(message)

    def run(self, app) -> "Post":
        asyncio.run(asyncio.wait_for(app(self.scope, self.receive, self.send), timeout=60))
        return self

    @property
    def status(self) -> int:
        return next(m["status"] for m in self.sent if m["type"] == "http.response.start")

    @property
    def json(self) -> dict:
        return json.loads(b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body"))


async def never_called(scope, receive, send):
    raise AssertionError("the request should have been refused before the app")


def test_the_upload_path_takes_the_upload_cap_not_the_json_one():
    assert body_limit("/track/upload") == settings.UPLOAD_MAX_BYTES + uploads.MULTIPART_OVERHEAD
    assert body_limit("/track/upload/") == body_limit("/track/upload")
    assert body_limit("/track/") == settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_an_anonymous_upload_is_401_unread():
    post = Post(multipart(samples.wav_bytes(0.2), "x.wav")).run(BodyLimitMiddleware(never_called))

    assert post.status == 401
    assert post.pulled == 0
    assert post.json["code"] == "not_authenticated"


def test_a_declared_body_over_the_cap_is_413_unread(alice, settings):
    settings.UPLOAD_MAX_BYTES = 100_000
    body = multipart(b"\0" * 200_000, "big.wav")

    post = Post(body, token=tokens_issue(user=alice)["access"]).run(BodyLimitMiddleware(never_called))

    assert post.status == 413
    assert post.pulled == 0
    assert post.json["code"] == "upload_too_large"


@pytest.mark.django_db(transaction=True)  # the view runs on another thread, with its own connection
def test_a_multi_megabyte_file_reaches_the_service_and_is_stored(alice):
    content = samples.wav_bytes(30.0)  # 2.6 MB: over the 1 MiB of ordinary bodies
    assert len(content) > 2 * 1024 * 1024

    post = Post(multipart(content, "long.wav", name="Long Sine"), token=tokens_issue(user=alice)["access"])
    post.run(BodyLimitMiddleware(get_asgi_application()))

    assert post.status == 201, post.json
    assert post.json["name"] == "Long Sine"
    assert post.json["duration_ms"] == 30_000
    upload = Upload.objects.get()
    assert upload.size_bytes == len(content)
    assert (settings.MEDIA_ROOT / upload.file).read_bytes() == content
    assert list((settings.MEDIA_ROOT / uploads.INCOMING_DIR).iterdir()) == []


@pytest.mark.django_db(transaction=True)
def test_a_chunked_body_past_the_cap_is_cut_off_and_leaves_nothing(alice, settings):
    settings.UPLOAD_MAX_BYTES = 200_000
    body = multipart(samples.wav_bytes(30.0), "long.wav")

    post = Post(body, token=tokens_issue(user=alice)["access"], declare_length=False)
    post.run(BodyLimitMiddleware(get_asgi_application()))

    assert post.status == 413
    assert post.json["code"] == "upload_too_large"
    assert post.pulled < len(body)
    assert not Upload.objects.exists()
    incoming = settings.MEDIA_ROOT / uploads.INCOMING_DIR
    assert not incoming.exists() or list(incoming.iterdir()) == []
