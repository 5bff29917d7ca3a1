"""Redis killed or hung: the pages that show presence keep answering, and quickly.

Services mode, against a private redis-server (core/testing/redis_server.py) that the test
kills or freezes with SIGSTOP; the cache, rate limits, presence and the channel layer all point
at it for the test. The database stays the source of truth, so rooms, members and
recommendations still answer 200; what only Redis knows (who is online) reads as unknown:
`online_count` null and every member's `online` false. A WebSocket ticket that cannot be stored
is a 503, never a 201 with a ticket that will not work.
"""

import os
import signal
import time

import pytest
from channels.layers import channel_layers

from core.testing.redis_server import RedisServer
from rooms import presence

# Generous: a hung Redis cost 4-16 s per request and /readyz 19.8 s before.
BOUND = 2.0


@pytest.fixture
def private_redis(services_mode, settings, tmp_path):
    """The app's cache, presence, rate limits and channel layer on a private redis-server."""
    server = RedisServer(tmp_path)
    server.start()
    settings.REDIS_URL = server.url
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": server.url},
    }
    layer = settings.CHANNEL_LAYERS["default"]
    settings.CHANNEL_LAYERS = {
        "default": {
            **layer,
            "CONFIG": {
                **layer["CONFIG"],
                "hosts": [{**layer["CONFIG"]["hosts"][0], "address": server.url}],
            },
        }
    }
    channel_layers.backends.clear()
    yield server
    if server.running:
        os.kill(server.process.pid, signal.SIGCONT)
    server.kill()
    channel_layers.backends.clear()


def freeze(server: RedisServer) -> None:
    os.kill(server.pid, signal.SIGSTOP)


def thaw(server: RedisServer) -> None:
    os.kill(server.pid, signal.SIGCONT)


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def pages(public_room, client_as):
    """The reads that show presence, each as the persona who would read it."""
    outsider = client_as("outsider")
    return {
        "/rooms/": lambda: outsider.get("/rooms/"),
        "/rooms/?order=live": lambda: outsider.get("/rooms/?order=live"),
        "/rooms/{id}": lambda: outsider.get(f"/rooms/{public_room.pk}"),
        "/rooms/{id}/members": lambda: outsider.get(f"/rooms/{public_room.pk}/members"),
        "/recommendations/rooms": lambda: outsider.get("/recommendations/rooms"),
    }


def online_counts(name, response) -> set:
    body = response.json()
    if name == "/rooms/{id}":
        return {body["online_count"]}
    if name == "/recommendations/rooms":
        return {item["room"]["online_count"] for item in body}
    if name == "/rooms/{id}/members":
        return {member["online"] for member in body}
    return {room["online_count"] for room in body}


@pytest.mark.django_db
def test_presence_shows_while_redis_is_up(private_redis, people, public_room, client_as):
    presence.touch(room_id=public_room.pk, user_id=people["member"].pk, connection="c1")

    for name, call in pages(public_room, client_as).items():
        response = call()
        assert response.status_code == 200, (name, response.content)
        if name == "/rooms/{id}/members":
            assert online_counts(name, response) == {True, False}
        else:
            assert online_counts(name, response) == {1}, name


@pytest.mark.django_db
def test_presence_reads_as_unknown_while_redis_is_down(private_redis, people, public_room, client_as):
    presence.touch(room_id=public_room.pk, user_id=people["member"].pk, connection="c1")
    private_redis.kill()

    for name, call in pages(public_room, client_as).items():
        response = call()
        assert response.status_code == 200, (name, response.content)
        expected = {False} if name == "/rooms/{id}/members" else {None}
        assert online_counts(name, response) == expected, name


@pytest.mark.django_db
def test_a_ws_ticket_that_cannot_be_stored_is_a_503(private_redis, people, client_as):
    assert client_as("member").post("/auth/ws-ticket").status_code == 201
    private_redis.kill()

    response = client_as("member").post("/auth/ws-ticket")

    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert "ticket" not in response.json()


@pytest.mark.django_db
def test_a_hung_redis_costs_each_request_under_two_seconds(private_redis, people, public_room, client_as):
    presence.touch(room_id=public_room.pk, user_id=people["member"].pk, connection="c1")
    assert client_as("outsider").get("/rooms/").status_code == 200  # pooled connections exist
    freeze(private_redis)
    try:
        timings = {}
        for name, call in pages(public_room, client_as).items():
            response, timings[name] = timed(call)
            assert response.status_code == 200, (name, response.content)
            expected = {False} if name == "/rooms/{id}/members" else {None}
            assert online_counts(name, response) == expected, name
        ticket, timings["ws-ticket"] = timed(lambda: client_as("member").post("/auth/ws-ticket"))
        assert ticket.status_code == 503
        assert ticket.json()["code"] == "service_unavailable"
    finally:
        thaw(private_redis)

    slow = {name: round(took, 2) for name, took in timings.items() if took >= BOUND}
    assert slow == {}, f"with Redis hung: {slow}"


@pytest.mark.django_db
def test_readyz_answers_within_two_seconds_while_redis_hangs(private_redis, client, settings):
    assert client.get("/readyz").status_code == 200
    freeze(private_redis)
    try:
        response, took = timed(lambda: client.get("/readyz"))
    finally:
        thaw(private_redis)

    assert took < BOUND, f"/readyz took {took:.2f} s"
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "not_ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"].startswith("down")
    assert "cache" in body["detail"]


@pytest.mark.django_db
def test_everything_answers_again_once_redis_is_back(private_redis, people, public_room, client_as):
    presence.touch(room_id=public_room.pk, user_id=people["member"].pk, connection="c1")
    freeze(private_redis)
    try:
        assert client_as("outsider").get(f"/rooms/{public_room.pk}").json()["online_count"] is None
    finally:
        thaw(private_redis)

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        body = client_as("outsider").get(f"/rooms/{public_room.pk}").json()
        if body["online_count"] == 1:
            break
        time.sleep(0.2)
    assert body["online_count"] == 1
    assert client_as("member").post("/auth/ws-ticket").status_code == 201
