"""Likes (reactions to a play in a room, issue 14) are a taste signal: stronger than a listen,
weaker than a favorite, and they bring the liked track's artist and genres into a user's
recommendations."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.tests.factories import UserFactory
from music import services as music_services
from recommendations import services, tastes
from recommendations.tests.conftest import listen
from rooms.models import Reaction
from rooms.tests.factories import make_room

pytestmark = pytest.mark.django_db


def like(user, track, room, *, minutes_ago: float = 5):
    Reaction.objects.create(
        room=room, user=user, track=track, play_started_at=timezone.now() - timedelta(minutes=minutes_ago)
    )


def weight_of(taste, track) -> float:
    ids = taste.seed_ids.tolist()
    return float(taste.seed_weights[ids.index(track.pk)]) if track.pk in ids else 0.0


@pytest.fixture
def room(db):
    return make_room(owner=UserFactory(username="host"), name="Listening Room")


def test_a_like_weighs_more_than_a_listen_and_less_than_a_favorite(catalog, room):
    track = catalog["bebop"][0]
    listener, liker, fan = (UserFactory(username=name) for name in ("listener", "liker", "fan"))
    for user in (listener, liker, fan):
        listen(user, catalog["jazz"][0], days_ago=0)
        listen(user, track, days_ago=0)
    like(liker, track, room)
    like(liker, track, room, minutes_ago=30)  # liked in two plays: still one like
    music_services.favorite_add(user=fan, track=track)
    weights = [weight_of(tastes.user_taste(user), track) for user in (listener, liker, fan)]
    assert weights[0] < weights[1] < weights[2]
    assert weights[1] == pytest.approx(weights[0] + tastes.LIKE_WEIGHT)


def test_a_liked_tracks_artist_and_genre_raise_the_users_profile(catalog, room):
    bird = catalog["bebop"][0]
    alice = UserFactory(username="alice-likes")
    for track in catalog["metal"][:3]:
        listen(alice, track)
    before = tastes.user_taste(alice)
    bebop = next(g.pk for g in bird.genres.all() if g.name == "bebop")
    parker = bird.credits.get().artist_id
    assert before.genre_vector().get(bebop, 0) == 0 and before.artist_vector().get(parker, 0) == 0

    like(alice, bird, room)  # liked in a room, without a listen (left before half of it)
    cache.delete(f"rec:taste:{alice.pk}")
    after = tastes.user_taste(alice)
    assert after.genre_vector()[bebop] > 0 and after.artist_vector()[parker] > 0
    assert after.source_of_artist(parker) == "likes"
    assert bird.pk in after.seed_ids.tolist()


def test_a_like_brings_the_artist_into_recommendations(catalog, alice, as_user, room):
    # Six jazz listeners who also play Charlie Parker: the model links bebop with jazz.
    for i in range(6):
        fan = UserFactory(username=f"fan{i}")
        for track in catalog["jazz"][:4] + catalog["bebop"]:
            listen(fan, track, plays=2)
    for i in range(4):
        head = UserFactory(username=f"head{i}")
        for track in catalog["metal"]:
            listen(head, track)
    for track in catalog["metal"][:2]:
        listen(alice, track)
    services.recommendations_recompute()
    client = as_user(alice)
    before = [item["track"]["name"] for item in client.get("/recommendations/tracks?limit=4").json()]
    assert not any(name.startswith("Bebop") for name in before)

    like(alice, catalog["bebop"][0], room)
    cache.delete(f"rec:taste:{alice.pk}")
    after = {item["track"]["name"]: item for item in client.get("/recommendations/tracks?limit=6").json()}
    assert {"Bebop 1", "Bebop 2", "Bebop 3"} & set(after)
    reasons = [reason for item in after.values() for reason in item["reasons"]]
    assert "By Charlie Parker, like tracks you liked in rooms" in reasons


def test_a_group_taste_hears_the_likes_of_the_people_present(catalog, room):
    alice = UserFactory(username="alice-group")
    like(alice, catalog["bebop"][1], room)
    taste = tastes.group_taste(user_ids=[alice.pk], extra_tracks=[], declared_genre_ids=[])
    assert catalog["bebop"][1].pk in taste.seed_ids.tolist()
