"""Background work for the catalogue: enriching artists (genres, image) from Spotify.

Tasks take ids, call `music.services`, and are idempotent: an artist enriched recently is
skipped, so a redelivered or retried task asks Spotify nothing twice.
"""

import logging
import secrets

from celery import shared_task

from core.background import enqueue
from music import services, spotify

logger = logging.getLogger(__name__)

# Retries of enrich_artists wait 30 s, 1 min, 2 min, … up to 30 min (plus up to 25 % jitter),
# or longer when Spotify's Retry-After says so.
RETRY_FIRST_WAIT = 30
RETRY_LONGEST_WAIT = 30 * 60


def retry_wait(*, retries: int, retry_after: float | None) -> int:
    wait = min(RETRY_LONGEST_WAIT, RETRY_FIRST_WAIT * 2**retries)
    wait += secrets.randbelow(wait // 4 + 1)
    return max(wait, int(retry_after or 0))


@shared_task(name="music.tasks.enrich_artists", bind=True, max_retries=6, ignore_result=True)
def enrich_artists(self, artist_ids: list[int]) -> int:
    """Stores Spotify's genres and image for these artists (batches of 50) and adds the
    genres to their tracks. Does nothing without Spotify credentials."""
    try:
        return services.artists_enrich(artist_ids=artist_ids)
    except spotify.SpotifyUnavailable as exc:
        if self.request.is_eager:
            # Embedded mode runs tasks inline, inside the request that stored the track,
            # and an eager retry would not wait: give up now, enrich_pending retries later.
            logger.warning("Enriching artists %s failed: %s", artist_ids, exc)
            return 0
        # Explicit rather than autoretry_for, so that Spotify's Retry-After is honoured.
        raise self.retry(exc=exc, countdown=retry_wait(retries=self.request.retries, retry_after=exc.retry_after))


@shared_task(name="music.tasks.enrich_pending", ignore_result=True)
def enrich_pending(limit: int = 1000) -> int:
    """Periodic sweep: enqueues enrichment for artists never enriched (imports, demo data,
    enqueues lost to a broker outage), one task per batch of 50. Returns how many."""
    if not spotify.is_configured():
        return 0
    artist_ids = services.artists_pending_enrichment(limit=limit)
    for start in range(0, len(artist_ids), spotify.ARTISTS_PER_CALL):
        # A batch the broker did not take is still pending: the next sweep sends it.
        enqueue(enrich_artists, args=[artist_ids[start : start + spotify.ARTISTS_PER_CALL]])
    return len(artist_ids)
