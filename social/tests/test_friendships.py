import uuid

import pytest
from django.core import mail

from accounts.tests.factories import UserFactory
from social import services
from social.models import Friendship, Notification, OutgoingEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(db):
    return UserFactory(username="carol", email="carol@example.com")


def send(as_user, sender, receiver):
    return as_user(sender).post("/friendships/send-request", {"user_id": str(receiver.pk)}, format="json")


def test_it_sends_a_request_and_tells_the_recipient(alice, bob, as_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(as_user, alice, bob)
    assert response.status_code == 201
    body = response.json()
    assert (body["from_user"]["username"], body["to_user"]["username"], body["status"]) == ("alice", "bob", "pending")
    note = Notification.objects.get(user=bob)
    assert note.kind == "friend_request"
    assert "Alice" in note.text
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
    assert OutgoingEmail.objects.get(user=bob).sent_at is not None


def test_no_email_when_the_person_turned_them_off(alice, bob, as_user, django_capture_on_commit_callbacks):
    bob.email_notifications = False
    bob.save()
    with django_capture_on_commit_callbacks(execute=True):
        send(as_user, alice, bob)
    assert mail.outbox == []
    assert Notification.objects.filter(user=bob).count() == 1


def test_the_recipient_accepts_and_both_are_friends(alice, bob, as_user):
    friendship_id = send(as_user, alice, bob).json()["id"]
    assert as_user(alice).put(f"/friendships/{friendship_id}/accept").status_code == 403
    response = as_user(bob).put(f"/friendships/{friendship_id}/accept")
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert [f["friend"]["username"] for f in as_user(alice).get("/friendships/my-friends").json()] == ["bob"]
    assert [f["friend"]["username"] for f in as_user(bob).get("/friendships/my-friends").json()] == ["alice"]
    assert Notification.objects.get(user=alice).kind == "friend_accepted"
    assert as_user(bob).put(f"/friendships/{friendship_id}/accept").status_code == 409


def test_the_recipient_declines(alice, bob, as_user):
    friendship_id = send(as_user, alice, bob).json()["id"]
    assert as_user(alice).put(f"/friendships/{friendship_id}/decline").status_code == 403
    assert as_user(bob).put(f"/friendships/{friendship_id}/decline").json()["status"] == "declined"
    assert as_user(alice).get("/friendships/my-friends").json() == []
    # Declined is not forever: a new request may be sent later.
    assert send(as_user, alice, bob).status_code == 201


def test_sent_and_received_lists(alice, bob, carol, as_user):
    send(as_user, alice, bob)
    send(as_user, carol, alice)
    assert [f["to_user"]["username"] for f in as_user(alice).get("/friendships/my-send-requests").json()] == ["bob"]
    assert [f["from_user"]["username"] for f in as_user(alice).get("/friendships/my-received-requests").json()] == [
        "carol"
    ]
    assert as_user(bob).get("/friendships/my-send-requests").json() == []


def test_a_request_to_yourself_is_400(alice, as_user):
    response = send(as_user, alice, alice)
    assert response.status_code == 400
    assert "yourself" in response.json()["detail"]


def test_a_second_request_is_409(alice, bob, as_user):
    send(as_user, alice, bob)
    response = send(as_user, alice, bob)
    assert response.status_code == 409
    assert "already sent" in response.json()["detail"]
    assert Friendship.objects.count() == 1


def test_asking_someone_who_asked_you_says_accept_instead(alice, bob, as_user):
    theirs = send(as_user, bob, alice).json()["id"]
    response = send(as_user, alice, bob)
    assert response.status_code == 409
    assert "accept it instead" in response.json()["detail"]
    assert theirs in response.json()["detail"]


def test_asking_a_friend_again_is_409(alice, bob, as_user):
    friendship = services.friendship_request(from_user=alice, to_user=bob)
    services.friendship_accept(friendship_id=friendship.pk, user=bob)
    assert "already friends" in send(as_user, bob, alice).json()["detail"]


@pytest.mark.parametrize("body", [{}, {"user_id": "nope"}, {"user_id": ["x"]}])
def test_bad_request_bodies_are_400(alice, as_user, body):
    assert as_user(alice).post("/friendships/send-request", body, format="json").status_code == 400


def test_an_unknown_user_is_404(alice, as_user):
    response = as_user(alice).post("/friendships/send-request", {"user_id": str(uuid.uuid4())}, format="json")
    assert response.status_code == 404


def test_either_side_can_end_it_but_nobody_else(alice, bob, carol, as_user):
    friendship_id = send(as_user, alice, bob).json()["id"]
    services.friendship_accept(friendship_id=friendship_id, user=bob)
    assert as_user(carol).delete(f"/friendships/{friendship_id}").status_code == 404
    assert as_user(carol).put(f"/friendships/{friendship_id}/accept").status_code == 404
    assert as_user(bob).delete(f"/friendships/{friendship_id}").status_code == 204
    assert as_user(alice).get("/friendships/my-friends").json() == []
    assert as_user(alice).delete(f"/friendships/{friendship_id}").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/friendships/send-request"),
        ("put", "/friendships/{id}/accept"),
        ("put", "/friendships/{id}/decline"),
        ("delete", "/friendships/{id}"),
        ("get", "/friendships/my-friends"),
        ("get", "/friendships/my-send-requests"),
        ("get", "/friendships/my-received-requests"),
    ],
)
def test_anonymous_callers_get_401(api, method, path, db):
    assert getattr(api, method)(path.format(id=uuid.uuid4())).status_code == 401


def test_unknown_and_malformed_ids_are_404(alice, as_user):
    assert as_user(alice).put(f"/friendships/{uuid.uuid4()}/accept").status_code == 404
    assert as_user(alice).put("/friendships/not-a-uuid/accept").status_code == 404


def test_limits_are_the_documented_ones(alice, as_user):
    client = as_user(alice)
    targets = [UserFactory() for _ in range(6)]
    statuses = [
        client.post("/friendships/send-request", {"user_id": str(t.pk)}, format="json").status_code for t in targets
    ]
    assert statuses == [201] * 5 + [429]
    reads = [client.get("/friendships/my-friends").status_code for _ in range(16)]
    assert reads == [200] * 15 + [429]


@pytest.mark.parametrize("answer", ["accept", "decline", "withdraw"])
def test_an_answered_request_no_longer_asks_for_an_answer(alice, bob, as_user, answer):
    """Answered on the Friends page (or withdrawn by the sender), the request's notification is
    read and says how it ended, so no client offers Accept/Decline on it any more."""
    friendship_id = send(as_user, alice, bob).json()["id"]
    if answer == "withdraw":
        assert as_user(alice).delete(f"/friendships/{friendship_id}").status_code == 204
    else:
        assert as_user(bob).put(f"/friendships/{friendship_id}/{answer}").status_code == 200
    [note] = as_user(bob).get("/notifications/my").json()
    assert note["kind"] == "friend_request"
    assert note["is_read"] is True
    assert note["data"]["status"] == {"accept": "accepted", "decline": "declined", "withdraw": "withdrawn"}[answer]
