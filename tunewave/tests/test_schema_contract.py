"""The OpenAPI document says what the API really answers (issue 11, item 11).

Every operation lists the error responses it can give, in the one error shape; and the fields
the fuzzer caught answering outside the schema (`image_url: ""`, relative `avatar_url`, a
required `email` that only one's own profile carries) now match it. Responses are checked
with schemathesis's own validator, the one `bench/fuzz_api.py` runs against a live server.
"""

import json

import pytest
import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from music.tests.factories import TrackFactory

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))


@pytest.fixture(scope="module")
def contract(document):
    return schemathesis.openapi.from_dict(document)


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def conforms(contract, path: str, method: str, response) -> None:
    """Raises (with schemathesis's explanation) unless `response` matches the documented one."""
    wrapped = schemathesis.Response(
        status_code=response.status_code,
        headers={name: [value] for name, value in response.items()},
        content=response.content,
        request=requests.Request(method, f"http://testserver{path}").prepare(),
        elapsed=0.0,
        verify=True,
        encoding="utf-8",
    )
    template = next(p for p in contract.raw_schema["paths"] if _matches(p, path))
    documented = contract.raw_schema["paths"][template][method.lower()]["responses"]
    assert str(response.status_code) in documented, f"{method} {template}: {response.status_code} is undocumented"
    contract[template][method].validate_response(wrapped)


def _matches(template: str, path: str) -> bool:
    parts, actual = template.strip("/").split("/"), path.split("?")[0].strip("/").split("/")
    return len(parts) == len(actual) and all(p.startswith("{") or p == a for p, a in zip(parts, actual, strict=True))


def test_the_error_shape_is_one_component(document):
    error = document["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "code"}
    assert {"detail", "code", "errors"} <= set(error["properties"])


def test_every_error_response_uses_the_error_shape(document):
    for label, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, f"{label} {status}"


def test_every_operation_documents_the_errors_it_can_give(document):
    missing = {}
    for label, operation in operations(document):
        documented = {int(status) for status in operation["responses"]}
        parameters = operation.get("parameters", [])
        expected = {429}  # every endpoint has its documented rate limit
        if parameters or "requestBody" in operation:
            expected.add(400)
        if any("jwtAuth" in requirement for requirement in operation.get("security", [])):
            expected.add(401)
        if any(parameter["in"] == "path" for parameter in parameters):
            expected.add(404)
        if "requestBody" in operation:
            expected |= {413, 415}
        if expected - documented:
            missing[label] = sorted(expected - documented)
    assert missing == {}


def test_conflicts_and_outages_are_documented_where_they_happen(document):
    def statuses(path, method):
        return {int(code) for code in document["paths"][path][method]["responses"]}

    assert 409 in statuses("/rooms/", "post")
    assert 409 in statuses("/friendships/send-request", "post")
    assert 409 in statuses("/users/{user_id}", "put")
    assert 503 in statuses("/favorites/me", "post")
    assert 503 in statuses("/auth/ws-ticket", "post")
    assert {201, 503} <= statuses("/auth/ws-ticket", "post")
    assert 404 in statuses("/rooms/by-name", "get")


def test_paging_parameters_state_their_lower_bounds(document):
    parameters = {p["name"]: p["schema"] for p in document["paths"]["/rooms/"]["get"]["parameters"]}
    assert parameters["limit"]["minimum"] == 1
    assert parameters["offset"]["minimum"] == 0


def test_a_track_without_cover_art_has_a_generated_cover(api, contract):
    track = TrackFactory(image_url="")
    path = f"/track/{track.spotify_id}"

    response = api.get(path)

    assert response.status_code == 200
    assert response.json()["image_url"].startswith("http://testserver/covers/v1/album/")
    conforms(contract, path, "GET", response)


def test_chat_messages_carry_absolute_avatar_urls(public_room, people, as_user, contract):
    member = people["member"]
    member.avatar.name = "avatars/member.webp"
    member.save(update_fields=["avatar"])
    path = f"/chat/{public_room.pk}"

    sent = as_user(member).post(path, {"text": "hello"}, format="json")
    history = as_user(member).get(f"{path}?limit=10")

    assert sent.status_code == 201
    assert sent.json()["user"]["avatar_url"] == "http://testserver/media/avatars/member.webp"
    assert history.json()[0]["user"]["avatar_url"] == "http://testserver/media/avatars/member.webp"
    conforms(contract, path, "POST", sent)
    conforms(contract, f"{path}?limit=10", "GET", history)


def test_a_profile_update_answers_an_absolute_avatar_url(alice, as_user, contract):
    alice.avatar.name = "avatars/alice.webp"
    alice.save(update_fields=["avatar"])
    path = f"/users/{alice.pk}"

    response = as_user(alice).put(path, {"bio": "Modal jazz"}, format="json")

    assert response.status_code == 200
    assert response.json()["avatar_url"] == "http://testserver/media/avatars/alice.webp"
    conforms(contract, path, "PUT", response)


def test_someone_elses_profile_has_no_email_and_matches_the_schema(alice, bob, as_user, contract):
    path = f"/users/{bob.pk}"

    response = as_user(alice).get(path)

    assert response.status_code == 200
    assert "email" not in response.json()
    assert "email_notifications" not in response.json()
    conforms(contract, path, "GET", response)


def test_own_profile_carries_the_email(alice, as_user, contract):
    response = as_user(alice).get("/users/me")

    assert response.json()["email"] == "alice@example.com"
    conforms(contract, "/users/me", "GET", response)


def test_error_answers_match_the_schema(alice, as_user, api, contract):
    cases = [
        (api, "GET", "/rooms/by-name?name=nowhere"),  # 404, once undocumented
        (api, "GET", "/users/me"),  # 401
        (as_user(alice), "GET", "/rooms/?limit=0"),  # 400 with field errors
        (as_user(alice), "GET", "/rooms/00000000-0000-0000-0000-000000000000"),  # 404
    ]
    for client, method, path in cases:
        response = getattr(client, method.lower())(path)
        assert response.status_code >= 400
        conforms(contract, path, method, response)


def test_a_list_items_error_names_its_own_code(alice, as_user, contract):
    # A list item's errors nest ({"genres": {"0": [...]}}); `code` used to be their repr.
    response = as_user(alice).post("/rooms/", {"name": "Loud Room", "genres": ["x" * 51]}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "max_length"
    assert body["detail"].startswith("genres: ")
    assert body["errors"] == {"genres": {"0": ["Ensure this field has no more than 50 characters."]}}
    conforms(contract, "/rooms/", "POST", response)


def test_a_room_body_refuses_unknown_fields_as_the_schema_says(alice, as_user, document):
    body_schema = document["components"]["schemas"]["RoomWriteRequest"]
    assert body_schema["additionalProperties"] is False
    assert "id" in body_schema["properties"]  # echoed back from a GET: ignored, not refused

    refused = as_user(alice).post("/rooms/", {"name": "Typo Room", "is_privat": True}, format="json")
    echoed = as_user(alice).post("/rooms/", {"name": "Echo Room", "id": "whatever"}, format="json")

    assert refused.status_code == 400
    assert echoed.status_code == 201
