from celery import shared_task

from rooms import services
from rooms.models import Room


@shared_task(name="rooms.playback_advance_if_over", ignore_result=True, acks_late=True)
def playback_advance_if_over(room_id: str, version: int) -> None:
    """Scheduled for the expected end of a track. Idempotent: the CAS on `version` makes a
    late, repeated or early run a no-op (early runs happen in eager mode)."""
    room = Room.objects.filter(pk=room_id, closed_at__isnull=True).first()
    if room is not None:
        services.playback_advance_if_over(room=room, version=version)


@shared_task(name="rooms.tasks.prune", ignore_result=True)
def prune() -> dict:
    """Periodic data maintenance; see rooms.services.prune."""
    return services.prune()
