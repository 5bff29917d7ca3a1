"""Demo rooms for `manage.py load_demo_data`: a room per taste, each playing its genre."""

from django.db import transaction

from accounts.models import User
from music.models import Track
from rooms import services
from rooms.models import Room

# name, owner's username, genres, private?
DEMO_ROOMS = [
    ("Late Night Jazz", "alice", ["jazz", "bebop", "cool jazz"], False),
    ("Metal Hall", "bob", ["metal", "doom metal", "black metal"], False),
    ("Techno Basement", "charlie", ["techno", "house", "electronic"], False),
    ("Indie Corner", "dana", ["indie rock", "shoegaze", "dream pop"], False),
    ("Hip Hop Cypher", "eli", ["hip hop", "trap", "r&b"], False),
    ("Quiet Strings", "fatima", ["classical", "baroque", "opera"], True),
    ("Folk Porch", "gus", ["folk", "country", "bluegrass"], False),
    ("Dub Yard", "jules", ["reggae", "dub"], False),
]
QUEUE_LENGTH = 4


@transaction.atomic
def demo_rooms_create(*, users: list[User], track_ids: dict[str, int]) -> int:
    """Creates the demo rooms that are missing (by name); existing ones are left as they are."""
    # Keyed by the demo e-mail's name: a real user may already hold the username "alice".
    by_username = {user.email.split("@")[0]: user for user in users}
    created = 0
    for name, owner_name, genres, private in DEMO_ROOMS:
        owner = by_username.get(owner_name)
        if owner is None or Room.objects.filter(name__iexact=name).exists():
            continue
        room = services.room_create(
            owner=owner,
            name=name,
            is_private=private,
            genres=genres,
            description=f"Demo room: {', '.join(genres)}.",
            # Demo rooms never go silent, and their listeners add to the queue.
            autoplay=True,
            queue_policy=Room.Policy.MEMBERS,
        )
        for user in users:
            if user.pk != owner.pk and set(user.favorite_genres) & set(genres):
                if private:
                    services.invite_create(room=room, actor=owner, target=user)
                services.room_join(room=room, user=user)
        tracks = (
            Track.objects.filter(pk__in=track_ids.values(), genres__name__in=genres)
            .distinct()
            .order_by("spotify_id")[:QUEUE_LENGTH]
        )
        for track in tracks:
            services.queue_add(room=room, actor=owner, track=track)
        created += 1
    return created
