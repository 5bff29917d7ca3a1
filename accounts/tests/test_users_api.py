import uuid

import pytest

pytestmark = pytest.mark.django_db


def test_it_shows_me_my_profile_with_email(alice, as_user):
    response = as_user(alice).get("/users/me")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(alice.id)
    assert body["username"] == "alice"
    assert body["email"] == "alice@example.com"
    assert body["display_name"] == "Alice"
    assert body["avatar_url"] is None
    assert body["favorite_genres"] == []
    assert "created_at" in body


def test_it_answers_with_and_without_trailing_slash(alice, as_user):
    client = as_user(alice)
    assert client.get("/users/me").status_code == 200
    assert client.get("/users/me/").status_code == 200


def test_it_refuses_me_to_anonymous(api):
    response = api.get("/users/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_it_refuses_a_garbage_token(api):
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = api.get("/users/me")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_it_shows_a_public_profile_without_email(alice, bob, as_user, api):
    for client in (as_user(bob), api):
        response = client.get(f"/users/{alice.id}")
        assert response.status_code == 200
        assert response.json()["username"] == "alice"
        assert "email" not in response.json()


def test_it_shows_email_on_own_public_profile(alice, as_user):
    assert as_user(alice).get(f"/users/{alice.id}").json()["email"] == "alice@example.com"


@pytest.mark.parametrize("user_id", [str(uuid.uuid4()), "not-a-uuid", "123"])
def test_it_answers_404_json_for_unknown_users(api, user_id, db):
    response = api.get(f"/users/{user_id}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_it_hides_deactivated_users(alice, api):
    alice.is_active = False
    alice.save()
    assert api.get(f"/users/{alice.id}").status_code == 404


def test_it_updates_my_profile(alice, as_user):
    response = as_user(alice).put(
        f"/users/{alice.id}",
        {
            "display_name": "Alice L.",
            "bio": "Shoegaze forever",
            "favorite_genres": [" Shoegaze", "Dream Pop", "shoegaze"],
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["display_name"] == "Alice L."
    assert response.json()["favorite_genres"] == ["shoegaze", "dream pop"]
    alice.refresh_from_db()
    assert alice.bio == "Shoegaze forever"


def test_it_changes_only_the_fields_sent(alice, as_user):
    as_user(alice).put(f"/users/{alice.id}", {"bio": "hi"}, format="json")
    alice.refresh_from_db()
    assert alice.display_name == "Alice"
    assert alice.bio == "hi"


def test_it_rejects_updating_someone_else(alice, bob, as_user):
    response = as_user(bob).put(f"/users/{alice.id}", {"bio": "pwned"}, format="json")
    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.bio == ""


def test_it_rejects_anonymous_updates(alice, api):
    assert api.put(f"/users/{alice.id}", {"bio": "x"}, format="json").status_code == 401


def test_it_answers_409_for_a_taken_username_and_saves_nothing(alice, bob, as_user):
    response = as_user(alice).put(f"/users/{alice.id}", {"username": "BOB", "bio": "changed"}, format="json")
    assert response.status_code == 409
    assert "taken" in response.json()["detail"]
    alice.refresh_from_db()
    assert alice.username == "alice"
    assert alice.bio == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "a b"}, "username"),
        ({"username": "x"}, "username"),
        ({"bio": "x" * 501}, "bio"),
        ({"favorite_genres": "rock"}, "favorite_genres"),
        ({"favorite_genres": [["nested"]]}, "favorite_genres"),
        ({"display_name": {"a": 1}}, "display_name"),
        ({"email": "new@example.com"}, "email"),
        ({"is_staff": True}, "is_staff"),
    ],
)
def test_it_rejects_bad_profile_fields(alice, as_user, body, field):
    response = as_user(alice).put(f"/users/{alice.id}", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    alice.refresh_from_db()
    assert not alice.is_staff
    assert alice.email == "alice@example.com"


def test_it_rejects_malformed_json(alice, as_user):
    response = as_user(alice).generic(
        "PUT", f"/users/{alice.id}", '{"bio": "unterminated', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_it_rejects_a_json_array_body(alice, as_user):
    response = as_user(alice).put(f"/users/{alice.id}", [1, 2], format="json")
    assert response.status_code == 400


def test_it_rejects_huge_bodies_with_413(alice, as_user):
    response = as_user(alice).generic(
        "PUT", f"/users/{alice.id}", '{"bio": "' + "x" * (2 * 1024 * 1024) + '"}', content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_it_answers_unknown_paths_with_json_404(api, db):
    response = api.get("/no/such/endpoint")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_it_answers_wrong_methods_with_json_405(alice, as_user):
    response = as_user(alice).delete("/users/me")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
