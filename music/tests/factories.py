import random
import string

import factory

from music.models import Artist, Genre, Track, TrackArtist


def spotify_id(n: int | None = None) -> str:
    rng = random.Random(n)
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(22))


class GenreFactory(factory.django.DjangoModelFactory[Genre]):
    class Meta:
        model = Genre
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"genre {n}")


class ArtistFactory(factory.django.DjangoModelFactory[Artist]):
    class Meta:
        model = Artist

    spotify_id = factory.Sequence(lambda n: spotify_id(10_000 + n))
    name = factory.Sequence(lambda n: f"Artist {n}")


class TrackFactory(factory.django.DjangoModelFactory[Track]):
    """A track with one artist. `genres=["jazz"]` sets its genres by name."""

    class Meta:
        model = Track
        skip_postgeneration_save = True

    spotify_id = factory.Sequence(lambda n: spotify_id(n))
    name = factory.Sequence(lambda n: f"Track {n}")
    album = "An Album"
    duration_ms = 200_000

    @factory.post_generation
    def artist(self, create, extracted, **kwargs):
        if create:
            TrackArtist.objects.create(track=self, artist=extracted or ArtistFactory(), position=0)

    @factory.post_generation
    def genres(self, create, extracted, **kwargs):
        if create and extracted:
            self.genres.add(*[GenreFactory(name=name) for name in extracted])
