"""The blend the precompute's tuning chooses is the one track ranking serves."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.tests.factories import UserFactory
from recommendations import engine, evaluation, served, services
from recommendations.models import ModelBuild
from recommendations.tests.conftest import listen

pytestmark = pytest.mark.django_db

# Listener counts alone: what a blend that ignores co-listening, genres and artists ranks by.
POPULAR_ONLY = engine.BlendParams(cf=0.0, genre=0.0, artist=0.0, popularity=1.0)
CF_ONLY = engine.BlendParams(genre=0.0, artist=0.0, popularity=0.0)


def names(response) -> list[str]:
    return [item["track"]["name"] for item in response.json()]


@pytest.fixture
def crowd(catalog):
    """Six listeners of Miles Davis and two of Bill Evans's tracks, four metalheads, and Alice,
    who plays three jazz and two bebop tracks (enough history to be past cold start)."""
    jazz, metal, bebop = catalog["jazz"], catalog["metal"], catalog["bebop"]
    for i in range(6):
        fan = UserFactory(username=f"fan{i}")
        for day, track in enumerate(jazz[:6]):
            listen(fan, track, plays=2, days_ago=day + 1)
    for i in range(4):
        head = UserFactory(username=f"head{i}")
        for day, track in enumerate(metal):
            listen(head, track, days_ago=day + 1)
    alice = UserFactory(username="alice")
    for track in [*jazz[:3], *bebop[:2]]:
        listen(alice, track, days_ago=3)
    return alice


def recompute_choosing(monkeypatch, blend: engine.BlendParams, name: str) -> ModelBuild:
    """A precompute whose tuning has one blend to try, so it chooses that one."""
    monkeypatch.setattr(services, "TUNING", evaluation.TuningSettings(min_listeners=3, min_items=5))
    monkeypatch.setattr(services, "TUNING_BLENDS", [(name, blend)])
    return services.recommendations_recompute()


def test_by_default_a_jazz_listener_gets_jazz_before_metal(crowd, as_user):
    services.recommendations_recompute()
    shown = names(as_user(crowd).get("/recommendations/tracks?limit=20"))
    assert shown.index("Jazz 6") < shown.index("Metal 0")


def test_the_blend_the_tuning_chose_is_the_one_served(crowd, as_user, monkeypatch):
    build = recompute_choosing(monkeypatch, POPULAR_ONLY, "popular only")
    assert build.figures["tuning"]["chosen"]["blend"] == "popular only"
    assert build.figures["tuning"]["chosen"]["blend_params"]["cf"] == 0.0

    shown = names(as_user(crowd).get("/recommendations/tracks?limit=20"))

    # Unheard Bill Evans tracks fit Alice's jazz but nobody plays them; the metal is played.
    assert shown.index("Metal 0") < shown.index("Jazz 6")
    assert shown.index("Metal 0") < shown.index("Bebop 2")
    out = StringIO()
    call_command("evaluate_recommendations", "--last-build", stdout=out)
    assert "with the popular only blend (cf 0, genre 0, artist 0, popularity 1" in out.getvalue()


def test_a_new_build_is_served_at_once_in_the_process_that_made_it(
    crowd, as_user, monkeypatch, django_capture_on_commit_callbacks
):
    services.recommendations_recompute()
    assert names(as_user(crowd).get("/recommendations/tracks?limit=20")).index("Jazz 6") < 12
    assert served.blend() == served.DEFAULT_BLEND

    with django_capture_on_commit_callbacks(execute=True):  # the job's model_changed()
        recompute_choosing(monkeypatch, POPULAR_ONLY, "popular only")

    assert served.blend() == POPULAR_ONLY
    shown = names(as_user(crowd).get("/recommendations/tracks?limit=20"))
    assert shown.index("Metal 0") < shown.index("Jazz 6")


def test_a_cold_listener_gets_their_favorite_genres_whatever_blend_was_chosen(crowd, as_user, monkeypatch):
    build = recompute_choosing(monkeypatch, CF_ONLY, "cf only")
    assert served.blend_of(build.figures) == CF_ONLY
    newcomer = UserFactory(username="newcomer", favorite_genres=["metal"])

    response = as_user(newcomer).get("/recommendations/tracks?limit=8")

    assert [name[:5] for name in names(response)] == ["Metal"] * 8
    assert "Metal, one of your favorite genres" in response.json()[0]["reasons"]


@pytest.mark.parametrize(
    "figures",
    [
        None,
        {},
        {"tuning": {"status": "skipped", "chosen": {"name": "tunewave", "blend": "default"}}},
        {"tuning": {"chosen": {"blend_params": {"cf": "lots"}}}},
        {"tuning": {"chosen": {"blend_params": {"cf": -1.0}}}},
        {"tuning": {"chosen": {"blend_params": {"cf": float("nan")}}}},
        {"tuning": {"chosen": {"blend_params": [1, 2]}}},
    ],
)
def test_a_build_without_a_usable_blend_serves_the_defaults(figures):
    assert served.blend_of(figures) == served.DEFAULT_BLEND


def test_a_recorded_blend_is_read_back_whole():
    blend = engine.BlendParams(cf=0.7, genre=0.1, artist=0.5, popularity=0.0, known=0.3)
    figures = {"tuning": {"chosen": {"blend_params": {**blend.__dict__, "unknown": 2}}}}
    assert served.blend_of(figures) == blend
