from accounts.models import User
from rooms import services
from rooms.models import Room


def make_room(*, owner: User, name: str, is_private: bool = False, genres=None, **kwargs) -> Room:
    return services.room_create(owner=owner, name=name, is_private=is_private, genres=genres or [], **kwargs)
