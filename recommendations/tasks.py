"""Periodic work for recommendations. Both tasks are idempotent: running one twice gives the same
stored result, and a lock in the shared cache keeps two recomputes from overlapping."""

import logging

from celery import shared_task

from recommendations import services

logger = logging.getLogger(__name__)


# The global limit (5 min) suits request-sized tasks; learning from all history may take longer.
@shared_task(name="recommendations.tasks.recompute", ignore_result=True, time_limit=60 * 60, soft_time_limit=55 * 60)
def recompute() -> dict | None:
    """Relearns the neighbours, lists and room tastes (Celery beat, hourly)."""
    if not services.recompute_lock():
        logger.info("A recommendation recompute is already running; skipping this one.")
        return None
    try:
        build = services.recommendations_recompute()
    finally:
        services.recompute_unlock()
    return {"build": build.pk, "seconds": build.seconds}


@shared_task(name="recommendations.tasks.refresh_room_index", ignore_result=True, time_limit=120, soft_time_limit=100)
def refresh_room_index() -> int:
    """Rebuilds the room index; queued by a request that finds it older than a minute."""
    return len(services.room_index_refresh().room_ids)
