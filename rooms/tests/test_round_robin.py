"""queue_order: fifo plays in the order added; round_robin lets members take turns (the next is
from whoever played least recently among those with tracks queued). Members remove their own."""

import pytest

from accounts.tests.factories import UserFactory
from music.tests.factories import TrackFactory
from rooms import presence, services
from rooms.models import QueueItem
from rooms.tests.factories import make_room

pytestmark = pytest.mark.django_db


def names(room) -> list[str]:
    return list(QueueItem.objects.filter(room=room).order_by("position").values_list("track__name", flat=True))


@pytest.fixture
def crew(db):
    owner = UserFactory(username="ann")
    room = make_room(owner=owner, name="Turntable", queue_policy="members")
    people = {"a": owner}
    for name in ("b", "c"):
        people[name] = UserFactory(username=name)
        services.room_join(room=room, user=people[name])
    presence.touch(room_id=room.pk, user_id=owner.pk, connection="a1")
    return room, people


def fill(room, people):
    """a plays first (an idle room), then a queues 2 more, b 2, c 1."""
    for who, track in [("a", "a1"), ("a", "a2"), ("a", "a3"), ("b", "b1"), ("b", "b2"), ("c", "c1")]:
        services.queue_add(room=room, actor=people[who], track=TrackFactory(name=track))


def test_fifo_plays_in_the_order_added(crew):
    room, people = crew
    fill(room, people)
    assert names(room) == ["a2", "a3", "b1", "b2", "c1"]


def test_round_robin_takes_turns(crew):
    room, people = crew
    room.queue_order = "round_robin"
    room.save()
    fill(room, people)
    # a is playing a1: b and c have not played (b queued first), then a, then b's second, then a's.
    assert names(room) == ["b1", "c1", "a2", "b2", "a3"]
    played = []
    for _ in range(5):
        played.append(services.playback_skip(room=room, actor=people["a"]).track.name)
        if played[-1] == "b1":  # c adds another while b plays: c has not played yet, so c goes next
            services.queue_add(room=room, actor=people["c"], track=TrackFactory(name="c2"))
    assert played == ["b1", "c1", "a2", "b2", "c2"]
    assert names(room) == ["a3"]


def test_switching_the_order_reorders_the_queue(crew):
    room, people = crew
    fill(room, people)
    services.room_update(room=room, actor=people["a"], data={"queue_order": "round_robin"})
    assert names(room) == ["b1", "c1", "a2", "b2", "a3"]
    services.room_update(room=room, actor=people["a"], data={"queue_order": "fifo"})
    assert names(room) == ["a2", "a3", "b1", "b2", "c1"]


def test_members_remove_their_own_additions_only(crew):
    from conftest import client_for

    room, people = crew
    fill(room, people)
    mine = QueueItem.objects.get(room=room, track__name="b1")
    theirs = QueueItem.objects.get(room=room, track__name="c1")
    b = client_for(people["b"])
    assert b.delete(f"/rooms/{room.pk}/queue/{theirs.pk}").status_code == 403
    assert b.delete(f"/rooms/{room.pk}/queue/{mine.pk}").status_code == 204
    assert client_for(people["a"]).delete(f"/rooms/{room.pk}/queue/{theirs.pk}").status_code == 204  # the owner
    assert names(room) == ["a2", "a3", "b2"]
    body = b.get(f"/rooms/{room.pk}/queue").json()
    assert [(i["added_by"]["username"], i["via"], i["reason"]) for i in body][-1] == ("b", "member", "")
