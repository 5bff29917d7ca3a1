"""Friends listening now (GET /friendships/listening-now) and `listening_now` on a profile."""

import pytest
from rest_framework.test import APIClient

from accounts import hooks
from accounts.tests.factories import UserFactory
from conftest import client_for
from music.tests.factories import TrackFactory
from rooms import presence, services
from rooms.tests.factories import make_room
from search import people
from social.models import Friendship

pytestmark = pytest.mark.django_db


@pytest.fixture
def online():
    """online(room, user): a live socket of `user` in `room` (removed after the test, also
    from Redis in services mode)."""
    entries = []

    def connect(room, user):
        entries.append((room.pk, user.pk))
        presence.touch(room_id=room.pk, user_id=user.pk, connection="test")

    yield connect
    for room_id, user_id in entries:
        presence.leave(room_id=room_id, user_id=user_id, connection="test")


def befriend(a, b, status=Friendship.Status.ACCEPTED):
    return Friendship.objects.create(from_user=a, to_user=b, status=status)


@pytest.fixture
def crowd(db):
    me, ann, ben, cat, stranger = (UserFactory(username=n) for n in ("me", "ann", "ben", "cat", "stranger"))
    befriend(me, ann)
    befriend(ben, me)
    befriend(me, cat)
    lounge = make_room(owner=ann, name="Lounge")
    track = TrackFactory(name="So What")
    services.queue_add(room=lounge, actor=ann, track=track)  # an idle room starts playing it
    hideout = make_room(owner=cat, name="Hideout", is_private=True)
    return {"me": me, "ann": ann, "ben": ben, "cat": cat, "stranger": stranger, "lounge": lounge, "hideout": hideout}


def test_friends_online_in_rooms_i_may_see(crowd, online):
    online(crowd["lounge"], crowd["ann"])
    online(crowd["lounge"], crowd["stranger"])  # not a friend
    online(crowd["hideout"], crowd["cat"])  # a friend, in a private room I may not see
    # ben is a friend but offline

    body = client_for(crowd["me"]).get("/friendships/listening-now").json()

    assert len(body) == 1
    row = body[0]
    assert row["user"]["username"] == "ann"
    assert row["room"]["id"] == str(crowd["lounge"].pk) and row["room"]["name"] == "Lounge"
    assert row["room"]["image_url"].startswith("http")
    assert row["track"]["name"] == "So What"


def test_a_private_room_shows_once_i_belong_to_it(crowd, online):
    services.invite_create(room=crowd["hideout"], actor=crowd["cat"], target=crowd["me"])
    services.room_join(room=crowd["hideout"], user=crowd["me"])
    online(crowd["hideout"], crowd["cat"])

    body = client_for(crowd["me"]).get("/friendships/listening-now").json()

    assert [(r["user"]["username"], r["room"]["name"], r["track"]) for r in body] == [("cat", "Hideout", None)]


def test_pending_requests_and_deactivated_friends_are_not_listed(crowd, online):
    dan = UserFactory(username="dan")
    befriend(crowd["me"], dan, status=Friendship.Status.PENDING)
    crowd["ann"].is_active = False
    crowd["ann"].save(update_fields=["is_active"])
    online(crowd["lounge"], dan)
    online(crowd["lounge"], crowd["ann"])

    assert client_for(crowd["me"]).get("/friendships/listening-now").json() == []


def test_listening_now_needs_a_signed_in_caller(api):
    assert api.get("/friendships/listening-now").status_code == 401


# --- GET /users/{id} -------------------------------------------------------------------------


def profile(viewer, user):
    client = client_for(viewer) if viewer is not None else APIClient()
    response = client.get(f"/users/{user.pk}")
    assert response.status_code == 200
    return response.json()["listening_now"]


def test_a_profile_shows_what_they_are_listening_to(crowd, online):
    online(crowd["lounge"], crowd["ann"])

    for viewer in (crowd["stranger"], crowd["ann"], None):
        shown = profile(viewer, crowd["ann"])
        assert shown["room"]["name"] == "Lounge"
        assert shown["track"]["name"] == "So What"
    assert profile(crowd["me"], crowd["ben"]) is None  # offline


def test_a_private_history_hides_it_from_everyone_but_themself(crowd, online):
    crowd["ann"].history_public = False
    crowd["ann"].save(update_fields=["history_public"])
    online(crowd["lounge"], crowd["ann"])

    assert profile(crowd["me"], crowd["ann"]) is None
    assert profile(None, crowd["ann"]) is None
    assert profile(crowd["ann"], crowd["ann"])["room"]["name"] == "Lounge"


def test_a_room_the_viewer_may_not_see_is_not_shown(crowd, online):
    online(crowd["hideout"], crowd["cat"])

    assert profile(crowd["me"], crowd["cat"]) is None
    assert profile(None, crowd["cat"]) is None
    assert profile(crowd["cat"], crowd["cat"])["room"]["name"] == "Hideout"


def test_the_profile_hook_is_registered_at_start_up():
    assert hooks._listening_now is people.listening_now_of
