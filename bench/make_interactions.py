"""Synthetic listening histories with the structure of real ones, for tuning the recommender.

    .venv/bin/python bench/make_interactions.py [--users 20000] [--tracks 50000] [--seed 0]
                                                [--mean-items 30] [--out FILE]

Writes the many-user CSV of `import_listening_history` (user,track_id,track_name,artists,
genres,plays,last_played_at), which `manage.py evaluate_recommendations --interactions` reads.
bench/recommendations.py imports `generate()` to load the same kind of data into a database.

The world it draws from:
- 60 genres in 12 families of related genres (jazz, bebop, nu jazz, ...), of unequal size;
- artists with one genre (a fifth add a second one from the same family) and a long-tail
  popularity; tracks spread over artists unevenly, each with its own long-tail popularity;
- listeners with 1-3 taste clusters (a second genre is usually from the first one's family),
  a handful of favourite artists in each, some exploring of what is popular everywhere, and
  5-200 distinct tracks (log-normal, so most have few and some many);
- play counts that are mostly 1-3 and higher for favourite artists; dates over two years.

The same arguments always give the same data.
"""

import argparse
import csv
import hashlib
import sys
from dataclasses import dataclass
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


@dataclass
class World:
    genre_names: list[str]
    artist_names: list[str]
    artist_genres: list[np.ndarray]  # genre indexes per artist
    track_artist: np.ndarray  # artist index per track
    track_names: list[str]
    # One row per (user, track): who, what, how many plays, how many days ago the last one.
    users: np.ndarray
    tracks: np.ndarray
    plays: np.ndarray
    days_ago: np.ndarray
    n_users: int

    def track_genres(self, track: int) -> np.ndarray:
        return self.artist_genres[self.track_artist[track]]


def _cdf(weights: np.ndarray) -> np.ndarray:
    cdf = np.cumsum(weights, dtype=np.float64)
    return cdf / cdf[-1]


def _draw(rng: np.random.Generator, cdf: np.ndarray, count: int) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, rng.random(count), side="right"), cdf.size - 1)


def generate(
    *, users: int, tracks: int, seed: int = 0, mean_items: float = 30.0, min_items: int = 5, max_items: int = 200
) -> World:
    rng = np.random.default_rng(seed)
    n_genres = len(GENRES)
    genre_size = 1.0 / np.arange(1, n_genres + 1) ** 0.6
    rng.shuffle(genre_size)

    # Artists: a genre each (a fifth add one from the same family), long-tail popularity.
    n_artists = max(n_genres, tracks // 6)
    primary = _draw(rng, _cdf(genre_size), n_artists)
    secondary = np.full(n_artists, -1)
    has_second = rng.random(n_artists) < 0.2
    offsets = rng.integers(1, 5, n_artists)
    family_start = np.searchsorted(FAMILY_OF, FAMILY_OF[primary])
    family_len = np.bincount(FAMILY_OF)[FAMILY_OF[primary]]
    secondary[has_second] = (family_start + (primary - family_start + offsets) % family_len)[has_second]
    artist_pop = 1.0 / rng.permutation(np.arange(1, n_artists + 1)) ** 0.9
    artist_genres = [np.array([p]) if s < 0 else np.array([p, s]) for p, s in zip(primary, secondary, strict=True)]

    # Tracks: spread over artists unevenly (popular artists have more), sorted by artist.
    productivity = artist_pop**0.5
    track_artist = np.sort(_draw(rng, _cdf(productivity), tracks))
    first_of_artist = np.searchsorted(track_artist, np.arange(n_artists))
    within_rank = np.arange(tracks) - first_of_artist[track_artist] + 1
    track_pop = artist_pop[track_artist] / within_rank**0.8 * rng.lognormal(0.0, 0.5, tracks)
    artist_track_count = np.bincount(track_artist, minlength=n_artists)

    # Per genre: its artists (primary or secondary) and its tracks, as sampling distributions.
    genre_artists = [np.flatnonzero((primary == g) | (secondary == g)) for g in range(n_genres)]
    genre_artists = [a[artist_track_count[a] > 0] for a in genre_artists]
    genre_tracks = [np.flatnonzero(np.isin(track_artist, a)) for a in genre_artists]
    genre_artist_cdf = [_cdf(artist_pop[a]) if a.size else None for a in genre_artists]
    genre_track_cdf = [_cdf(track_pop[t]) if t.size else None for t in genre_tracks]
    global_cdf = _cdf(track_pop)
    usable = np.array([t.size > 0 for t in genre_tracks])
    genre_pick = _cdf(genre_size * usable)

    sizes = np.clip(np.round(rng.lognormal(np.log(mean_items) - 0.32, 0.8, users)), min_items, max_items).astype(int)
    sizes = np.minimum(sizes, tracks)
    out_users, out_tracks, out_plays, out_days = [], [], [], []
    for user in range(users):  # a generator of test data: one pass per synthetic listener is fine
        n = sizes[user]
        k = rng.choice((1, 2, 3), p=(0.35, 0.4, 0.25))
        tastes = [int(_draw(rng, genre_pick, 1)[0])]
        for _ in range(k - 1):
            if rng.random() < 0.6:
                family = np.flatnonzero(FAMILY_OF == FAMILY_OF[tastes[0]])
                candidate = int(rng.choice(family))
            else:
                candidate = int(_draw(rng, genre_pick, 1)[0])
            if usable[candidate] and candidate not in tastes:
                tastes.append(candidate)
        mix = rng.dirichlet(np.full(len(tastes), 2.0))
        want = int(n * 1.6) + 4
        explore = rng.binomial(want, 0.12)
        per_genre = rng.multinomial(want - explore, mix)
        picked = [_draw(rng, global_cdf, explore)]
        loved = []
        for genre, count in zip(tastes, per_genre, strict=True):
            artists = genre_artists[genre]
            favourites = artists[_draw(rng, genre_artist_cdf[genre], rng.integers(2, 6))]
            from_favourites = rng.binomial(count, 0.45)
            chosen = favourites[rng.integers(0, favourites.size, from_favourites)]
            # A track of a favourite artist: that artist's tracks, the popular ones more often.
            offsets = np.floor(artist_track_count[chosen] * rng.random(from_favourites) ** 2.0).astype(int)
            loved.append(first_of_artist[chosen] + offsets)
            picked.append(genre_tracks[genre][_draw(rng, genre_track_cdf[genre], count - from_favourites)])
        loved_tracks = np.concatenate(loved) if loved else np.zeros(0, int)
        candidates = np.concatenate([loved_tracks, *picked])
        unique = np.unique(candidates)
        chosen_tracks = rng.permutation(unique)[:n]
        plays = rng.geometric(0.45, chosen_tracks.size)
        plays = np.where(
            np.isin(chosen_tracks, loved_tracks), plays * 2 + rng.integers(0, 3, chosen_tracks.size), plays
        )
        active_from = rng.integers(0, SPAN_DAYS)
        out_users.append(np.full(chosen_tracks.size, user))
        out_tracks.append(chosen_tracks)
        out_plays.append(plays)
        out_days.append(rng.uniform(0, SPAN_DAYS - active_from, chosen_tracks.size))
    adjectives = rng.integers(0, len(ADJ), tracks)
    nouns = rng.integers(0, len(NOUN), tracks)
    return World(
        genre_names=list(GENRES),
        artist_names=[f"{FIRST[a % len(FIRST)]} {LAST[(a // len(FIRST)) % len(LAST)]} {a}" for a in range(n_artists)],
        artist_genres=artist_genres,
        track_artist=track_artist,
        track_names=[f"{ADJ[a]} {NOUN[b]} {t}" for t, (a, b) in enumerate(zip(adjectives, nouns, strict=True))],
        users=np.concatenate(out_users),
        tracks=np.concatenate(out_tracks),
        plays=np.concatenate(out_plays),
        days_ago=np.concatenate(out_days),
        n_users=users,
    )


def spotify_id(seed: int, n: int) -> str:
    number = int.from_bytes(hashlib.blake2b(f"synth:{seed}:{n}".encode(), digest_size=17).digest(), "big")
    chars = []
    for _ in range(22):
        number, digit = divmod(number, 62)
        chars.append(BASE62[digit])
    return "".join(chars)


def write_csv(world: World, out: Path, *, seed: int, now: datetime) -> int:
    ids = [spotify_id(seed, t) for t in range(len(world.track_names))]
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
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--tracks", type=int, default=50_000)
    parser.add_argument("--mean-items", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(f"/tmp/tunewave_bench/interactions_{args.users}x{args.tracks}_s{args.seed}.csv")
    world = generate(users=args.users, tracks=args.tracks, seed=args.seed, mean_items=args.mean_items)
    # A fixed "now" keeps the file identical from one run to the next.
    rows = write_csv(world, out, seed=args.seed, now=datetime(2026, 1, 1, tzinfo=UTC))
    print(f"{out}: {rows:,} rows, {args.users:,} users, {args.tracks:,} tracks", file=sys.stderr)


if __name__ == "__main__":
    main()
