"""GET /search: what a listener finds, in what order, and what they may not see."""

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from conftest import client_for
from music.tests.factories import ArtistFactory, TrackFactory
from rooms.tests.factories import make_room
from search.views import SEARCH_RATE, SearchView

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="typo tolerance needs PostgreSQL (pg_trgm)"
)


@pytest.fixture
def catalog(db):
    miles = ArtistFactory(name="Miles Davis")
    coltrane = ArtistFactory(name="John Coltrane")
    monk = ArtistFactory(name="Thelonious Monk")
    return {
        "so_what_live": TrackFactory(name="So What (Live at Newport)", album="Newport 1958", artist=miles),
        "so_what": TrackFactory(name="So What", album="Kind of Blue", artist=miles),
        "what_now": TrackFactory(name="So Now What", album="Somewhere", artist=monk),
        "blue_in_green": TrackFactory(name="Blue in Green", album="Kind of Blue", artist=miles),
        "giant_steps": TrackFactory(name="Giant Steps", album="Giant Steps", artist=coltrane),
        "naima": TrackFactory(name="Naima", album="Giant Steps", artist=coltrane),
        "round_midnight": TrackFactory(name="'Round Midnight", album="Genius of Modern Music", artist=monk),
    }


def names(response, kind="tracks"):
    assert response.status_code == 200, response.content
    return [item["name"] if kind != "users" else item["username"] for item in response.json()[kind]]


def search(client, **params):
    return client.get("/search", params)


def test_an_exact_name_comes_first(api, catalog):
    found = names(search(api, q="so what", type="track"))

    assert found[0] == "So What"
    assert "So What (Live at Newport)" in found


def test_an_artists_name_finds_that_artists_tracks(api, catalog):
    found = names(search(api, q="John Coltrane", type="track"))

    assert set(found[:2]) == {"Giant Steps", "Naima"}
    assert "So What" not in found


def test_an_album_finds_its_tracks(api, catalog):
    found = names(search(api, q="kind of blue", type="track"))

    assert {"So What", "Blue in Green"} <= set(found)


def test_a_word_prefix_finds_while_typing(api, catalog):
    assert "Giant Steps" in names(search(api, q="giant ste", type="track"))


@postgres_only
@pytest.mark.parametrize(
    ("typo", "meant"),
    [("Blue in Gren", "Blue in Green"), ("Giant Steos", "Giant Steps"), ("Naina", "Naima"), ("Coltrame", "Naima")],
)
def test_a_one_letter_typo_still_finds_it(api, catalog, typo, meant):
    assert meant in names(search(api, q=typo, type="track"))


@postgres_only
def test_the_right_name_ranks_above_a_typo_neighbour(api, catalog):
    TrackFactory(name="Blue in Greens")

    assert names(search(api, q="blue in green", type="track"))[0] == "Blue in Green"


def test_only_the_kinds_asked_for_are_answered(api, catalog):
    body = search(api, q="so what", type="room").json()
    assert set(body) == {"rooms", "spotify"}

    body = search(api, q="so what", type="track,user").json()
    assert set(body) == {"tracks", "users", "spotify"}

    assert set(search(api, q="so what").json()) == {"tracks", "rooms", "users", "spotify"}


def test_the_limit_defaults_to_10_and_stops_at_50(api):
    artist = ArtistFactory(name="The Repeaters")
    for n in range(60):
        TrackFactory(name=f"Echo {n}", artist=artist)

    assert len(names(search(api, q="echo", type="track"))) == 10
    assert len(names(search(api, q="echo", type="track", limit=3))) == 3
    assert len(names(search(api, q="echo", type="track", limit=500))) == 50


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 101}, "q"),
        ({"q": "jazz", "type": "song"}, "type"),
        ({"q": "jazz", "type": "track,albums"}, "type"),
        ({"q": "jazz", "limit": "0"}, "limit"),
        ({"q": "jazz", "limit": "ten"}, "limit"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(api, params, field):
    response = api.get("/search", params)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_hundred_characters_and_odd_punctuation_are_fine(api, catalog):
    assert search(api, q="x" * 100).status_code == 200
    for odd in ["'", "%", "_", "\\", "a & b | !c", "so:*what", "(", "ü", "🎷"]:
        assert search(api, q=odd).status_code == 200, odd


# --- rooms ---------------------------------------------------------------------------------


def test_rooms_by_name_description_and_genre(people, public_room, client_as):
    other = make_room(owner=people["member"], name="Quiet Corner", description="Ambient drones for late work")

    anyone = client_as("anonymous")
    assert names(search(anyone, q="jazz club", type="room"), "rooms")[0] == "Jazz Club"
    assert names(search(anyone, q="drones", type="room"), "rooms") == ["Quiet Corner"]
    assert "Jazz Club" in names(search(anyone, q="jazz", type="room"), "rooms")
    room = search(anyone, q="quiet corner", type="room").json()["rooms"][0]
    assert room["id"] == str(other.pk)
    assert room["member_count"] == 1 and room["owner"]["username"] == "member"


def test_a_private_room_is_found_only_by_those_who_may_see_it(people, private_room, client_as):
    for persona in ("owner", "member", "moderator"):
        assert names(search(client_as(persona), q="shoegaze", type="room"), "rooms") == ["Secret Shoegaze"], persona
    for persona in ("outsider", "banned", "anonymous"):
        assert names(search(client_as(persona), q="shoegaze", type="room"), "rooms") == [], persona


def test_a_closed_room_is_never_found(people, public_room, client_as):
    public_room.closed_at = timezone.now()
    public_room.save(update_fields=["closed_at"])

    assert names(search(client_as("owner"), q="jazz club", type="room"), "rooms") == []


# --- people --------------------------------------------------------------------------------


def test_people_by_username_and_display_name_active_only(db):
    me = UserFactory(username="me")
    UserFactory(username="dizzy", display_name="John Birks Gillespie")
    UserFactory(username="bird", display_name="Charlie Parker")
    UserFactory(username="gone", display_name="Charlie Gone", is_active=False)
    caller = client_for(me)

    assert names(search(caller, q="dizzy", type="user"), "users") == ["dizzy"]
    assert names(search(caller, q="gillespie", type="user"), "users") == ["dizzy"]
    assert names(search(caller, q="charlie", type="user"), "users") == ["bird"]
    assert names(search(caller, q="gone", type="user"), "users") == []
    user = search(caller, q="bird", type="user").json()["users"][0]
    assert set(user) == {"id", "username", "display_name", "avatar_url"}


def test_an_exact_username_comes_first(db):
    UserFactory(username="annabel")
    UserFactory(username="ann")
    UserFactory(username="joann", display_name="Jo Ann")

    assert names(search(client_for(UserFactory()), q="ann", type="user"), "users")[0] == "ann"


def test_anonymous_callers_find_no_people(api, db):
    UserFactory(username="dizzy")

    assert search(api, q="dizzy").json()["users"] == []


def test_search_has_a_documented_rate_limit():
    assert SearchView.get.rate_limit == SEARCH_RATE == "60/m"
