"""Rooms keep playing: when the queue runs out, an autoplay room plays its own pick, marked as
TuneWave's with a reason, never one of its last N plays, once however many processes notice."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import close_old_connections
from django.utils import timezone

from accounts.tests.factories import UserFactory
from music.models import Track
from music.tests.factories import TrackFactory
from rooms import events, hooks, presence, services
from rooms.models import PlaybackState, QueueItem, Room
from rooms.tests.factories import make_room

pytestmark = pytest.mark.django_db


def playable(name: str, *, genres=("jazz",), popularity: int = 50, duration_ms: int = 200_000):
    return TrackFactory(
        name=name,
        genres=list(genres),
        popularity=popularity,
        duration_ms=duration_ms,
        audio_url=f"/media/clips/{name.replace(' ', '_')}.wav",
    )


def state(room) -> PlaybackState:
    return PlaybackState.objects.select_related("track", "added_by").get(room=room)


def queue(room) -> list[tuple[str, str]]:
    return [
        (item.track.name, item.via)
        for item in QueueItem.objects.filter(room=room).select_related("track").order_by("position")
    ]


def end_track(room) -> PlaybackState:
    """The current track ends (its state moved back by its length) and a read notices."""
    current = state(room)
    assert current.track is not None
    PlaybackState.objects.filter(pk=current.pk).update(
        updated_at=timezone.now() - timedelta(milliseconds=current.track.duration_ms + 10)
    )
    return services.playback_advance_if_over(room=room)


@pytest.fixture
def jazz_room(people):
    room = make_room(owner=people["owner"], name="Late Night Test", genres=["jazz"], autoplay=True)
    services.room_join(room=room, user=people["member"])
    presence.touch(room_id=room.pk, user_id=people["member"].pk, connection="m1")
    return room


def test_the_hook_holds_the_recommenders_picker():
    from recommendations import room_picks

    assert hooks.autoplay_picker() is room_picks.autoplay_picks


def test_when_the_queue_runs_out_the_room_plays_its_own_pick(people, jazz_room, client_as):
    first = playable("Queued One")
    playable("Blue Pick", popularity=90)
    TrackFactory(name="Spotify Only", genres=["jazz"], popularity=100)  # no audio: cannot play here
    services.queue_add(room=jazz_room, actor=people["owner"], track=first)
    # The queue is empty once it plays: TuneWave queues its next pick, marked as such.
    assert queue(jazz_room) == [("Blue Pick", "autoplay")]
    body = client_as("member").get(f"/rooms/{jazz_room.pk}/queue").json()
    assert (body[0]["via"], body[0]["added_by"]) == ("autoplay", None)
    assert body[0]["reason"]
    frame = events.playback_state(state(jazz_room))  # a member's track: who added it
    assert (frame["via"], frame["reason"], frame["added_by"]["username"]) == ("member", "", "owner")

    after = end_track(jazz_room)
    assert (after.track.name, after.status, after.via, after.added_by) == ("Blue Pick", "playing", "autoplay", None)
    assert after.reason
    frame = events.playback_state(after)
    assert (frame["via"], frame["reason"], frame["added_by"]) == ("autoplay", after.reason, None)


def test_the_reason_names_the_people_present_who_like_the_genre(people, jazz_room):
    people["member"].display_name = "Alice"
    people["member"].favorite_genres = ["jazz"]
    people["member"].save()
    bob = UserFactory(username="bob", display_name="Bob", favorite_genres=["jazz"])
    services.room_join(room=jazz_room, user=bob)
    presence.touch(room_id=jazz_room.pk, user_id=bob.pk, connection="b1")
    playable("Autumn Leaves")
    playable("Other")
    services.playback_play(room=jazz_room, actor=people["owner"])  # idle, empty queue: TuneWave picks
    now = state(jazz_room)
    assert now.via == "autoplay"
    assert now.reason == "Because Alice and Bob like jazz"


def test_a_member_addition_plays_before_tuneWaves_pick_and_replaces_the_same_track(people, jazz_room):
    playable("A")
    playable("B")
    services.queue_add(room=jazz_room, actor=people["owner"], track=playable("Now"))
    [(picked, via)] = queue(jazz_room)
    assert via == "autoplay" and picked in ("A", "B")
    services.queue_add(room=jazz_room, actor=people["owner"], track=playable("Mine"))
    assert queue(jazz_room) == [("Mine", "member"), (picked, "autoplay")]
    services.queue_add(room=jazz_room, actor=people["owner"], track=Track.objects.get(name=picked))
    assert queue(jazz_room) == [("Mine", "member"), (picked, "member")]


def test_it_never_picks_one_of_the_last_n_plays(people, jazz_room, settings):
    settings.ROOM_AUTOPLAY_RECENT_PLAYS = 4
    for i in range(6):
        playable(f"T{i}", popularity=90 - i)
    services.playback_play(room=jazz_room, actor=people["owner"])
    played = [state(jazz_room).track.name]
    for _ in range(12):
        played.append(end_track(jazz_room).track.name)
    for n, name in enumerate(played):
        assert name not in played[max(0, n - 4) : n], played
    assert all(s == "autoplay" for _, s in queue(jazz_room))


def test_nothing_playable_left_means_idle(people, jazz_room, settings):
    settings.ROOM_AUTOPLAY_RECENT_PLAYS = 20
    services.queue_add(room=jazz_room, actor=people["owner"], track=playable("Only"))
    assert queue(jazz_room) == []  # the only playable track is playing
    assert end_track(jazz_room).status == "idle"


def test_with_autoplay_off_the_room_idles_and_the_picks_leave_the_queue(people, jazz_room, client_as):
    playable("Pick")
    services.queue_add(room=jazz_room, actor=people["owner"], track=playable("Now"))
    assert queue(jazz_room) == [("Pick", "autoplay")]
    response = client_as("owner").patch(f"/rooms/{jazz_room.pk}", {"autoplay": False}, format="json")
    assert response.status_code == 200 and response.json()["autoplay"] is False
    assert queue(jazz_room) == []
    assert end_track(jazz_room).status == "idle"
    client_as("owner").patch(f"/rooms/{jazz_room.pk}", {"autoplay": True}, format="json")
    services.playback_play(room=jazz_room, actor=people["owner"])
    assert state(jazz_room).via == "autoplay"


def test_a_moderator_removing_the_pick_gets_another(people, jazz_room, client_as):
    playable("P1", popularity=90)
    playable("P2", popularity=80)
    services.queue_add(room=jazz_room, actor=people["owner"], track=playable("Now", popularity=1))
    item = QueueItem.objects.select_related("track").get(room=jazz_room)
    assert client_as("member").delete(f"/rooms/{jazz_room.pk}/queue/{item.pk}").status_code == 403
    assert client_as("owner").delete(f"/rooms/{jazz_room.pk}/queue/{item.pk}").status_code == 204
    other = ({"P1", "P2"} - {item.track.name}).pop()
    assert queue(jazz_room) == [(other, "autoplay")]


def test_a_failing_picker_leaves_the_room_idle_not_broken(people, jazz_room):
    with mock.patch.object(hooks, "_picker", side_effect=RuntimeError("boom")):
        services.queue_add(room=jazz_room, actor=people["owner"], track=playable("Now"))
        assert end_track(jazz_room).status == "idle"


def test_suggestions_leave_out_the_last_plays_and_say_why(people, jazz_room, client_as):
    for i in range(3):
        playable(f"S{i}", popularity=90 - i)
    services.queue_add(room=jazz_room, actor=people["owner"], track=playable("Played"))
    end_track(jazz_room)
    end_track(jazz_room)
    body = client_as("member").get(f"/rooms/{jazz_room.pk}/suggestions?limit=10").json()
    names = [item["track"]["name"] for item in body]
    recent = services.recent_play_ids(jazz_room.pk)
    assert len(recent) == 3
    assert not {Track.objects.get(pk=pk).name for pk in recent} & set(names)
    assert all(isinstance(item["reason"], str) and item["reason"] for item in body)


def test_private_room_suggestions_are_404_to_outsiders(people, private_room, client_as):
    assert client_as("outsider").get(f"/rooms/{private_room.pk}/suggestions").status_code == 404


# --- exactly once, across threads (SQLite, embedded) and processes' connections (PostgreSQL) -----


@pytest.mark.django_db(transaction=True)
def test_racing_advances_of_an_empty_queue_pick_once(services_mode):
    """PostgreSQL, one connection per thread as separate processes have. (Embedded mode: two
    sockets racing, chat/tests/test_room_autoplay.py; SQLite's in-memory test database locks
    whole tables across threads, which no embedded server meets.)"""
    owner = UserFactory(username="owner")
    room = make_room(owner=owner, name="Race Autoplay", genres=["jazz"], autoplay=True)
    presence.touch(room_id=room.pk, user_id=owner.pk, connection="o1")
    for i in range(8):
        playable(f"R{i}", popularity=90 - i)
    services.playback_play(room=room, actor=owner)
    before = state(room)
    assert before.via == "autoplay"
    PlaybackState.objects.filter(pk=before.pk).update(updated_at=timezone.now() - timedelta(seconds=201))
    QueueItem.objects.filter(room=room).delete()  # nothing queued: the racers must pick
    plays_before = len(services.recent_play_ids(room.pk))
    racers = 6
    barrier = threading.Barrier(racers)
    errors: list[Exception] = []

    def advance():
        try:
            barrier.wait()
            services.playback_advance_if_over(room=Room.objects.get(pk=room.pk), version=before.version)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=advance) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    after = state(room)
    assert after.version == before.version + 1
    assert after.via == "autoplay" and after.track_id != before.track_id
    assert len(services.recent_play_ids(room.pk)) == plays_before + 1
    assert queue(room) and all(via == "autoplay" for _, via in queue(room)) and len(queue(room)) == 1


def test_joins_of_an_idle_room_with_nothing_to_pick_ask_the_picker_once_a_while(people, jazz_room, settings):
    # A crowd arriving in an idle autoplay room that has nothing to play: each join used to run
    # the recommender again (most of a join's server time in bench/ws_join.py).
    settings.ROOM_AUTOPLAY_RETRY_SECONDS = 30
    assert services.playback_state_get(room=jazz_room).status == "idle"
    with mock.patch.object(hooks, "_picker", return_value=[]) as picker:
        for _ in range(5):
            assert services.playback_resume_on_join(room=jazz_room) is None
        assert picker.call_count == 1
        # Something to play appears: a member's queue add plays it at once (not a join's job).
        services.queue_add(room=jazz_room, actor=people["owner"], track=playable("Now"))
    assert state(jazz_room).status == "playing"


def test_after_the_retry_window_a_join_asks_the_picker_again(people, jazz_room, settings):
    settings.ROOM_AUTOPLAY_RETRY_SECONDS = 0
    services.playback_state_get(room=jazz_room)
    with mock.patch.object(hooks, "_picker", return_value=[]) as picker:
        services.playback_resume_on_join(room=jazz_room)
        services.playback_resume_on_join(room=jazz_room)
    assert picker.call_count == 2
    playable("Pick")
    assert services.playback_resume_on_join(room=jazz_room).status == "playing"
