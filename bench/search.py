"""GET /search on a big catalog: latency of the track search, through the service and HTTP.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tunewave \\
        .venv/bin/python bench/search.py [--tracks 200000] [--queries 400] [--keep]

Creates the database `tw_bench_search` on the server DATABASE_URL names (dropped at the end
unless --keep; an existing one is reused with --reuse), migrates it, loads `--tracks` synthetic
but realistic tracks (bulk_create: artists with first and last names or band names, albums of
8-14 tracks, titles drawn from song-title words with a Zipf spread, some "(Live)" and
"- Remastered" versions and featured artists), ANALYZEs, then runs a few hundred mixed queries:
exact titles, prefixes as typed, one-letter typos (a letter dropped, doubled or replaced), artist
names, album names and short words. Each query runs once through `search.services.search`
(tracks only, limit 10) and once through `GET /search?type=track` (Django's test client, rate
limits off), after a warm-up pass. Prints p50/p95/p99 in milliseconds per kind and overall, and
how often the meant track came first (exact) or among the results (typo). Spotify is off.

Without DATABASE_URL it runs on a temporary SQLite file (the embedded fallback), for comparison.
Not part of CI (bench/README.md).
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "tw_bench_search"

TITLE_WORDS = """love night heart baby time day home light world dream blue fire rain girl life
man woman sun moon star sky river road city summer winter fall spring song dance way down
up back gone good bad little big old new young wild free lonely sweet golden midnight morning
evening shadow ghost angel devil heaven hell paradise ocean sea wave storm thunder lightning
wind stone rock roll soul blues jazz groove rhythm fever kiss tears smile eyes hands body
mind memory story secret promise lie truth fool king queen prince diamond silver gold money
train highway bridge window door wall garden forest mountain valley desert island street
avenue boulevard station hotel motel radio television telephone letter postcard photograph
mirror crystal velvet silk satin leather denim cotton paper glass steel iron copper neon
electric magnetic cosmic atomic digital analog vintage modern ancient future past present
tonight tomorrow yesterday forever never always sometimes maybe somewhere nowhere everywhere
alone together apart around across beyond between inside outside over under through without
falling running dancing singing crying dying living loving leaving waiting breaking burning
shining fading rising flying driving walking talking dreaming calling holding chasing
hurricane tornado earthquake volcano avalanche tsunami eclipse comet galaxy universe planet
satellite rocket spaceship orbit gravity echo silence whisper scream thunderbird nightingale
sparrow raven eagle falcon wolf tiger lion panther cobra butterfly dragon phoenix unicorn
coffee whiskey wine champagne cherry lemon honey sugar candy chocolate vanilla cinnamon
california texas memphis chicago paris london tokyo berlin havana brooklyn harlem detroit""".split()

FIRST = """john paul george ringo miles billie ella louis nina aretha marvin stevie diana otis
james etta ray sam curtis al bill chet dizzy charlie thelonious herbie wayne ornette sonny
dexter art max cannonball freddie lee horace bud wes kenny jimmy joni bob neil leonard tom
patti lou iggy david elton freddy brian roger kate annie sade amy adele norah erykah lauryn
jill alicia mary whitney janet prince michael madonna cyndi debbie chrissie siouxsie bjork
thom damon jarvis noel liam ian peter bernard robert jack meg karen kim thurston jeff
elliott sufjan bon fiona regina feist cat joanna laura sharon mavis gladys""".split()
LAST = """davis coltrane holiday fitzgerald armstrong simone franklin gaye wonder ross redding
brown james charles cooke mayfield green evans baker gillespie parker monk hancock shorter
coleman rollins gordon blakey roach adderley hubbard morgan silver powell montgomery burrell
smith hendrix mitchell dylan young cohen waits smith reed pop bowie john mercury may bush
lennox adu winehouse jones badu hill scott keys blige houston jackson lauper harry hynde
sioux yorke albarn cocker gallagher curtis hook plant white gordon moore tweedy apple spektor
stevens iver feist newsom marling vanetten staples knight""".split()
BAND_WORDS = """black white red velvet electric silver golden crystal broken lonely midnight
arctic vampire radio neon cosmic atomic wild young dead living flaming smashing stone
rolling pixies strokes killers monkeys weekend foals shins kills national pumpkins lips
keys sisters brothers hearts kings queens wolves tigers ghosts machines robots engines""".split()
SUFFIXES = ["", "", "", "", "", "", " (Live)", " - Remastered 2011", " (Demo)", " (Radio Edit)", " (Acoustic)"]


def zipf_choice(rng: random.Random, words: list[str], weights: list[float]) -> str:
    return rng.choices(words, weights=weights, k=1)[0]


def make_catalog(n_tracks: int, seed: int = 14):
    """(artists [(name)], albums [(artist index, title)], tracks [(name, album index, feat index|None)])."""
    rng = random.Random(seed)
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(TITLE_WORDS))]
    shuffled = TITLE_WORDS[:]
    rng.shuffle(shuffled)

    def word() -> str:
        return zipf_choice(rng, shuffled, weights)

    def title() -> str:
        pattern = rng.random()
        if pattern < 0.25:
            return f"{word()} {word()}".title()
        if pattern < 0.4:
            return f"{word()} of {word()}".title()
        if pattern < 0.5:
            return f"The {word()} {word()}".title()
        if pattern < 0.65:
            return word().title()
        if pattern < 0.8:
            return f"{word()} {word()} {word()}".title()
        if pattern < 0.9:
            return f"{word().title()} in the {word().title()}"
        return f"{word().title()} {rng.choice(['Me', 'You', 'Us', 'Again', 'Tonight', 'Baby'])}"

    artists: list[str] = []
    seen: set[str] = set()
    n_artists = max(10, n_tracks // 35)
    while len(artists) < n_artists:
        if rng.random() < 0.6:
            name = f"{rng.choice(FIRST).title()} {rng.choice(LAST).title()}"
        else:
            name = f"The {rng.choice(BAND_WORDS).title()} {rng.choice(BAND_WORDS).title()}"
        if name not in seen:
            seen.add(name)
            artists.append(name)
    albums: list[tuple[int, str]] = []
    tracks: list[tuple[str, int, int | None]] = []
    while len(tracks) < n_tracks:
        artist = rng.randrange(len(artists))
        albums.append((artist, title()))
        for _ in range(rng.randint(8, 14)):
            feat = rng.randrange(len(artists)) if rng.random() < 0.08 else None
            tracks.append((title() + rng.choice(SUFFIXES), len(albums) - 1, feat))
            if len(tracks) >= n_tracks:
                break
    return artists, albums, tracks


def typo(rng: random.Random, text: str) -> str:
    """One letter wrong in the longest word: dropped, doubled or replaced."""
    words = text.split()
    i = max(range(len(words)), key=lambda k: len(words[k]))
    word = words[i]
    if len(word) < 4:
        return text
    pos = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["drop", "double", "replace"])
    if kind == "drop":
        word = word[:pos] + word[pos + 1 :]
    elif kind == "double":
        word = word[:pos] + word[pos] + word[pos:]
    else:
        letters = "abcdefghijklmnopqrstuvwxyz".replace(word[pos].lower(), "")
        word = word[:pos] + rng.choice(letters) + word[pos + 1 :]
    words[i] = word
    return " ".join(words)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def setup_database(args) -> tuple[str | None, str | None]:
    """Points DATABASE_URL at the bench database; returns (admin url, bench url) or (None, None)
    on SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        path = Path(tempfile.mkdtemp()) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        return None, None
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    bench = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if exists and not args.reuse:
            conn.execute(f"DROP DATABASE {BENCH_DB}")
            exists = None
        if not exists:
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = bench
    return admin, bench


def drop_database(admin: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def load(n_tracks: int) -> tuple[list, list, list]:
    from django.db import connection, transaction

    from music.models import Artist, Track, TrackArtist

    artists, albums, tracks = make_catalog(n_tracks)
    if Track.objects.count() >= n_tracks:
        print(f"reusing {Track.objects.count():,} tracks")
        return artists, albums, tracks
    started = time.perf_counter()
    rng = random.Random(7)
    with transaction.atomic():
        rows = Artist.objects.bulk_create(
            [Artist(spotify_id=f"local:bench-artist-{i}", name=name) for i, name in enumerate(artists)],
            batch_size=5000,
        )
        artist_pk = [row.pk for row in rows]
        track_rows = Track.objects.bulk_create(
            [
                Track(
                    spotify_id=f"local:bench-track-{i}",
                    name=name,
                    album=albums[album][1],
                    duration_ms=rng.randint(90_000, 420_000),
                    popularity=min(100, int(rng.paretovariate(1.5) * 8)),
                )
                for i, (name, album, _) in enumerate(tracks)
            ],
            batch_size=5000,
        )
        credits = []
        for row, (_, album, feat) in zip(track_rows, tracks, strict=True):
            main = albums[album][0]
            credits.append(TrackArtist(track_id=row.pk, artist_id=artist_pk[main], position=0))
            if feat is not None and feat != main:
                credits.append(TrackArtist(track_id=row.pk, artist_id=artist_pk[feat], position=1))
        TrackArtist.objects.bulk_create(credits, batch_size=10000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"loaded {len(artists):,} artists, {len(albums):,} albums, {len(tracks):,} tracks "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return artists, albums, tracks


def make_queries(artists, albums, tracks, count: int) -> list[tuple[str, str, str | None]]:
    """(kind, query, the track name meant or None)."""
    rng = random.Random(99)
    per = max(1, count // 6)
    queries: list[tuple[str, str, str | None]] = []
    for _ in range(per):
        name = rng.choice(tracks)[0]
        queries.append(("exact", name, name))
    for _ in range(per):
        name = rng.choice(tracks)[0]
        queries.append(("prefix", name[: rng.randint(3, max(3, min(len(name), 10)))], None))
    made = 0
    while made < per:
        name = rng.choice(tracks)[0]
        wrong = typo(rng, name)
        if wrong != name:
            queries.append(("typo", wrong, name))
            made += 1
    for _ in range(per):
        queries.append(("artist", rng.choice(artists), None))
    for _ in range(per // 2):
        queries.append(("album", rng.choice(albums)[1], None))
    for _ in range(per // 2):
        queries.append(("short", rng.choice(TITLE_WORDS)[: rng.randint(2, 5)], None))
    rng.shuffle(queries)
    return queries


def run(queries, mode: str) -> dict[str, list[float]]:
    from django.test import Client

    from search import services

    client = Client()
    timings: dict[str, list[float]] = {}
    hits = {"exact_first": 0, "exact": 0, "typo_found": 0, "typo": 0}
    for kind, query, meant in queries:
        started = time.perf_counter()
        if mode == "service":
            found = [t.name for t in services.search(query=query, types=("track",), limit=10, user=None).tracks or []]
        else:
            response = client.get("/search", {"q": query, "type": "track"})
            assert response.status_code == 200, response.content[:300]
            found = [t["name"] for t in response.json()["tracks"]]
        timings.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
        if kind == "exact":
            hits["exact"] += 1
            hits["exact_first"] += bool(found) and found[0].lower() == (meant or "").lower()
        if kind == "typo":
            hits["typo"] += 1
            hits["typo_found"] += (meant or "").lower() in [name.lower() for name in found]
    timings["_hits"] = [hits["exact_first"], hits["exact"], hits["typo_found"], hits["typo"]]
    return timings


def report(mode: str, timings: dict[str, list[float]]) -> None:
    exact_first, exact, typo_found, typos = timings.pop("_hits")
    everything = [t for values in timings.values() for t in values]
    print(f"\n{mode}: {len(everything)} queries")
    print(f"  {'kind':<8} {'n':>4} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}  (ms)")
    for kind in sorted(timings):
        values = timings[kind]
        print(
            f"  {kind:<8} {len(values):>4} {statistics.median(values):7.1f} {pct(values, 95):7.1f} "
            f"{pct(values, 99):7.1f} {max(values):7.1f}"
        )
    print(
        f"  {'all':<8} {len(everything):>4} {statistics.median(everything):7.1f} {pct(everything, 95):7.1f} "
        f"{pct(everything, 99):7.1f} {max(everything):7.1f}"
    )
    print(f"  exact title first: {exact_first}/{exact}; typo found in the top 10: {typo_found}/{typos}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--reuse", action="store_true", help="reuse the bench database if it exists")
    args = parser.parse_args()

    admin, _ = setup_database(args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tunewave.settings")
    os.environ["SPOTIFY_CLIENT_ID"] = ""
    os.environ["RATE_LIMITS_ENABLED"] = "0"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.RATELIMIT_ENABLE = False
    settings.ALLOWED_HOSTS = ["*"]
    try:
        call_command("migrate", verbosity=0)
        artists, albums, tracks = load(args.tracks)
        queries = make_queries(artists, albums, tracks, args.queries)
        print(f"database: {connection.vendor}; {len(queries)} queries")
        run(queries[:50], "service")  # warm-up: connections, caches, the planner
        for mode in ("service", "http"):
            report(mode, run(queries, mode))
    finally:
        if admin and not args.keep:
            drop_database(admin)


if __name__ == "__main__":
    main()
