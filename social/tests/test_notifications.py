import uuid

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core import mail
from django.core.management import call_command

from accounts import services as account_services
from accounts.tests.factories import UserFactory
from rooms import services as room_services
from rooms.tests.factories import make_room
from social import services
from social.models import Notification, OutgoingEmail

db = database_sync_to_async


def note(user, text="hello", kind="friend_request"):
    return services.notify(user=user, kind=kind, text=text)


@pytest.mark.django_db
def test_it_lists_my_notifications_newest_first_with_paging(alice, bob, as_user):
    for i in range(12):
        note(alice, text=f"n{i}")
    note(bob, text="not yours")
    client = as_user(alice)
    first = client.get("/notifications/my")
    assert [n["text"] for n in first.json()] == [f"n{i}" for i in range(11, 1, -1)]
    assert first["X-Unread-Count"] == "12"
    assert set(first.json()[0]) == {"id", "kind", "text", "data", "is_read", "created_at"}
    assert [n["text"] for n in client.get("/notifications/my?limit=2&offset=10").json()] == ["n1", "n0"]


@pytest.mark.django_db
def test_mark_read_and_delete_only_my_own(alice, bob, as_user):
    mine = note(alice)
    theirs = note(bob)
    client = as_user(alice)
    response = client.put(f"/notifications/{mine.pk}/mark-read")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert client.put(f"/notifications/{theirs.pk}/mark-read").status_code == 404
    assert client.delete(f"/notifications/{theirs.pk}").status_code == 404
    assert client.delete(f"/notifications/{mine.pk}").status_code == 204
    assert client.delete(f"/notifications/{mine.pk}").status_code == 404
    assert client.put(f"/notifications/{uuid.uuid4()}/mark-read").status_code == 404
    assert client.put("/notifications/nope/mark-read").status_code == 404
    assert Notification.objects.filter(pk=theirs.pk, is_read=False).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/notifications/my"), ("put", "/notifications/{id}/mark-read"), ("delete", "/notifications/{id}")],
)
def test_anonymous_callers_get_401(api, method, path):
    assert getattr(api, method)(path.format(id=uuid.uuid4())).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["limit=x", "limit=0", "offset=-1"])
def test_bad_paging_is_400(alice, as_user, query):
    assert as_user(alice).get(f"/notifications/my?{query}").status_code == 400


@pytest.mark.django_db
def test_notification_limits_are_the_documented_ones(alice, as_user):
    client = as_user(alice)
    assert [client.get("/notifications/my").status_code for _ in range(11)][-2:] == [200, 429]
    mine = note(alice)
    assert [client.put(f"/notifications/{mine.pk}/mark-read").status_code for _ in range(6)][-2:] == [200, 429]


@pytest.mark.django_db
def test_room_events_notify_the_people_concerned(people, client_as):
    room = make_room(owner=people["owner"], name="Secret", is_private=True)
    room_services.invite_create(room=room, actor=people["owner"], target=people["outsider"])
    assert Notification.objects.get(user=people["outsider"]).kind == "room_invite"
    room_services.room_join(room=room, user=people["outsider"])
    room_services.member_role_set(room=room, actor=people["owner"], target=people["outsider"], role="moderator")
    assert Notification.objects.filter(user=people["outsider"], kind="role_changed").exists()
    room_services.ban_create(room=room, actor=people["owner"], target=people["outsider"], reason="rude")
    banned = Notification.objects.get(user=people["outsider"], kind="banned")
    assert "rude" in banned.text
    assert banned.data["room_id"] == str(room.pk)


@pytest.mark.django_db
def test_friends_hear_when_someone_starts_a_public_room(alice, bob):
    friendship = services.friendship_request(from_user=alice, to_user=bob)
    services.friendship_accept(friendship_id=friendship.pk, user=bob)
    room = make_room(owner=alice, name="Alice's Jazz")
    make_room(owner=alice, name="Alice's Secret", is_private=True)
    started = Notification.objects.filter(user=bob, kind="friend_room")
    assert [n.data["room_id"] for n in started] == [str(room.pk)]


@pytest.mark.django_db
def test_a_notification_rolls_back_with_the_change_that_caused_it(alice, bob):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        services.friendship_request(from_user=alice, to_user=bob)
        raise RuntimeError("the request failed later")
    assert not Notification.objects.exists()
    assert not OutgoingEmail.objects.exists()


@pytest.mark.django_db
def test_a_broker_outage_delays_mail_but_loses_none(
    alice, bob, as_user, monkeypatch, django_capture_on_commit_callbacks
):
    from social import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    with monkeypatch.context() as patch:
        patch.setattr(tasks.email_send, "apply_async", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            response = as_user(alice).post("/friendships/send-request", {"user_id": str(bob.pk)}, format="json")
    assert response.status_code == 201
    assert mail.outbox == []
    assert OutgoingEmail.objects.get().sent_at is None
    OutgoingEmail.objects.update(created_at=OutgoingEmail.objects.get().created_at - tasks.REQUEUE_AFTER * 2)
    assert tasks.emails_requeue() == 1
    assert len(mail.outbox) == 1
    assert tasks.emails_requeue() == 0
    tasks.email_send(str(OutgoingEmail.objects.get().pk))  # a duplicate delivery sends nothing
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_prune_reports_and_removes_old_data(alice, capsys):
    from datetime import timedelta

    from django.utils import timezone

    old = note(alice)
    Notification.objects.filter(pk=old.pk).update(is_read=True, created_at=timezone.now() - timedelta(days=40))
    note(alice)  # unread: kept
    call_command("prune", "--dry-run")
    assert "read notifications: would remove 1" in capsys.readouterr().out
    assert Notification.objects.count() == 2
    call_command("prune")
    assert "read notifications: removed 1" in capsys.readouterr().out
    assert Notification.objects.count() == 1


async def open_notifications(user):
    from tunewave.asgi import application

    token = (await db(account_services.tokens_issue)(user=user))["access"]
    communicator = WebsocketCommunicator(application, f"/ws/notifications/?token={token}")
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    hello = await communicator.receive_json_from()
    assert hello["type"] == "notifications.hello"
    return communicator, hello


@pytest.mark.django_db(transaction=True)
async def test_a_friend_request_arrives_on_every_open_tab():
    alice = await db(UserFactory)(username="alice")
    bob = await db(UserFactory)(username="bob")
    tab_one, hello = await open_notifications(bob)
    tab_two, _ = await open_notifications(bob)
    assert hello["unread_count"] == 0
    await db(services.friendship_request)(from_user=alice, to_user=bob)
    for tab in (tab_one, tab_two):
        event = await tab.receive_json_from(timeout=3)
        assert event["type"] == "notification.created"
        assert event["notification"]["kind"] == "friend_request"
        assert event["unread_count"] == 1
    await tab_one.disconnect()
    await tab_two.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_the_notification_socket_needs_a_token_and_closes_on_deactivation():
    from tunewave.asgi import application

    communicator = WebsocketCommunicator(application, "/ws/notifications/")
    await communicator.connect(timeout=5)
    assert (await communicator.receive_output(timeout=3))["code"] == 4401
    bob = await db(UserFactory)(username="bob")
    tab, _ = await open_notifications(bob)
    await db(account_services.user_deactivate)(user=bob)
    assert (await tab.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4401}
