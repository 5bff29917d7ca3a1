"""rooms.presence read in batches, in whichever mode the suite runs (local dict or Redis)."""

import time

import pytest
from django.conf import settings

from rooms import presence

pytestmark = pytest.mark.django_db  # services mode: the cache fixture flushes Redis


def test_online_members_reads_several_rooms_at_once():
    presence.touch(room_id="room-a", user_id="ann", connection="c1")
    presence.touch(room_id="room-a", user_id="ann", connection="c2")  # a second tab: still one person
    presence.touch(room_id="room-a", user_id="ben", connection="c3")
    presence.touch(room_id="room-b", user_id="cat", connection="c4")

    found = presence.online_members(["room-a", "room-b", "room-c"])

    assert found == {"room-a": {"ann", "ben"}, "room-b": {"cat"}, "room-c": set()}
    assert presence.online_user_ids("room-a") == {"ann", "ben"}
    assert presence.online_counts(["room-a", "room-b", "room-c"]) == {"room-a": 2, "room-b": 1, "room-c": 0}


def test_online_members_leaves_out_who_left_and_sockets_that_stopped_beating(monkeypatch):
    presence.touch(room_id="room-a", user_id="ann", connection="c1")
    presence.touch(room_id="room-a", user_id="ben", connection="c2")
    presence.leave(room_id="room-a", user_id="ben", connection="c2")
    assert presence.online_members(["room-a"]) == {"room-a": {"ann"}}

    later = time.time() + presence.PRESENCE_TTL + 1
    monkeypatch.setattr(presence.time, "time", lambda: later)
    assert presence.online_members(["room-a"]) == {"room-a": set()}


def test_online_members_of_no_rooms_is_empty():
    assert presence.online_members([]) == {}


@pytest.mark.skipif(not settings.REDIS_URL, reason="services mode only: Redis presence")
def test_online_members_makes_one_round_trip_to_redis(monkeypatch):
    for i in range(5):
        presence.touch(room_id=f"room-{i}", user_id=f"user-{i}", connection="c")
    client = presence.redis_client()
    calls = []
    real_pipeline = client.pipeline

    def counting_pipeline(*args, **kwargs):
        pipe = real_pipeline(*args, **kwargs)
        real_execute = pipe.execute

        def execute(*a, **k):
            calls.append(len(pipe.command_stack))
            return real_execute(*a, **k)

        pipe.execute = execute
        return pipe

    monkeypatch.setattr(client, "pipeline", counting_pipeline)
    monkeypatch.setattr(presence, "redis_client", lambda: client)
    found = presence.online_members([f"room-{i}" for i in range(5)])
    assert found == {f"room-{i}": {f"user-{i}"} for i in range(5)}
    assert len(calls) == 1
