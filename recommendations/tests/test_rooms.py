import pytest

from accounts.tests.factories import UserFactory
from recommendations import services
from recommendations.tests.conftest import listen
from rooms import presence
from rooms import services as room_services
from rooms.tests.factories import make_room
from social.models import Friendship

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    return [item["room"]["name"] for item in response.json()]


def by_name(response) -> dict:
    return {item["room"]["name"]: item for item in response.json()}


def online(room, user, connection="c1"):
    """As the room's socket does: whoever connects joins the room, then shows as present."""
    if room.owner_id != user.pk:
        room_services.room_join(room=room, user=user)
    presence.touch(room_id=room.pk, user_id=user.pk, connection=connection)


def make_friends(a, b) -> Friendship:
    """An accepted friendship, `a` having asked."""
    return Friendship.objects.create(from_user=a, to_user=b, status=Friendship.Status.ACCEPTED)


@pytest.fixture
def jazz_fan(people, catalog):
    fan = people["outsider"]
    for track in catalog["jazz"][:5]:
        listen(fan, track, plays=3)
    return fan


def test_it_gives_a_jazz_listener_jazz_rooms_before_metal_rooms(people, catalog, jazz_fan, as_user):
    make_room(owner=people["owner"], name="Metal Hall", genres=["metal"])
    make_room(owner=people["owner"], name="Jazz Corner", genres=["jazz"])
    make_room(owner=people["owner"], name="Loud Room", genres=["metal"])
    response = as_user(jazz_fan).get("/recommendations/rooms")
    assert response.status_code == 200
    assert names(response)[0] == "Jazz Corner"
    assert set(names(response)[1:]) == {"Metal Hall", "Loud Room"}
    jazz = by_name(response)["Jazz Corner"]
    assert "Plays jazz, like your history" in jazz["reasons"]
    assert jazz["score"] > by_name(response)["Metal Hall"]["score"]
    assert jazz["room"]["genres"] == ["jazz"]


def test_it_reads_a_rooms_music_from_its_queue_and_recent_plays(people, catalog, jazz_fan, as_user):
    """A room that declares nothing but plays bebop and jazz fits a jazz listener."""
    quiet = make_room(owner=people["owner"], name="Undeclared")
    make_room(owner=people["owner"], name="Metal Hall", genres=["metal"])
    dj = people["member"]
    room_services.room_join(room=quiet, user=dj)
    for track in catalog["bebop"]:
        listen(dj, track, days_ago=0.1, room=quiet)
    services.recommendations_recompute()
    response = as_user(jazz_fan).get("/recommendations/rooms")
    assert names(response)[0] == "Undeclared"
    assert by_name(response)["Undeclared"]["reasons"][0] in {
        "Plays jazz and bebop, like your history",
        "Plays jazz, like your history",
    }


def test_every_result_carries_a_score_and_reasons(people, catalog, jazz_fan, as_user):
    make_room(owner=people["owner"], name="Jazz Corner", genres=["jazz"])
    make_room(owner=people["owner"], name="Nothing Declared")
    make_room(owner=people["owner"], name="Metal Hall", genres=["metal"])
    response = as_user(jazz_fan).get("/recommendations/rooms")
    assert len(response.json()) == 3
    for item in response.json():
        assert isinstance(item["score"], float)
        assert item["reasons"] and all(isinstance(reason, str) and reason for reason in item["reasons"])


def test_a_friend_listening_adds_a_reason_and_raises_the_room(people, catalog, jazz_fan, as_user):
    friend = UserFactory(username="bob", display_name="Bob")
    make_friends(jazz_fan, friend)
    quiet = make_room(owner=people["owner"], name="Jazz Corner", genres=["jazz"])
    lively = make_room(owner=people["owner"], name="Jazz Cellar", genres=["jazz"])
    room_services.room_join(room=quiet, user=friend)
    before = by_name(as_user(jazz_fan).get("/recommendations/rooms"))

    online(quiet, friend)
    after = as_user(jazz_fan).get("/recommendations/rooms")

    assert names(after)[0] == "Jazz Corner"
    assert after.json()[0]["score"] > before["Jazz Corner"]["score"]
    assert "Your friend Bob is listening" in after.json()[0]["reasons"]
    assert "Live now: 1 listener" in after.json()[0]["reasons"]
    assert by_name(after)["Jazz Cellar"]["score"] == before["Jazz Cellar"]["score"]
    del lively


def test_a_friend_who_is_a_member_counts_too(people, catalog, jazz_fan, as_user):
    friend = UserFactory(username="bob", display_name="Bob")
    make_friends(friend, jazz_fan)  # asked the other way round
    room = make_room(owner=people["owner"], name="Jazz Corner", genres=["jazz"])
    make_room(owner=people["owner"], name="Jazz Cellar", genres=["jazz"])
    room_services.room_join(room=room, user=friend)
    response = as_user(jazz_fan).get("/recommendations/rooms")
    assert names(response)[0] == "Jazz Corner"
    assert "Your friend Bob is a member" in response.json()[0]["reasons"]


def test_pending_friendships_do_not_count(people, catalog, jazz_fan, as_user):
    stranger = UserFactory(username="carol")
    Friendship.objects.create(from_user=jazz_fan, to_user=stranger, status=Friendship.Status.PENDING)
    room = make_room(owner=people["owner"], name="Jazz Corner", genres=["jazz"])
    online(room, stranger)
    reasons = as_user(jazz_fan).get("/recommendations/rooms").json()[0]["reasons"]
    assert not any("friend" in reason for reason in reasons)


def test_people_with_similar_histories_present_add_a_reason(people, catalog, as_user):
    fan, twin = UserFactory(username="fan"), UserFactory(username="twin")
    metalheads = [UserFactory(username=f"metal{i}") for i in range(3)]
    for track in catalog["jazz"]:
        listen(fan, track)
        listen(twin, track)
    for head in metalheads:
        for track in catalog["metal"]:
            listen(head, track)
    room = make_room(owner=people["owner"], name="Anything Goes")
    make_room(owner=people["owner"], name="Other Room")
    services.recommendations_recompute()
    online(room, twin)
    response = as_user(fan).get("/recommendations/rooms")
    assert names(response)[0] == "Anything Goes"
    assert "1 listener with taste like yours is here" in response.json()[0]["reasons"]


def test_private_rooms_the_user_cannot_see_never_appear(people, public_room, private_room, as_user):
    for persona in ("outsider", "banned"):
        response = as_user(people[persona]).get("/recommendations/rooms")
        assert "Secret Shoegaze" not in names(response)
    assert "Jazz Club" in names(as_user(people["outsider"]).get("/recommendations/rooms"))


def test_rooms_the_user_is_banned_from_never_appear(people, public_room, as_user):
    # Even a room that fits perfectly and is full of people.
    for i in range(3):
        online(public_room, UserFactory(username=f"listener{i}"), connection=f"c{i}")
    assert "Jazz Club" not in names(as_user(people["banned"]).get("/recommendations/rooms"))


def test_rooms_the_user_belongs_to_are_left_out(people, public_room, as_user):
    make_room(owner=people["outsider"], name="Elsewhere")
    assert names(as_user(people["member"]).get("/recommendations/rooms")) == ["Elsewhere"]
    assert "Elsewhere" not in names(as_user(people["outsider"]).get("/recommendations/rooms"))


def test_an_invited_private_room_is_shown_with_the_invitation(people, as_user):
    room = make_room(owner=people["owner"], name="Secret Shoegaze", is_private=True)
    room_services.invite_create(room=room, actor=people["owner"], target=people["outsider"])
    response = as_user(people["outsider"]).get("/recommendations/rooms")
    assert names(response) == ["Secret Shoegaze"]
    assert "You're invited" in response.json()[0]["reasons"]


def test_a_new_user_with_only_favorite_genres_gets_rooms_of_those_genres(people, as_user):
    newcomer = UserFactory(username="newcomer", favorite_genres=["jazz", "soul"])
    make_room(owner=people["owner"], name="Metal Hall", genres=["metal"])
    make_room(owner=people["owner"], name="Jazz Corner", genres=["jazz", "bebop"])
    make_room(owner=people["owner"], name="Soul Kitchen", genres=["soul"])
    response = as_user(newcomer).get("/recommendations/rooms")
    assert set(names(response)[:2]) == {"Jazz Corner", "Soul Kitchen"}
    assert names(response)[2] == "Metal Hall"
    assert "Plays jazz, one of your favorite genres" in by_name(response)["Jazz Corner"]["reasons"]


def test_a_user_with_nothing_at_all_still_gets_rooms_with_reasons(people, as_user):
    newcomer = UserFactory(username="newcomer")
    room = make_room(owner=people["owner"], name="Jazz Corner", genres=["jazz"])
    make_room(owner=people["owner"], name="Blank")
    online(room, people["owner"])
    response = as_user(newcomer).get("/recommendations/rooms")
    assert names(response) == ["Jazz Corner", "Blank"]
    assert response.json()[0]["reasons"] == ["Live now: 1 listener"]
    assert response.json()[1]["reasons"] == ["A room you haven't tried yet"]


def test_playing_rooms_come_before_idle_rooms_of_equal_fit(people, catalog, jazz_fan, as_user):
    # The idle room is the newer one, which would otherwise come first.
    playing = make_room(owner=people["owner"], name="Playing Jazz", genres=["jazz"])
    idle = make_room(owner=people["owner"], name="Idle Jazz", genres=["jazz"])
    # The same track in both: one plays it now, the other has it queued and stopped.
    room_services.queue_add(room=playing, actor=people["owner"], track=catalog["metal"][0])
    room_services.queue_add(room=idle, actor=people["owner"], track=catalog["metal"][0])
    room_services.playback_pause(room=idle, actor=people["owner"])
    response = as_user(jazz_fan).get("/recommendations/rooms")
    assert names(response)[:2] == ["Playing Jazz", "Idle Jazz"]
    assert "Playing now" in response.json()[0]["reasons"]
    assert response.json()[0]["room"]["now_playing"]["name"] == "Metal 0"


def test_a_room_going_live_shows_at_once_without_a_recompute(people, catalog, jazz_fan, as_user):
    first = make_room(owner=people["owner"], name="Jazz Corner", genres=["jazz"])
    second = make_room(owner=people["owner"], name="Jazz Cellar", genres=["jazz"])
    assert names(as_user(jazz_fan).get("/recommendations/rooms"))[0] == "Jazz Cellar"  # newest first on ties
    for i in range(4):
        online(first, UserFactory(username=f"listener{i}"), connection=f"c{i}")
    response = as_user(jazz_fan).get("/recommendations/rooms")
    assert names(response)[0] == "Jazz Corner"
    assert "Live now: 4 listeners" in response.json()[0]["reasons"]
    del second


def test_limit_is_honoured_and_capped(people, jazz_fan, as_user):
    for i in range(5):
        make_room(owner=people["owner"], name=f"Room {i}", genres=["jazz"])
    assert len(as_user(jazz_fan).get("/recommendations/rooms?limit=2").json()) == 2
    assert len(as_user(jazz_fan).get("/recommendations/rooms?limit=500").json()) == 5
    assert as_user(jazz_fan).get("/recommendations/rooms?limit=0").status_code == 400
    assert as_user(jazz_fan).get("/recommendations/rooms?limit=many").status_code == 400


def test_it_runs_a_fixed_number_of_queries(people, catalog, jazz_fan, as_user, django_assert_max_num_queries):
    friends = [UserFactory(username=f"friend{i}") for i in range(3)]
    for friend in friends:
        make_friends(jazz_fan, friend)
    for i in range(12):
        room = make_room(owner=people["owner"], name=f"Room {i}", genres=["jazz" if i % 2 else "metal"])
        room_services.queue_add(room=room, actor=people["owner"], track=catalog["jazz"][i % 8])
        room_services.room_join(room=room, user=friends[i % 3])
        online(room, friends[i % 3], connection=f"c{i}")
    services.recommendations_recompute()
    client = as_user(jazz_fan)
    client.get("/recommendations/rooms")  # builds the room index, as the first request after a minute does
    with django_assert_max_num_queries(20) as small:
        assert len(client.get("/recommendations/rooms?limit=2").json()) == 2
    with django_assert_max_num_queries(20) as large:
        assert len(client.get("/recommendations/rooms?limit=12").json()) == 12
    assert len(large.captured_queries) == len(small.captured_queries)


def test_anonymous_callers_get_401(api):
    for path in ("/recommendations/rooms", "/recommendations/tracks", "/recommendations/rooms/"):
        response = api.get(path)
        assert response.status_code == 401
        assert response.json()["detail"]


def test_it_is_rate_limited(jazz_fan, as_user):
    client = as_user(jazz_fan)
    for _ in range(10):
        assert client.get("/recommendations/rooms").status_code == 200
    response = client.get("/recommendations/rooms")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "10 per minute" in response.json()["detail"]
