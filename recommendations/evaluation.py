"""Offline evaluation: hold out part of each user's tracks, train on the rest, and see how
many held-out tracks each system puts in its top k.

The interactions come from the many-user CSV of `import_listening_history`. TuneWave's
system is trained with `engine.build_item_model` and scored with `engine.seed_weights` and
`engine.score_items`, the functions the hourly precompute and the endpoints use; only the
source of the rows differs. Two baselines are computed in the same run on the same split:
popularity (most listeners first) and plain item-to-item cosine.

Metrics, averaged over test users: Recall@k = hits / min(k, held-out), NDCG@k with binary
relevance (ideal DCG over min(k, held-out) hits), and catalog coverage = distinct tracks
recommended to anyone / tracks in the training data.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from music.importers import CsvHistoryReader, HistoryRow
from recommendations import engine


@dataclass
class Interactions:
    plays: sp.csr_matrix  # users x items, summed plays
    age_days: sp.csr_matrix  # users x items, days from the item's last play to the newest play in the file
    catalog: engine.Catalog
    item_names: list[str]
    genre_names: list[str]
    bad_rows: int = 0


@dataclass
class Split:
    train: sp.csr_matrix
    train_age: sp.csr_matrix
    test: sp.csr_matrix  # held-out items (1.0) per user
    test_users: np.ndarray


@dataclass
class Result:
    name: str
    recall: float
    ndcg: float
    coverage: float
    seconds: float
    extra: dict = field(default_factory=dict)


def load_csv(path, *, on_progress: Callable[[float], None] | None = None) -> Interactions:
    """Reads the import CSV (same parser as the importer); items are track ids, else name + artist."""
    reader = CsvHistoryReader(path)
    users: dict[str, int] = {}
    items: dict = {}
    genres: dict[str, int] = {}
    artists: dict[str, int] = {}
    item_names: list[str] = []
    item_genre_pairs: list[tuple[int, int]] = []
    item_artist_pairs: list[tuple[int, int]] = []
    u_idx, i_idx, plays, stamps = [], [], [], []
    bad = 0
    for count, row in enumerate(reader):
        if not isinstance(row, HistoryRow):
            bad += 1
            continue
        key = row.track_id or row.name_key
        item = items.get(key)
        if item is None:
            item = items[key] = len(items)
            item_names.append(row.name or row.track_id)
            for name in row.genres:
                item_genre_pairs.append((item, genres.setdefault(name, len(genres))))
            for name in row.artists:
                item_artist_pairs.append((item, artists.setdefault(name.lower(), len(artists))))
        u_idx.append(users.setdefault(row.user, len(users)))
        i_idx.append(item)
        plays.append(row.plays)
        stamps.append(row.listened_at.timestamp())
        if on_progress is not None and count % 100_000 == 0:
            on_progress(reader.fraction)
    shape = (len(users), len(items))
    u = np.asarray(u_idx, dtype=np.int64)
    i = np.asarray(i_idx, dtype=np.int64)
    stamp = np.asarray(stamps, dtype=np.float64)
    X = sp.csr_matrix((np.asarray(plays, dtype=np.float32), (u, i)), shape=shape)
    X.sum_duplicates()
    # The newest play of each (user, item): sort by pair then time, keep each pair's last.
    order = np.lexsort((stamp, i, u))
    pair = u[order] * shape[1] + i[order]
    last = np.r_[pair[1:] != pair[:-1], True]
    newest = stamp.max(initial=0.0)
    age = sp.csr_matrix(((newest - stamp[order][last]) / 86400.0 + 1e-6, (u[order][last], i[order][last])), shape=shape)
    age.sort_indices()
    X.sort_indices()

    def binary(pairs, width):
        arr = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        m = sp.csr_matrix((np.ones(len(arr), np.float32), (arr[:, 0], arr[:, 1])), shape=(shape[1], max(width, 1)))
        m.data[:] = 1.0
        return m

    catalog = engine.Catalog(
        genres=binary(item_genre_pairs, len(genres)), artists=binary(item_artist_pairs, len(artists))
    )
    return Interactions(
        plays=X,
        age_days=age,
        catalog=catalog,
        item_names=item_names,
        genre_names=list(genres),
        bad_rows=bad,
    )


def split(
    data: Interactions, *, seed: int = 0, fraction: float = 0.2, min_items: int = 5, max_test_users: int = 0
) -> Split:
    """Holds out a random `fraction` (at least one) of the items of each user with >= min_items.

    With `max_test_users`, only that many of them (a random sample) are held out and tested;
    the others train with all their items.
    """
    X = data.plays
    rng = np.random.default_rng(seed)
    lengths = np.diff(X.indptr)
    rows = np.repeat(np.arange(X.shape[0]), lengths)
    order = np.lexsort((rng.random(X.nnz), rows))
    rank = np.empty(X.nnz, dtype=np.int64)
    rank[order] = np.arange(X.nnz) - np.repeat(X.indptr[:-1], lengths)
    held = np.where(lengths >= min_items, np.maximum(1, np.round(lengths * fraction)), 0).astype(np.int64)
    eligible = np.flatnonzero(held > 0)
    if max_test_users and eligible.size > max_test_users:
        untested = np.setdiff1d(eligible, rng.choice(eligible, size=max_test_users, replace=False))
        held[untested] = 0
    is_test = rank < held[rows]
    keep = ~is_test

    def part(M, mask):
        return sp.csr_matrix((M.data[mask], (rows[mask], M.indices[mask])), shape=M.shape)

    age = data.age_days
    test = part(X, is_test)
    test.data[:] = 1.0
    return Split(
        train=part(X, keep),
        train_age=part(age, keep),
        test=test,
        test_users=np.flatnonzero(held > 0),
    )


def _metrics(recommended: np.ndarray, users: np.ndarray, test: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-user recall and NDCG for `recommended` (len(users) x k item indexes, best first)."""
    n_items = test.shape[1]
    test_rows = test[users]
    truth = np.repeat(np.arange(users.size), np.diff(test_rows.indptr)) * n_items + test_rows.indices
    keys = np.arange(users.size)[:, None] * n_items + recommended
    hits = np.isin(keys, truth)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    relevant = np.minimum(np.diff(test_rows.indptr), k)
    ideal = np.cumsum(discounts)[np.maximum(relevant, 1) - 1]
    dcg = (hits * discounts[: recommended.shape[1]]).sum(axis=1)
    return hits.sum(axis=1) / np.maximum(relevant, 1), dcg / ideal


def evaluate_system(
    name: str,
    score_batch: Callable[[np.ndarray], np.ndarray],
    data_split: Split,
    *,
    k: int = 10,
    batch: int | None = None,
    started: float | None = None,
) -> Result:
    """Runs `score_batch(users) -> users x items scores` over the test users in batches.

    Scores are dense (users x every item): a batch holds about 20 million of them, so a
    catalogue of a million tracks is scored 20 users at a time.
    """
    started = time.perf_counter() if started is None else started
    train, test, users = data_split.train, data_split.test, data_split.test_users
    batch = batch or max(1, min(256, 20_000_000 // max(train.shape[1], 1)))
    recalls, ndcgs = [], []
    seen = np.zeros(train.shape[1], dtype=bool)
    for start in range(0, users.size, batch):
        chunk = users[start : start + batch]
        scores = np.asarray(score_batch(chunk), dtype=np.float32)
        rows = train[chunk]
        scores[np.repeat(np.arange(chunk.size), np.diff(rows.indptr)), rows.indices] = -np.inf
        best = engine.topk_dense(scores, k)
        # A -inf "recommendation" (fewer than k candidates) recommends nothing.
        valid = np.take_along_axis(scores, best, axis=1) > -np.inf
        best = np.where(valid, best, -1)
        seen[best[valid]] = True
        recall, ndcg = _metrics(best, chunk, test, k)
        recalls.append(recall)
        ndcgs.append(ndcg)
    catalog_size = max(1, int((np.diff(train.tocsc().indptr) > 0).sum()))
    return Result(
        name=name,
        recall=float(np.concatenate(recalls).mean()) if recalls else 0.0,
        ndcg=float(np.concatenate(ndcgs).mean()) if ndcgs else 0.0,
        coverage=float(seen.sum()) / catalog_size,
        seconds=time.perf_counter() - started,
    )


def seeds_from_split(data_split: Split, params: engine.SeedParams | None = None) -> sp.csr_matrix:
    """Each user's training items weighted as production weighs a user's history."""
    train, age = data_split.train, data_split.train_age
    params = params or engine.SeedParams()
    seeds = train.copy()
    seeds.data = engine.seed_weights(train.data, age.data, params).astype(np.float32)
    return engine.topk_per_row(seeds, params.max_seeds)


def popularity_system(data_split: Split, k: int) -> Result:
    started = time.perf_counter()
    listeners = np.bincount(data_split.train.indices, minlength=data_split.train.shape[1]).astype(np.float32)
    return evaluate_system(
        "popularity", lambda users: np.tile(listeners, (users.size, 1)), data_split, k=k, started=started
    )


def cosine_system(data_split: Split, k: int, neighbors: int = 100) -> Result:
    started = time.perf_counter()
    model = engine.plain_cosine_model(data_split.train, neighbors=neighbors)
    binary = data_split.train.copy()
    binary.data[:] = 1.0
    return evaluate_system(
        "item cosine", lambda users: (binary[users] @ model.neighbors).toarray(), data_split, k=k, started=started
    )


def tunewave_system(
    data: Interactions,
    data_split: Split,
    k: int,
    *,
    model_params: engine.ItemModelParams | None = None,
    blend_params: engine.BlendParams | None = None,
    seed_params: engine.SeedParams | None = None,
    name: str = "TuneWave",
) -> Result:
    started = time.perf_counter()
    model = engine.build_item_model(data_split.train, model_params)
    popularity = engine.popularity_score(model.listeners)
    seeds = seeds_from_split(data_split, seed_params)

    def score(users):
        scores, _ = engine.score_items(
            seeds[users], model.neighbors, popularity, data.catalog, blend_params=blend_params
        )
        return scores

    result = evaluate_system(name, score, data_split, k=k, started=started)
    result.extra = model.stats
    return result


def format_table(results: list[Result], k: int, baseline: str = "popularity") -> str:
    base = next((r for r in results if r.name == baseline), None)
    lines = [f"{'system':<14} {f'Recall@{k}':>10} {f'NDCG@{k}':>9} {'coverage':>9} {'vs pop':>7} {'seconds':>8}"]
    for r in results:
        ratio = r.ndcg / base.ndcg if base and base.ndcg > 0 else math.nan
        lines.append(
            f"{r.name:<14} {r.recall:>10.4f} {r.ndcg:>9.4f} {r.coverage:>9.3f} {ratio:>6.2f}x {r.seconds:>8.1f}"
        )
    return "\n".join(lines)
