"""GET /rooms/ through the whole stack against a bare Django view that writes the same JSON.

    .venv/bin/python bench/rooms_list.py [--rooms 10000] [--seconds 10] [--order newest|live]

Without DATABASE_URL the data lives in a throwaway SQLite file in /tmp; for PostgreSQL
give a database of its own (see bench/README.md). The first run seeds the rooms, later
runs reuse them.

Both sides are called in this process through Django's WSGI handler, with every
middleware, the same JWT and the same sequence of pages; they take turns in short slices
until each has run for --seconds, so drift on the machine hits both alike. Rate limiting
is switched off (RATELIMIT_ENABLE=False), DEBUG is off unless set.
"""

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
import types
import uuid
import warnings
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SQLITE_FILE = "/tmp/tunewave_bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tunewave.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{SQLITE_FILE}")
# Production-like: no query log, no debug toolbar of any kind. SSL redirect off: plain http here.
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-anything-else-0123456789abcdef")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("JWT_ACCESS_MINUTES", "240")
os.environ.setdefault("LOG_LEVEL", "WARNING")

warnings.filterwarnings("ignore", "No directory at", UserWarning)  # whitenoise: no collectstatic here

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import OperationalError, connection, transaction  # noqa: E402
from django.db.models import Case, IntegerField, Value, When  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework_simplejwt.authentication import JWTAuthentication  # noqa: E402
from rest_framework_simplejwt.exceptions import InvalidToken  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.services import tokens_issue  # noqa: E402
from music.covers import album_cover_path, room_cover_path_of  # noqa: E402
from music.models import Artist, Genre, Track, TrackArtist  # noqa: E402
from rooms import presence, selectors  # noqa: E402
from rooms.models import Membership, PlaybackState, Room  # noqa: E402

GENRES = [
    "jazz", "bebop", "blues", "soul", "funk", "disco", "house", "techno", "ambient", "drum and bass",
    "dubstep", "hip hop", "trap", "r&b", "pop", "indie pop", "indie rock", "rock", "punk", "post-punk",
    "shoegaze", "dream pop", "metal", "doom metal", "folk", "country", "bluegrass", "classical", "baroque",
    "opera", "reggae", "dub", "ska", "latin", "salsa", "bossa nova", "k-pop", "j-pop", "afrobeat", "synthwave",
]  # fmt: skip
PREFIX = "Bench room "
BENCH_USER = "bench-listener"
PAGES = 50  # the offsets cycle over this many pages
MIN_SAMPLES = 20


# --- data -----------------------------------------------------------------------------


def _spotify_id(rng: random.Random) -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "".join(rng.choice(alphabet) for _ in range(22))


def _users(count: int) -> list[User]:
    names = [BENCH_USER] + [f"bench-user-{i:05d}" for i in range(count - 1)]
    unusable = make_password(None)  # nobody signs in with a password; no hashing either
    User.objects.bulk_create(
        [User(username=n, email=f"{n}@bench.invalid", display_name=n.title(), password=unusable) for n in names],
        ignore_conflicts=True,
        batch_size=1000,
    )
    by_name = {u.username: u for u in User.objects.filter(username__in=names)}
    return [by_name[n] for n in names]


def _tracks(rng: random.Random, genres: list[Genre], count: int = 400) -> list[Track]:
    existing = list(Track.objects.filter(name__startswith="Bench track "))
    if len(existing) >= count:
        return existing
    artists = Artist.objects.bulk_create(
        [Artist(spotify_id=f"bench:{uuid.uuid4().hex}", name=f"Bench Artist {i}") for i in range(150)]
    )
    tracks = Track.objects.bulk_create(
        [
            Track(
                spotify_id=_spotify_id(rng),
                name=f"Bench track {i}",
                album=f"Bench album {i // 10}",
                duration_ms=rng.randint(150_000, 420_000),
                image_url=f"https://i.scdn.co/image/bench{i}",
                audio_url=f"/media/clips/bench{i}.mp3" if i % 3 == 0 else "",
            )
            for i in range(count)
        ]
    )
    credits, track_genres = [], []
    for track in tracks:
        for position, artist in enumerate(rng.sample(artists, rng.randint(1, 2))):
            credits.append(TrackArtist(track=track, artist=artist, position=position))
        for genre in rng.sample(genres, rng.randint(1, 2)):
            track_genres.append(Track.genres.through(track=track, genre=genre))
    TrackArtist.objects.bulk_create(credits)
    Track.genres.through.objects.bulk_create(track_genres)
    return tracks


def seed(total: int) -> None:
    have = Room.objects.filter(name__startswith=PREFIX).count()
    if have >= total:
        print(f"Reusing {have:,} bench rooms.")
        return
    started = time.perf_counter()
    rng = random.Random(have)
    Genre.objects.bulk_create([Genre(name=g) for g in GENRES], ignore_conflicts=True)
    genres = list(Genre.objects.filter(name__in=GENRES))
    people = _users(max(200, total // 3))
    bench_user, crowd = people[0], people[1:]
    tracks = _tracks(rng, genres)
    now = timezone.now()
    with transaction.atomic():
        rooms = []
        for i in range(have, total):
            rooms.append(
                Room(
                    name=f"{PREFIX}{i:05d}",
                    description=f"Listening together, room {i}: {rng.choice(GENRES)} all night.",
                    is_private=rng.random() < 0.1,
                    owner=rng.choice(crowd),
                )
            )
        Room.objects.bulk_create(rooms, batch_size=1000)
        # created_at is auto_now_add, so bulk_create stamps "now"; spread it over a year.
        for room in rooms:
            room.created_at = now - timedelta(seconds=rng.randint(0, 365 * 24 * 3600))
        Room.objects.bulk_update(rooms, ["created_at"], batch_size=500)

        memberships, room_genres, states = [], [], []
        for room in rooms:
            memberships.append(Membership(room=room, user_id=room.owner_id, role=Membership.Role.OWNER))
            others = [u for u in rng.sample(crowd, 7) if u.pk != room.owner_id][: rng.randint(1, 6)]
            if rng.random() < 0.05:  # the bench user belongs to some rooms, private ones included
                others.append(bench_user)
            for n, user in enumerate(others):
                role = Membership.Role.MODERATOR if n == 0 and rng.random() < 0.3 else Membership.Role.MEMBER
                memberships.append(Membership(room=room, user=user, role=role))
            for genre in rng.sample(genres, rng.randint(1, 3)):
                room_genres.append(Room.genres.through(room=room, genre=genre))
            if rng.random() < 0.25:
                states.append(
                    PlaybackState(room=room, track=rng.choice(tracks), status=PlaybackState.Status.PLAYING, version=1)
                )
        Membership.objects.bulk_create(memberships, batch_size=2000)
        Room.genres.through.objects.bulk_create(room_genres, batch_size=2000)
        PlaybackState.objects.bulk_create(states, batch_size=2000)
    print(
        f"Seeded {len(rooms):,} rooms, {len(memberships):,} memberships, {len(room_genres):,} room genres, "
        f"{len(states):,} playing, in {time.perf_counter() - started:.1f} s."
    )


def freshen_playback() -> None:
    # Seeded tracks "started" at seed time; restart them so no read finds a track long over.
    now = timezone.now()
    PlaybackState.objects.filter(room__name__startswith=PREFIX).update(
        updated_at=now, track_started_at=now, position_ms=0
    )


def mark_live(rng: random.Random, count: int = 300) -> None:
    """Puts listeners in some public rooms, for --order live (expires after presence.PRESENCE_TTL)."""
    rooms = list(
        Room.objects.filter(name__startswith=PREFIX, is_private=False).order_by("name").values_list("pk", flat=True)
    )
    for room_id in rng.sample(rooms, min(count, len(rooms))):
        for _ in range(rng.randint(1, 6)):
            presence.touch(room_id=room_id, user_id=uuid.uuid4(), connection="bench")


# --- the bare view ----------------------------------------------------------------------


def _iso(value) -> str:
    text = timezone.localtime(value, timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _media_url(request, name: str) -> str | None:
    return request.build_absolute_uri(default_storage.url(name)) if name else None


def _audio_url(request, value: str) -> str | None:
    if not value:
        return None
    return request.build_absolute_uri(value) if value.startswith("/") else value


def _now_playing(request, room_ids: list) -> dict:
    rows = list(
        PlaybackState.objects.filter(room_id__in=room_ids, track__isnull=False)
        .exclude(status=PlaybackState.Status.IDLE)
        .values(
            "room_id",
            "track_id",
            "track__spotify_id",
            "track__name",
            "track__album",
            "track__duration_ms",
            "track__image_url",
            "track__audio_url",
        )
    )
    if not rows:
        return {}
    track_ids = {row["track_id"] for row in rows}
    artists: dict = {}
    for track_id, name in (
        TrackArtist.objects.filter(track_id__in=track_ids).order_by("position").values_list("track_id", "artist__name")
    ):
        artists.setdefault(track_id, []).append(name)
    genres: dict = {}
    for track_id, name in Track.genres.through.objects.filter(track_id__in=track_ids).values_list(
        "track_id", "genre__name"
    ):
        genres.setdefault(track_id, []).append(name)
    return {
        row["room_id"]: {
            "spotify_id": row["track__spotify_id"],
            "name": row["track__name"],
            "artists": artists.get(row["track_id"], []),
            "album": row["track__album"],
            "duration_ms": row["track__duration_ms"],
            "genres": sorted(genres.get(row["track_id"], [])),
            "image_url": request.build_absolute_uri(
                row["track__image_url"]
                or album_cover_path(
                    album=row["track__album"],
                    artists=artists.get(row["track_id"], []),
                    genres=genres.get(row["track_id"], []),
                    name=row["track__name"],
                )
            ),
            "audio_url": _audio_url(request, row["track__audio_url"]),
        }
        for row in rows
    }


_jwt = JWTAuthentication()


def bare_rooms(request):
    """The Room list by hand: values() queries and json.dumps, no DRF, no model instances."""
    try:
        auth = _jwt.authenticate(request)
    except InvalidToken:
        return JsonResponse({"detail": "Invalid token.", "code": "token_not_valid"}, status=401)
    user = auth[0] if auth else None
    limit = max(1, min(int(request.GET.get("limit") or 20), 100))
    offset = max(0, int(request.GET.get("offset") or 0))

    # The same SQL as the API: who may see what and how members are counted come from the
    # selectors (values() ignores select_related; the prefetch is dropped), so the two sides
    # differ only in what runs around the queries.
    rooms = selectors.with_listing(selectors.visible_rooms(user)).prefetch_related(None)
    if request.GET.get("order") == "live":
        whens = [When(pk=uuid.UUID(k), then=Value(n)) for k, n in presence.live_rooms().items()]
        live = Case(*whens, default=Value(0), output_field=IntegerField()) if whens else Value(0)
        rooms = rooms.annotate(live=live).order_by("-live", "-created_at", "pk")
    else:
        rooms = rooms.order_by("-created_at", "pk")
    rows = list(
        rooms.values(
            "id",
            "name",
            "description",
            "is_private",
            "queue_policy",
            "playback_policy",
            "autoplay",
            "skip_share",
            "queue_order",
            "created_at",
            "member_count",
            "owner_id",
            "owner__username",
            "owner__display_name",
            "owner__avatar",
        )[offset : offset + limit]
    )
    ids = [row["id"] for row in rows]
    genres: dict = {}
    roles: dict = {}
    if ids:
        for room_id, name in Room.genres.through.objects.filter(room_id__in=ids).values_list("room_id", "genre__name"):
            genres.setdefault(room_id, []).append(name)
        if user is not None:
            roles = dict(Membership.objects.filter(user=user, room_id__in=ids).values_list("room_id", "role"))
    online = presence.online_counts(ids)
    playing = _now_playing(request, ids) if ids else {}
    body = [
        {
            "id": str(row["id"]),
            "name": row["name"],
            "description": row["description"],
            "is_private": row["is_private"],
            "genres": sorted(genres.get(row["id"], [])),
            "owner": {
                "id": str(row["owner_id"]),
                "username": row["owner__username"],
                "display_name": row["owner__display_name"],
                "avatar_url": _media_url(request, row["owner__avatar"]),
            },
            "member_count": row["member_count"],
            "online_count": online.get(str(row["id"]), 0),
            "now_playing": playing.get(row["id"]),
            "image_url": playing[row["id"]]["image_url"]
            if row["id"] in playing
            else request.build_absolute_uri(room_cover_path_of(row["id"], genres.get(row["id"], []))),
            "queue_policy": row["queue_policy"],
            "playback_policy": row["playback_policy"],
            "autoplay": row["autoplay"],
            "skip_share": row["skip_share"],
            "queue_order": row["queue_order"],
            "my_role": roles.get(row["id"]),
            "created_at": _iso(row["created_at"]),
        }
        for row in rows
    ]
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(), content_type="application/json"
    )


bench_urls = types.ModuleType("bench_rooms_urls")
bench_urls.urlpatterns = [path("bench/bare-rooms/", bare_rooms), path("", include("tunewave.urls"))]
sys.modules["bench_rooms_urls"] = bench_urls


# --- the measurement --------------------------------------------------------------------


class Caller:
    """Calls the WSGI application in-process, the way a WSGI server would (minus the socket)."""

    def __init__(self, token: str):
        self.app = WSGIHandler()
        self.token = token
        self.status = ""

    def _start_response(self, status, headers, exc_info=None):
        self.status = status

    def get(self, path_info: str, query: str) -> tuple[int, bytes]:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path_info,
            "QUERY_STRING": query,
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "localhost",
            "HTTP_AUTHORIZATION": f"Bearer {self.token}",
            "HTTP_ACCEPT": "application/json",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        response = self.app(environ, self._start_response)
        try:
            body = b"".join(response)
        finally:
            response.close()  # request_finished: connections are recycled as configured
        return int(self.status.split()[0]), body


class Side:
    def __init__(self, label: str, path_info: str):
        self.label = label
        self.path_info = path_info
        self.latencies: list[float] = []
        self.elapsed = 0.0
        self.queries = 0
        self.position = 0

    def run(self, caller: Caller, queries: list[str], seconds: float) -> None:
        end = time.perf_counter() + seconds
        started = time.perf_counter()
        while True:
            query = queries[self.position % len(queries)]
            self.position += 1
            t0 = time.perf_counter()
            status, _ = caller.get(self.path_info, query)
            t1 = time.perf_counter()
            if status != 200:
                raise SystemExit(f"{self.label}: HTTP {status} for ?{query}")
            self.latencies.append(t1 - t0)
            if t1 >= end:
                break
        self.elapsed += time.perf_counter() - started


def check_same_json(caller: Caller, real: Side, bare: Side, queries: list[str]) -> None:
    for query in queries[:5]:
        _, a = caller.get(real.path_info, query)
        _, b = caller.get(bare.path_info, query)
        a, b = json.loads(a), json.loads(b)
        if a != b:
            for x, y in zip(a, b, strict=False):
                if x != y:
                    print("DRF :", json.dumps(x, indent=1)[:1500])
                    print("bare:", json.dumps(y, indent=1)[:1500])
                    break
            raise SystemExit(f"The bare view's JSON differs from GET /rooms/?{query}; fix the bench first.")
        if len(a) == 0:
            raise SystemExit(f"GET /rooms/?{query} is empty; seed more rooms.")


def count_queries(caller: Caller, side: Side, query: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        caller.get(side.path_info, query)
    return len(captured.captured_queries)


def describe_database() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"SQLite {db['NAME']}"
    return f"PostgreSQL {db.get('HOST') or 'localhost'}/{db['NAME']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rooms", type=int, default=10_000, help="rooms to seed (default 10000)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per side (default 10)")
    parser.add_argument("--order", choices=["newest", "live"], default="newest")
    parser.add_argument("--limit", type=int, default=20, help="page size (default 20)")
    parser.add_argument("--slice", type=float, default=0.5, help="seconds per turn before the other side runs")
    args = parser.parse_args()

    try:
        call_command("migrate", interactive=False, verbosity=0)
    except OperationalError as exc:
        raise SystemExit(
            f"Cannot migrate {describe_database()}: {exc}\n"
            "For PostgreSQL create the database first: "
            'psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE tunewave_bench"'
        ) from exc
    seed(args.rooms)
    freshen_playback()
    rng = random.Random(7)
    if args.order == "live":
        mark_live(rng)

    user = User.objects.get(username=BENCH_USER)
    caller = Caller(tokens_issue(user=user)["access"])
    pages = max(1, min(PAGES, selectors.visible_rooms(user).count() // args.limit))
    offsets = [page * args.limit for page in range(pages)]
    random.Random(1).shuffle(offsets)
    queries = [f"limit={args.limit}&offset={offset}&order={args.order}" for offset in offsets]
    real = Side("DRF   GET /rooms/", "/rooms/")
    bare = Side("bare  values()+json.dumps", "/bench/bare-rooms/")

    with override_settings(RATELIMIT_ENABLE=False, ROOT_URLCONF="bench_rooms_urls"):
        check_same_json(caller, real, bare, queries)
        middle = queries[len(queries) // 2]
        real.queries, bare.queries = count_queries(caller, real, middle), count_queries(caller, bare, middle)
        for side in (real, bare):  # warm up: imports, URL resolver, connection
            side.run(caller, queries, 0.3)
            side.latencies.clear()
            side.elapsed = 0.0
        marked = time.monotonic()
        # Each side runs its share of the time, and at least MIN_SAMPLES requests for a p99.
        while any(side.elapsed < args.seconds or len(side.latencies) < MIN_SAMPLES for side in (real, bare)):
            if args.order == "live" and time.monotonic() - marked > presence.PRESENCE_TTL / 3:
                mark_live(rng)  # keep the listeners from expiring mid-run (outside the timings)
                marked = time.monotonic()
            for side in (real, bare):
                side.run(caller, queries, max(0.0, min(args.slice, args.seconds - side.elapsed)))

    total = Room.objects.filter(name__startswith=PREFIX).count()
    print(
        f"\nGET /rooms/?limit={args.limit}&order={args.order} over {total:,} rooms, {describe_database()}, "
        f"cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}, {len(queries)} pages in turn, "
        f"{args.seconds:g} s per side, DEBUG={settings.DEBUG}"
    )
    print(f"{'':28} {'req/s':>8} {'mean ms':>9} {'p99 ms':>8} {'queries/req':>12} {'requests':>9}")
    rates = {}
    for side in (real, bare):
        rates[side] = len(side.latencies) / side.elapsed
        p99 = statistics.quantiles(side.latencies, n=100)[98]
        print(
            f"{side.label:28} {rates[side]:8.1f} {statistics.fmean(side.latencies) * 1000:9.2f} "
            f"{p99 * 1000:8.2f} {side.queries:12d} {len(side.latencies):9d}"
        )
    print(
        f"ratio bare/DRF: {rates[bare] / rates[real]:.2f}x "
        f"(the API serves {rates[real] / rates[bare]:.0%} of the bare view's throughput)"
    )


if __name__ == "__main__":
    main()
