"""Personas for room tests: owner, moderator, member, outsider, banned (and anonymous)."""

import pytest

from accounts.tests.factories import UserFactory
from conftest import client_for
from music.tests.factories import TrackFactory
from rooms import presence, services
from rooms.tests.factories import make_room


@pytest.fixture(autouse=True)
def _fresh_presence():
    presence.reset_local()
    yield
    presence.reset_local()


@pytest.fixture
def people(db):
    return {name: UserFactory(username=name) for name in ("owner", "moderator", "member", "outsider", "banned")}


def _populate(room, people):
    for name in ("moderator", "member", "banned"):
        if room.is_private:
            services.invite_create(room=room, actor=people["owner"], target=people[name])
        services.room_join(room=room, user=people[name])
    services.member_role_set(room=room, actor=people["owner"], target=people["moderator"], role="moderator")
    services.ban_create(room=room, actor=people["owner"], target=people["banned"], reason="spam")
    return room


@pytest.fixture
def public_room(people):
    return _populate(make_room(owner=people["owner"], name="Jazz Club", genres=["jazz"]), people)


@pytest.fixture
def private_room(people):
    return _populate(make_room(owner=people["owner"], name="Secret Shoegaze", is_private=True), people)


@pytest.fixture
def client_as(people):
    from rest_framework.test import APIClient

    def make(persona: str):
        return APIClient() if persona == "anonymous" else client_for(people[persona])

    return make


@pytest.fixture
def track(db):
    return TrackFactory(name="So What", genres=["jazz"])
