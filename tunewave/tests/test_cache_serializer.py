"""Cache values are JSON, never pickles: write access to Redis must not become code execution.

django-redis pickles every value by default, and the room index was stored pickled on top of
that: whoever could write to Redis could run code in every web process (issue 11). Now the
cache's serializer is JSON (core.redis_guard.JSONSerializer), everything TuneWave caches is
plain JSON, and a pickle planted under a key the app reads is a miss, not executed.
"""

import json
import pickle
from datetime import timedelta

import numpy as np
import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts import services as account_services
from core.redis_guard import JSONSerializer
from music import services as music_services
from music.tests.factories import TrackFactory
from recommendations import codec, room_index, tastes
from recommendations import selectors as rec_selectors
from rooms.tests.factories import make_room


class _Exploit:
    """Unpickling this creates the marker file: proof that a pickle from Redis was executed."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def plant(key: str, payload: bytes) -> None:
    from django_redis import get_redis_connection

    get_redis_connection("default").set(cache.make_key(key), payload, ex=60)


@pytest.fixture
def listener(db, alice, people):
    """Alice with a listening history, and a room for the room index."""
    make_room(owner=people["owner"], name="Elsewhere", genres=["jazz"])
    for i in range(3):
        music_services.listening_record(
            user=alice,
            track=TrackFactory(name=f"Jazz {i}", genres=["jazz"]),
            room_id=None,
            listened_at=timezone.now() - timedelta(days=3),
            play_count=2,
        )
    rec_selectors.reset_memos()
    yield alice
    rec_selectors.reset_memos()


def test_the_cache_serializer_is_json(services_mode):
    assert isinstance(cache.client._serializer, JSONSerializer)
    assert JSONSerializer({}).loads(pickle.dumps({"a": 1})) is None


@pytest.mark.django_db
def test_every_value_the_app_caches_is_json(services_mode, listener, as_user):
    """Exercise what caches (rate limits, tastes, the room index, tickets), then read every key raw."""
    from django_redis import get_redis_connection

    me = as_user(listener)
    assert me.get("/recommendations/tracks").status_code == 200
    assert me.get("/recommendations/rooms").status_code == 200
    assert me.post("/auth/ws-ticket").status_code == 201
    assert room_index.current().room_ids  # built and stored

    client = get_redis_connection("default")
    values = {}
    for key in client.scan_iter(match=cache.make_key("*")):
        if client.type(key) == b"string":
            values[key.decode()] = client.get(key)
    kinds = {key.split(":")[2] for key in values}

    assert {"rec", "ws-ticket"} <= kinds, values.keys()
    for raw in values.values():
        json.loads(raw)  # raises for a pickle (or anything else that is not JSON)
    assert not any(raw.startswith(b"\x80") for raw in values.values())  # no pickle protocol header


@pytest.mark.django_db
def test_a_pickled_room_index_planted_in_redis_is_a_miss(services_mode, listener, as_user, tmp_path):
    marker = tmp_path / "executed"
    as_user(listener).get("/recommendations/rooms")
    version = cache.get(room_index.INDEX_VERSION_KEY)
    rec_selectors.reset_memos()  # this process must read the shared copy again
    plant(room_index.INDEX_KEY, pickle.dumps(_Exploit(marker)))
    cache.set(room_index.INDEX_VERSION_KEY, "planted")

    response = as_user(listener).get("/recommendations/rooms")

    assert response.status_code == 200
    assert [item["room"]["name"] for item in response.json()] == ["Elsewhere"]
    assert not marker.exists()
    assert cache.get(room_index.INDEX_VERSION_KEY) not in (None, "planted", version)  # rebuilt


@pytest.mark.django_db
def test_a_pickled_taste_or_ticket_planted_in_redis_is_a_miss(services_mode, listener, as_user, tmp_path):
    marker = tmp_path / "executed"
    plant(f"rec:taste:{listener.pk}", pickle.dumps(_Exploit(marker)))
    plant("ws-ticket:planted", pickle.dumps(_Exploit(marker)))

    assert as_user(listener).get("/recommendations/tracks").status_code == 200
    assert account_services.ws_ticket_redeem(ticket="planted") is None
    assert not marker.exists()


# Both modes: what the recommender caches comes back from JSON as it went in.


@pytest.mark.django_db
def test_a_taste_survives_the_trip_through_json(listener):
    taste = tastes.user_taste(listener)

    back = tastes.Taste.from_cache(json.loads(json.dumps(taste.to_cache())))

    assert back.seed_ids.tolist() == taste.seed_ids.tolist()
    assert back.seed_ids.dtype == taste.seed_ids.dtype
    assert back.seed_weights.tolist() == taste.seed_weights.tolist()
    assert back.genres == taste.genres and back.artists == taste.artists
    assert back.excluded == taste.excluded and back.known == taste.known
    assert taste.genres and all(isinstance(k, int) for part in back.genres.values() for k in part)


@pytest.mark.django_db
def test_the_room_index_survives_the_trip_through_json(listener):
    index = room_index.build()

    back = room_index.RoomIndex.from_cache(json.loads(json.dumps(index.to_cache())))

    assert (back.version, back.built_at, back.room_ids) == (index.version, index.built_at, index.room_ids)
    assert back.position == index.position and back.genre_names == index.genre_names
    for name in ("private", "playing"):
        assert np.array_equal(getattr(back, name), getattr(index, name))
    for name in ("genres", "artists", "declared"):
        mine, theirs = getattr(back, name), getattr(index, name)
        assert mine.shape == theirs.shape and (mine != theirs).nnz == 0


def test_arrays_of_objects_are_never_cached_nor_read():
    with pytest.raises(TypeError):
        codec.array_out(np.asarray(["a"], dtype=object))
    with pytest.raises(ValueError):
        codec.array_in({"dtype": "|O", "shape": [1], "data": ""})
