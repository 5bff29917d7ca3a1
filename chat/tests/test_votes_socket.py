"""Vote to skip and reactions on the room socket (issue 14): every socket sees the counts live,
two of three listeners skip the track for all three, a socket that connects hears the current
counts, and a frame for an earlier play is refused with `conflict`."""

import pytest
from channels.db import database_sync_to_async

from chat.tests.conftest import join
from music import services as music_services
from music.models import ListeningEvent
from music.tests.factories import TrackFactory
from rooms import services as room_services
from rooms.models import PlaybackState

pytestmark = pytest.mark.django_db(transaction=True)
db = database_sync_to_async


async def listener(user, room_id):
    """A joined socket that has also read the current counts every socket gets while a track plays."""
    socket = await join(user, room_id)
    assert (await socket.receive())["type"] == "playback.votes"
    assert (await socket.receive())["type"] == "reaction.counts"
    return socket


async def playing(room, owner, names=("Song 0", "Song 1", "Song 2"), duration_ms=200_000):
    for name in names:
        track = await db(TrackFactory)(name=name, duration_ms=duration_ms)
        await db(room_services.queue_add)(room=room, actor=owner, track=track)
    return await db(PlaybackState.objects.get)(room=room)


async def test_two_of_three_listeners_skip_the_track_for_all_three(people, public_room):
    room = public_room
    await playing(room, people["owner"])
    sockets = {name: await listener(people[name], room.pk) for name in ("owner", "moderator", "member")}
    state = await db(PlaybackState.objects.get)(room=room)

    await sockets["member"].send({"type": "playback.vote_skip", "version": state.version})
    for socket in sockets.values():
        votes = await socket.receive_type("playback.votes")
        assert (votes["votes"], votes["needed"], votes["version"]) == (1, 2, state.version)

    # The same listener again: nothing changes; only they hear the count again.
    await sockets["member"].send({"type": "playback.vote_skip", "version": state.version})
    assert (await sockets["member"].receive_type("playback.votes"))["votes"] == 1

    await sockets["moderator"].send({"type": "playback.vote_skip", "version": state.version})
    for socket in sockets.values():
        assert (await socket.receive_type("playback.votes"))["votes"] == 2  # the owner never saw a second "1"
        now = await socket.receive_type("playback.state")
        assert now["track"]["name"] == "Song 1" and now["version"] == state.version + 1
        fresh = await socket.receive_type("playback.votes")
        assert (fresh["votes"], fresh["needed"], fresh["version"]) == (0, 2, now["version"])
        assert (await socket.receive_type("reaction.counts"))["counts"] == {"like": 0}

    # A late vote for the play that was skipped: conflict, answering the frame.
    await sockets["owner"].send({"type": "playback.vote_skip", "version": state.version})
    refused = await sockets["owner"].receive_type("error")
    assert (refused["code"], refused["in_reply_to"]) == ("conflict", "playback.vote_skip")
    assert (await db(PlaybackState.objects.select_related("track").get)(room=room)).track.name == "Song 1"
    for socket in sockets.values():
        await socket.close()


async def test_reactions_are_live_and_counted_once(people, public_room):
    room = public_room
    state = await playing(room, people["owner"])
    owner = await listener(people["owner"], room.pk)
    member = await listener(people["member"], room.pk)
    await member.send({"type": "reaction", "kind": "like", "version": state.version})
    for socket in (owner, member):
        counts = await socket.receive_type("reaction.counts")
        assert counts == {
            "type": "reaction.counts",
            "room_id": str(room.pk),
            "version": state.version,
            "counts": {"like": 1},
        }
    await member.send({"type": "reaction", "kind": "like", "version": state.version})
    assert (await member.receive_type("reaction.counts"))["counts"] == {"like": 1}
    await owner.send({"type": "reaction", "kind": "like", "version": state.version})
    assert (await member.receive_type("reaction.counts"))["counts"] == {"like": 2}

    await member.send({"type": "reaction", "kind": "boo", "version": state.version})
    refused = await member.receive_type("error")
    assert (refused["code"], refused["in_reply_to"]) == ("invalid", "reaction")
    await db(room_services.playback_skip)(room=room, actor=people["owner"])
    await member.send({"type": "reaction", "kind": "like", "version": state.version})
    refused = await member.receive_type("error")
    assert (refused["code"], refused["in_reply_to"]) == ("conflict", "reaction")
    await owner.close()
    await member.close()


async def test_a_socket_that_connects_hears_the_current_counts_after_the_state(people, public_room):
    room = public_room
    state = await playing(room, people["owner"])
    sockets = [await listener(people[name], room.pk) for name in ("owner", "moderator", "member")]
    owner, _, member = sockets
    await member.send({"type": "reaction", "kind": "like", "version": state.version})
    await member.send({"type": "playback.vote_skip", "version": state.version})
    await owner.receive_type("playback.votes")

    # join() read playback.state and presence; the counts come next.
    late = await join(people["outsider"], room.pk)
    votes = await late.receive()
    assert votes["type"] == "playback.votes"
    assert (votes["votes"], votes["needed"], votes["version"]) == (1, 2, state.version)  # 4 online: 2 needed
    counts = await late.receive()
    assert counts["type"] == "reaction.counts" and counts["counts"] == {"like": 1}
    # Someone coming with votes on the table: everyone hears the bar again.
    assert (await owner.receive_type("playback.votes"))["needed"] == 2
    # Two leave: 2 online, 1 needed, and the vote on the table skips the track.
    for socket in sockets[:2]:
        await socket.close()
    now = await late.receive_type("playback.state")
    assert now["track"]["name"] == "Song 1"
    await member.close()
    await late.close()


async def test_an_idle_room_sends_no_counts(people, public_room):
    owner = await join(people["owner"], public_room.pk)
    assert await owner.nothing(0.5)
    await owner.close()


@pytest.fixture
def short_tracks(monkeypatch):
    # Real tracks must be over 30 s; the rule is scaled down so the test takes two seconds.
    monkeypatch.setattr(music_services, "MIN_TRACK_MS", 500)


async def test_a_like_during_the_play_is_in_the_listeners_history(people, public_room, short_tracks):
    room = public_room
    state = await playing(room, people["owner"], names=("Tiny",), duration_ms=1200)
    owner = await listener(people["owner"], room.pk)
    member = await listener(people["member"], room.pk)
    await member.send({"type": "reaction", "kind": "like", "version": state.version})
    await member.receive_type("reaction.counts")
    # The sockets' end-of-track timers advance the room; each listener's listen is recorded.
    assert (await member.receive_type("playback.state", timeout=5))["status"] == "idle"
    await owner.receive_type("playback.state", timeout=5)
    events = await db(lambda: dict(ListeningEvent.objects.values_list("user__username", "liked")))()
    assert events == {"owner": False, "member": True}
    await owner.close()
    await member.close()
