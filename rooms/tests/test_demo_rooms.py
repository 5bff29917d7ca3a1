import pytest
from django.core.management import call_command

from rooms.demo import DEMO_ROOMS
from rooms.models import Membership, PlaybackState, Room

pytestmark = pytest.mark.django_db


def load():
    call_command("load_demo_data", "--no-audio", verbosity=0)


def test_demo_data_comes_with_rooms_that_play_their_genres():
    load()
    assert Room.objects.count() == len(DEMO_ROOMS)
    jazz = Room.objects.get(name="Late Night Jazz")
    assert jazz.owner.email == "alice@demo.tunewave"
    playing = PlaybackState.objects.select_related("track").get(room=jazz)
    assert playing.status == "playing"
    assert {"jazz", "bebop", "cool jazz"} & set(playing.track.genres.values_list("name", flat=True))
    assert jazz.queue_items.count() >= 1
    # Demo rooms keep playing when their queue runs out, and members add to it.
    assert all(room.autoplay and room.queue_policy == "members" for room in Room.objects.all())
    # People join the rooms of their taste: the soul fan (kim) shares nothing with metal.
    metal = Room.objects.get(name="Metal Hall")
    assert not Membership.objects.filter(room=metal, user__email="kim@demo.tunewave").exists()
    assert Room.objects.get(name="Quiet Strings").is_private


def test_loading_twice_adds_no_room_and_no_member():
    load()
    before = (Room.objects.count(), Membership.objects.count())
    load()
    assert (Room.objects.count(), Membership.objects.count()) == before
