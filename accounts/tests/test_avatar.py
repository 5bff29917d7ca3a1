import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

pytestmark = pytest.mark.django_db


def image_bytes(fmt: str, size=(800, 600), exif: bool = False) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 40, 90))
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SpyCam Inc."  # Make
        data[0x8825] = {2: (48.0, 51.0, 24.0)}  # GPS latitude
        kwargs["exif"] = data
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def upload(client, content: bytes, name="me.png", content_type="image/png"):
    return client.post(
        "/users/me/avatar", {"avatar_file": SimpleUploadedFile(name, content, content_type)}, format="multipart"
    )


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_it_accepts_jpeg_png_and_webp(alice, as_user, client, fmt):
    response = upload(as_user(alice), image_bytes(fmt), name=f"me.{fmt.lower()}")
    assert response.status_code == 200
    url = response.json()["avatar_url"]
    assert url.endswith(".webp")
    served = client.get(url.replace("http://testserver", ""))
    assert served.status_code == 200
    assert served["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(b"".join(served.streaming_content))) as image:
        assert image.format == "WEBP"
        assert image.size == (512, 512)


def test_it_strips_metadata(alice, as_user):
    response = upload(as_user(alice), image_bytes("JPEG", exif=True), name="me.jpg", content_type="image/jpeg")
    assert response.status_code == 200
    alice.refresh_from_db()
    with alice.avatar.open("rb") as stored:
        raw = stored.read()
    assert b"SpyCam" not in raw
    with Image.open(io.BytesIO(raw)) as image:
        assert not image.getexif()


def test_it_judges_by_content_not_by_name(alice, as_user):
    response = upload(as_user(alice), b"<?php echo 'hi'; ?>", name="avatar.png", content_type="image/png")
    assert response.status_code == 400
    assert "avatar_file" in response.json()["errors"]
    alice.refresh_from_db()
    assert not alice.avatar


def test_it_rejects_other_image_formats(alice, as_user):
    response = upload(as_user(alice), image_bytes("GIF"), name="me.png")
    assert response.status_code == 400
    assert "JPEG, PNG or WebP" in response.json()["detail"]


def test_it_rejects_a_truncated_image(alice, as_user):
    response = upload(as_user(alice), image_bytes("PNG")[:200])
    assert response.status_code == 400


def test_it_refuses_files_over_5_mb_with_413(alice, as_user):
    response = upload(as_user(alice), b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_it_refuses_decompression_bombs(alice, as_user, settings):
    settings.AVATAR_MAX_PIXELS = 1_000_000
    response = upload(as_user(alice), image_bytes("PNG", size=(2000, 2000)))
    assert response.status_code == 400
    assert "pixels" in response.json()["detail"]


def test_it_requires_the_avatar_file_field(alice, as_user):
    response = as_user(alice).post("/users/me/avatar", {"file": "x"}, format="multipart")
    assert response.status_code == 400
    assert "avatar_file" in response.json()["errors"]


def test_it_refuses_anonymous_uploads(api):
    assert upload(api, image_bytes("PNG")).status_code == 401


def test_it_replaces_the_previous_avatar(alice, as_user, django_capture_on_commit_callbacks):
    client = as_user(alice)
    upload(client, image_bytes("PNG"))
    alice.refresh_from_db()
    first = alice.avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, image_bytes("PNG", size=(100, 100)))
    alice.refresh_from_db()
    assert alice.avatar.name != first
    assert not alice.avatar.storage.exists(first)
