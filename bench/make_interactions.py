"""Synthetic listening histories, for checking the recommender on data of known shape.

    .venv/bin/python bench/make_interactions.py [--regime default|popular-heavy|niche|artists]
        [--items tracks|artists] [--users 20000] [--tracks 50000] [--artists N] [--seed 0]
        [--mean-items M] [--min-items 1] [--max-items 1000] [--popular-share P] [--out FILE]

Writes the many-user CSV of `import_listening_history` (user,track_id,track_name,artists,
genres,plays,last_played_at), which `manage.py evaluate_recommendations --interactions` reads.
bench/recommendations.py imports `generate()` to load the same kind of data into a database.

The world it draws from:
- 60 genres (12 families of five names) of unequal size; a genre is a taste cluster;
- artists with one genre (a fifth add a second one from the same family) and power-law
  popularity; tracks grouped under artists (popular artists have more), each track's
  popularity its artist's times a decay by its rank within the artist, so a popular head of
  items that most listeners touch and a long tail that few do;
- listeners with 1-4 unrelated taste clusters drawn independently by genre size, with uneven
  weights (a Dirichlet), a few favourite artists in each cluster, and a share of picks made
  from global popularity alone (its own share per listener, around the regime's mean);
- how many distinct items a listener has: log-normal, from 1 up, so many have a handful and a
  few have hundreds;
- play counts per (listener, item) heavy-tailed (log-normal: most pairs 1-3 plays, a few
  hundreds), higher for favourite artists, for a listener's main cluster and for heavy
  listeners; dates spread over each listener's own span of two years.

With `--items artists` every row's item is an artist (as in data sets of artist plays); the
default `tracks` mode groups tracks under artists, so artist-level co-listening exists too.
The same arguments always give the same data.
"""

import argparse
import csv
import hashlib
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

FAMILIES = [
    ["jazz", "bebop", "nu jazz", "swing", "bossa nova"],
    ["soul", "funk", "r&b", "neo soul", "disco"],
    ["hip hop", "trap", "grime", "boom bap", "lo-fi"],
    ["metal", "doom metal", "black metal", "thrash metal", "metalcore"],
    ["indie rock", "shoegaze", "dream pop", "post-rock", "emo"],
    ["punk", "hard rock", "grunge", "garage rock", "psych rock"],
    ["techno", "house", "trance", "drum and bass", "dubstep"],
    ["ambient", "chillwave", "vaporwave", "downtempo", "new age"],
    ["pop", "k-pop", "j-pop", "synthpop", "city pop"],
    ["classical", "baroque", "opera", "minimalism", "romantic"],
    ["folk", "country", "bluegrass", "americana", "singer-songwriter"],
    ["reggae", "dub", "ska", "afrobeat", "salsa"],
]
GENRES = [genre for family in FAMILIES for genre in family]
FAMILY_OF = np.repeat(np.arange(len(FAMILIES)), [len(f) for f in FAMILIES])
ADJ = "Blue Late Golden Slow Bright Lost Secret Electric Quiet Endless Paper Velvet Broken Distant Sweet Wild Frozen Hidden Crimson Silver".split()
NOUN = "Train River City Moon Heart Road Window Dance Light Garden Rain Fire Ocean Dream Shadow Mountain Highway Letter Mirror Star".split()
FIRST = "Ada Miles Nina Ella Chet Otis Etta Curtis Dolly Hank Joni Clara Amara Kofi Yuki Mateo Lucia Ravi Ines Tomas".split()
LAST = "Blackwood Carver Delacroix Ellison Grant Holloway Ivers Jarrett Kingsley Lovell Marsh Nakamura Okafor Pryce".split()
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SPAN_DAYS = 730
MAX_CLUSTERS = 4
MAX_FAVOURITES = 6


@dataclass(frozen=True)
class Regime:
    """The knobs of one kind of listening population."""

    items: str = "tracks"  # "tracks" or "artists": what a row's item is
    mean_items: float = 30.0  # mean distinct items per listener
    size_sigma: float = 1.1  # log-normal spread of that count (larger: more light and more heavy listeners)
    popular_share: float = 0.25  # mean share of picks made from global popularity alone
    artist_exponent: float = 1.1  # Zipf exponent of artist popularity
    track_decay: float = 1.0  # a track's popularity falls as rank**-decay within its artist
    cluster_probs: tuple[float, ...] = (0.3, 0.35, 0.2, 0.15)  # chance of 1, 2, 3, 4 taste clusters
    cluster_alpha: float = 0.7  # Dirichlet concentration of cluster weights (smaller: more uneven)
    favourite_share: float = 0.4  # share of cluster picks from the cluster's favourite artists
    plays_sigma: float = 1.2  # log-normal spread of plays per pair
    activity_sigma: float = 0.5  # spread of listeners' overall play volume


REGIMES = {
    "default": Regime(),
    # The hits dominate: steeper popularity, half the picks from the charts, fewer clusters.
    "popular-heavy": Regime(
        popular_share=0.5, artist_exponent=1.2, cluster_probs=(0.5, 0.3, 0.15, 0.05), favourite_share=0.3
    ),
    # Long-tail listeners: flat popularity, few chart picks, more clusters, loyal to favourites.
    "niche": Regime(
        popular_share=0.05,
        artist_exponent=0.7,
        track_decay=0.5,
        cluster_probs=(0.15, 0.3, 0.3, 0.25),
        favourite_share=0.55,
    ),
    # Items are artists, as in public data sets of artist plays: ~45 artists a listener, big counts.
    "artists": Regime(items="artists", mean_items=55.0, size_sigma=0.8, popular_share=0.3, plays_sigma=1.6),
}


@dataclass
class World:
    genre_names: list[str]
    artist_names: list[str]
    artist_genres: list[np.ndarray]  # genre indexes per artist
    # Per item: its artist and its name. In artists mode items are artists (track_artist[i] == i).
    track_artist: np.ndarray
    track_names: list[str]
    # One row per (user, item): who, what, how many plays, how many days ago the last one.
    users: np.ndarray
    tracks: np.ndarray
    plays: np.ndarray
    days_ago: np.ndarray
    n_users: int
    items: str = "tracks"

    def track_genres(self, track: int) -> np.ndarray:
        return self.artist_genres[self.track_artist[track]]


def _cdf(weights: np.ndarray) -> np.ndarray:
    cdf = np.cumsum(weights, dtype=np.float64)
    return cdf / cdf[-1]


def _draw(rng: np.random.Generator, cdf: np.ndarray, count: int) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, rng.random(count), side="right"), cdf.size - 1)


class GroupedSampler:
    """Draws a member of group g by weight, for many (g) at once: group g's cdf fills [g, g+1)."""

    def __init__(self, groups: np.ndarray, members: np.ndarray, weights: np.ndarray, n_groups: int):
        order = np.lexsort((members, groups))
        self.groups, self.members = groups[order], members[order]
        w = weights[order].astype(np.float64)
        totals = np.bincount(self.groups, weights=w, minlength=n_groups)
        start = np.searchsorted(self.groups, np.arange(n_groups))
        before = np.cumsum(w) - w  # the weight ahead of each member, over all groups
        within = (before - before[np.minimum(start, w.size - 1)][self.groups] + w) / totals[self.groups]
        self.cdf = self.groups + np.minimum(within, 1.0)
        self.usable = totals > 0

    def draw(self, rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
        """One member per entry of `groups` (each must be usable)."""
        at = np.searchsorted(self.cdf, groups + rng.random(groups.size), side="right")
        return self.members[np.minimum(at, self.members.size - 1)]


def generate(
    *,
    users: int,
    tracks: int,
    seed: int = 0,
    mean_items: float | None = None,
    min_items: int = 1,
    max_items: int = 1000,
    regime: str | Regime = "default",
    items: str | None = None,
    artists: int | None = None,
    popular_share: float | None = None,
) -> World:
    """A world of `users` listeners over `tracks` tracks by `artists` artists (tracks // 6).

    `regime` names one of REGIMES (or is a Regime); the other keyword arguments override it.
    """
    r = REGIMES[regime] if isinstance(regime, str) else regime
    r = replace(
        r,
        items=items or r.items,
        mean_items=r.mean_items if mean_items is None else mean_items,
        popular_share=r.popular_share if popular_share is None else popular_share,
    )
    if r.items not in ("tracks", "artists"):
        raise ValueError(f"items must be 'tracks' or 'artists', not {r.items!r}")
    rng = np.random.default_rng(seed)
    n_genres = len(GENRES)
    genre_size = 1.0 / np.arange(1, n_genres + 1) ** 0.6
    rng.shuffle(genre_size)

    # Artists: a genre each (a fifth add one from the same family), power-law popularity.
    n_artists = artists or max(n_genres, tracks // 6)
    primary = _draw(rng, _cdf(genre_size), n_artists)
    secondary = np.full(n_artists, -1)
    has_second = rng.random(n_artists) < 0.2
    offsets = rng.integers(1, 5, n_artists)
    family_start = np.searchsorted(FAMILY_OF, FAMILY_OF[primary])
    family_len = np.bincount(FAMILY_OF)[FAMILY_OF[primary]]
    secondary[has_second] = (family_start + (primary - family_start + offsets) % family_len)[has_second]
    artist_pop = 1.0 / rng.permutation(np.arange(1, n_artists + 1)) ** r.artist_exponent
    artist_genres = [np.array([p]) if s < 0 else np.array([p, s]) for p, s in zip(primary, secondary, strict=True)]
    two = secondary >= 0
    pair_artist = np.r_[np.arange(n_artists), np.flatnonzero(two)]
    pair_genre = np.r_[primary, secondary[two]]

    # Tracks: spread over artists unevenly (popular artists have more), sorted by artist.
    productivity = artist_pop**0.5
    track_artist = np.sort(_draw(rng, _cdf(productivity), tracks))
    first_of_artist = np.searchsorted(track_artist, np.arange(n_artists))
    within_rank = np.arange(tracks) - first_of_artist[track_artist] + 1
    track_pop = artist_pop[track_artist] / within_rank**r.track_decay * rng.lognormal(0.0, 0.5, tracks)
    artist_track_count = np.bincount(track_artist, minlength=n_artists)
    has_tracks = artist_track_count > 0

    # What a pick can land on: an artist of a genre, an item of a genre, a track of an artist.
    if r.items == "artists":
        n_items = n_artists
        item_pop = artist_pop
        artists_of_genre = GroupedSampler(pair_genre, pair_artist, artist_pop[pair_artist], n_genres)
        items_of_genre = artists_of_genre
        item_artist = np.arange(n_artists)
    else:
        n_items = tracks
        item_pop = track_pop
        keep = has_tracks[pair_artist]
        artists_of_genre = GroupedSampler(pair_genre[keep], pair_artist[keep], artist_pop[pair_artist[keep]], n_genres)
        # (track, genre) pairs: each track under its artist's genres.
        t_of_pair = np.flatnonzero(np.isin(track_artist, np.flatnonzero(two)))
        items_of_genre = GroupedSampler(
            np.r_[primary[track_artist], secondary[track_artist[t_of_pair]]],
            np.r_[np.arange(tracks), t_of_pair],
            np.r_[track_pop, track_pop[t_of_pair]],
            n_genres,
        )
        tracks_of_artist = GroupedSampler(track_artist, np.arange(tracks), track_pop, n_artists)
        item_artist = track_artist
    global_cdf = _cdf(item_pop)
    genre_pick = _cdf(genre_size * items_of_genre.usable * artists_of_genre.usable)

    # Listeners: how many items, their clusters and weights, favourites, share of chart picks.
    sigma = r.size_sigma
    sizes = np.round(rng.lognormal(np.log(r.mean_items) - sigma**2 / 2, sigma, users))
    sizes = np.clip(sizes, min_items, min(max_items, n_items)).astype(np.int64)
    n_clusters = rng.choice(np.arange(1, len(r.cluster_probs) + 1), size=users, p=r.cluster_probs)
    clusters = _draw(rng, genre_pick, users * MAX_CLUSTERS).reshape(users, MAX_CLUSTERS)
    weights = rng.gamma(r.cluster_alpha, size=(users, MAX_CLUSTERS)) + 1e-9
    weights *= np.arange(MAX_CLUSTERS)[None, :] < n_clusters[:, None]
    weights /= weights.sum(axis=1, keepdims=True)
    favourites = artists_of_genre.draw(rng, np.repeat(clusters.ravel(), MAX_FAVOURITES))
    favourites = favourites.reshape(users, MAX_CLUSTERS, MAX_FAVOURITES)
    n_favourites = rng.integers(2, MAX_FAVOURITES + 1, size=(users, MAX_CLUSTERS))
    concentration = 4.0
    popular = rng.beta(r.popular_share * concentration + 1e-3, (1 - r.popular_share) * concentration + 1e-3, users)
    activity = rng.normal(0.0, r.activity_sigma, users)

    # Picks: a few more than each listener keeps, since some land on the same item twice.
    want = np.ceil(sizes * (2.0 if r.items == "artists" else 1.4)).astype(np.int64) + 2
    du = np.repeat(np.arange(users), want)
    d = du.size
    from_chart = rng.random(d) < popular[du]
    slot = (rng.random(d)[:, None] > np.cumsum(weights, axis=1)[du]).sum(axis=1)
    slot = np.minimum(slot, MAX_CLUSTERS - 1)
    genre = clusters[du, slot]
    loved = ~from_chart & (rng.random(d) < r.favourite_share)
    picked = np.empty(d, dtype=np.int64)
    picked[from_chart] = np.minimum(
        np.searchsorted(global_cdf, rng.random(from_chart.sum()), side="right"), n_items - 1
    )
    plain = ~from_chart & ~loved
    picked[plain] = items_of_genre.draw(rng, genre[plain])
    fav_slot = np.floor(rng.random(loved.sum()) * n_favourites[du[loved], slot[loved]]).astype(np.int64)
    fav_artist = favourites[du[loved], slot[loved], fav_slot]
    picked[loved] = fav_artist if r.items == "artists" else tracks_of_artist.draw(rng, fav_artist)

    # Log-plays of a pick: the listener's volume, the cluster's weight, a bonus for favourites.
    affinity = np.where(from_chart, -0.3, 0.6 * np.log(weights[du, slot] * n_clusters[du]))
    affinity = affinity + np.where(loved, 1.0, 0.0) + activity[du]

    # One row per distinct (listener, item); a pair picked again keeps its best affinity and
    # gains plays; then each listener keeps `size` of them at random.
    key = du * n_items + picked
    order = np.lexsort((-affinity, key))
    key, affinity = key[order], affinity[order]
    first = np.r_[True, key[1:] != key[:-1]]
    repeats = np.diff(np.r_[np.flatnonzero(first), key.size])
    key, affinity = key[first], affinity[first] + 0.5 * np.log(repeats)
    pair_user = key // n_items
    shuffle = np.lexsort((rng.random(key.size), pair_user))
    counts = np.bincount(pair_user, minlength=users)
    rank = np.arange(key.size) - np.repeat(np.cumsum(counts) - counts, counts)
    kept = shuffle[rank < sizes[pair_user[shuffle]]]
    kept.sort()
    pair_user, pair_item, affinity = pair_user[kept], key[kept] % n_items, affinity[kept]
    plays = np.floor(np.exp(affinity + rng.normal(0.0, r.plays_sigma, kept.size) - 0.2)).astype(np.int64)
    plays = np.clip(plays, 1, 100_000)

    active_from = rng.integers(0, SPAN_DAYS, users)
    days_ago = rng.random(kept.size) * (SPAN_DAYS - active_from[pair_user])

    artist_names = [f"{FIRST[a % len(FIRST)]} {LAST[(a // len(FIRST)) % len(LAST)]} {a}" for a in range(n_artists)]
    if r.items == "artists":
        names = list(artist_names)
    else:
        adjectives = rng.integers(0, len(ADJ), tracks)
        nouns = rng.integers(0, len(NOUN), tracks)
        names = [f"{ADJ[a]} {NOUN[b]} {t}" for t, (a, b) in enumerate(zip(adjectives, nouns, strict=True))]
    return World(
        genre_names=list(GENRES),
        artist_names=artist_names,
        artist_genres=artist_genres,
        track_artist=item_artist,
        track_names=names,
        users=pair_user,
        tracks=pair_item,
        plays=plays,
        days_ago=days_ago,
        n_users=users,
        items=r.items,
    )


def spotify_id(seed: int, n: int, kind: str = "") -> str:
    label = f"synth:{seed}:{n}" if not kind else f"synth:{kind}:{seed}:{n}"
    number = int.from_bytes(hashlib.blake2b(label.encode(), digest_size=17).digest(), "big")
    chars = []
    for _ in range(22):
        number, digit = divmod(number, 62)
        chars.append(BASE62[digit])
    return "".join(chars)


def write_csv(world: World, out: Path, *, seed: int, now: datetime) -> int:
    kind = "artist" if world.items == "artists" else ""
    ids = [spotify_id(seed, t, kind) for t in range(len(world.track_names))]
    track_genres = ["|".join(world.genre_names[g] for g in genres) for genres in world.artist_genres]
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["user", "track_id", "track_name", "artists", "genres", "plays", "last_played_at"])
        for user, track, plays, days in zip(
            world.users.tolist(), world.tracks.tolist(), world.plays.tolist(), world.days_ago.tolist(), strict=True
        ):
            artist = world.track_artist[track]
            when = (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
            writer.writerow(
                [
                    f"user{user}@synth.example",
                    ids[track],
                    world.track_names[track],
                    world.artist_names[artist],
                    track_genres[artist],
                    plays,
                    when,
                ]
            )
    return int(world.users.size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regime", choices=sorted(REGIMES), default="default")
    parser.add_argument("--items", choices=("tracks", "artists"), default=None, help="Overrides the regime's.")
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--tracks", type=int, default=50_000)
    parser.add_argument("--artists", type=int, default=None, help="Default: tracks // 6.")
    parser.add_argument("--mean-items", type=float, default=None, help="Overrides the regime's.")
    parser.add_argument("--min-items", type=int, default=1)
    parser.add_argument("--max-items", type=int, default=1000)
    parser.add_argument("--popular-share", type=float, default=None, help="Overrides the regime's.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    label = "" if args.regime == "default" and args.items in (None, "tracks") else f"_{args.regime}"
    if args.items and args.items != REGIMES[args.regime].items:
        label += f"_{args.items}"
    out = args.out or Path(f"/tmp/tunewave_bench/interactions_{args.users}x{args.tracks}{label}_s{args.seed}.csv")
    world = generate(
        users=args.users,
        tracks=args.tracks,
        seed=args.seed,
        mean_items=args.mean_items,
        min_items=args.min_items,
        max_items=args.max_items,
        regime=args.regime,
        items=args.items,
        artists=args.artists,
        popular_share=args.popular_share,
    )
    # A fixed "now" keeps the file identical from one run to the next.
    rows = write_csv(world, out, seed=args.seed, now=datetime(2026, 1, 1, tzinfo=UTC))
    print(
        f"{out}: {rows:,} rows, {args.users:,} users, {len(world.track_names):,} {world.items}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
