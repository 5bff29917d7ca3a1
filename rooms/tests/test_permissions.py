"""Every room endpoint x every persona, against the documented requirements.

Public room: anyone reads; owner changes and bans; owner and moderators manage members and
the queue. Private room: everything about it is a 404 for people who are not in it.
"""

import pytest

from accounts.tests.factories import UserFactory
from music.tests.factories import TrackFactory
from rooms import services

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "outsider", "member", "moderator", "owner", "banned"]

# endpoint: (method, path, body) -> expected status per persona, for a PUBLIC room.
PUBLIC = {
    "get": ("get", "/rooms/{room}", None, [200, 200, 200, 200, 200, 200]),
    "update": ("put", "/rooms/{room}", {"description": "new"}, [401, 403, 403, 403, 200, 403]),
    "delete": ("delete", "/rooms/{room}", None, [401, 403, 403, 403, 204, 403]),
    "join": ("post", "/rooms/{room}/join", None, [401, 201, 200, 200, 200, 403]),
    "leave": ("post", "/rooms/{room}/leave", None, [401, 403, 204, 204, 409, 403]),
    "members": ("get", "/rooms/{room}/members", None, [200, 200, 200, 200, 200, 200]),
    "role": ("put", "/rooms/{room}/members/{member}/role", {"role": "moderator"}, [401, 403, 403, 200, 200, 403]),
    "invite": ("post", "/rooms/{room}/invite/{newcomer}", None, [401, 403, 403, 201, 201, 403]),
    "ban": ("post", "/rooms/{room}/members/{member}/ban", {"reason": "rude"}, [401, 403, 403, 403, 201, 403]),
    "unban": ("delete", "/rooms/{room}/members/{banned}/ban", None, [401, 403, 403, 403, 204, 403]),
    "queue": ("get", "/rooms/{room}/queue", None, [200, 200, 200, 200, 200, 200]),
    "queue_add": ("post", "/rooms/{room}/queue", {"spotify_id": "{track}"}, [401, 403, 403, 201, 201, 403]),
    "queue_remove": ("delete", "/rooms/{room}/queue/{item}", None, [401, 403, 403, 204, 204, 403]),
}

# The same for a PRIVATE room: outsiders and the banned cannot even see it.
PRIVATE = {
    "get": [404, 404, 200, 200, 200, 404],
    "update": [401, 404, 403, 403, 200, 404],
    "delete": [401, 404, 403, 403, 204, 404],
    "join": [401, 404, 200, 200, 200, 404],
    "leave": [401, 404, 204, 204, 409, 404],
    "members": [404, 404, 200, 200, 200, 404],
    "role": [401, 404, 403, 200, 200, 404],
    "invite": [401, 404, 403, 201, 201, 404],
    "ban": [401, 404, 403, 403, 201, 404],
    "unban": [401, 404, 403, 403, 204, 404],
    "queue": [404, 404, 200, 200, 200, 404],
    "queue_add": [401, 404, 403, 201, 201, 404],
    "queue_remove": [401, 404, 403, 204, 204, 404],
}


def call(client, endpoint, room, people, track, item):
    method, path, body, _ = PUBLIC[endpoint]
    values = {
        "room": room.pk,
        "member": people["member"].pk,
        "banned": people["banned"].pk,
        "newcomer": UserFactory(username="newcomer").pk,
        "track": track.spotify_id,
        "item": item.pk,
    }
    url = path.format(**values)
    if body is not None:
        body = {k: v.format(**values) if isinstance(v, str) else v for k, v in body.items()}
        return getattr(client, method)(url, body, format="json")
    return getattr(client, method)(url)


@pytest.mark.parametrize("endpoint", list(PUBLIC))
@pytest.mark.parametrize("persona", PERSONAS)
def test_public_room_permissions(endpoint, persona, people, public_room, client_as, track):
    services.queue_add(room=public_room, actor=people["owner"], track=TrackFactory(name="Now Playing"))
    item = services.queue_add(room=public_room, actor=people["owner"], track=track)
    expected = PUBLIC[endpoint][3][PERSONAS.index(persona)]
    response = call(client_as(persona), endpoint, public_room, people, track, item)
    assert response.status_code == expected, response.content
    assert response.status_code == 204 or response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("endpoint", list(PRIVATE))
@pytest.mark.parametrize("persona", PERSONAS)
def test_private_room_permissions(endpoint, persona, people, private_room, client_as, track):
    services.queue_add(room=private_room, actor=people["owner"], track=TrackFactory(name="Now Playing"))
    item = services.queue_add(room=private_room, actor=people["owner"], track=track)
    expected = PRIVATE[endpoint][PERSONAS.index(persona)]
    response = call(client_as(persona), endpoint, private_room, people, track, item)
    assert response.status_code == expected, response.content


def test_a_member_of_one_room_cannot_touch_anothers_queue_or_members(people, client_as, track):
    from rooms.tests.factories import make_room

    room_a = make_room(owner=people["member"], name="Room A")
    room_b = make_room(owner=people["owner"], name="Room B")
    services.queue_add(room=room_b, actor=people["owner"], track=TrackFactory(name="Now Playing"))
    item_b = services.queue_add(room=room_b, actor=people["owner"], track=track)
    client = client_as("member")  # owner of room A, nobody in room B
    assert client.delete(f"/rooms/{room_a.pk}/queue/{item_b.pk}").status_code == 404
    assert client.delete(f"/rooms/{room_b.pk}/queue/{item_b.pk}").status_code == 403
    assert (
        client.put(
            f"/rooms/{room_b.pk}/members/{people['owner'].pk}/role", {"role": "member"}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.put(
            f"/rooms/{room_a.pk}/members/{people['owner'].pk}/role", {"role": "member"}, format="json"
        ).status_code
        == 404
    )
    assert client.post(f"/rooms/{room_b.pk}/members/{people['outsider'].pk}/ban", format="json").status_code == 403
    assert room_b.queue_items.count() == 1
