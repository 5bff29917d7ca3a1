"""The precompute's self-tuning: the split it holds out, the candidate it picks, what it records."""

from io import StringIO

import numpy as np
import pytest
import scipy.sparse as sp
from django.core.management import call_command

from accounts.tests.factories import UserFactory
from recommendations import engine, evaluation, services
from recommendations.models import ModelBuild
from recommendations.tests.conftest import listen


def test_it_holds_out_each_listeners_most_recent_items():
    plays = sp.csr_matrix(np.ones((3, 10), dtype=np.float32))
    # Item j was last heard j days ago: the two most recent are items 0 and 1.
    age = sp.csr_matrix(np.tile(np.arange(10, dtype=np.float64) + 1e-6, (3, 1)))
    split = evaluation.split_recent(plays, age, fraction=0.2, min_items=5)
    assert split.test_users.tolist() == [0, 1, 2]
    for user in range(3):
        assert sorted(split.test[user].indices.tolist()) == [0, 1]
        assert 0 not in split.train[user].indices


def test_it_holds_out_at_random_when_all_times_are_equal():
    plays = sp.csr_matrix(np.ones((40, 10), dtype=np.float32))
    age = sp.csr_matrix(np.full((40, 10), 1e-6))  # as after an import that carried no times
    split = evaluation.split_recent(plays, age, fraction=0.2, min_items=5, seed=1)
    held = np.bincount(split.test.indices, minlength=10)
    assert split.test.nnz == 80
    assert (held > 0).sum() >= 8  # spread over the items, not always the first ones


def test_it_tests_only_listeners_with_enough_items_and_samples_them():
    plays = sp.csr_matrix(np.ones((30, 10), dtype=np.float32))
    plays[:10, 3:] = 0
    plays.eliminate_zeros()
    age = plays.copy()
    split = evaluation.split_recent(plays, age, min_items=5, max_test_users=5)
    assert split.test_users.size == 5 and split.test_users.min() >= 10


def planted(users=300, clusters=6, per_cluster=20, seed=0):
    """Listeners of one cluster each; a catalogue of two strict hit tracks everyone plays.

    Co-listening within a cluster is the signal; the two hits that everyone plays make a
    popularity-heavy model (one favouring neighbours with many listeners) lose.
    """
    rng = np.random.default_rng(seed)
    n_items = clusters * per_cluster
    rows, cols = [], []
    for user in range(users):
        cluster = user % clusters
        picks = rng.choice(per_cluster, size=10, replace=False) + cluster * per_cluster
        rows += [user] * picks.size
        cols += picks.tolist()
    plays = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(users, n_items))
    age = plays.copy()
    age.data = rng.random(age.nnz) * 100 + 1e-6
    return plays, age


def test_the_tuning_picks_the_clearly_better_candidate():
    plays, age = planted()
    # A model that links each item to unrelated ones (neighbours one cluster away) is clearly worse.
    good = engine.Candidate("cosine k=50", "item", engine.cosine_params(50))
    bad = engine.Candidate("rp3beta beta=5", "rp3beta", engine.RP3betaParams(alpha=1.0, beta=5.0, neighbors=3))
    tuned = evaluation.tune(plays, age, None, candidates=[bad, good])
    assert tuned.candidate.name == "cosine k=50"
    record = tuned.record
    assert record["status"] == "tuned"
    assert record["chosen"]["name"] == "cosine k=50"
    assert record["data"] == {
        "users": 300,
        "items": 120,
        "interactions": 3000,
        "held_out_users": 300,
        "held_out_items": 600,
    }
    names = [row["name"] for row in record["candidates"]]
    assert names[:2] == ["rp3beta beta=5", "cosine k=50"]
    rows = {row["name"]: row for row in record["candidates"] if row["blend"] == "default"}
    assert rows["cosine k=50"]["ndcg"] > rows["rp3beta beta=5"]["ndcg"]
    for row in record["candidates"]:
        assert set(row) >= {"name", "params", "blend", "ndcg", "recall", "coverage", "seconds"}
    assert "cosine k=50" in evaluation.format_tuning(record)


def test_the_tuning_stops_starting_candidates_past_its_time_budget():
    plays, age = planted()
    ticks = iter(range(0, 1000, 50))  # each look at the clock: 50 s later
    candidates = evaluation.tuning_candidates()[:3]
    settings = evaluation.TuningSettings(seconds=60)
    tuned = evaluation.tune(plays, age, None, candidates=candidates, settings=settings, clock=lambda: next(ticks))
    tried = {row["name"] for row in tuned.record["candidates"]}
    assert "tunewave" in tried  # the first always runs: the fallback is measured
    assert tuned.record["skipped"]
    assert len(tried) < 3


def test_the_tuning_keeps_the_defaults_with_too_little_data():
    plays, age = planted(users=30)
    tuned = evaluation.tune(plays, age, None)
    assert tuned.candidate.name == "tunewave"
    assert tuned.record["status"] == "skipped"
    assert "30 listeners" in tuned.record["reason"]
    assert "Tuning skipped" in evaluation.format_tuning(tuned.record)


@pytest.mark.django_db
def test_the_precompute_records_its_tuning_and_the_admin_and_evaluate_show_it(catalog, admin_client, monkeypatch):
    for i in range(6):
        fan = UserFactory(username=f"fan{i}")
        for day, track in enumerate(catalog["jazz"]):
            listen(fan, track, days_ago=day + 1)
    monkeypatch.setattr(services, "TUNING", evaluation.TuningSettings(min_listeners=3))
    build = services.recommendations_recompute()
    tuning = build.figures["tuning"]
    assert tuning["status"] == "tuned"
    assert tuning["data"]["users"] == 6 and tuning["data"]["held_out_users"] == 6
    assert tuning["chosen"]["name"] == build.figures["item_model"]["name"]
    assert {row["name"] for row in tuning["candidates"]} >= {"tunewave", "cosine k=100"}
    page = admin_client.get(f"/admin/recommendations/modelbuild/{build.pk}/change/")
    assert b"NDCG@10" in page.content and b"Chosen:" in page.content
    out = StringIO()
    call_command("evaluate_recommendations", "--last-build", stdout=out)
    assert "Chosen: " in out.getvalue()
    assert ModelBuild.objects.get().figures["tuning"] == tuning


@pytest.mark.django_db
def test_a_small_deployment_keeps_todays_model_and_says_why(catalog):
    fan = UserFactory(username="fan")
    for track in catalog["jazz"]:
        listen(fan, track)
    build = services.recommendations_recompute()
    assert build.figures["tuning"]["status"] == "skipped"
    assert build.figures["item_model"]["name"] == "tunewave"


def test_item_models_leave_the_end_of_the_budget_to_the_blends():
    plays, age = planted()
    clock = iter(range(0, 1000, 20))  # each look at the clock: 20 s later
    candidates = evaluation.tuning_candidates()[:5]
    settings = evaluation.TuningSettings(seconds=100, blend_share=0.25)

    tuned = evaluation.tune(plays, age, None, candidates=candidates, settings=settings, clock=lambda: next(clock))

    rows = tuned.record["candidates"]
    models = [row["name"] for row in rows if row["blend"] == "default"]
    blends = [row["blend"] for row in rows if row["blend"] != "default"]
    assert len(models) == 4  # the fifth item model would start at 80 s, past 75 s...
    assert blends  # ...so blends were still tried before 100 s
    assert all(row["name"] == tuned.candidate.name for row in rows if row["blend"] != "default")


def test_blends_get_their_share_even_when_the_first_model_overran_the_budget():
    plays, age = planted()
    blends = evaluation.tuning_blends(engine.BlendParams())
    settings = evaluation.TuningSettings(seconds=60, blend_share=0.25)

    def tune_with(times):
        clock = iter(times)
        return evaluation.tune(
            plays,
            age,
            None,
            candidates=evaluation.tuning_candidates()[:1],
            blends=blends,
            settings=settings,
            clock=lambda: next(clock),
        )

    # The first item model takes 90 s of a 60 s budget; blends then have 15 s of their own.
    tuned = tune_with([0, 90, 100, 130])
    assert [row["blend"] for row in tuned.record["candidates"]] == [name for name, _ in blends]
    assert not tuned.record["skipped"]
    # Past even that (here: the clock jumps), none is tried and the default blend stays.
    late = tune_with([0, 90, 106, 130])
    assert [row["blend"] for row in late.record["candidates"]] == ["default"]
    assert late.record["skipped"] == [f"tunewave / {name}" for name, _ in blends[1:]]
    assert late.blend == engine.BlendParams()


def test_blends_scored_together_score_as_each_would_alone():
    plays, age = planted()
    blends = evaluation.tuning_blends(engine.BlendParams())
    candidate = evaluation.tuning_candidates()[0]
    together = evaluation.tune(plays, age, None, candidates=[candidate], blends=blends).record["candidates"]
    for name, params in blends[1:]:
        alone = evaluation.tune(plays, age, None, candidates=[candidate], blends=[(name, params)])
        (row,) = [row for row in together if row["blend"] == name]
        assert row["ndcg"] == alone.record["candidates"][0]["ndcg"], name
