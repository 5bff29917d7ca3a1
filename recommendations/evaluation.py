"""Offline evaluation: hold out part of each user's tracks, train on the rest, and see how
many held-out tracks each system puts in its top k.

The interactions come from the many-user CSV of `import_listening_history`. TuneWave's
system is trained with `engine.build_item_model` and scored with `engine.seed_weights` and
`engine.score_items`, the functions the hourly precompute and the endpoints use; only the
source of the rows differs. Baselines are computed in the same run on the same split:
popularity (most listeners first), plain item-to-item cosine, RP3beta, EASE (closed form, on
catalogues of at most `EASE_MAX_ITEMS` items) and ALS (the `implicit` library).

`tune` is the precompute's self-tuning: it holds out each listener's most recent items, scores
each candidate item model and a few blends with the same metrics, and says which won.

Metrics, averaged over test users: Recall@k = hits / min(k, held-out), NDCG@k with binary
relevance (ideal DCG over min(k, held-out) hits), and catalog coverage = distinct tracks
recommended to anyone / tracks in the training data.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits

from music.importers import CsvHistoryReader, HistoryRow
from recommendations import engine

# EASE inverts a dense items x items matrix: 20,000 items take 3.2 GB and minutes; beyond, it is skipped.
EASE_MAX_ITEMS = 20_000
# Threads for ALS (implicit's own pool; BLAS stays at one): the machine is shared with requests.
ALS_THREADS = 2


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
    return _hold_out(
        X,
        data.age_days,
        np.zeros(X.nnz),
        seed=seed,
        fraction=fraction,
        min_items=min_items,
        max_test_users=max_test_users,
    )


def split_recent(
    plays: sp.csr_matrix,
    age_days: sp.csr_matrix,
    *,
    seed: int = 0,
    fraction: float = 0.2,
    min_items: int = 5,
    max_test_users: int = 0,
) -> Split:
    """Holds out each user's most recent `fraction` of items (smallest age first), as `split` does.

    Ties are broken at random, so where a user's items all have the same age (an import that
    carried no times) the split is a random one. `age_days` has the sparsity of `plays`.
    """
    plays, age_days = sp.csr_matrix(plays), sp.csr_matrix(age_days)
    plays.sort_indices()
    age_days.sort_indices()
    return _hold_out(
        plays,
        age_days,
        np.asarray(age_days.data, dtype=np.float64),
        seed=seed,
        fraction=fraction,
        min_items=min_items,
        max_test_users=max_test_users,
    )


def _hold_out(
    X: sp.csr_matrix,
    age: sp.csr_matrix,
    first: np.ndarray,
    *,
    seed: int,
    fraction: float,
    min_items: int,
    max_test_users: int,
) -> Split:
    """Holds out, per user, the entries that come first by `first` (ties at random)."""
    rng = np.random.default_rng(seed)
    lengths = np.diff(X.indptr)
    rows = np.repeat(np.arange(X.shape[0]), lengths)
    order = np.lexsort((rng.random(X.nnz), first, rows))
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
    return evaluate_systems([name], lambda users: [score_batch(users)], data_split, k=k, batch=batch, started=started)[
        0
    ]


def evaluate_systems(
    names: list[str],
    score_batch: Callable[[np.ndarray], Iterable[np.ndarray]],
    data_split: Split,
    *,
    k: int = 10,
    batch: int | None = None,
    started: float | None = None,
) -> list[Result]:
    """evaluate_system for several systems that share their costly work: `score_batch(users)`
    yields one users x items score matrix per name, in order (made one at a time, so only one
    is held with what they share). Each result's seconds are the shared total."""
    started = time.perf_counter() if started is None else started
    train, test, users = data_split.train, data_split.test, data_split.test_users
    batch = batch or max(1, min(256, 20_000_000 // max(train.shape[1], 1)))
    recalls: list[list[np.ndarray]] = [[] for _ in names]
    ndcgs: list[list[np.ndarray]] = [[] for _ in names]
    seen = np.zeros((len(names), train.shape[1]), dtype=bool)
    for start in range(0, users.size, batch):
        chunk = users[start : start + batch]
        rows = train[chunk]
        heard = (np.repeat(np.arange(chunk.size), np.diff(rows.indptr)), rows.indices)
        for system, scores in enumerate(score_batch(chunk)):
            scores = np.array(scores, dtype=np.float32, copy=True)
            scores[heard] = -np.inf
            best = engine.topk_dense(scores, k)
            # A -inf "recommendation" (fewer than k candidates) recommends nothing.
            valid = np.take_along_axis(scores, best, axis=1) > -np.inf
            best = np.where(valid, best, -1)
            seen[system, best[valid]] = True
            recall, ndcg = _metrics(best, chunk, test, k)
            recalls[system].append(recall)
            ndcgs[system].append(ndcg)
    catalog_size = max(1, int((np.diff(train.tocsc().indptr) > 0).sum()))
    seconds = time.perf_counter() - started
    return [
        Result(
            name=name,
            recall=float(np.concatenate(recalls[i]).mean()) if recalls[i] else 0.0,
            ndcg=float(np.concatenate(ndcgs[i]).mean()) if ndcgs[i] else 0.0,
            coverage=float(seen[i].sum()) / catalog_size,
            seconds=seconds,
        )
        for i, name in enumerate(names)
    ]


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
    candidate: engine.Candidate | None = None,
    blend_params: engine.BlendParams | None = None,
    seed_params: engine.SeedParams | None = None,
    name: str = "TuneWave",
) -> Result:
    """TuneWave as served: an item model (`candidate`, else build_item_model with `model_params`)
    blended with genre, artist and popularity parts, from production-weighted seeds."""
    started = time.perf_counter()
    if candidate is not None:
        model = candidate.build(data_split.train)
    else:
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


def _binary(M: sp.csr_matrix) -> sp.csr_matrix:
    B = sp.csr_matrix(M, dtype=np.float32, copy=True)
    B.data[:] = 1.0
    return B


def rp3beta_system(data_split: Split, k: int, params: engine.RP3betaParams | None = None) -> Result:
    started = time.perf_counter()
    params = params or engine.RP3betaParams()
    model = engine.rp3beta_model(data_split.train, params)
    binary = _binary(data_split.train)
    return evaluate_system(
        "RP3beta", lambda users: (binary[users] @ model.neighbors).toarray(), data_split, k=k, started=started
    )


def ease_system(data_split: Split, k: int, *, l2: float = 500.0, max_items: int = EASE_MAX_ITEMS) -> Result | None:
    """EASE (Steck 2019): B = I - P / diag(P), P = (X'X + l2 I)^-1, binary X. None past `max_items`."""
    n_items = data_split.train.shape[1]
    if n_items > max_items:
        return None
    started = time.perf_counter()
    binary = _binary(data_split.train)
    gram = (binary.T @ binary).toarray().astype(np.float64)
    gram[np.diag_indices(n_items)] += l2
    inverse = np.linalg.inv(gram)
    del gram
    weights = (inverse / -np.diag(inverse)).astype(np.float32)
    weights[np.diag_indices(n_items)] = 0.0
    del inverse
    return evaluate_system("EASE", lambda users: np.asarray(binary[users] @ weights), data_split, k=k, started=started)


def als_system(
    data_split: Split,
    k: int,
    *,
    factors: int = 64,
    alpha: float = 10.0,
    regularization: float = 0.01,
    iterations: int = 15,
    binary: bool = True,
    seed: int = 0,
) -> Result:
    """Implicit-feedback ALS (Hu, Koren, Volinsky 2008) from `implicit`, on CPU.

    Confidence 1 + alpha * r, with r = 1 for every play (binary) or log(1 + plays).
    """
    started = time.perf_counter()
    confidence = sp.csr_matrix(data_split.train, dtype=np.float32, copy=True)
    confidence.data = np.ones_like(confidence.data) if binary else np.log1p(confidence.data)
    # `implicit` multiplies by alpha itself; its own threads do the work, so BLAS gets one
    # (it checks that when the model is made).
    with threadpool_limits(limits=1, user_api="blas"):
        model = AlternatingLeastSquares(
            factors=factors,
            regularization=regularization,
            alpha=alpha,
            iterations=iterations,
            random_state=seed,
            num_threads=ALS_THREADS,
        )
        model.fit(confidence, show_progress=False)
    users_f = np.asarray(model.user_factors)
    items_f = np.asarray(model.item_factors)
    return evaluate_system("ALS", lambda users: users_f[users] @ items_f.T, data_split, k=k, started=started)


# --- Self-tuning ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TuningSettings:
    """Bounds of the precompute's self-tuning."""

    k: int = 10
    # Share of each listener's items held out (their most recent ones).
    fraction: float = 0.2
    # Listeners with fewer items are neither held out nor tested.
    min_items: int = 5
    # Fewer such listeners than this: no tuning, today's defaults.
    min_listeners: int = 50
    # Held-out listeners scored per candidate (a random sample beyond).
    max_test_users: int = 2000
    # Wall-clock budget: candidates not started by then are skipped (the best so far is kept).
    seconds: float = 60.0
    # The last share of it is kept for blends (each only rescoring the chosen model, no fit):
    # item models are not started past (1 - blend_share) x seconds, and blends get at least
    # blend_share x seconds after the item models, however long those took.
    blend_share: float = 0.25
    seed: int = 0


@dataclass
class Tuned:
    """What `tune` chose, and the record of how (JSON-ready, for ModelBuild.figures["tuning"])."""

    candidate: engine.Candidate
    blend: engine.BlendParams
    record: dict


def tuning_candidates() -> list[engine.Candidate]:
    """Today's item model first (the fallback), then the textbook ones, likeliest first: at scale
    the time budget is spent before the end of the list (about 20 s a candidate at 50,000
    listeners and 2 million events), so the order says what gets tried."""

    def rp3(a: float, b: float) -> engine.Candidate:
        return engine.Candidate(f"rp3beta a={a} b={b}", "rp3beta", engine.RP3betaParams(alpha=a, beta=b, neighbors=200))

    return [
        engine.Candidate("tunewave", "item", engine.ItemModelParams()),
        rp3(1.0, 0.3),
        rp3(0.5, 0.2),
        engine.Candidate("cosine k=200", "item", engine.cosine_params(200)),
        rp3(0.5, 0.3),
        rp3(1.0, 0.2),
        rp3(1.0, 0.5),
        rp3(0.5, 0.5),
        engine.Candidate("cosine k=100", "item", engine.cosine_params(100)),
    ]


def tuning_blends(base: engine.BlendParams) -> list[tuple[str, engine.BlendParams]]:
    """Blends tried on the best item model: as served today, co-listening alone, and two mixes."""
    return [
        ("default", base),
        ("cf only", replace(base, genre=0.0, artist=0.0, popularity=0.0)),
        ("light content", replace(base, genre=0.02, artist=0.1, popularity=0.0)),
        ("heavy content", replace(base, genre=0.1, artist=0.5)),
    ]


def _params_record(params) -> dict:
    return {key: value for key, value in asdict(params).items() if key != "block_nnz"}


def tune(
    plays: sp.csr_matrix,
    age_days: sp.csr_matrix,
    catalog: engine.Catalog | None,
    *,
    candidates: list[engine.Candidate] | None = None,
    base_blend: engine.BlendParams | None = None,
    blends: list[tuple[str, engine.BlendParams]] | None = None,
    seed_params: engine.SeedParams | None = None,
    settings: TuningSettings | None = None,
    clock: Callable[[], float] = time.perf_counter,
    progress: Callable[[float], None] | None = None,
) -> Tuned:
    """Picks the item model and blend that rank each listener's most recent items best.

    Each candidate is fitted on the rest of the data and scored with the default blend; then
    the other blends are tried on the winner. The best NDCG@k wins (the first candidate, today's
    model, on ties and when nothing could be tried). Past `settings.seconds` nothing new starts.
    """
    settings = settings or TuningSettings()
    candidates = candidates if candidates is not None else tuning_candidates()
    base_blend = base_blend or engine.BlendParams()
    # The first blend scores every candidate; the others are tried on the winner.
    blends = blends if blends is not None else tuning_blends(base_blend)
    started = clock()
    plays = sp.csr_matrix(plays)
    lengths = np.diff(plays.indptr)
    eligible = int((lengths >= settings.min_items).sum())
    record: dict = {
        "k": settings.k,
        "budget_seconds": settings.seconds,
        "data": {"users": int(plays.shape[0]), "items": int(plays.shape[1]), "interactions": int(plays.nnz)},
        "candidates": [],
        "skipped": [],
    }
    default = Tuned(candidates[0], base_blend, record)
    chosen_row = {"name": candidates[0].name, "blend": "default"}
    if eligible < settings.min_listeners:
        record["status"] = "skipped"
        record["reason"] = (
            f"{eligible} listeners with {settings.min_items} or more items; tuning needs {settings.min_listeners}"
        )
        record["chosen"] = chosen_row | {
            "params": _params_record(candidates[0].params),
            "blend_params": asdict(base_blend),
        }
        return default
    data_split = split_recent(
        plays,
        age_days,
        seed=settings.seed,
        fraction=settings.fraction,
        min_items=settings.min_items,
        max_test_users=settings.max_test_users,
    )
    record["data"]["held_out_users"] = int(data_split.test_users.size)
    record["data"]["held_out_items"] = int(data_split.test.nnz)
    seeds = seeds_from_split(data_split, seed_params)
    steps = len(candidates) + 1
    done = 0

    def run(
        candidate: engine.Candidate,
        model: engine.ItemModel,
        tried: list[tuple[str, engine.BlendParams]],
        fit_seconds: float,
    ) -> list[dict]:
        """Scores the model with each blend of `tried`; the parts are computed once for all."""
        popularity = engine.popularity_score(model.listeners)
        t0 = time.perf_counter()

        def score(users):
            _, parts = engine.score_items(seeds[users], model.neighbors, popularity, catalog)
            for _, blend_params in tried:
                yield engine.blend(parts["cf"], parts["genre"], parts["artist"], parts["popularity"], blend_params)

        results = evaluate_systems([name for name, _ in tried], score, data_split, k=settings.k, started=t0)
        rows = []
        for (blend_name, _), result in zip(tried, results, strict=True):
            rows.append(
                {
                    "name": candidate.name,
                    "kind": candidate.kind,
                    "params": _params_record(candidate.params),
                    "blend": blend_name,
                    "ndcg": round(result.ndcg, 5),
                    "recall": round(result.recall, 5),
                    "coverage": round(result.coverage, 4),
                    # The blends share one pass: each row shows the pass.
                    "seconds": round(fit_seconds + result.seconds, 2),
                }
            )
        record["candidates"].extend(rows)
        return rows

    best_ndcg, winner, winner_model = -1.0, candidates[0], None
    chosen_blend, chosen_params = blends[0]
    for index, candidate in enumerate(candidates):
        # The first candidate (today's model) always runs, so there is a measured fallback.
        if index and clock() - started > settings.seconds * (1.0 - settings.blend_share):
            record["skipped"].append(candidate.name)
            continue
        t0 = time.perf_counter()
        model = candidate.build(data_split.train)
        (row,) = run(candidate, model, [blends[0]], time.perf_counter() - t0)
        if row["ndcg"] > best_ndcg:
            best_ndcg, winner, winner_model = row["ndcg"], candidate, model
        done += 1
        if progress is not None:
            progress(done / steps)
    # The other blends, in one pass over the held-out listeners (the parts are shared), if there
    # is budget left, or at least their share of it after item models that overran it (the
    # first always runs): serving applies the blend chosen here.
    blend_deadline = max(started + settings.seconds, clock() + settings.seconds * settings.blend_share)
    others = blends[1:]
    if others and (winner_model is None or clock() > blend_deadline):
        record["skipped"].extend(f"{winner.name} / {blend_name}" for blend_name, _ in others)
    elif others and winner_model is not None:
        for row, (blend_name, blend_params) in zip(run(winner, winner_model, others, 0.0), others, strict=True):
            if row["ndcg"] > best_ndcg:
                best_ndcg, chosen_blend, chosen_params = row["ndcg"], blend_name, blend_params
        if progress is not None:
            progress(1.0)
    record["status"] = "tuned"
    record["seconds"] = round(clock() - started, 2)
    record["chosen"] = {
        "name": winner.name,
        "kind": winner.kind,
        "params": _params_record(winner.params),
        "blend": chosen_blend,
        "blend_params": asdict(chosen_params),
    }
    return Tuned(winner, chosen_params, record)


def format_tuning(record: dict) -> str:
    """The tuning record as a plain-text table (the admin and evaluate_recommendations show it)."""
    if not record:
        return "No tuning recorded."
    data = record.get("data", {})
    lines = [
        f"{data.get('users', 0):,} users, {data.get('items', 0):,} items, {data.get('interactions', 0):,} pairs"
        + (f", {data['held_out_users']:,} held-out users" if "held_out_users" in data else "")
    ]
    if record.get("status") == "skipped":
        lines.append(f"Tuning skipped: {record.get('reason', '')}; kept {record.get('chosen', {}).get('name', '?')}.")
        return "\n".join(lines)
    k = record.get("k", 10)
    lines.append(f"{'candidate':<24} {'blend':<14} {f'NDCG@{k}':>8} {f'Recall@{k}':>9} {'coverage':>8} {'seconds':>7}")
    chosen = record.get("chosen", {})
    for row in record.get("candidates", []):
        mark = " <- chosen" if (row["name"], row["blend"]) == (chosen.get("name"), chosen.get("blend")) else ""
        lines.append(
            f"{row['name']:<24} {row['blend']:<14} {row['ndcg']:>8.4f} {row['recall']:>9.4f} "
            f"{row['coverage']:>8.3f} {row['seconds']:>7.1f}{mark}"
        )
    if record.get("skipped"):
        lines.append(f"Not tried (past the {record.get('budget_seconds')} s budget): {', '.join(record['skipped'])}")
    weights = chosen.get("blend_params") or {}
    # In the blend's own order: a JSONB column gives the keys back in another.
    order = [f.name for f in fields(engine.BlendParams)]
    shown = ", ".join(f"{name} {weights[name]:g}" for name in order if isinstance(weights.get(name), int | float))
    lines.append(
        f"Chosen: {chosen.get('name')} with the {chosen.get('blend')} blend" + (f" ({shown})." if shown else ".")
    )
    return "\n".join(lines)


def format_table(results: list[Result], k: int, baseline: str = "popularity") -> str:
    base = next((r for r in results if r.name == baseline), None)
    lines = [f"{'system':<16} {f'Recall@{k}':>10} {f'NDCG@{k}':>9} {'coverage':>9} {'vs pop':>7} {'seconds':>8}"]
    for r in results:
        ratio = r.ndcg / base.ndcg if base and base.ndcg > 0 else math.nan
        lines.append(
            f"{r.name:<16} {r.recall:>10.4f} {r.ndcg:>9.4f} {r.coverage:>9.3f} {ratio:>6.2f}x {r.seconds:>8.1f}"
        )
    return "\n".join(lines)
