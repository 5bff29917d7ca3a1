import pytest
from django.contrib.staticfiles import finders


@pytest.fixture
def static_dir(settings, tmp_path):
    settings.STATICFILES_DIRS = [tmp_path]
    settings.STATIC_ROOT = tmp_path / "collected"
    finders.get_finder.cache_clear()
    yield tmp_path
    finders.get_finder.cache_clear()


def test_the_root_redirects_to_the_app(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/app/"


def test_without_a_build_the_app_page_says_how_to_make_one(client, static_dir):
    response = client.get("/app/")
    assert response.status_code == 200
    assert b"npm --prefix frontend" in response.content


def test_while_make_run_builds_it_the_app_page_says_so(client, static_dir, monkeypatch, tmp_path):
    from tunewave import views_spa

    marker = tmp_path / ".building"
    marker.touch()
    monkeypatch.setattr(views_spa, "BUILDING_MARKER", marker)
    response = client.get("/app/")
    assert response.status_code == 200
    assert b"is being built" in response.content
    assert b"/api/docs/" in response.content


def test_the_built_shell_is_served_for_every_app_path(client, static_dir):
    (static_dir / "app").mkdir()
    (static_dir / "app" / "index.html").write_text('<div id="root"></div><script src="/static/app/assets/x.js">')
    for path in ["/app/", "/app/rooms/123", "/app/auth/callback"]:
        response = client.get(path)
        assert response.status_code == 200
        assert b'<div id="root">' in response.content
        assert response["Cache-Control"] == "no-cache"
    assert client.post("/app/").status_code == 405


def test_the_site_icons_are_served(client):
    """Browsers ask /favicon.ico on every page; it was a 404 (and a console error) before."""
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/x-icon"
    assert b"".join(icon.streaming_content if icon.streaming else [icon.content])[:4] == b"\x00\x00\x01\x00"
    touch = client.get("/apple-touch-icon.png")
    assert (touch.status_code, touch["Content-Type"]) == (200, "image/png")
    assert client.post("/favicon.ico").status_code == 405
