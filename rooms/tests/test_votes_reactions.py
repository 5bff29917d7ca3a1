"""Vote to skip and reactions (issue 14): thresholds, one vote per user per play, votes ending
with the play, old versions refused, racing votes skipping once, reactions counted once and
marking the listener's listen liked. The socket side is chat/tests/test_votes_socket.py."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import close_old_connections
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core.errors import Conflict, Forbidden, Invalid, ServiceUnavailable
from music import services as music_services
from music.models import ListeningEvent
from music.tests.factories import TrackFactory
from rooms import presence, services
from rooms.models import PlaybackState, QueueItem, Reaction, Room, SkipVote
from rooms.tests.factories import make_room

pytestmark = pytest.mark.django_db


def online(room, *users):
    for user in users:
        presence.touch(room_id=room.pk, user_id=user.pk, connection=f"socket-{user.pk}")


def offline(room, user):
    presence.leave(room_id=room.pk, user_id=user.pk, connection=f"socket-{user.pk}")


def state(room) -> PlaybackState:
    return PlaybackState.objects.select_related("track").get(room=room)


@pytest.fixture
def playing(people, public_room):
    """Song 0 playing, Song 1 and Song 2 queued; owner, moderator and member online."""
    for i in range(3):
        services.queue_add(
            room=public_room, actor=people["owner"], track=TrackFactory(name=f"Song {i}", duration_ms=200_000)
        )
    online(public_room, people["owner"], people["moderator"], people["member"])
    return public_room


@pytest.mark.parametrize(
    ("share", "listeners", "needed"),
    [(0.5, 3, 2), (0.5, 4, 2), (0.5, 1, 1), (0.5, 0, 1), (1.0, 3, 3), (0.34, 3, 2), (0.1, 30, 3), (0.25, 9, 3)],
)
def test_needed_is_the_share_of_the_listeners_online_rounded_up(share, listeners, needed):
    assert services.skip_votes_needed(skip_share=share, online=listeners) == needed


def test_two_of_three_listeners_skip_the_track_and_a_second_vote_changes_nothing(people, playing):
    version = state(playing).version
    votes, new = services.skip_vote(room=playing, user=people["member"], version=version)
    assert new and (votes["votes"], votes["needed"], votes["version"]) == (1, 2, version)
    assert state(playing).track.name == "Song 0"

    again, new = services.skip_vote(room=playing, user=people["member"], version=version)
    assert not new and (again["votes"], again["needed"]) == (1, 2)
    assert state(playing).track.name == "Song 0"

    votes, new = services.skip_vote(room=playing, user=people["moderator"], version=version)
    assert new and (votes["votes"], votes["needed"]) == (2, 2)
    now = state(playing)
    assert now.track.name == "Song 1" and now.version == version + 1 and now.play_version == now.version
    # The new play starts with no votes.
    counts = {frame["type"]: frame for frame in services.play_counts(room=playing)}
    assert (counts["playback.votes"]["votes"], counts["playback.votes"]["needed"]) == (0, 2)
    assert counts["reaction.counts"]["counts"] == {"like": 0}


def test_the_room_sets_the_share(people, playing):
    Room.objects.filter(pk=playing.pk).update(skip_share=1.0)
    version = state(playing).version
    services.skip_vote(room=playing, user=people["member"], version=version)
    votes, _ = services.skip_vote(room=playing, user=people["moderator"], version=version)
    assert (votes["votes"], votes["needed"]) == (2, 3)
    assert state(playing).track.name == "Song 0"
    services.skip_vote(room=playing, user=people["owner"], version=version)
    assert state(playing).track.name == "Song 1"


def test_votes_end_with_the_play(people, playing):
    first = state(playing).version
    services.skip_vote(room=playing, user=people["member"], version=first)
    services.playback_skip(room=playing, actor=people["owner"])  # the owner skips: a new play
    second = state(playing)
    assert second.track.name == "Song 1"
    # The member's vote was for the play that ended: it counts for nothing now.
    votes, new = services.skip_vote(room=playing, user=people["moderator"], version=second.version)
    assert new and (votes["votes"], votes["needed"]) == (1, 2)
    assert state(playing).track.name == "Song 1"
    # The member may vote again in this play; old votes are gone from the table.
    services.skip_vote(room=playing, user=people["member"], version=second.version)
    assert state(playing).track.name == "Song 2"
    assert set(SkipVote.objects.filter(room=playing).values_list("play_started_at", flat=True)) == {
        second.track_started_at
    }


def test_a_vote_for_an_earlier_play_is_a_conflict_but_a_pause_in_this_one_is_not(people, playing):
    started = state(playing).version
    services.playback_pause(room=playing, actor=people["owner"])
    services.playback_play(room=playing, actor=people["owner"])
    assert state(playing).version == started + 2
    # Seen before the pause: still this play.
    votes, _ = services.skip_vote(room=playing, user=people["member"], version=started)
    assert votes["version"] == started + 2
    services.playback_skip(room=playing, actor=people["owner"])
    for old in (started, started + 2):
        with pytest.raises(Conflict):
            services.skip_vote(room=playing, user=people["moderator"], version=old)
        with pytest.raises(Conflict):
            services.reaction_add(room=playing, user=people["moderator"], version=old)
    with pytest.raises(Conflict):  # a version the server never had
        services.skip_vote(room=playing, user=people["moderator"], version=state(playing).version + 1)
    assert not SkipVote.objects.filter(user=people["moderator"]).exists()


def test_nothing_playing_is_a_conflict(people, public_room):
    online(public_room, people["member"])
    with pytest.raises(Conflict):
        services.skip_vote(room=public_room, user=people["member"], version=0)
    with pytest.raises(Conflict):
        services.reaction_add(room=public_room, user=people["member"], version=0)
    assert services.play_counts(room=public_room) == []


def test_only_members_vote_or_react(people, playing):
    version = state(playing).version
    for who in ("outsider", "banned"):
        with pytest.raises(Forbidden):
            services.skip_vote(room=playing, user=people[who], version=version)
        with pytest.raises(Forbidden):
            services.reaction_add(room=playing, user=people[who], version=version)


def test_while_presence_is_unknown_votes_are_refused(people, playing, monkeypatch):
    monkeypatch.setattr(presence, "online_counts", lambda room_ids: dict.fromkeys(map(str, room_ids)))
    with pytest.raises(ServiceUnavailable):
        services.skip_vote(room=playing, user=people["member"], version=state(playing).version)
    assert not SkipVote.objects.exists()
    # Reactions need no head count.
    counts, _ = services.reaction_add(room=playing, user=people["member"], version=state(playing).version)
    assert counts["counts"] == {"like": 1}


def test_a_listener_leaving_lowers_the_bar_and_the_votes_may_then_skip(people, playing):
    version = state(playing).version
    services.skip_vote(room=playing, user=people["member"], version=version)  # 1 of 2
    offline(playing, people["owner"])
    votes = services.skip_votes_refresh(room=playing)
    assert votes is not None and (votes["votes"], votes["needed"]) == (1, 1)
    assert state(playing).track.name == "Song 1"


def test_the_last_listener_leaving_does_not_skip(people, playing):
    services.skip_vote(room=playing, user=people["member"], version=state(playing).version)
    for who in ("owner", "moderator", "member"):
        offline(playing, people[who])
    services.skip_votes_refresh(room=playing)
    assert state(playing).track.name == "Song 0"


def test_without_votes_a_refresh_tells_nobody(people, playing):
    assert services.skip_votes_refresh(room=playing) is None


# --- reactions ---------------------------------------------------------------------------


def test_a_like_counts_once_per_listener_per_play(people, playing):
    version = state(playing).version
    counts, new = services.reaction_add(room=playing, user=people["member"], version=version, kind="like")
    assert new and counts == {
        "type": "reaction.counts",
        "room_id": str(playing.pk),
        "version": version,
        "counts": {"like": 1},
    }
    counts, new = services.reaction_add(room=playing, user=people["member"], version=version, kind="like")
    assert not new and counts["counts"] == {"like": 1}
    counts, _ = services.reaction_add(room=playing, user=people["owner"], version=version)
    assert counts["counts"] == {"like": 2}
    assert Reaction.objects.filter(room=playing).count() == 2
    # A new play: counts start over, and the member may like it too.
    services.playback_skip(room=playing, actor=people["owner"])
    assert services.play_counts(room=playing)[-1]["counts"] == {"like": 0}
    counts, new = services.reaction_add(room=playing, user=people["member"], version=state(playing).version)
    assert new and counts["counts"] == {"like": 1}
    assert sorted(Reaction.objects.filter(user=people["member"]).values_list("track__name", flat=True)) == [
        "Song 0",
        "Song 1",
    ]


def test_an_unknown_reaction_is_invalid(people, playing):
    with pytest.raises(Invalid):
        services.reaction_add(room=playing, user=people["member"], version=state(playing).version, kind="boo")


def _ms(moment: datetime) -> datetime:
    """A play's start as the socket knows it (whole milliseconds)."""
    return datetime.fromtimestamp(int(moment.timestamp() * 1000) / 1000, tz=UTC)


def test_a_like_marks_the_listen_liked_in_history(people, playing, client_as):
    current = state(playing)
    started = _ms(current.track_started_at)
    music_services.listening_record(
        user=people["member"], track=current.track, room_id=playing.pk, listened_at=started, ms_played=150_000
    )
    music_services.listening_record(
        user=people["owner"], track=current.track, room_id=playing.pk, listened_at=started, ms_played=150_000
    )
    services.reaction_add(room=playing, user=people["member"], version=current.version)
    mine = client_as("member").get("/users/me/history").json()
    assert [(item["track"]["name"], item["liked"]) for item in mine] == [("Song 0", True)]
    theirs = client_as("member").get(f"/users/{people['owner'].pk}/history").json()
    assert [(item["track"]["name"], item["liked"]) for item in theirs] == [("Song 0", False)]
    seen_by_others = client_as("owner").get(f"/users/{people['member'].pk}/history").json()
    assert seen_by_others[0]["liked"] is True


def test_a_listen_recorded_after_the_like_is_liked(people, playing):
    current = state(playing)
    services.reaction_add(room=playing, user=people["member"], version=current.version)
    started = _ms(current.track_started_at)
    for who in ("member", "owner"):
        liked = services.play_liked(room_id=playing.pk, user=people[who], started_at=started)
        assert liked is (who == "member")
        stored = music_services.listening_record_play(
            user=people[who],
            spotify_id=current.track.spotify_id,
            room_id=playing.pk,
            started_at=started,
            present_from=started,
            until=started + timedelta(milliseconds=current.track.duration_ms),
            liked=liked,
        )
        assert stored
    assert dict(ListeningEvent.objects.values_list("user__username", "liked")) == {"member": True, "owner": False}
    # The like of another play of the same track does not count for this one.
    later = started + timedelta(seconds=5)
    assert not services.play_liked(room_id=playing.pk, user=people["member"], started_at=later)


# --- racing votes (PostgreSQL and Redis) ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_racing_votes_skip_once(services_mode):
    owner = UserFactory(username="owner")
    voters = [UserFactory(username=f"voter{i}") for i in range(8)]
    room = make_room(owner=owner, name="Race Votes")
    for i in range(3):
        services.queue_add(room=room, actor=owner, track=TrackFactory(name=f"Song {i}", duration_ms=200_000))
    for voter in voters:
        services.room_join(room=room, user=voter)
    online(room, owner, *voters)  # 9 online, share 0.5: 5 votes skip
    version = state(room).version
    barrier = threading.Barrier(len(voters))
    outcomes: list = []

    def vote(voter):
        try:
            barrier.wait()
            outcomes.append(services.skip_vote(room=Room.objects.get(pk=room.pk), user=voter, version=version)[0])
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            outcomes.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=vote, args=(v,)) for v in voters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    now = state(room)
    assert now.track.name == "Song 1", "skipped exactly once"
    assert now.version == version + 1
    assert list(QueueItem.objects.filter(room=room).values_list("track__name", flat=True)) == ["Song 2"]
    counted = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if not isinstance(o, dict)]
    # Votes counted one after another up to the fifth; the later ones found a new play.
    assert sorted(o["votes"] for o in counted) == [1, 2, 3, 4, 5]
    assert all(isinstance(o, Conflict) for o in refused) and len(refused) == 3
    assert timezone.now() - now.track_started_at < timedelta(minutes=1)
