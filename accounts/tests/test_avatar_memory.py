"""Avatars cost bounded memory (issue 11, item 6): sizes are checked from the header before a
pixel is decoded, JPEGs decode at a reduced scale, PNG and WebP above 16 MP are refused, and a
process decodes one avatar at a time."""

import io
import threading
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, JpegImagePlugin

from accounts import services

pytestmark = pytest.mark.django_db


def png(size, mode="RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (30, 120, 200, 255)[: len(mode)]).save(out, format="PNG")
    return out.getvalue()


def phone_photo(size=(4000, 3000)) -> bytes:
    gradient = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (gradient, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT), gradient))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def upload(client, content: bytes, name="me.png", content_type="image/png"):
    return client.post(
        "/users/me/avatar", {"avatar_file": SimpleUploadedFile(name, content, content_type)}, format="multipart"
    )


def test_it_refuses_a_20_megapixel_flat_png(alice, as_user):
    content = png((5000, 4000))
    assert len(content) < 200_000  # flat: tiny on the wire, 80 MB decoded

    response = upload(as_user(alice), content)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "16 megapixels" in body["errors"]["avatar_file"][0]
    alice.refresh_from_db()
    assert not alice.avatar


def test_it_refuses_the_6320_square_rgba_png_from_the_report(alice, as_user):
    response = upload(as_user(alice), png((6320, 6320)))

    assert response.status_code == 400
    assert "16 megapixels" in response.json()["detail"]


def test_it_refuses_a_big_webp_the_same_way(alice, as_user):
    out = io.BytesIO()
    Image.new("RGB", (5000, 4000), (9, 9, 9)).save(out, format="WEBP", lossless=True)

    response = upload(as_user(alice), out.getvalue(), name="me.webp", content_type="image/webp")

    assert response.status_code == 400
    assert "16 megapixels" in response.json()["detail"]


def test_it_takes_a_png_just_under_16_megapixels(alice, as_user):
    response = upload(as_user(alice), png((4000, 4000), mode="RGB"))

    assert response.status_code == 200
    alice.refresh_from_db()
    with alice.avatar.open("rb") as stored, Image.open(stored) as image:
        assert image.size == (512, 512)


def test_it_takes_a_12_megapixel_phone_photo(alice, as_user):
    response = upload(as_user(alice), phone_photo(), name="photo.jpg", content_type="image/jpeg")

    assert response.status_code == 200
    alice.refresh_from_db()
    with alice.avatar.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "WEBP"
        assert image.size == (512, 512)


def test_a_phone_photo_decodes_at_a_reduced_scale(alice, as_user, monkeypatch):
    decoded_sizes = []
    real_load = JpegImagePlugin.JpegImageFile.load

    def spy_load(image):
        result = real_load(image)
        decoded_sizes.append(image.im.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spy_load)

    response = upload(as_user(alice), phone_photo(), name="photo.jpg", content_type="image/jpeg")

    assert response.status_code == 200
    # 4000x3000 decoded at 1/4: 1000x750, still over 512 on each side; not 12 MP in memory.
    assert set(decoded_sizes) == {(1000, 750)}


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _memory(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


def test_a_phone_photo_costs_a_few_mb_not_the_full_decode(alice, as_user):
    """Peak resident memory of this process while the avatar is made (Linux only)."""
    client = as_user(alice)
    content = phone_photo()
    upload(client, content, name="warm.jpg", content_type="image/jpeg")  # imports, caches, first WebP
    if not _reset_peak_rss():
        pytest.skip("needs /proc/self/clear_refs (Linux)")
    before = _memory("VmRSS")

    response = upload(client, content, name="photo.jpg", content_type="image/jpeg")

    assert response.status_code == 200
    # A full decode alone is 36 MB (4000x3000 RGB); reduced, the whole request stays well under.
    assert _memory("VmHWM") - before < 24 * 1024 * 1024


def test_one_avatar_is_decoded_at_a_time(alice, monkeypatch):
    busy, most = [0], [0]
    lock = threading.Lock()
    real_square = services._square

    def slow_square(image):
        with lock:
            busy[0] += 1
            most[0] = max(most[0], busy[0])
        time.sleep(0.05)
        with lock:
            busy[0] -= 1
        return real_square(image)

    monkeypatch.setattr(services, "_square", slow_square)
    content = png((600, 600), mode="RGB")
    errors = []

    def make():
        try:
            services._reencode_avatar(SimpleUploadedFile("a.png", content, "image/png"))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert most[0] == 1


def test_a_caller_that_waits_too_long_for_its_turn_gets_503(alice, as_user, monkeypatch):
    monkeypatch.setattr(services, "_DECODE_WAIT_SECONDS", 0.05)
    assert services._DECODE_LOCK.acquire(timeout=1)
    try:
        response = upload(as_user(alice), png((100, 100), mode="RGB"))
    finally:
        services._DECODE_LOCK.release()

    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    alice.refresh_from_db()
    assert not alice.avatar
