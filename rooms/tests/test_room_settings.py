"""New rooms: members queue by default, autoplay on, skip_share 0.5, fifo; the owner changes
autoplay, skip_share and queue_order; bad values are 400s."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_new_room_lets_members_queue_and_keeps_playing(people, client_as):
    body = client_as("member").post("/rooms/", {"name": "Fresh Room"}, format="json").json()
    assert (body["queue_policy"], body["playback_policy"]) == ("members", "moderators")
    assert (body["autoplay"], body["skip_share"], body["queue_order"]) == (True, 0.5, "fifo")


def test_the_settings_are_writable_on_create(people, client_as):
    response = client_as("member").post(
        "/rooms/",
        {"name": "Turns", "autoplay": False, "skip_share": 1, "queue_order": "round_robin"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["autoplay"], body["skip_share"], body["queue_order"]) == (False, 1.0, "round_robin")


@pytest.mark.parametrize(
    "field,value",
    [
        ("skip_share", 0),
        ("skip_share", -0.5),
        ("skip_share", 1.5),
        ("skip_share", "half"),
        ("skip_share", None),
        ("queue_order", "random"),
        ("autoplay", "maybe"),
    ],
)
def test_bad_settings_are_refused(people, public_room, client_as, field, value):
    response = client_as("member").post("/rooms/", {"name": "Bad", field: value}, format="json")
    assert response.status_code == 400
    assert field in str(response.json())
    response = client_as("owner").patch(f"/rooms/{public_room.pk}", {field: value}, format="json")
    assert response.status_code == 400


def test_the_owner_changes_them_and_nobody_else(people, public_room, client_as):
    for method in ("patch", "put"):
        response = getattr(client_as("owner"), method)(
            f"/rooms/{public_room.pk}", {"skip_share": 0.25, "queue_order": "round_robin"}, format="json"
        )
        assert response.status_code == 200
        assert (response.json()["skip_share"], response.json()["queue_order"]) == (0.25, "round_robin")
    assert response.json()["autoplay"] is False  # unchanged by a partial write (the test factory's room)
    for persona, code in [("moderator", 403), ("member", 403), ("outsider", 403), ("anonymous", 401)]:
        response = client_as(persona).patch(f"/rooms/{public_room.pk}", {"autoplay": True}, format="json")
        assert response.status_code == code, persona
