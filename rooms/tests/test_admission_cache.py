"""The room socket's remembered admission (rooms.access): no query once remembered, and
forgotten by every change that may change who gets in (the socket side:
chat/tests/test_crowded_rooms.py)."""

import pytest

from rooms import services
from rooms.access import admission_recall, admission_remember, room_admit

pytestmark = pytest.mark.django_db


def remembered(room, user):
    admission = room_admit(room.pk, user)
    admission_remember(admission, user, role="member")
    return admission


def test_it_lets_a_remembered_member_in_without_a_query(people, public_room, django_assert_num_queries):
    first = remembered(public_room, people["member"])
    assert first.access.can_join and not first.remembered
    with django_assert_num_queries(0):
        again = admission_recall(public_room.pk, people["member"])
        assert again.remembered and again.access.can_join
        assert again.room.pk == public_room.pk and again.room.name == "Jazz Club"


@pytest.mark.parametrize(
    "change",
    [
        lambda room, people: services.ban_create(room=room, actor=people["owner"], target=people["member"]),
        lambda room, people: services.room_leave(room=room, user=people["member"]),
        lambda room, people: services.member_role_set(
            room=room, actor=people["owner"], target=people["member"], role="moderator"
        ),
        lambda room, people: services.room_update(room=room, actor=people["owner"], data={"is_private": True}),
        lambda room, people: services.room_close(room=room),
    ],
    ids=["ban", "leave", "role", "privacy", "close"],
)
def test_a_change_forgets_it(people, public_room, change):
    remembered(public_room, people["member"])
    change(public_room, people)
    assert not admission_recall(public_room.pk, people["member"]).remembered


def test_it_never_remembers_a_refusal(people, private_room):
    admission = room_admit(private_room.pk, people["outsider"])
    admission_remember(admission, people["outsider"], role=None)
    assert not admission.access.can_join
    assert not admission_recall(private_room.pk, people["outsider"]).remembered


def test_a_room_id_that_is_not_a_uuid_is_no_room(people):
    assert room_admit("nope", people["member"]).room is None


@pytest.mark.parametrize(
    "written_by_another_release",
    [
        lambda value: {**value, "room": {k: v for k, v in value["room"].items() if k != "closed_at"}},
        lambda value: {**value, "access": {}},
        lambda value: {**value, "room": "not a dict"},
    ],
    ids=["a room field missing", "no access facts", "a room of another shape"],
)
def test_an_entry_of_another_shape_is_read_afresh_not_a_crash(people, public_room, written_by_another_release):
    # During a rolling deploy the previous release's processes still write entries of their shape.
    from django.core.cache import cache

    from rooms.access import _admission_key

    remembered(public_room, people["member"])
    key = _admission_key(public_room.pk, people["member"].pk)
    cache.set(key, written_by_another_release(cache.get(key)))
    admission = room_admit(public_room.pk, people["member"])
    assert admission.access.can_join and not admission.remembered
