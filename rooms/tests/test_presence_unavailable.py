"""Presence while Redis does not answer: unknown, never an error (both modes; services-mode
tests with a real dead or hung Redis are in tunewave/tests/test_redis_faults.py)."""

import logging
import time

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rooms import presence


@pytest.fixture(params=[RedisConnectionError, RedisTimeoutError])
def redis_down(request, monkeypatch, settings):
    """Presence in services mode, with a Redis that fails every command."""

    class Dead:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise request.param("Redis is not answering")

            return fail

    settings.REDIS_URL = settings.REDIS_URL or "redis://127.0.0.1:1/0"
    monkeypatch.setattr(presence, "redis_client", lambda **kwargs: Dead())


def test_counts_are_unknown_not_zero(redis_down):
    assert presence.online_counts(["room-a", "room-b"]) == {"room-a": None, "room-b": None}


def test_nobody_reads_as_online(redis_down):
    assert presence.online_user_ids("room-a") == set()
    assert presence.online_members(["room-a"]) == {}
    assert presence.live_rooms() == {}


def test_a_users_sockets_are_unknown(redis_down):
    assert presence.user_connections(room_id="room-a", user_id="ann") is None


def test_writes_are_skipped(redis_down, caplog):
    caplog.set_level(logging.INFO, logger="rooms.presence")

    presence.touch(room_id="room-a", user_id="ann", connection="c1")
    presence.leave(room_id="room-a", user_id="ann", connection="c1")

    said = [record.getMessage() for record in caplog.records if record.name == "rooms.presence"]
    assert len(said) == 2
    assert said[0].startswith("presence: could not mark a socket in room room-a present")
    assert said[1].startswith("presence: could not remove a socket from room room-a")
    # Not kept in this process instead: another process would never see it, nor its removal.
    assert not presence._local.members(["room-a"], time.time()).get("room-a")


@pytest.mark.django_db
def test_the_room_api_shows_null_and_offline(redis_down, people, public_room, client_as):
    room = client_as("outsider").get(f"/rooms/{public_room.pk}")
    listing = client_as("outsider").get("/rooms/")
    members = client_as("outsider").get(f"/rooms/{public_room.pk}/members")

    assert room.status_code == listing.status_code == members.status_code == 200
    assert room.json()["online_count"] is None
    assert [r["online_count"] for r in listing.json()] == [None]
    assert {m["online"] for m in members.json()} == {False}


@pytest.mark.django_db
def test_the_schema_says_online_count_may_be_null(api):
    schema = api.get("/api/schema/?format=json").json()

    assert schema["components"]["schemas"]["Room"]["properties"]["online_count"]["nullable"] is True
