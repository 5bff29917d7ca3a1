"""Reads for GET /search: the catalog's tracks, the rooms a caller may see, active people.

Each kind is ranked by relevance, exact name first. Two implementations share that rule:

- PostgreSQL: full-text search (`SearchVector`/`SearchQuery`/`SearchRank`, the `simple`
  configuration, every word a prefix) and pg_trgm word similarity (`TrigramWordSimilarity`
  and the `trigram_word_similar` lookup, i.e. `column %> query`) through
  django.contrib.postgres, served by the GIN indexes of search/migrations. Tracks' candidates
  come from index scans, each capped, run as one UNION ALL query; the few hundred candidates
  are then ranked in one query. When the word matches find (almost) nothing, as a typo does,
  each word the catalog lacks is replaced by the catalog's words nearest to it (`corrections`,
  table search_word of migration 0002) and the full-text scans run again: that is what finds
  "Blue in Gren" or "Coltrame". Rooms and people, far fewer rows, are matched with `%>`
  directly (a looser threshold than pg_trgm's default, see `fuzzy_threshold`).
- SQLite (the embedded default): every word of the query must appear (case-insensitive) in
  one of the fields; ranked exact > prefix > contains on the name, then the other fields.
"""

import re
from collections.abc import Iterable

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    TrigramSimilarity,
    TrigramWordSimilarity,
)
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Length

from accounts.models import User
from music.models import Artist, Track, TrackArtist
from music.selectors import track_queryset, track_visible_q
from rooms.access import rooms_visible_to
from rooms.models import Room
from rooms.selectors import with_listing

# Word similarity (0..1) that a fuzzy candidate needs (`fuzzy_threshold`): one wrong letter
# in a five-letter word still scores about 0.33 ("mules" in "Miles Davis", where pg_trgm's
# default 0.6 would miss it), while in a longer query it costs less of the score, so a longer
# query can ask more and bring fewer (cheaper) candidates.
FUZZY_MIN = 0.3
FUZZY_MAX = 0.5
# How many rows each index scan may bring to the ranking.
CANDIDATES = 60
# The fuzzy step runs only when no name is the query and the word matches found fewer tracks
# and artists than this.
FUZZY_BELOW = 3
# A typo's corrections (`corrections`): the nearest catalog words, at most NEAREST, with at
# least this trigram similarity ("lve" and "love" score 0.29, "trkth" and "truth" 0.33).
NEAREST = 3
CORRECTION_MIN = 0.25
ARTISTS = 10
# The most words of a query that count (a pasted paragraph is not a search).
MAX_WORDS = 8

_WORD = re.compile(r"\w+")


def register_lookups() -> None:
    """`trigram_word_similar` on text columns (search/apps.py, at start-up). What
    django.contrib.postgres's AppConfig would register, without installing that app."""
    CharField.register_lookup(TrigramWordSimilar)
    TextField.register_lookup(TrigramWordSimilar)


def normalize(query: str) -> str:
    """Lower-case, single-spaced."""
    return " ".join(query.split()).lower()


def words_of(query: str) -> list[str]:
    return _WORD.findall(query.lower())[:MAX_WORDS]


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


# --- tracks ------------------------------------------------------------------------------


def track_search(*, query: str, limit: int, user: User | None = None) -> list[Track]:
    """Catalog tracks by name, artist and album, best first, prefetched for TrackBase. Only
    those `user` may see: someone else's upload only if it was queued in a room of theirs
    (music.selectors.track_visible_q). The rule filters the final ranking; uploads have no
    popularity, so in the capped candidate scans they come after the catalog's tracks."""
    query = normalize(query)
    if not query:
        return []
    visible = track_visible_q(user)
    ids = _track_ids_pg(query, limit, visible) if is_postgresql() else _track_ids_sqlite(query, limit, visible)
    by_id = {track.pk: track for track in track_queryset().filter(pk__in=ids)}
    return [by_id[pk] for pk in ids if pk in by_id]


def _prefix_query(words: list[str]) -> SearchQuery | None:
    """Every word, each as a prefix: 'blue':* & 'gre':* (words are \\w+, so nothing to escape)."""
    if not words:
        return None
    return SearchQuery(" & ".join(f"'{word}':*" for word in words), search_type="raw", config="simple")


def _vector(field: str) -> SearchVector:
    # The expression of the GIN indexes in search/migrations: change both together.
    return SearchVector(field, config="simple")


def fuzzy_threshold(query: str) -> float:
    """About 1 - 6/trigrams: a one-letter typo spoils at most three of the query's trigrams."""
    trigrams = len(query) + 2 * len(query.split())
    return round(min(FUZZY_MAX, max(FUZZY_MIN, 1 - 6 / max(1, trigrams))), 2)


def _fuzzy_threshold(query: str) -> None:
    """pg_trgm's word-similarity threshold for this connection (the `%>` operator reads it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)", [str(fuzzy_threshold(query))]
        )


def corrections(words: list[str]) -> dict[str, list[str]]:
    """Each word's nearest words in the catalog (table search_word, migration 0002), nearest
    first: the word alone when the catalog has it, else those similar enough to be a typo of it
    (none when nothing is). One query, a GiST nearest-neighbour scan per word."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT q.word, c.word, c.sim FROM unnest(%s::text[]) AS q(word) CROSS JOIN LATERAL ("
            " SELECT s.word, similarity(s.word, q.word) AS sim FROM search_word s"
            " ORDER BY s.word <-> q.word LIMIT %s) AS c",
            [words, NEAREST],
        )
        rows = cursor.fetchall()
    nearest: dict[str, list[tuple[str, float]]] = {word: [] for word in words}
    for word, candidate, similarity in rows:
        nearest[word].append((candidate, similarity))
    return {
        word: [word]
        if any(candidate == word for candidate, _ in found)
        else [c for c, similarity in found if similarity >= CORRECTION_MIN and _WORD.fullmatch(c)]
        for word, found in nearest.items()
    }


def _corrected_query(words: list[str]) -> SearchQuery | None:
    """`_prefix_query` with each word the catalog lacks replaced by its corrections (any of
    them) and dropped when it has none; None when no word was corrected (nothing new to find)."""
    parts: list[str] = []
    changed = False
    for word, near in corrections(words).items():
        if near == [word]:
            parts.append(f"'{word}':*")
        else:
            changed = True
            if near:
                parts.append("(" + " | ".join(f"'{c}'" for c in near) + ")")
    if not changed or not parts:
        return None
    return SearchQuery(" & ".join(parts), search_type="raw", config="simple")


def _ids(rows: QuerySet) -> list:
    return list(rows.values_list("pk", flat=True))


# How many matches of a word or prefix a candidate scan reads (through that word's own index)
# before keeping the most popular of them.
MATCHES_SEEN = 1000

# The full-text expressions are those of search/migrations/0001's indexes: change both together.
_CANDIDATES_SQL = """
WITH pre AS MATERIALIZED (
    SELECT id, popularity FROM music_track WHERE LOWER(name)::text LIKE %(prefix)s LIMIT %(seen)s
), nm AS MATERIALIZED (
    SELECT id, popularity FROM music_track
    WHERE to_tsvector('simple'::regconfig, COALESCE(name, '')) @@ to_tsquery('simple'::regconfig, %(tsquery)s)
    LIMIT %(seen)s
), al AS MATERIALIZED (
    SELECT id, popularity FROM music_track
    WHERE to_tsvector('simple'::regconfig, COALESCE(album, '')) @@ to_tsquery('simple'::regconfig, %(tsquery)s)
    LIMIT %(seen)s
)
(SELECT 'exact', id FROM music_track WHERE LOWER(name) = %(query)s ORDER BY popularity DESC, id LIMIT %(limit)s)
UNION ALL (SELECT 'prefix', id FROM pre ORDER BY popularity DESC, id LIMIT %(limit)s)
UNION ALL (SELECT 'name', id FROM nm ORDER BY popularity DESC, id LIMIT %(candidates)s)
UNION ALL (SELECT 'album', id FROM al ORDER BY popularity DESC, id LIMIT %(candidates)s)
UNION ALL (
    SELECT 'artist', id FROM music_artist
    WHERE to_tsvector('simple'::regconfig, COALESCE(name, '')) @@ to_tsquery('simple'::regconfig, %(tsquery)s)
    ORDER BY WORD_SIMILARITY(%(query)s, name) DESC, id LIMIT %(artists)s
)
"""


def _candidate_scans(query: str, words: list[str], limit: int) -> dict[str, list[int]]:
    """The candidate ids of each scan (exact name, name prefix, every word in the name, in the
    album, in an artist's name), in one round trip.

    A common word or prefix ("the", "plan…") matches tens of thousands of tracks. Sorting them
    all by popularity took 20-30 ms on 200,000 tracks, and walking a popularity index instead
    was as slow for a word of middling frequency or a rare combination of words (every row's
    tsvector computed until enough match; up to 100 ms). Each scan therefore reads at most
    MATCHES_SEEN matches through the word's own index and keeps the most popular of those:
    15-25 ms for the whole statement whatever the words. The ranking in `_track_ids_pg` then
    orders the candidates by similarity to the query."""
    found: dict[str, list[int]] = {key: [] for key in ("exact", "prefix", "name", "album", "artist")}
    use_words = bool(words) and len(query) >= 2
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    params: dict[str, str | int] = {
        "query": query,
        "prefix": f"{escaped}%",
        # No words (punctuation only): the empty tsquery, which matches nothing.
        "tsquery": " & ".join(f"'{word}':*" for word in words) if use_words else "",
        "seen": MATCHES_SEEN,
        "limit": limit,
        "candidates": CANDIDATES if use_words else 0,
        "artists": ARTISTS if use_words else 0,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CANDIDATES_SQL, params)
        for key, pk in cursor.fetchall():
            found[key].append(pk)
    return found


def _track_ids_pg(query: str, limit: int, visible: Q) -> list[int]:
    words = words_of(query)
    tsquery = _prefix_query(words)
    name_sim = TrigramWordSimilarity(query, "name")
    scanned = _candidate_scans(query, words, limit)
    exact = scanned["exact"]
    found: list[int] = [*exact, *scanned["prefix"], *scanned["name"], *scanned["album"]]
    artist_ids = scanned["artist"]
    if not exact and len(set(found)) + len(artist_ids) < min(limit, FUZZY_BELOW) and len(query) >= 3:
        # (Almost) no word matches, as with a typo: the same full-text scans with each word
        # the catalog lacks replaced by the catalog's words nearest to it.
        corrected = _corrected_query(words)
        if corrected is not None:
            found += _ids(
                Track.objects.annotate(v=_vector("name"))
                .filter(v=corrected)
                .order_by(Length("name"), F("popularity").desc(), "pk")[:CANDIDATES]
            )
            artist_ids += _ids(
                Artist.objects.annotate(v=_vector("name"))
                .filter(v=corrected)
                .annotate(sim=TrigramWordSimilarity(query, "name"))
                .order_by("-sim", "pk")[:ARTISTS]
            )
    if artist_ids:
        found += list(
            TrackArtist.objects.filter(artist_id__in=artist_ids)
            .order_by(F("track__popularity").desc(), "track_id")
            .values_list("track_id", flat=True)[:CANDIDATES]
        )
    candidates = list(dict.fromkeys(found))
    if not candidates:
        return []
    artist_sim = (
        TrackArtist.objects.filter(track_id=OuterRef("pk"))
        .annotate(sim=TrigramWordSimilarity(query, "artist__name"))
        .order_by("-sim")
        .values("sim")[:1]
    )
    rank = SearchRank(_vector("name"), tsquery) if tsquery is not None else Value(0.0)
    ranked = (
        Track.objects.filter(visible, pk__in=candidates)
        .annotate(
            exact=Case(When(Q(name__iexact=query), then=Value(1)), default=Value(0), output_field=IntegerField()),
            score=Greatest(
                # The name counts most; its whole-string similarity prefers "So What" to "So What (Live)".
                name_sim + TrigramSimilarity("name", query) * 0.5 + rank,
                Coalesce(Subquery(artist_sim, output_field=FloatField()), Value(0.0)) * 0.95,
                TrigramWordSimilarity(query, "album") * 0.8,
            ),
        )
        .order_by("-exact", "-score", F("popularity").desc(), "pk")
    )
    return _ids(ranked[:limit])


def _each_word(words: Iterable[str], fields: list[str]) -> Q:
    """Every word in at least one of the fields (case-insensitive)."""
    condition = Q()
    for word in words:
        either = Q()
        for field in fields:
            either |= Q(**{f"{field}__icontains": word})
        condition &= either
    return condition


def _tiers(field: str, query: str) -> Case:
    """0 exact, 1 prefix, 2 contains (the name), 3 anything else."""
    whens = [
        When(Q(**{f"{field}__iexact": query}), then=Value(0)),
        When(Q(**{f"{field}__istartswith": query}), then=Value(1)),
        When(Q(**{f"{field}__icontains": query}), then=Value(2)),
    ]
    return Case(*whens, default=Value(3), output_field=IntegerField())


def _track_ids_sqlite(query: str, limit: int, visible: Q) -> list[int]:
    words = query.split()[:MAX_WORDS]
    by_artist = Track.objects.filter(
        Exists(TrackArtist.objects.filter(track=OuterRef("pk"), artist__name__icontains=query))
    )
    rows = Track.objects.filter(
        visible, _each_word(words, ["name", "album"]) | Q(pk__in=by_artist.values("pk"))
    ).annotate(tier=_tiers("name", query))
    return _ids(rows.order_by("tier", F("popularity").desc(), "name", "pk")[:limit])


# --- rooms -------------------------------------------------------------------------------


def room_search(*, query: str, user: User | None, limit: int) -> list[Room]:
    """Open rooms the caller may see (rooms.access), by name, description and genre."""
    query = normalize(query)
    if not query:
        return []
    postgres = is_postgresql()
    words = words_of(query) if postgres else query.split()[:MAX_WORDS]
    genre = Exists(Room.genres.through.objects.filter(room_id=OuterRef("pk"), genre__name__in=list({query, *words})))
    visible = rooms_visible_to(user)
    ordered: QuerySet[Room]
    if postgres:
        _fuzzy_threshold(query)
        tsquery = _prefix_query(words)
        matches = Q(name__trigram_word_similar=query) | Q(name__icontains=query) | Q(genre)
        if tsquery is not None:
            visible = visible.annotate(fts=SearchVector("name", "description", config="simple"))
            matches |= Q(fts=tsquery)
        genre_score = Case(When(genre, then=Value(0.7)), default=Value(0.0), output_field=FloatField())
        ordered = (
            visible.filter(matches)
            .annotate(
                exact=Case(When(Q(name__iexact=query), then=Value(1)), default=Value(0), output_field=IntegerField()),
                score=Greatest(
                    TrigramWordSimilarity(query, "name") + TrigramSimilarity("name", query) * 0.5,
                    TrigramWordSimilarity(query, "description") * 0.6,
                    genre_score,
                ),
            )
            .order_by("-exact", "-score", "-created_at", "pk")
        )
    else:
        ordered = (
            visible.filter(_each_word(words, ["name", "description"]) | Q(genre))
            .annotate(tier=_tiers("name", query))
            .order_by("tier", "-created_at", "pk")
        )
    ids = _ids(ordered[:limit])
    by_id = {room.pk: room for room in with_listing(Room.objects.filter(pk__in=ids))}
    return [by_id[pk] for pk in ids if pk in by_id]


# --- people ------------------------------------------------------------------------------


def user_search(*, query: str, limit: int) -> list[User]:
    """Active people by username and display name."""
    query = normalize(query)
    if not query:
        return []
    active = User.objects.filter(is_active=True)
    exact = Q(username__iexact=query) | Q(display_name__iexact=query)
    ordered: QuerySet[User]
    if is_postgresql():
        _fuzzy_threshold(query)
        matches = (
            Q(username__trigram_word_similar=query)
            | Q(display_name__trigram_word_similar=query)
            | Q(username__istartswith=query)
            | Q(display_name__icontains=query)
        )
        ordered = (
            active.filter(matches)
            .annotate(
                exact=Case(When(exact, then=Value(1)), default=Value(0), output_field=IntegerField()),
                score=Greatest(
                    TrigramWordSimilarity(query, "username") + TrigramSimilarity("username", query) * 0.5,
                    TrigramWordSimilarity(query, "display_name") + TrigramSimilarity("display_name", query) * 0.5,
                ),
            )
            .order_by("-exact", "-score", "username")
        )
    else:
        words = query.split()[:MAX_WORDS]
        ordered = (
            active.filter(_each_word(words, ["username", "display_name"]))
            .annotate(
                tier=Case(
                    When(exact, then=Value(0)),
                    When(Q(username__istartswith=query) | Q(display_name__istartswith=query), then=Value(1)),
                    default=Value(2),
                    output_field=IntegerField(),
                )
            )
            .order_by("tier", "username")
        )
    return list(ordered[:limit])
