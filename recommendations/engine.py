"""The learned parts of the recommender, as pure functions of numpy arrays and scipy sparse
matrices. Nothing here knows Django: the hourly precompute feeds it from the database and
`evaluate_recommendations` from a CSV file, so what the evaluation measures is exactly the
code that serves production.

Shapes: `X` is users x items, holding play counts (> 0 where a user played an item).
Item and user "ids" here are row/column positions; callers map them to database keys.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

# --- Parameters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemModelParams:
    """How the item-to-item co-listening model is built (tuned with bench/tune_recommendations.py)."""

    # Neighbours kept per item, best first.
    neighbors: int = 100
    # Play counts as a saturating term: plays * (k1 + 1) / (plays + k1); 0 = every play counts 1.
    k1: float = 1.2
    # Each user's row is scaled by 1 / items ** user_power: heavy listeners (and bots) don't dominate.
    user_power: float = 0.5
    # Asymmetric cosine: sim(i, j) = c_ij / (|i| ** (2 alpha) * |j| ** (2 (1 - alpha)) + shrink); 0.5 = cosine.
    # Above 0.5 a niche track's neighbours may be popular ones, not only other niche tracks.
    alpha: float = 0.8
    # Pulls similarities resting on few shared listeners towards zero.
    shrink: float = 10.0
    # Divides the similarity towards j by listeners(j) ** pop_penalty: less "everyone also plays the hits".
    pop_penalty: float = 0.0
    # A user's items beyond this many (the most played first) do not enter the co-occurrence counts:
    # their cost grows with the square of the history length.
    max_user_items: int = 500
    # Upper bound on the nonzeros of one block of the item x item product (memory per block).
    block_nnz: int = 15_000_000


@dataclass(frozen=True)
class BlendParams:
    """How a candidate's final score mixes its parts (each part scaled to [0, 1] per user)."""

    cf: float = 1.0
    genre: float = 0.05
    artist: float = 0.3
    popularity: float = 0.02
    # Tracks the user already knows (heard, outside the excluded last day) keep this share of
    # their score, so that new tracks come first without making old ones impossible.
    known: float = 0.2


@dataclass(frozen=True)
class SeedParams:
    """How a user's plays become weights (production reads events; evaluation reads a CSV)."""

    # Recency half-life of a play's weight, in days.
    half_life_days: float = 45.0
    # Share of the weight that never decays: years-old favourites still say something.
    floor: float = 0.3
    # A favourite counts like this many plays heard today.
    favorite: float = 4.0
    # Only a user's strongest tracks seed the item-to-item scores (each costs a row read).
    max_seeds: int = 100


@dataclass
class ItemModel:
    """The output of `build_item_model`: top-K neighbours per item and listener counts."""

    neighbors: sp.csr_matrix  # items x items, each row best-first, float32
    listeners: np.ndarray  # distinct users per item (int64)
    stats: dict = field(default_factory=dict)


# --- Weighting ------------------------------------------------------------------------------


def _csr(X) -> sp.csr_matrix:
    X = sp.csr_matrix(X, dtype=np.float32)
    X.sum_duplicates()
    X.eliminate_zeros()
    return X


def cap_user_items(X: sp.csr_matrix, limit: int) -> sp.csr_matrix:
    """Keeps each user's `limit` most played items (ties: the lower column)."""
    X = _csr(X)
    lengths = np.diff(X.indptr)
    if limit <= 0 or lengths.max(initial=0) <= limit:
        return X
    rows = np.repeat(np.arange(X.shape[0]), lengths)
    order = np.lexsort((X.indices, -X.data, rows))
    rank = np.arange(order.size) - np.repeat(X.indptr[:-1], lengths)
    keep = np.sort(order[rank < limit])
    return sp.csr_matrix((X.data[keep], (rows[keep], X.indices[keep])), shape=X.shape, dtype=np.float32)


def weight_interactions(X: sp.csr_matrix, params: ItemModelParams) -> sp.csr_matrix:
    """Play counts to co-listening weights: saturated plays, heavy users scaled down."""
    W = _csr(X).copy()
    if params.k1 > 0:
        W.data = W.data * (params.k1 + 1.0) / (W.data + params.k1)
    else:
        W.data = np.ones_like(W.data)
    if params.user_power:
        lengths = np.maximum(np.diff(W.indptr), 1).astype(np.float32)
        W.data /= np.repeat(lengths**params.user_power, np.diff(W.indptr))
    return W


# --- Top-K helpers ---------------------------------------------------------------------------


def topk_per_row(M: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """The k largest entries of each row, best first within the row (vectorized, no row loop)."""
    M = sp.csr_matrix(M)
    lengths = np.diff(M.indptr)
    if M.nnz == 0:
        # scipy-stubs give an empty (rows, cols) matrix only float64; scipy takes any dtype.
        return sp.csr_matrix(M.shape, dtype=np.float32)  # type: ignore[arg-type]
    rows = np.repeat(np.arange(M.shape[0], dtype=np.int64), lengths)
    # One float64 key sorts by row, then by descending value: far faster than a two-key lexsort.
    top = float(M.data.max())
    span = top if top > 0 else 1.0
    key = rows + 0.5 * (1.0 - np.clip(M.data, 0.0, None) / span)
    order = np.argsort(key, kind="quicksort")
    rank = np.arange(order.size) - np.repeat(M.indptr[:-1], lengths)
    keep = order[rank < k]
    new_lengths = np.minimum(lengths, k)
    indptr = np.concatenate(([0], np.cumsum(new_lengths)))
    return sp.csr_matrix((M.data[keep].astype(np.float32), M.indices[keep], indptr), shape=M.shape, dtype=np.float32)


def topk_dense(scores: np.ndarray, k: int) -> np.ndarray:
    """Column positions of the k best scores of each row, best first (-inf never wins)."""
    k = min(k, scores.shape[1])
    if k <= 0:
        return np.zeros((scores.shape[0], 0), dtype=np.int64)
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    picked = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-picked, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


# --- The item-to-item model --------------------------------------------------------------------


def _blocks(cost: np.ndarray, budget: float) -> list[tuple[int, int]]:
    """Consecutive row ranges whose summed cost stays under budget (a row alone may exceed it).

    Loops once per block, not per row: each block's end is a binary search on the running sum.
    """
    total = np.cumsum(cost, dtype=np.float64)
    blocks, start = [], 0
    while start < cost.size:
        before = total[start - 1] if start else 0.0
        end = int(np.searchsorted(total, before + budget, side="right"))
        end = max(end, start + 1)
        blocks.append((start, end))
        start = end
    return blocks


def _assembled(parts: list, X, *, blocks: int, listeners: np.ndarray) -> ItemModel:
    """An ItemModel from the top-k neighbour rows built block by block (every item-item model)."""
    n_users, n_items = X.shape
    neighbors = sp.vstack(parts, format="csr") if parts else sp.csr_matrix((n_items, n_items), dtype=np.float32)
    neighbors = sp.csr_matrix(neighbors, dtype=np.float32)
    stats = {
        "users": int(n_users),
        "items": int(n_items),
        "interactions": int(X.nnz),
        "blocks": blocks,
        "neighbors": int(neighbors.nnz),
    }
    return ItemModel(neighbors=neighbors, listeners=listeners, stats=stats)


def build_item_model(X, params: ItemModelParams | None = None, *, progress=None) -> ItemModel:
    """Item-to-item neighbours learned from co-listening.

    sim(i, j) = c_ij / (|i|^(2a) |j|^(2(1-a)) + shrink) / listeners(j)^beta, where c_ij sums
    w_ui * w_uj over users and w are `weight_interactions`. The item x item product is built
    in blocks of rows, each cut to its top K at once, so memory stays bounded.
    `progress(done, total)` is called after each block.
    """
    params = params or ItemModelParams()
    X = _csr(X)
    n_users, n_items = X.shape
    listeners = np.bincount(X.indices, minlength=n_items).astype(np.int64)
    W = weight_interactions(cap_user_items(X, params.max_user_items), params)
    Wt = W.T.tocsr()  # items x users
    norms = np.sqrt(np.asarray(Wt.multiply(Wt).sum(axis=1)).ravel()).astype(np.float64)
    row_norm = norms ** (2 * params.alpha)
    col_norm = norms ** (2 * (1 - params.alpha))
    penalty = np.ones(n_items) if not params.pop_penalty else 1.0 / np.maximum(listeners, 1) ** params.pop_penalty

    # Upper bound of nonzeros in row i of the product: the summed history lengths of its listeners.
    user_lengths = np.diff(W.indptr).astype(np.float64)
    cost = Wt.astype(bool).astype(np.float64) @ user_lengths
    blocks = _blocks(cost, params.block_nnz)
    parts = []
    for number, (start, end) in enumerate(blocks, start=1):
        C = (Wt[start:end] @ W).tocsr()
        rows = np.repeat(np.arange(start, end), np.diff(C.indptr))
        cols = C.indices
        data = C.data.astype(np.float64) / (row_norm[rows] * col_norm[cols] + params.shrink + 1e-12)
        data *= penalty[cols]
        data[cols == rows] = 0.0  # an item is not its own neighbour
        C = sp.csr_matrix((data, cols, C.indptr), shape=C.shape)
        C.eliminate_zeros()
        parts.append(topk_per_row(C, params.neighbors))
        if progress is not None:
            progress(number, len(blocks))
    return _assembled(parts, X, blocks=len(blocks), listeners=listeners)


def plain_cosine_model(X, *, neighbors: int = 100) -> ItemModel:
    """The baseline: binary plays, plain cosine, no shrinkage, no popularity penalty."""
    return build_item_model(X, cosine_params(neighbors, max_user_items=10**9))


@dataclass(frozen=True)
class RP3betaParams:
    """RP3beta (Paudel et al. 2017): a random walk item -> user -> item, its steps raised to alpha,
    the landing item's popularity discounted by listeners ** beta. Binary plays."""

    alpha: float = 1.0
    beta: float = 0.3
    neighbors: int = 200
    block_nnz: int = 15_000_000


def rp3beta_model(X, params: RP3betaParams | None = None, *, progress=None) -> ItemModel:
    """Item-to-item RP3beta, stored like `build_item_model`'s neighbours (top-K per row, best first).

    w(i, j) = sum_u P(u | i)^a P(j | u)^a / listeners(j)^b, with P(u | i) = 1 / listeners(i) and
    P(j | u) = 1 / items(u). Built in row blocks, each cut to its top K, like the item model.
    """
    params = params or RP3betaParams()
    X = _csr(X)
    n_users, n_items = X.shape
    B = X.copy()
    B.data = np.ones_like(B.data)
    listeners = np.bincount(B.indices, minlength=n_items).astype(np.int64)
    user_lengths = np.maximum(np.diff(B.indptr), 1).astype(np.float64)
    P_ui = B.copy()  # users x items: P(j | u)
    P_ui.data = (1.0 / np.repeat(user_lengths, np.diff(B.indptr)) ** params.alpha).astype(np.float32)
    Bt = B.T.tocsr()  # items x users: P(u | i)
    P_iu = Bt.copy()
    P_iu.data = (
        1.0 / np.repeat(np.maximum(listeners, 1).astype(np.float64), np.diff(Bt.indptr)) ** params.alpha
    ).astype(np.float32)
    discount = 1.0 / np.maximum(listeners, 1).astype(np.float64) ** params.beta
    cost = Bt.astype(np.float64) @ np.diff(B.indptr).astype(np.float64)
    blocks = _blocks(cost, params.block_nnz)
    parts = []
    for number, (start, end) in enumerate(blocks, start=1):
        C = (P_iu[start:end] @ P_ui).tocsr()
        rows = np.repeat(np.arange(start, end), np.diff(C.indptr))
        data = C.data.astype(np.float64) * discount[C.indices]
        data[C.indices == rows] = 0.0
        C = sp.csr_matrix((data, C.indices, C.indptr), shape=C.shape)
        C.eliminate_zeros()
        parts.append(topk_per_row(C, params.neighbors))
        if progress is not None:
            progress(number, len(blocks))
    return _assembled(parts, X, blocks=len(blocks), listeners=listeners)


@dataclass(frozen=True)
class Candidate:
    """One item model the precompute may serve: a name, its kind and its parameters.

    Every kind yields the same thing (an `ItemModel`: top-K neighbours per item), which is what
    TrackNeighbors stores and serving blends with the artist, genre and popularity parts.
    """

    name: str
    kind: str  # "item" (build_item_model) or "rp3beta"
    params: ItemModelParams | RP3betaParams

    def build(self, X, *, progress=None) -> ItemModel:
        if isinstance(self.params, RP3betaParams):
            return rp3beta_model(X, self.params, progress=progress)
        return build_item_model(X, self.params, progress=progress)


def cosine_params(neighbors: int, *, max_user_items: int = ItemModelParams.max_user_items) -> ItemModelParams:
    """Binary plays, plain cosine: the textbook item-to-item model, as `build_item_model` params."""
    return ItemModelParams(
        neighbors=neighbors,
        k1=0.0,
        user_power=0.0,
        alpha=0.5,
        shrink=0.0,
        pop_penalty=0.0,
        max_user_items=max_user_items,
    )


# --- Users like each other ----------------------------------------------------------------------


def user_factors(X, *, factors: int = 48, seed: int = 0, iterations: int = 3) -> np.ndarray:
    """Unit-length taste vectors per user: a randomized truncated SVD of the weighted plays.

    Users with no plays get a zero vector. Deterministic for a given seed.
    """
    W = weight_interactions(X, ItemModelParams())
    n_users, n_items = W.shape
    rank = max(1, min(factors, n_users - 1, n_items - 1))
    if n_users < 2 or n_items < 2 or W.nnz == 0:
        return np.zeros((n_users, rank), dtype=np.float32)
    rng = np.random.default_rng(seed)
    oversample = min(rank + 10, min(n_users, n_items))
    Y = W @ rng.standard_normal((n_items, oversample)).astype(np.float32)
    Q, _ = np.linalg.qr(Y)
    for _ in range(iterations):
        Z, _ = np.linalg.qr(W.T @ Q)
        Q, _ = np.linalg.qr(W @ Z)
    B = (W.T @ Q).T  # oversample x items
    U_b, S, _ = np.linalg.svd(B, full_matrices=False)
    F = (Q @ U_b[:, :rank]) * np.sqrt(S[:rank])
    norms = np.linalg.norm(F, axis=1, keepdims=True)
    return np.divide(F, norms, out=np.zeros_like(F), where=norms > 0).astype(np.float32)


def user_neighbors(
    F: np.ndarray, *, k: int = 30, block: int = 2048, min_similarity: float = 0.2, progress=None
) -> sp.csr_matrix:
    """Top-k most similar other users per user (cosine of `user_factors`), as users x users CSR.

    Exact, but cheap: for each row a threshold read off a strided sample of its similarities
    keeps a few hundred candidates, so one comparison and one `nonzero` replace a partial
    sort of every row; only rows left with fewer than k candidates (rare) get that sort.
    """
    n = F.shape[0]
    k = min(k, max(n - 1, 0))
    active = np.flatnonzero(np.linalg.norm(F, axis=1) > 0)
    Fa = np.ascontiguousarray(F[active], dtype=np.float32)
    rows_out, cols_out, vals_out = [], [], []
    total = max(1, math.ceil(active.size / block))
    step = max(1, active.size // 1024)
    for number, start in enumerate(range(0, active.size, block), start=1):
        size = min(block, active.size - start)
        sims = Fa[start : start + size] @ Fa.T
        sims[np.arange(size), np.arange(start, start + size)] = -np.inf  # not oneself
        if k:
            sample = sims[:, ::step]
            # About 8k of each row's entries lie above the sample's `keep`-th largest value.
            keep = int(min(sample.shape[1] - 1, max(1, round(8 * k * sample.shape[1] / active.size))))
            threshold = np.maximum(-np.partition(-sample, keep, axis=1)[:, keep], min_similarity)
            r, c = np.nonzero(sims >= threshold[:, None])
            counts = np.bincount(r, minlength=size)
            short = np.flatnonzero((counts < k) & (threshold > min_similarity))
            if short.size:
                full = ~np.isin(r, short)
                r, c = r[full], c[full]
            v = sims[r, c]
            if short.size:
                best = topk_dense(sims[short], k)
                best_vals = np.take_along_axis(sims[short], best, axis=1)
                ok = best_vals >= min_similarity
                r = np.r_[r, np.repeat(short, ok.sum(axis=1))]
                c = np.r_[c, best[ok]]
                v = np.r_[v, best_vals[ok]]
            rows_out.append(active[start + r])
            cols_out.append(active[c])
            vals_out.append(v)
        if progress is not None:
            progress(number, total)
    if not rows_out:
        return sp.csr_matrix((n, n), dtype=np.float32)
    M = sp.csr_matrix(
        (np.concatenate(vals_out), (np.concatenate(rows_out), np.concatenate(cols_out))), shape=(n, n), dtype=np.float32
    )
    return topk_per_row(M, k)  # cuts each row to k, best first


# --- Seeds, profiles and scores (shared by serving and evaluation) --------------------------------


def seed_weights(plays: np.ndarray, age_days: np.ndarray, params: SeedParams | None = None) -> np.ndarray:
    """A user's weight for each of their tracks: more plays and more recent weigh more."""
    params = params or SeedParams()
    plays = np.maximum(np.asarray(plays, dtype=np.float64), 1.0)
    age = np.maximum(np.asarray(age_days, dtype=np.float64), 0.0)
    decay = params.floor + (1.0 - params.floor) * np.power(0.5, age / params.half_life_days)
    return (1.0 + np.log(plays)) * decay


def normalize_rows(M):
    """Rows scaled to unit L2 norm (zero rows stay zero); sparse in, sparse out."""
    if sp.issparse(M):
        # scipy-stubs narrow issparse() to a bare ABC that csr_matrix() does not take.
        M = sp.csr_matrix(M, dtype=np.float32)  # type: ignore[call-overload]
        norms = np.sqrt(np.asarray(M.multiply(M).sum(axis=1)).ravel())
        scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        return sp.csr_matrix(sp.diags(scale.astype(np.float32)) @ M)
    M = np.asarray(M, dtype=np.float32)
    norms = np.sqrt(np.square(M).sum(axis=1, keepdims=True))
    return np.divide(M, norms, out=np.zeros_like(M), where=norms > 0)


def scale_rows_to_unit_max(M: np.ndarray) -> np.ndarray:
    """Each row divided by its maximum (rows without a positive entry stay as they are)."""
    top = M.max(axis=1, keepdims=True) if M.size else np.zeros((M.shape[0], 1))
    return np.divide(M, top, out=np.zeros_like(M, dtype=np.float32), where=top > 0)


def popularity_score(listeners: np.ndarray) -> np.ndarray:
    """Listener counts to [0, 1] on a log scale."""
    listeners = np.asarray(listeners, dtype=np.float64)
    top = math.log1p(float(listeners.max(initial=0)))
    return (np.log1p(listeners) / top).astype(np.float32) if top > 0 else np.zeros(listeners.shape, np.float32)


def blend(
    cf: np.ndarray,
    genre: np.ndarray,
    artist: np.ndarray,
    popularity: np.ndarray,
    params: BlendParams | None = None,
) -> np.ndarray:
    """Final scores of candidates (users x candidates), from raw parts of the same shape.

    CF scores are scaled per user so the best is 1; genre and artist parts are cosines in
    [0, 1]; popularity is already in [0, 1] (broadcast over users).
    """
    params = params or BlendParams()
    return (
        params.cf * scale_rows_to_unit_max(np.asarray(cf, dtype=np.float32))
        + params.genre * np.asarray(genre, dtype=np.float32)
        + params.artist * np.asarray(artist, dtype=np.float32)
        + params.popularity * np.asarray(popularity, dtype=np.float32)
    )


@dataclass
class Catalog:
    """Item features for content similarity: items x genres and items x artists (binary).

    Sparse for a whole catalogue; a request's few hundred candidates use dense arrays, which
    every function here takes alike (a small dense product costs less than building sparse ones).
    """

    genres: sp.csr_matrix | np.ndarray
    artists: sp.csr_matrix | np.ndarray

    def profiles(self, seeds, extra_genres=None):
        """Users' unit genre and artist profiles from their seed weights (plus declared genres)."""
        g = seeds @ self.genres
        if extra_genres is not None:
            g = g + extra_genres
        return normalize_rows(g), normalize_rows(seeds @ self.artists)


def _dense(M) -> np.ndarray:
    # scipy-stubs narrow issparse() to a bare ABC without toarray(); every sparse matrix has it.
    return M.toarray() if sp.issparse(M) else np.asarray(M)  # type: ignore[attr-defined]


def score_items(
    seeds: sp.csr_matrix | np.ndarray,
    neighbors: sp.csr_matrix | np.ndarray,
    popularity: np.ndarray,
    catalog: Catalog | None,
    candidates: np.ndarray | None = None,
    *,
    blend_params: BlendParams | None = None,
    extra_genres: sp.csr_matrix | np.ndarray | None = None,
) -> tuple[np.ndarray, dict]:
    """Scores of `candidates` (all items if None) for each row of `seeds` (users x items weights).

    `neighbors` is the item model (items x items), `popularity` per item in [0, 1]. Returns
    (scores users x candidates, parts) where parts holds the raw cf, genre, artist and
    popularity arrays, for explaining results. This is the one scoring function: serving calls
    it with one user and a few hundred candidates (items renumbered locally), evaluation with
    a batch of users and every item. Matrices may be sparse or dense (see Catalog).
    """
    item_neighbors = neighbors if candidates is None else neighbors[:, candidates]
    if candidates is None:
        candidates = np.arange(neighbors.shape[1])
    cf = _dense(seeds @ item_neighbors).astype(np.float32)
    if catalog is not None:
        user_genres, user_artists = catalog.profiles(seeds, extra_genres)
        genre = _dense(user_genres @ normalize_rows(catalog.genres[candidates]).T)
        artist = _dense(user_artists @ normalize_rows(catalog.artists[candidates]).T)
    else:
        genre = artist = np.zeros_like(cf)
    pop = np.asarray(popularity, dtype=np.float32)[candidates][None, :]
    scores = blend(cf, genre, artist, pop, blend_params)
    return scores, {"cf": cf, "genre": genre, "artist": artist, "popularity": pop}
