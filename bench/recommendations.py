"""Recommendations at scale: loads 50,000 users, 200,000 tracks, 2,000 live rooms and 2,000,000
listening events, then times the precompute and the endpoints.

    .venv/bin/python bench/recommendations.py [--reload] [--requests 200] [--skip-precompute] [--no-gc-freeze]

The data lives in a PostgreSQL database of its own, `tunewave_recbench` on 127.0.0.1 (created
if missing; DATABASE_URL overrides it), loaded with COPY in a few minutes and kept for later
runs (--reload starts again). Listening histories come from bench/make_interactions.py: taste
clusters, favourite artists, long-tail popularity, 5-200 tracks per listener. Rooms get genres,
members whose taste fits, a playing track, a queue and recent plays; 2,000 of them have people
online (the embedded mode's local presence, touched in this process).

The precompute runs as `manage.py recompute_recommendations` in a child process, so its peak
memory (ru_maxrss) is its own. The endpoints are called in this process through Django's test
client with every middleware and a JWT each, rate limits off, DEBUG off; each request is for
a different listener, so the per-user taste cache never helps. After warming up, the process
calls gc.freeze() as the server does after start-up (tunewave/asgi.py); --no-gc-freeze leaves
it out. Prints p50/p99/max latency and queries per request, and the load average.
"""

import argparse
import gc
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import uuid
import warnings
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tunewave_recbench"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tunewave.settings")
os.environ.setdefault("DATABASE_URL", DATABASE_URL)
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-anything-else-0123456789abcdef")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("JWT_ACCESS_MINUTES", "240")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Local presence and cache, as the issue asks: the 2,000 live rooms are touched in this process.
for name in ("REDIS_URL", "CELERY_BROKER_URL"):
    os.environ.pop(name, None)
warnings.filterwarnings("ignore", "No directory at", UserWarning)

USERS = 50_000
TRACKS = 200_000
EVENTS = 2_000_000
LIVE_ROOMS = 2_000
IDLE_ROOMS = 300
PRIVATE_ROOMS = 200
PREFIX = "rb"


def ensure_database() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


ensure_database()

import django  # noqa: E402

django.setup()

import make_interactions  # noqa: E402
import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.services import tokens_issue  # noqa: E402
from music.models import Artist, Genre, ListeningEvent, Track, TrackArtist  # noqa: E402
from rooms import presence  # noqa: E402
from rooms.models import Membership, PlaybackState, QueueItem, Room  # noqa: E402


def log(message: str) -> None:
    print(message, flush=True)


# --- loading ------------------------------------------------------------------------------


def copy_rows(model, columns: list[str], rows) -> int:
    """COPY rows (tuples of Python values in `columns` order) into the model's table."""
    fields = [model._meta.get_field(c) for c in columns]
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    count = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {model._meta.db_table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def loaded() -> bool:
    return (
        User.objects.filter(username__startswith=PREFIX).count() >= USERS
        and ListeningEvent.objects.count() >= EVENTS
        and Room.objects.filter(name__startswith="Bench ").count() >= LIVE_ROOMS
    )


def wipe() -> None:
    log("emptying the benchmark database...")
    call_command("flush", interactive=False, verbosity=0)


def load(seed: int) -> None:
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    world = make_interactions.generate(users=USERS, tracks=TRACKS, seed=seed, mean_items=44.0)
    log(f"generated {world.users.size:,} (user, track) pairs in {time.perf_counter() - started:.0f}s")
    now = timezone.now()
    from psycopg.types.json import Jsonb

    with transaction.atomic():
        Genre.objects.bulk_create([Genre(name=name) for name in world.genre_names], ignore_conflicts=True)
        genre_pk = dict(Genre.objects.values_list("name", "pk"))
        genre_pks = np.asarray([genre_pk[n] for n in world.genre_names])
        user_ids = [uuid.uuid4() for _ in range(USERS)]
        copy_rows(
            User,
            ["id", "password", "username", "email", "display_name", "bio", "avatar", "favorite_genres",
             "is_superuser", "is_staff", "is_active", "first_name", "last_name", "date_joined",
             "email_verified", "history_public", "email_notifications"],
            (
                (uid, "!", f"{PREFIX}{u:05d}", f"{PREFIX}{u:05d}@bench.invalid", f"Listener {u}", "", "", Jsonb([]),
                 False, False, True, "", "", now, False, True, True)
                for u, uid in enumerate(user_ids)
            ),
        )  # fmt: skip
        log(f"users copied ({time.perf_counter() - started:.0f}s)")
        n_artists = len(world.artist_names)
        copy_rows(
            Artist,
            ["spotify_id", "name", "image_url"],
            ((f"local:bench{a:026d}", name, "") for a, name in enumerate(world.artist_names)),
        )
        artist_pk = dict(Artist.objects.filter(spotify_id__startswith="local:bench").values_list("spotify_id", "pk"))
        artist_pks = np.asarray([artist_pk[f"local:bench{a:026d}"] for a in range(n_artists)])
        copy_rows(
            Track,
            ["spotify_id", "name", "album", "duration_ms", "image_url", "audio_url", "popularity", "created_at"],
            (
                (make_interactions.spotify_id(seed, t), name, "Bench album", 200_000, "", "", 0, now)
                for t, name in enumerate(world.track_names)
            ),
        )
        track_pk = dict(Track.objects.filter(album="Bench album").values_list("spotify_id", "pk"))
        track_pks = np.asarray([track_pk[make_interactions.spotify_id(seed, t)] for t in range(TRACKS)])
        copy_rows(
            TrackArtist,
            ["track", "artist", "position"],
            ((int(track_pks[t]), int(artist_pks[a]), 0) for t, a in enumerate(world.track_artist.tolist())),
        )
        copy_rows(
            Track.genres.through,
            ["track", "genre"],
            (
                (int(track_pks[t]), int(genre_pks[g]))
                for t, a in enumerate(world.track_artist.tolist())
                for g in world.artist_genres[a].tolist()
            ),
        )
        log(f"catalogue copied ({time.perf_counter() - started:.0f}s)")

        # Events: one per (user, track) pair, then second listens of random pairs up to EVENTS.
        pairs = world.users.size
        extra = max(0, EVENTS - pairs)
        again = rng.choice(pairs, size=extra, replace=extra > pairs)
        ev_users = np.r_[world.users, world.users[again]]
        ev_tracks = np.r_[world.tracks, world.tracks[again]]
        ev_plays = np.r_[world.plays, np.ones(extra, dtype=int)]
        ev_days = np.r_[world.days_ago, world.days_ago[again] + rng.uniform(1, 30, extra)]
        if ev_users.size > EVENTS:
            ev_users, ev_tracks, ev_plays, ev_days = (a[:EVENTS] for a in (ev_users, ev_tracks, ev_plays, ev_days))
        rooms = make_rooms(world, rng, user_ids, genre_pks, track_pks, now)
        room_events = rooms["events"]
        room_users, room_tracks, room_ids, room_days = room_events
        # Room plays replace as many of the generated events, so the total stays EVENTS.
        keep = ev_users.size - room_users.size
        seconds = (ev_days * 86400).astype("int64")

        def event_rows():
            for i in range(keep):
                yield (
                    uuid.uuid4(),
                    user_ids[ev_users[i]],
                    int(track_pks[ev_tracks[i]]),
                    None,
                    now - timedelta(seconds=int(seconds[i]) + (i % 997)),
                    0,
                    int(ev_plays[i]),
                    "import",
                )
            for i in range(room_users.size):
                yield (
                    uuid.uuid4(),
                    user_ids[room_users[i]],
                    int(track_pks[room_tracks[i]]),
                    room_ids[i],
                    now - timedelta(seconds=int(room_days[i] * 86400) + i % 991),
                    180_000,
                    1,
                    "room",
                )

        copied = copy_rows(
            ListeningEvent,
            ["id", "user", "track", "room_id", "listened_at", "ms_played", "play_count", "source"],
            event_rows(),
        )
        log(f"{copied:,} listening events copied ({time.perf_counter() - started:.0f}s)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"loaded in {time.perf_counter() - started:.0f}s")


def make_rooms(world, rng, user_ids, genre_pks, track_pks, now) -> dict:
    """Rooms whose members' tastes fit their genre; returns their recent plays as events."""
    n_genres = len(world.genre_names)
    track_genre = np.asarray([g[0] for g in world.artist_genres])[world.track_artist]
    # Each user's main genre: the genre of most of their tracks.
    counts = np.zeros((USERS, n_genres), dtype=np.int32)
    np.add.at(counts, (world.users, track_genre[world.tracks]), 1)
    main = counts.argmax(axis=1)
    fans = [np.flatnonzero(main == g) for g in range(n_genres)]
    tracks_of = [np.flatnonzero(track_genre == g) for g in range(n_genres)]
    usable = [g for g in range(n_genres) if fans[g].size >= 40 and tracks_of[g].size >= 20]
    total = LIVE_ROOMS + IDLE_ROOMS + PRIVATE_ROOMS
    room_genre = rng.choice(usable, size=total)
    rooms, memberships, room_genres, states, queue = [], [], [], [], []
    ev_users, ev_tracks, ev_rooms, ev_days = [], [], [], []
    online: dict[str, list] = {}
    for r in range(total):  # a fixture builder: one pass per room
        genre = int(room_genre[r])
        owner = int(rng.choice(fans[genre]))
        room_id = uuid.UUID(int=(r + 1) << 32 | 0xBE)
        rooms.append(
            Room(
                id=room_id,
                name=f"Bench {world.genre_names[genre]} room {r}",
                is_private=r >= LIVE_ROOMS + IDLE_ROOMS,
                owner_id=user_ids[owner],
            )
        )
        members = np.unique(np.r_[owner, rng.choice(fans[genre], size=int(rng.integers(5, 30)))])
        for m in members.tolist():
            role = "owner" if m == owner else "member"
            memberships.append(Membership(room_id=room_id, user_id=user_ids[m], role=role))
        room_genres.append(Room.genres.through(room_id=room_id, genre_id=int(genre_pks[genre])))
        picks = rng.choice(tracks_of[genre], size=8, replace=False)
        live = r < LIVE_ROOMS
        states.append(
            PlaybackState(
                room_id=room_id,
                track_id=int(track_pks[picks[0]]),
                status="playing" if live else "idle",
                track_started_at=now,
                updated_at=now,
            )
        )
        queue.extend(
            QueueItem(room_id=room_id, track_id=int(track_pks[t]), position=i) for i, t in enumerate(picks[1:].tolist())
        )
        plays = 50
        ev_users.append(rng.choice(members, size=plays))
        ev_tracks.append(rng.choice(tracks_of[genre], size=plays))
        ev_rooms.extend([room_id] * plays)
        ev_days.append(rng.uniform(0, 3, plays))
        if live:
            here = rng.choice(members, size=min(members.size, int(rng.integers(3, 16))), replace=False)
            online[str(room_id)] = [user_ids[m] for m in here.tolist()]
    Room.objects.bulk_create(rooms, batch_size=1000)
    Room.genres.through.objects.bulk_create(room_genres, batch_size=2000)
    Membership.objects.bulk_create(memberships, batch_size=2000, ignore_conflicts=True)
    PlaybackState.objects.bulk_create(states, batch_size=2000)
    QueueItem.objects.bulk_create(queue, batch_size=2000)
    log(f"{total:,} rooms, {len(memberships):,} memberships, {len(queue):,} queued tracks")
    return {
        "events": (np.concatenate(ev_users), np.concatenate(ev_tracks), ev_rooms, np.concatenate(ev_days)),
        "online": online,
    }


def touch_presence() -> int:
    """Marks 3-15 members of each of the first LIVE_ROOMS rooms online (local presence)."""
    rng = random.Random(7)
    live = Room.objects.filter(name__startswith="Bench ", is_private=False).order_by("name")
    rooms = list(live.values_list("pk", flat=True))
    members: dict = {}
    for room_id, user_id in Membership.objects.filter(room_id__in=rooms).values_list("room_id", "user_id"):
        members.setdefault(room_id, []).append(user_id)
    states = dict(PlaybackState.objects.filter(room_id__in=rooms).values_list("room_id", "status"))
    touched = 0
    for room_id in rooms:
        if states.get(room_id) != "playing":
            continue
        people = members.get(room_id, [])
        for user_id in rng.sample(people, min(len(people), rng.randint(3, 15))):
            presence.touch(room_id=room_id, user_id=user_id, connection=f"bench-{user_id}")
        touched += 1
    return touched


# --- timing -------------------------------------------------------------------------------


def run_precompute() -> None:
    log("precompute: manage.py recompute_recommendations (child process)...")
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "recompute_recommendations", "--force"],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    for line in lines[-3:]:
        log("  " + line)
    if result.returncode:
        log(result.stderr[-3000:])
        raise SystemExit("precompute failed")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    log(
        f"PRECOMPUTE wall {elapsed:.1f}s (goal < 300 s), CPU {children.ru_utime + children.ru_stime:.1f}s, "
        f"peak RSS {peak:.0f} MB (goal < 4096 MB)"
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def time_endpoint(label: str, path_for, users: list[User], tokens: dict, *, explained: bool = True) -> None:
    """Times GETs, one per user; `explained` answers must be non-empty, each item with reasons."""
    client = Client()
    times, cpu, sql, queries = [], [], [], []
    for user in users:
        path = path_for(user)
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {tokens[user.pk]}")
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        queries.append(len(captured.captured_queries))
        sql.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{label}: {response.status_code} {response.content[:300]!r}")
        body = response.json()
        if explained and (not body or any(not item["reasons"] for item in body)):
            raise SystemExit(f"{label}: empty result or a result without reasons for {user.username}")
    log(
        f"{label:<30} n={len(times)}  p50 {statistics.median(times):6.1f} ms  p99 {percentile(times, 99):6.1f} ms  "
        f"max {max(times):6.1f} ms | this process's CPU p50 {statistics.median(cpu):5.1f} ms, "
        f"time in SQL p50 {statistics.median(sql):5.1f} ms | queries {min(queries)}-{max(queries)}"
    )
    slowest = sorted(range(len(times)), key=times.__getitem__)[-3:]
    log(f"{'':<30} slowest: " + ", ".join(f"#{i} {times[i]:.0f} ms ({queries[i]} queries)" for i in slowest))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reload", action="store_true", help="Empty the database and load it again.")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-precompute", action="store_true", help="Time the endpoints on the stored model.")
    parser.add_argument(
        "--no-gc-freeze",
        dest="gc_freeze",
        action="store_false",
        help="Leave out the gc.freeze() after warming up that the server does at start-up (tunewave/asgi.py).",
    )
    args = parser.parse_args()
    bench_started = time.perf_counter()
    settings.RATELIMIT_ENABLE = False
    call_command("migrate", verbosity=0)
    if args.reload or not loaded():
        wipe()
        load(args.seed)
    else:
        log("reusing the loaded data (--reload to load again)")
    log(
        f"data: {User.objects.count():,} users, {Track.objects.count():,} tracks, "
        f"{ListeningEvent.objects.count():,} listening events, {Room.objects.count():,} rooms"
    )
    if not args.skip_precompute:
        run_precompute()

    touched = touch_presence()
    log(f"presence: {touched:,} live rooms, {len(presence.live_rooms()):,} seen live")
    rng = random.Random(args.seed)
    candidates = list(User.objects.filter(username__startswith=PREFIX).values_list("pk", flat=True))
    chosen = rng.sample(candidates, args.requests + 20)
    users = list(User.objects.filter(pk__in=chosen))
    tokens = {user.pk: tokens_issue(user=user)["access"] for user in users}
    warmup, users = users[:20], users[20:]
    rooms = list(Room.objects.filter(name__startswith="Bench ", is_private=False).values_list("pk", flat=True)[:500])
    client = Client()
    for user in warmup:  # builds the room index and warms connections, as a running server would have
        for path in ("/recommendations/rooms", "/recommendations/tracks"):
            client.get(path, HTTP_AUTHORIZATION=f"Bearer {tokens[user.pk]}")
    if args.gc_freeze:
        # What the server does once it has started (tunewave/asgi.py): objects alive now are
        # never scanned by the cyclic GC again, whose full passes otherwise stall a request now
        # and then (measured here: 50-160 ms, 3-9 times a run, over Django's and numpy's objects).
        gc.collect()
        gc.freeze()
    log(f"timing; load average {_load()} (1, 5, 15 min), gc.freeze() {'done' if args.gc_freeze else 'left out'}")
    # For scale: the rooms app's own list of the same size, on the same data and machine.
    time_endpoint("GET /rooms/?limit=10 (reference)", lambda user: "/rooms/?limit=10", users, tokens, explained=False)
    time_endpoint("GET /recommendations/rooms", lambda user: "/recommendations/rooms", users, tokens)
    time_endpoint("GET /recommendations/tracks", lambda user: "/recommendations/tracks", users, tokens)
    touch_presence()
    time_endpoint(
        "GET /rooms/{id}/suggestions",
        lambda user: f"/rooms/{rooms[hash(user.pk) % len(rooms)]}/suggestions",
        users[:100],
        tokens,
    )
    log(f"bench done in {time.perf_counter() - bench_started:.0f}s; load average {_load()} (1, 5, 15 min)")


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
