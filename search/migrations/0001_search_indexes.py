"""GIN indexes for GET /search on other apps' tables, PostgreSQL only (search/selectors.py).

pg_trgm (trusted since PostgreSQL 13, so the database owner may create it) serves the
`%>` word-similarity and ILIKE matches; the `to_tsvector('simple', ...)` expressions are
exactly those `SearchVector(field, config="simple")` writes, so the planner uses them for the
full-text matches. On SQLite (the embedded default) this migration does nothing.
"""

from django.db import migrations

FTS = "USING gin (to_tsvector('simple'::regconfig, COALESCE({column}, '')))"
TRGM = "USING gin ({column} gin_trgm_ops)"

INDEXES = [
    ("search_track_name_trgm", "music_track", TRGM.format(column="name")),
    ("search_track_name_fts", "music_track", FTS.format(column="name")),
    ("search_track_album_fts", "music_track", FTS.format(column="album")),
    # Prefix matches of the lower-cased name whatever the database's collation.
    ("search_track_name_prefix", "music_track", "(lower(name) text_pattern_ops)"),
    # GiST, not GIN, for the artists: the table is small enough that the planner would scan it
    # whole past a GIN index, computing word_similarity on every row; it takes the GiST one.
    ("search_artist_name_gist", "music_artist", "USING gist (name gist_trgm_ops)"),
    ("search_artist_name_fts", "music_artist", FTS.format(column="name")),
    ("search_room_name_trgm", "rooms_room", TRGM.format(column="name")),
    ("search_user_username_trgm", "accounts_user", TRGM.format(column="username")),
    ("search_user_display_name_trgm", "accounts_user", TRGM.format(column="display_name")),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, definition in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _definition in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("music", "0001_initial"),
        ("rooms", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
