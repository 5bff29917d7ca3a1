"""Enriching artists (genres, image) from Spotify in the background (music/tasks.py)."""

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from music import services, tasks
from music.models import Artist, Track
from music.tests.factories import ArtistFactory, TrackFactory
from music.tests.test_spotify import (
    ARTISTS_URL,
    COLTRANE,
    MILES,
    SO_WHAT,
    configure,
    mock_artists,
    mock_token,
    mock_track,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def spotify_on(settings):
    configure(settings, retries=0)
    return settings


@pytest.fixture(autouse=True)
def _no_sleep(monkeypatch):
    monkeypatch.setattr("music.spotify.sleep", lambda seconds: None)


def artist_calls(rsps) -> list[list[str]]:
    return [call.request.params["ids"].split(",") for call in rsps.calls if "/v1/artists" in call.request.url]


def genres_of(spotify_id: str) -> list[str]:
    return sorted(Track.objects.get(spotify_id=spotify_id).genres.values_list("name", flat=True))


@pytest.fixture
def so_what(spotify_on, mocked_responses):
    """So What, just fetched from Spotify: its artists are not enriched yet."""
    mock_token(mocked_responses)
    mock_track(mocked_responses)
    services.track_get_or_fetch(spotify_id=SO_WHAT)
    return Track.objects.get(spotify_id=SO_WHAT)


def test_it_adds_the_artists_genres_to_a_fetched_track(
    spotify_on, mocked_responses, django_capture_on_commit_callbacks
):
    mock_token(mocked_responses)
    mock_track(mocked_responses)
    mock_artists(mocked_responses)

    with django_capture_on_commit_callbacks(execute=True):
        services.track_get_or_fetch(spotify_id=SO_WHAT)

    assert genres_of(SO_WHAT) == ["cool jazz", "hard bop", "jazz"]
    miles = Artist.objects.get(spotify_id=MILES)
    assert sorted(miles.genres.values_list("name", flat=True)) == ["cool jazz", "jazz"]
    assert miles.image_url == f"https://i.scdn.co/artist/{MILES}"
    assert miles.enriched_at is not None
    assert Track.objects.get(spotify_id=SO_WHAT).enriched_at is not None
    assert artist_calls(mocked_responses) == [[MILES, COLTRANE]]


def test_it_enriches_only_once_the_track_is_committed(spotify_on, mocked_responses, django_capture_on_commit_callbacks):
    mock_token(mocked_responses)
    mock_track(mocked_responses)
    mock_artists(mocked_responses)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.track_get_or_fetch(spotify_id=SO_WHAT)

    assert len(callbacks) == 1
    assert artist_calls(mocked_responses) == []
    assert genres_of(SO_WHAT) == []

    callbacks[0]()

    assert genres_of(SO_WHAT) == ["cool jazz", "hard bop", "jazz"]


def test_it_enqueues_nothing_for_a_track_created_offline(settings, django_capture_on_commit_callbacks):
    settings.SPOTIFY_CLIENT_ID = ""

    with django_capture_on_commit_callbacks() as callbacks:
        services.track_create(spotify_id=SO_WHAT, name="So What", artists=["Miles Davis"])

    assert callbacks == []


def test_a_second_run_asks_spotify_nothing(so_what, mocked_responses):
    mock_artists(mocked_responses)
    artist_ids = list(so_what.artists.values_list("pk", flat=True))

    assert tasks.enrich_artists.delay(artist_ids).get() == 2
    # Not the answer cache: the database knows these artists are freshly enriched.
    from django.core.cache import cache

    cache.clear()
    assert tasks.enrich_artists.delay(artist_ids).get() == 0
    assert len(artist_calls(mocked_responses)) == 1


def test_it_asks_again_about_artists_enriched_long_ago(so_what, spotify_on, mocked_responses):
    mock_artists(mocked_responses)
    long_ago = timezone.now() - timedelta(days=spotify_on.SPOTIFY_ENRICH_MAX_AGE_DAYS + 1)
    Artist.objects.filter(spotify_id=MILES).update(enriched_at=long_ago)
    Artist.objects.filter(spotify_id=COLTRANE).update(enriched_at=timezone.now())

    services.artists_enrich(artist_ids=list(so_what.artists.values_list("pk", flat=True)))

    assert artist_calls(mocked_responses) == [[MILES]]
    assert genres_of(SO_WHAT) == ["cool jazz", "jazz"]


def test_it_asks_spotify_fifty_artists_at_a_time(spotify_on, mocked_responses):
    mock_token(mocked_responses)
    artists = [ArtistFactory(spotify_id=f"{n:022d}") for n in range(120)]
    mock_artists(mocked_responses, {artist.spotify_id: ["Jazz"] for artist in artists})
    track = TrackFactory(artist=artists[119])

    assert services.artists_enrich(artist_ids=[artist.pk for artist in artists]) == 120

    assert [len(batch) for batch in artist_calls(mocked_responses)] == [50, 50, 20]
    assert genres_of(track.spotify_id) == ["jazz"]


def test_it_marks_artists_spotify_does_not_know_as_enriched(spotify_on, mocked_responses):
    mock_token(mocked_responses)
    mock_artists(mocked_responses, {})
    ghost = ArtistFactory(spotify_id="0000000000000000000000")

    services.artists_enrich(artist_ids=[ghost.pk])

    ghost.refresh_from_db()
    assert ghost.enriched_at is not None
    assert not ghost.genres.exists()


def test_it_never_asks_about_local_artists(spotify_on, mocked_responses):
    local = services.artist_store(spotify_id=None, name="Garage Band")

    assert services.artists_enrich(artist_ids=[local.pk]) == 0
    assert len(mocked_responses.calls) == 0


def test_it_does_nothing_without_credentials(settings, mocked_responses):
    settings.SPOTIFY_CLIENT_ID = ""
    artist = ArtistFactory()

    assert tasks.enrich_artists.delay([artist.pk]).get() == 0
    assert tasks.enrich_pending.delay().get() == 0
    assert len(mocked_responses.calls) == 0


def test_a_worker_retries_when_spotify_is_unavailable(so_what, mocked_responses):
    mocked_responses.get(ARTISTS_URL, status=503, body="")
    mock_artists(mocked_responses)
    artist_ids = list(so_what.artists.values_list("pk", flat=True))

    # As a worker runs it (not eagerly): the failure schedules a retry with a backoff. The
    # test settings run that retry at once, and it finds Spotify back.
    tasks.enrich_artists.push_request(
        id="worker-task", args=[artist_ids], kwargs={}, retries=0, is_eager=False, called_directly=False
    )
    try:
        with pytest.raises(Retry) as retry:
            tasks.enrich_artists.run(artist_ids)
    finally:
        tasks.enrich_artists.pop_request()

    assert 30 <= retry.value.when <= 38
    assert len(artist_calls(mocked_responses)) == 2
    assert genres_of(SO_WHAT) == ["cool jazz", "hard bop", "jazz"]


def test_a_retry_waits_at_least_as_long_as_spotify_asks():
    assert tasks.retry_wait(retries=0, retry_after=600) == 600
    assert 240 <= tasks.retry_wait(retries=3, retry_after=None) <= 300
    assert tasks.retry_wait(retries=20, retry_after=None) <= tasks.RETRY_LONGEST_WAIT * 1.25


def test_an_inline_run_gives_up_quietly_and_the_sweep_catches_up(so_what, mocked_responses):
    mocked_responses.get(ARTISTS_URL, status=503, body="")
    mock_artists(mocked_responses)

    assert tasks.enrich_artists.delay(list(so_what.artists.values_list("pk", flat=True))).get() == 0
    assert Artist.objects.filter(enriched_at__isnull=True).count() == 2

    assert tasks.enrich_pending.delay().get() == 2
    assert genres_of(SO_WHAT) == ["cool jazz", "hard bop", "jazz"]


def test_the_sweep_picks_only_spotify_artists_never_enriched(spotify_on, mocked_responses):
    mock_token(mocked_responses)
    mock_artists(mocked_responses, {MILES: ["jazz"], COLTRANE: ["jazz"]})
    pending = ArtistFactory(spotify_id=MILES)
    ArtistFactory(spotify_id=COLTRANE, enriched_at=timezone.now())
    services.artist_store(spotify_id=None, name="Garage Band")

    assert tasks.enrich_pending.delay().get() == 1

    assert artist_calls(mocked_responses) == [[MILES]]
    pending.refresh_from_db()
    assert pending.enriched_at is not None
