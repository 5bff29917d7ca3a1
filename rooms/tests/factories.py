from accounts.models import User
from rooms import services
from rooms.models import Room


def make_room(
    *,
    owner: User,
    name: str,
    is_private: bool = False,
    genres=None,
    queue_policy: str = Room.Policy.MODERATORS,
    autoplay: bool = False,
    **kwargs,
) -> Room:
    """A room for tests. Unlike a new room of the API (members queue, autoplay on), only the owner and
    moderators queue and the queue's end leaves it idle, unless a test asks otherwise: the
    permission matrix and the playback tests were written against those rules."""
    return services.room_create(
        owner=owner,
        name=name,
        is_private=is_private,
        genres=genres or [],
        queue_policy=queue_policy,
        autoplay=autoplay,
        **kwargs,
    )
