from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from chat import services
from chat.models import Message
from rooms.models import Membership

pytestmark = pytest.mark.django_db


def say(room, user, text, minutes_ago=0):
    message, _ = services.message_send(room=room, user=user, text=text)
    if minutes_ago:
        Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    return message


def test_it_pages_history_newest_first(people, public_room, client_as):
    for i in range(5):
        say(public_room, people["owner"], f"m{i}", minutes_ago=10 - i)
    client = client_as("anonymous")
    page = client.get(f"/chat/{public_room.pk}?limit=2").json()
    assert [m["text"] for m in page] == ["m4", "m3"]
    assert set(page[0]) == {"id", "room_id", "user", "text", "created_at", "client_msg_id"}
    older = client.get(f"/chat/{public_room.pk}", {"limit": 2, "before_timestamp": page[-1]["created_at"]}).json()
    assert [m["text"] for m in older] == ["m2", "m1"]


@pytest.mark.parametrize("query", ["", "?limit=", "?limit=zero", "?limit=0", "?limit=5&before_timestamp=later"])
def test_it_requires_a_sane_limit(public_room, client_as, query):
    response = client_as("member").get(f"/chat/{public_room.pk}{query}")
    assert response.status_code == 400


def test_it_caps_the_limit(people, public_room, client_as):
    for i in range(3):
        say(public_room, people["owner"], f"m{i}")
    assert len(client_as("member").get(f"/chat/{public_room.pk}?limit=100000").json()) == 3


def test_private_chat_is_invisible_to_outsiders(private_room, client_as):
    assert client_as("outsider").get(f"/chat/{private_room.pk}?limit=10").status_code == 404
    assert client_as("anonymous").get(f"/chat/{private_room.pk}?limit=10").status_code == 404
    assert client_as("banned").post(f"/chat/{private_room.pk}", {"text": "hi"}, format="json").status_code == 404
    assert client_as("member").get(f"/chat/{private_room.pk}?limit=10").status_code == 200


def test_posting_saves_and_returns_the_message(people, public_room, client_as):
    response = client_as("member").post(f"/chat/{public_room.pk}", {"text": "<script>x</script>"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["text"] == "<script>x</script>"
    assert body["user"]["username"] == "member"
    assert body["room_id"] == str(public_room.pk)
    assert Message.objects.get(pk=body["id"]).text == "<script>x</script>"


def test_posting_in_a_public_room_makes_you_a_member(people, public_room, client_as):
    assert client_as("outsider").post(f"/chat/{public_room.pk}", {"text": "hello"}, format="json").status_code == 201
    assert Membership.objects.filter(room=public_room, user=people["outsider"]).exists()


def test_the_banned_and_anonymous_cannot_post(public_room, client_as):
    assert client_as("banned").post(f"/chat/{public_room.pk}", {"text": "hi"}, format="json").status_code == 403
    assert client_as("anonymous").post(f"/chat/{public_room.pk}", {"text": "hi"}, format="json").status_code == 401
    assert Message.objects.count() == 0


@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": "   "}, {"text": "x" * 2001}, {"text": ["a"]}])
def test_it_rejects_bad_messages(public_room, client_as, body):
    response = client_as("member").post(f"/chat/{public_room.pk}", body, format="json")
    assert response.status_code == 400
    assert Message.objects.count() == 0


def test_a_2000_character_message_is_fine(public_room, client_as):
    assert client_as("member").post(f"/chat/{public_room.pk}", {"text": "x" * 2000}, format="json").status_code == 201


def test_the_same_client_msg_id_stores_one_message(public_room, client_as):
    client = client_as("member")
    first = client.post(f"/chat/{public_room.pk}", {"text": "hi", "client_msg_id": "abc"}, format="json")
    again = client.post(f"/chat/{public_room.pk}", {"text": "hi", "client_msg_id": "abc"}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Message.objects.count() == 1


def test_posting_is_limited_to_5_per_5_seconds(public_room, client_as):
    client = client_as("member")
    statuses = [client.post(f"/chat/{public_room.pk}", {"text": f"m{i}"}, format="json").status_code for i in range(6)]
    assert statuses == [201] * 5 + [429]
    assert Message.objects.count() == 5


def test_reading_is_limited_to_10_per_minute(public_room, client_as):
    client = client_as("member")
    statuses = [client.get(f"/chat/{public_room.pk}?limit=5").status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]


def test_only_owner_and_moderators_delete_messages(people, public_room, client_as):
    message = say(public_room, people["member"], "oops")
    url = f"/chat/{public_room.pk}/{message.pk}"
    assert client_as("member").delete(url).status_code == 403
    assert client_as("outsider").delete(url).status_code == 403
    assert client_as("moderator").delete(url).status_code == 204
    assert client_as("owner").delete(url).status_code == 404
    assert client_as("owner").delete(f"/chat/{public_room.pk}/not-a-number").status_code == 404


def test_a_message_id_from_another_room_is_404(people, public_room, private_room, client_as):
    message = say(private_room, people["member"], "secret")
    assert client_as("owner").delete(f"/chat/{public_room.pk}/{message.pk}").status_code == 404
    assert Message.objects.filter(pk=message.pk).exists()


def test_site_moderators_delete_messages_in_the_admin(people, public_room, client):
    message = say(public_room, people["member"], "spam")
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    changelist = reverse("admin:chat_message_changelist")
    assert b"spam" in client.get(changelist, {"q": "spam"}).content
    client.post(changelist, {"action": "delete_messages", "_selected_action": [message.pk]})
    assert not Message.objects.filter(pk=message.pk).exists()
