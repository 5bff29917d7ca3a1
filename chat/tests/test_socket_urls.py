"""Socket frames carry absolute media URLs, as REST answers do (never a bare `/media/…` path).

Frames are built once for a whole room, without a request, so uploaded avatars and audio are
made absolute on settings.PUBLIC_URL (core/public_urls.py), where REST uses the request's host.
"""

import pytest
from channels.db import database_sync_to_async

from accounts.tests.factories import with_uploaded_avatar
from chat.tests.conftest import connect, join
from music.tests.factories import TrackFactory
from rooms import services as room_services

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async

PUBLIC_URL = "https://tunewave.example"


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.PUBLIC_URL = PUBLIC_URL


async def test_a_chat_message_from_a_user_with_an_uploaded_avatar_carries_an_absolute_avatar_url(people, public_room):
    member = await db(with_uploaded_avatar)(people["member"])
    expected = f"{PUBLIC_URL}/media/{member.avatar.name}"
    listener = await join(people["owner"], public_room.pk)
    speaker = await join(member, public_room.pk)

    joined = await listener.receive_type("member.joined")
    await speaker.send({"text": "hello", "client_msg_id": "c-1"})
    said = await listener.receive_type("chat.message")
    echoed = await speaker.receive_type("chat.message")

    assert joined["user"]["avatar_url"] == expected
    assert said["user"]["avatar_url"] == expected
    assert echoed["user"]["avatar_url"] == expected
    await speaker.send({"type": "chat.resync", "after_id": 0})
    history = await speaker.receive_type("chat.history")
    assert [m["user"]["avatar_url"] for m in history["messages"]] == [expected]
    await listener.close()
    await speaker.close()


async def test_playing_and_queued_tracks_with_uploaded_audio_carry_absolute_audio_urls(people, public_room):
    playing = await db(TrackFactory)(audio_url="/media/demo/so-what.wav", image_url="")
    queued = await db(TrackFactory)(audio_url="/media/clips/blue-in-green.ogg", image_url="https://i.example/b.jpg")
    owner = await db(with_uploaded_avatar)(people["owner"])
    socket = await join(owner, public_room.pk)

    await db(room_services.queue_add)(room=public_room, actor=owner, track=playing)
    state = await socket.receive_type("playback.state")
    await db(room_services.queue_add)(room=public_room, actor=owner, track=queued)
    queue = (await socket.receive_type("queue.updated"))["queue"]
    while len(queue) != 1 or queue[0]["track"]["spotify_id"] != queued.spotify_id:
        queue = (await socket.receive_type("queue.updated"))["queue"]

    assert state["status"] == "playing"
    assert state["track"]["audio_url"] == f"{PUBLIC_URL}/media/demo/so-what.wav"
    assert state["track"]["image_url"].startswith(f"{PUBLIC_URL}/covers/v1/album/")  # generated: none known
    assert queue[0]["track"]["audio_url"] == f"{PUBLIC_URL}/media/clips/blue-in-green.ogg"
    assert queue[0]["track"]["image_url"] == "https://i.example/b.jpg"
    assert queue[0]["added_by"]["avatar_url"] == f"{PUBLIC_URL}/media/{owner.avatar.name}"
    await socket.close()

    # A socket that joins later is told the same in its first frame, and in `presence`.
    communicator, connected = await connect(people["member"], public_room.pk)
    assert connected
    first = await communicator.receive_json_from(timeout=3)
    presence = await communicator.receive_json_from(timeout=3)
    assert first["type"] == "playback.state"
    assert first["track"]["audio_url"] == f"{PUBLIC_URL}/media/demo/so-what.wav"
    assert presence["type"] == "presence"
    await communicator.disconnect()


async def test_presence_lists_peoplewith_uploaded_avatars_by_absolute_url(people, public_room):
    owner = await db(with_uploaded_avatar)(people["owner"])
    first = await join(owner, public_room.pk)
    communicator, connected = await connect(people["member"], public_room.pk)
    assert connected
    await communicator.receive_json_from(timeout=3)  # playback.state
    presence = await communicator.receive_json_from(timeout=3)

    assert presence["type"] == "presence"
    avatars = {u["username"]: u["avatar_url"] for u in presence["online"]}
    assert avatars["owner"] == f"{PUBLIC_URL}/media/{owner.avatar.name}"
    assert avatars["member"] is None
    await communicator.disconnect()
    await first.close()
