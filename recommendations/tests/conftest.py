"""Fixtures for recommendation tests: a small catalogue of jazz, bebop and metal, and helpers
to give people a listening history."""

from datetime import timedelta

import pytest
from django.utils import timezone

from music import services as music_services
from music.tests.factories import ArtistFactory, TrackFactory
from recommendations import selectors


@pytest.fixture(autouse=True)
def _fresh_memos(settings):
    """The room index is kept per process; each test starts clean. Presence is read fresh on
    every request here (in production it is reused for a few seconds), so tests need not wait."""
    settings.RECOMMENDATIONS_PRESENCE_SECONDS = 0
    selectors.reset_memos()
    yield
    selectors.reset_memos()


def listen(user, track, *, days_ago: float = 10, plays: int = 1, room=None):
    music_services.listening_record(
        user=user,
        track=track,
        room_id=room.pk if room is not None else None,
        listened_at=timezone.now() - timedelta(days=days_ago),
        play_count=plays,
    )


@pytest.fixture
def catalog(db):
    """Eight jazz tracks (Miles Davis, then Bill Evans), four bebop (Charlie Parker), eight metal (Metallica)."""
    miles = ArtistFactory(name="Miles Davis")
    evans = ArtistFactory(name="Bill Evans")
    bird = ArtistFactory(name="Charlie Parker")
    metallica = ArtistFactory(name="Metallica")
    jazz = [TrackFactory(name=f"Jazz {i}", artist=miles if i < 4 else evans, genres=["jazz"]) for i in range(8)]
    jazz[0].name = "Blue in Green"
    jazz[0].save()
    bebop = [TrackFactory(name=f"Bebop {i}", artist=bird, genres=["bebop", "jazz"]) for i in range(4)]
    metal = [TrackFactory(name=f"Metal {i}", artist=metallica, genres=["metal"]) for i in range(8)]
    return {"jazz": jazz, "bebop": bebop, "metal": metal}
