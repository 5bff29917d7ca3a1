"""The catalog's words, for correcting a typo in a query (search/selectors.py, `corrections`).

A fuzzy match of the whole query against every track name (`name %> query`) has to recompute
word_similarity on the thousands of names that share a trigram with it (over 100 ms on 200,000
tracks). pg_trgm's documentation suggests the other way round: keep the distinct words of the
text in a small table with a trigram index, find the words nearest to each word of the query
there (a few milliseconds), and look the corrected words up in the full-text indexes.

`search_word` holds the lexemes of `to_tsvector('simple', ...)` of every track name and album
and every artist name, i.e. exactly the words the full-text indexes of 0001 know. Statement
triggers on music_track and music_artist add the words of new and renamed rows (a word is never
removed: one left over from a deleted track costs nothing but a useless correction candidate).
PostgreSQL only; on SQLite this migration does nothing.
"""

from django.db import migrations

WORDS_OF = "SELECT lexeme FROM {source}, unnest(to_tsvector('simple'::regconfig, {text})) WHERE length(lexeme) >= 2"
TRACK_TEXT = "COALESCE(name, '') || ' ' || COALESCE(album, '')"
ARTIST_TEXT = "COALESCE(name, '')"

CREATE = [
    "CREATE TABLE IF NOT EXISTS search_word (word text PRIMARY KEY)",
    # GiST, for the nearest words (`ORDER BY word <-> %s LIMIT n`, an index-ordered scan).
    "CREATE INDEX IF NOT EXISTS search_word_trgm ON search_word USING gist (word gist_trgm_ops)",
    f"""CREATE OR REPLACE FUNCTION search_track_words() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO search_word {WORDS_OF.format(source="new_rows", text=TRACK_TEXT)} ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION search_artist_words() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO search_word {WORDS_OF.format(source="new_rows", text=ARTIST_TEXT)} ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$""",
]
# A trigger with a transition table serves one event only: one for inserts, one for updates.
TRIGGERS = [
    ("search_track_words_insert", "music_track", "INSERT", "search_track_words"),
    ("search_track_words_update", "music_track", "UPDATE", "search_track_words"),
    ("search_artist_words_insert", "music_artist", "INSERT", "search_artist_words"),
    ("search_artist_words_update", "music_artist", "UPDATE", "search_artist_words"),
]
BACKFILL = [
    f"INSERT INTO search_word {WORDS_OF.format(source='music_track', text=TRACK_TEXT)} ON CONFLICT DO NOTHING",
    f"INSERT INTO search_word {WORDS_OF.format(source='music_artist', text=ARTIST_TEXT)} ON CONFLICT DO NOTHING",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in CREATE:
        schema_editor.execute(statement)
    for name, table, event, function in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    for statement in BACKFILL:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, _event, _function in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS search_track_words()")
    schema_editor.execute("DROP FUNCTION IF EXISTS search_artist_words()")
    schema_editor.execute("DROP TABLE IF EXISTS search_word")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_search_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
