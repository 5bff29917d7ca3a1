"""Generated covers (music/covers.py): every track shows an image, the same album the same one,
no two demo albums alike, and the SVG is safe to open on its own."""

import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from music import covers
from music.demo import demo_catalog
from music.tests.factories import ArtistFactory, TrackFactory

COVER_URL = re.compile(r"http://testserver/covers/v1/album/([0-9a-f]{18})\.svg")
SVG_ELEMENTS = {"svg", "defs", "linearGradient", "stop", "clipPath", "g", "rect", "circle", "polyline", "polygon"}
HOSTILE = '</svg><script>alert(1)</script><svg onload="alert(\'x\')" href="javascript:1">&amp;'


def shown_image(api, track) -> str:
    return api.get(f"/track/{track.spotify_id}").json()["image_url"]


def fetch(api, url: str):
    return api.get(url.removeprefix("http://testserver"))


@pytest.mark.django_db
def test_tracks_of_one_album_show_one_generated_cover(api):
    miles = ArtistFactory(name="Miles Davis")
    so_what = TrackFactory(name="So What", album="Kind of Blue", artist=miles, genres=["jazz"], image_url="")
    blue = TrackFactory(name="Blue in Green", album="  kind OF   blue ", artist=miles, genres=["jazz"], image_url="")

    first, second = shown_image(api, so_what), shown_image(api, blue)

    assert COVER_URL.fullmatch(first)
    assert first == second  # case and spacing of the album's name do not matter
    assert fetch(api, first).content == fetch(api, second).content
    assert shown_image(api, so_what) == first  # stable from one request to the next


@pytest.mark.django_db
def test_different_albums_and_artists_show_different_covers(api):
    miles, coltrane = ArtistFactory(name="Miles Davis"), ArtistFactory(name="John Coltrane")
    kind = TrackFactory(album="Kind of Blue", artist=miles, genres=["jazz"], image_url="")
    sketches = TrackFactory(album="Sketches of Spain", artist=miles, genres=["jazz"], image_url="")
    namesake = TrackFactory(album="Kind of Blue", artist=coltrane, genres=["jazz"], image_url="")

    urls = [shown_image(api, track) for track in (kind, sketches, namesake)]

    assert len(set(urls)) == 3
    assert len({fetch(api, url).content for url in urls}) == 3


@pytest.mark.django_db
def test_a_spotify_image_wins_and_a_single_without_album_gets_a_cover(api):
    with_art = TrackFactory(image_url="https://i.scdn.co/image/abc", album="Kind of Blue")
    single = TrackFactory(name="Lonely Single", album="", image_url="")

    assert shown_image(api, with_art) == "https://i.scdn.co/image/abc"
    assert COVER_URL.fullmatch(shown_image(api, single))


def test_the_genre_tints_the_cover():
    jazz = [covers.album_key(album=f"Album {i}", artist="A", genres=["jazz"]) for i in range(5)]
    metal = covers.album_key(album="Album 0", artist="A", genres=["metal"])

    assert {key[16:] for key in jazz} == {jazz[0][16:]}  # one genre, one tint
    assert metal[16:] != jazz[0][16:]
    assert metal[:16] == jazz[0][:16]  # the same album, only tinted differently
    # The more specific genre tints (bebop beside jazz), whatever the order or case.
    assert covers.genre_hue(["jazz", "Bebop"]) == covers.genre_hue(["bebop"]) != covers.genre_hue(["jazz"])
    assert covers.genre_hue([]) is None
    assert covers.genre_hue(["death metal"]) is not None


def _alike(a: dict, b: dict) -> bool:
    """Two covers look the same: the same motif in the same form, the gradient the same way,
    both light or both dark, the same overlay, and both colours within 20 degrees of hue."""

    def near(x: float, y: float) -> bool:
        return min(abs(x - y), 360 - abs(x - y)) < 20

    same = ("motif", "variant", "angle", "pale", "overlay")
    return all(a[k] == b[k] for k in same) and near(a["hue"], b["hue"]) and near(a["hue2"], b["hue2"])


def test_no_two_demo_albums_look_the_same():
    albums = {}
    for track in demo_catalog():
        key = covers.album_key(album=track.album, artist=track.artists[0].name, genres=track.genres)
        albums.setdefault((track.album, track.artists[0].name), set()).add(key)

    assert all(len(keys) == 1 for keys in albums.values())  # every track of an album: one cover
    keys = [next(iter(k)) for k in albums.values()]
    assert len(keys) == 144  # 36 genres, two artists each, two albums each
    assert len({covers.render_cover("album", key) for key in keys}) == len(keys)
    designs = {key: covers.cover_design("album", key) for key in keys}
    alike = [(a, b) for a, b in itertools.combinations(keys, 2) if _alike(designs[a], designs[b])]
    assert alike == []


@pytest.mark.django_db
def test_a_hostile_album_name_never_reaches_the_svg(api):
    track = TrackFactory(name=HOSTILE, album=HOSTILE, artist=ArtistFactory(name=HOSTILE), image_url="")

    url = shown_image(api, track)
    response = fetch(api, url)

    assert COVER_URL.fullmatch(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "script" not in body and "alert" not in body and "javascript" not in body and "onload" not in body
    root = ET.fromstring(body)  # noqa: S314 (well-formed XML; the parser is our own test's)
    for element in root.iter():
        assert element.tag.removeprefix("{http://www.w3.org/2000/svg}") in SVG_ELEMENTS
        assert not any(name.startswith("on") or "href" in name for name in element.attrib)
    assert root.get("viewBox") == "0 0 300 300"


@pytest.mark.django_db
def test_the_cover_view_is_safe_and_cached(api):
    key = covers.album_key(album="Kind of Blue", artist="Miles Davis", genres=["jazz"])

    response = api.get(f"/covers/v1/album/{key}.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.content.startswith(b'<svg xmlns="http://www.w3.org/2000/svg"')
    again = api.get(f"/covers/v1/album/{key}.svg", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert api.head(f"/covers/v1/room/{key}.svg").status_code == 200
    assert api.get(f"/covers/v1/room/{key}.svg").content != response.content  # a room's cover is its own


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/covers/v1/album/0123456789abcdef.svg",  # too short
        "/covers/v1/album/0123456789abcdef0123.svg",  # too long
        "/covers/v1/album/0123456789ABCDEF01.svg",  # upper case
        "/covers/v1/album/0123456789abcdeg01.svg",  # not hex
        "/covers/v1/artist/0123456789abcdef01.svg",  # no such kind
        "/covers/v2/album/0123456789abcdef01.svg",  # no such drawing version
        "/covers/v1/album/0123456789abcdef01.png",
        "/covers/v1/album/%3Cscript%3E.svg",
    ],
)
def test_a_malformed_cover_url_is_a_json_404(api, path):
    response = api.get(path)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_covers_are_read_only(api):
    key = covers.album_key(album="Kind of Blue", artist="Miles Davis")

    assert api.post(f"/covers/v1/album/{key}.svg").status_code == 405
