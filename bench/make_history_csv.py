"""Writes a synthetic many-user listening-history CSV, the input of bench/import_history.py.

    python bench/make_history_csv.py [--rows 1000000] [--users 20000] [--tracks 100000]
                                     [--seed 7] [--bad-rate 0.0001] [--out FILE]

The same arguments always give the same file. Popularity has a long tail: half the plays
follow Zipf's law over the tracks (the k-th most played track about 1/k as often as the
first), the rest spread evenly, and some listeners are far more active than others. Four
tracks in five have a Spotify id, which rows omit one time in ten (so the importer matches
them by name and first artist); the rest are known only by name and artists and get local
ids. One user in ten is named by username, the others by e-mail. About `bad-rate` of the
rows are malformed on purpose, to show bad rows being reported and skipped.
"""

import argparse
import csv
import hashlib
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ADJ = "Blue Late Golden Slow Bright Lost Secret Electric Quiet Endless Paper Velvet Broken Distant Sweet Wild Frozen Hidden Crimson Silver Summer Winter Neon Lonely Open Last First Little Midnight Morning".split()
NOUN = "Train River City Moon Heart Road Window Dance Light Garden Rain Fire Ocean Dream Shadow Mountain Highway Letter Mirror Star Harbor Sky Echo Signal Memory Season Bridge Avenue Horizon Lantern".split()
FIRST = "Ada Miles Nina Ella Chet Otis Etta Curtis Dolly Hank Joni Clara Amara Kofi Yuki Mateo Lucia Ravi Ines Tomas Greta Sol Iris Felix Nora Luca Mira Oskar Zara Theo".split()
LAST = "Blackwood Carver Delacroix Ellison Grant Holloway Ivers Jarrett Kingsley Lovell Marsh Nakamura Okafor Pryce Quill Rivers Santos Thorne Valdez Whitlock Young Zimmer Bell Drummond".split()
GENRES = (
    "jazz,bebop,soul,funk,r&b,disco,hip hop,trap,metal,doom metal,black metal,hard rock,punk,indie rock,"
    "shoegaze,post-rock,dream pop,techno,house,ambient,drum and bass,synthpop,pop,k-pop,classical,baroque,"
    "opera,folk,country,bluegrass,blues,reggae,dub,salsa,bossa nova,afrobeat,grime,emo,ska,grunge,trance,"
    "dubstep,lo-fi,city pop,cumbia,fado,flamenco,gospel,highlife,j-pop,neo soul,new wave,nu jazz,psych rock,"
    "rocksteady,samba,tango,zouk,chillwave,vaporwave"
).split(",")


def spotify_id(seed: int, n: int) -> str:
    number = int.from_bytes(hashlib.blake2b(f"{seed}:{n}".encode(), digest_size=17).digest(), "big")
    chars = []
    for _ in range(22):
        number, digit = divmod(number, 62)
        chars.append(BASE62[digit])
    return "".join(chars)


def catalogue(rng: random.Random, tracks: int, seed: int) -> list[tuple[str, str, str, str]]:
    """(track_id, name, artists, genres) per track, most popular first."""
    artists_count = max(1, tracks // 4)
    artists = []
    for a in range(artists_count):
        genres = rng.sample(GENRES, rng.choice((1, 1, 2)))
        artists.append((f"{rng.choice(FIRST)} {rng.choice(LAST)} {a}", "|".join(genres)))
    out = []
    for n in range(tracks):
        artist, genres = artists[rng.randrange(artists_count)]
        credits = artist
        if rng.random() < 0.1:
            credits += "|" + artists[rng.randrange(artists_count)][0]
        name = f"{rng.choice(ADJ)} {rng.choice(NOUN)}"
        if rng.random() < 0.3:
            name += f" ({rng.choice(('Live', 'Remix', 'Demo', 'Acoustic', 'Edit'))})"
        known = rng.random() < 0.8
        out.append((spotify_id(seed, n) if known else "", name, credits, genres))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bad-rate", type=float, default=0.0001)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(f"/tmp/tunewave_bench/history_{args.rows}.csv")
    out.parent.mkdir(parents=True, exist_ok=True)

    rng = random.Random(args.seed)
    tracks = catalogue(rng, args.tracks, args.seed)
    users = [f"listener{u}" if u % 10 == 0 else f"user{u}@bench.example" for u in range(args.users)]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    span = int(timedelta(days=700).total_seconds())
    with open(out, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["user", "track_id", "track_name", "artists", "genres", "plays", "last_played_at"])
        for _ in range(args.rows):
            if rng.random() < 0.5:
                rank = int(args.tracks ** rng.random()) - 1  # Zipf: P(rank k) ~ 1/k
            else:
                rank = rng.randrange(args.tracks)
            track_id, name, artists, genres = tracks[rank]
            if track_id and rng.random() < 0.1:
                track_id = ""
            user = users[int(args.users * rng.random() ** 2)]  # a few listeners play much more
            plays = str(1 + int(rng.expovariate(0.4)))
            when = (start + timedelta(seconds=rng.randrange(span))).strftime("%Y-%m-%dT%H:%M:%SZ")
            if rng.random() < args.bad_rate:
                plays, when = rng.choice((("0", when), (plays, "sometime"), ("many", when)))
            writer.writerow([user, track_id, name, artists, genres, plays, when])
    print(f"{out}: {args.rows:,} rows, {args.users:,} users, {args.tracks:,} tracks", file=sys.stderr)


if __name__ == "__main__":
    main()
