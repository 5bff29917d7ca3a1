from io import StringIO

import numpy as np
import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory
from recommendations import services, tasks
from recommendations.models import ModelBuild, RoomTaste, TrackList, TrackNeighbors, UserNeighbors, unpack_ints
from recommendations.tests.conftest import listen
from rooms.tests.factories import make_room

pytestmark = pytest.mark.django_db


@pytest.fixture
def histories(catalog):
    for i in range(4):
        fan = UserFactory(username=f"fan{i}")
        for track in catalog["jazz"]:
            listen(fan, track)
    head = UserFactory(username="head")
    for track in catalog["metal"]:
        listen(head, track)


def test_the_command_shows_progress_and_stores_the_model(catalog, histories):
    out = StringIO()
    call_command("recompute_recommendations", stdout=out)
    text = out.getvalue()
    assert "reading listens" in text and "item neighbours" in text and "writing track neighbours" in text
    assert "Learned from 40 (user, track) pairs of 5 users and 16 tracks" in text
    assert "Item model: tunewave (tuning skipped: 5 listeners with 5 or more items; tuning needs 50)." in text
    build = ModelBuild.objects.get()
    assert build.status == ModelBuild.Status.DONE
    assert build.max_listeners == 4
    row = TrackNeighbors.objects.get(track=catalog["jazz"][0])
    assert set(unpack_ints(row.neighbor_ids).tolist()) == {t.pk for t in catalog["jazz"][1:]}
    assert row.listeners == 4
    assert TrackList.objects.filter(key="popular").exists()
    assert UserNeighbors.objects.count() == 4  # the four fans are alike; the metalhead has nobody


def test_running_it_again_replaces_the_model(catalog, histories):
    services.recommendations_recompute()
    services.recommendations_recompute()
    assert TrackNeighbors.objects.count() == 16
    assert ModelBuild.objects.filter(status="done").count() == 2


def test_room_tastes_come_from_the_rooms_recent_plays(people, catalog):
    room = make_room(owner=people["owner"], name="Jazz Corner")
    for track in catalog["bebop"]:
        listen(people["member"], track, days_ago=1, room=room)
    listen(people["member"], catalog["metal"][0], days_ago=30, room=room)  # too long ago
    services.recommendations_recompute()
    taste = RoomTaste.objects.get(room=room)
    assert taste.plays == 4
    assert len(unpack_ints(taste.genre_ids)) == 2  # bebop and jazz, no metal
    assert np.isin(unpack_ints(taste.genre_ids), [g.pk for g in catalog["metal"][0].genres.all()]).sum() == 0


def test_an_empty_database_gives_an_empty_model(db):
    build = services.recommendations_recompute()
    assert build.status == ModelBuild.Status.DONE
    assert build.interactions == 0
    assert not TrackNeighbors.objects.exists()


def test_the_celery_task_skips_while_another_recompute_runs(catalog, histories):
    assert services.recompute_lock()
    assert tasks.recompute.delay().get() is None
    assert not ModelBuild.objects.exists()
    services.recompute_unlock()
    assert tasks.recompute.delay().get()["build"] == ModelBuild.objects.get().pk
    assert cache.add(services.LOCK_KEY, "1")  # released afterwards


def test_the_command_refuses_to_overlap_unless_forced(catalog, histories):
    services.recompute_lock()
    with pytest.raises(CommandError, match="Another recompute"):
        call_command("recompute_recommendations", stdout=StringIO())
    call_command("recompute_recommendations", "--force", stdout=StringIO())
    assert ModelBuild.objects.count() == 1


def test_it_is_scheduled_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["recommendations-recompute"]
    assert entry == {"task": "recommendations.tasks.recompute", "schedule": 3600}


def test_catalog_features_come_from_the_build_and_new_tracks_from_the_database(catalog, histories):
    from music.tests.factories import TrackFactory
    from recommendations import served

    services.recommendations_recompute()
    newer = TrackFactory(name="Brand New", genres=["jazz", "soul"])
    genre_t, genre_g, artist_t, artist_a = served.track_features([catalog["bebop"][0].pk, newer.pk])
    by_track = {}
    for track, genre in zip(genre_t.tolist(), genre_g.tolist(), strict=True):
        by_track.setdefault(track, set()).add(genre)
    assert by_track[catalog["bebop"][0].pk] == {g.pk for g in catalog["bebop"][0].genres.all()}
    assert by_track[newer.pk] == {g.pk for g in newer.genres.all()}
    assert set(artist_t.tolist()) == {catalog["bebop"][0].pk, newer.pk}
    assert served.catalog().build_id == ModelBuild.objects.get().pk
