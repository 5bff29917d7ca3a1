import pytest

from core.ratelimit import describe

pytestmark = pytest.mark.django_db

# Every documented limit of the accounts endpoints: (method, path, limit, needs auth).
DOCUMENTED = [
    ("get", "/users/me", 10, True),
    ("get", "/users/{other}", 20, False),
    ("get", "/auth/config", 15, False),
]


@pytest.mark.parametrize(("method", "path", "limit", "auth"), DOCUMENTED)
def test_it_trips_the_documented_limit_at_its_number(alice, bob, as_user, api, method, path, limit, auth):
    client = as_user(alice) if auth else api
    url = path.format(other=bob.id)
    for _ in range(limit):
        assert getattr(client, method)(url).status_code == 200
    response = getattr(client, method)(url)
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "per minute" in response.json()["detail"]
    assert response.json()["code"] == "rate_limited"


def test_it_limits_avatar_uploads_to_5_per_minute(alice, as_user):
    client = as_user(alice)
    statuses = [client.post("/users/me/avatar", {}, format="multipart").status_code for _ in range(6)]
    assert statuses == [400] * 5 + [429]


def test_it_counts_each_user_separately(alice, bob, as_user):
    for _ in range(10):
        as_user(alice).get("/users/me")
    assert as_user(alice).get("/users/me").status_code == 429
    assert as_user(bob).get("/users/me").status_code == 200


def test_a_spoofed_forwarded_for_does_not_reset_the_limit(api, alice):
    for i in range(20):
        assert api.get(f"/users/{alice.id}", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code == 200
    assert api.get(f"/users/{alice.id}", HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


def test_behind_a_trusted_proxy_it_keys_by_the_real_client(api, alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client forges the left-most entries; the proxy appends the address it saw.
    for i in range(20):
        response = api.get(f"/users/{alice.id}", HTTP_X_FORWARDED_FOR=f"6.6.6.{i}, 203.0.113.7")
        assert response.status_code == 200
    assert api.get(f"/users/{alice.id}", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7").status_code == 429
    # Another real client behind the same proxy has its own budget.
    assert api.get(f"/users/{alice.id}", HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 200


def test_it_describes_rates_for_people():
    assert describe("10/m") == "10 per minute"
    assert describe("5/5s") == "5 per 5 seconds"
