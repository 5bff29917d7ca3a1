"""The learned parts as pure functions: small matrices whose answers can be checked by hand."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations import engine


def test_topk_per_row_keeps_the_k_best_of_each_row_best_first():
    rng = np.random.default_rng(0)
    dense = rng.random((40, 30)) * (rng.random((40, 30)) < 0.4)
    top = engine.topk_per_row(sp.csr_matrix(dense), 5)
    for row in range(40):
        values = top.data[top.indptr[row] : top.indptr[row + 1]]
        expected = np.sort(dense[row][dense[row] > 0])[::-1][:5]
        assert np.allclose(values, expected)


def test_topk_dense_orders_best_first_and_never_picks_minus_infinity_first():
    scores = np.array([[0.1, 0.9, -np.inf, 0.5], [-np.inf, -np.inf, 0.2, 0.3]])
    assert engine.topk_dense(scores, 2).tolist() == [[1, 3], [3, 2]]


def test_the_item_model_pairs_tracks_that_share_listeners():
    # Users 0-2 play tracks 0 and 1; users 3-5 play tracks 2 and 3; user 6 plays 1 and 2 once.
    rows = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]
    cols = [0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 1, 2]
    X = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(7, 4))
    model = engine.build_item_model(X, engine.ItemModelParams(shrink=0.0, neighbors=2))
    best = {i: model.neighbors[i].indices[np.argmax(model.neighbors[i].data)] for i in range(4)}
    assert best == {0: 1, 1: 0, 2: 3, 3: 2}
    assert model.neighbors[0, 0] == 0  # never its own neighbour
    assert model.listeners.tolist() == [3, 4, 4, 3]


def test_blocks_give_the_same_model_as_one_product():
    rng = np.random.default_rng(1)
    X = sp.random(200, 120, density=0.05, random_state=2, format="csr") * 5
    X.data = np.ceil(X.data)
    one = engine.build_item_model(X, engine.ItemModelParams(block_nnz=10**9))
    many = engine.build_item_model(X, engine.ItemModelParams(block_nnz=50))
    assert many.stats["blocks"] > 1
    assert np.allclose(one.neighbors.toarray(), many.neighbors.toarray(), atol=1e-6)
    del rng


def test_user_neighbors_are_the_most_similar_other_users():
    rng = np.random.default_rng(3)
    F = engine.normalize_rows(rng.standard_normal((300, 8)).astype(np.float32))
    got = engine.user_neighbors(F, k=10, block=64, min_similarity=-1.0)
    sims = F @ F.T
    np.fill_diagonal(sims, -np.inf)
    for user in range(0, 300, 17):
        assert set(got[user].indices) == set(np.argsort(-sims[user])[:10])


def test_seed_weights_favour_more_and_recent_plays():
    w = engine.seed_weights(np.array([1, 10, 10]), np.array([0.0, 0.0, 365.0]))
    assert w[1] > w[0]
    assert w[1] > w[2] > 0


@pytest.mark.parametrize("candidates", [None, np.array([1, 3])])
def test_score_items_scores_candidates_like_all_items(candidates):
    neighbors = sp.csr_matrix(np.array([[0, 0.9, 0.1, 0], [0.9, 0, 0, 0.2], [0.1, 0, 0, 0.8], [0, 0.2, 0.8, 0]]))
    seeds = sp.csr_matrix(np.array([[1.0, 0, 0, 0]]))
    popularity = np.array([1.0, 0.5, 0.2, 0.1], dtype=np.float32)
    scores, parts = engine.score_items(seeds, neighbors, popularity, None, candidates)
    full, _ = engine.score_items(seeds, neighbors, popularity, None, None)
    picked = full[:, candidates] if candidates is not None else full
    assert np.allclose(scores, picked)
    assert parts["cf"].shape == scores.shape
