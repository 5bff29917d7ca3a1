"""CompiledRead: the ORM's SQL compiled once, rerun with the caller's arguments."""

from datetime import timedelta

import django
import pytest
from django.db.models import IntegerField, Value
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core import reads
from core.reads import CompiledRead
from music.models import ListeningEvent, Track
from recommendations.tests.conftest import listen

pytestmark = pytest.mark.django_db


def test_it_was_checked_against_this_django_release():
    version = ".".join(map(str, django.VERSION[:2]))
    assert reads.checked_here(), (
        f"CompiledRead replays SQL from Django's compiler internals and was checked on "
        f"{reads.CHECKED_DJANGO}, not Django {version}: run recommendations/tests/test_reads.py and "
        f"bench/recommendations.py on {version}, then add it to reads.CHECKED_DJANGO"
    )


def _listens(user_id, since):
    return (
        ListeningEvent.objects.filter(user_id=user_id, listened_at__gte=since)
        .order_by("track__name")
        .values_list("track__name", "listened_at", "user_id")
    )


def test_it_gives_the_querysets_rows_for_every_caller(catalog, django_assert_num_queries):
    ann, ben = UserFactory(username="ann"), UserFactory(username="ben")
    for track in catalog["jazz"][:3]:
        listen(ann, track, days_ago=1)
    listen(ann, catalog["metal"][0], days_ago=20)
    listen(ben, catalog["metal"][1], days_ago=2)
    read = CompiledRead(_listens, "uuid", "datetime", model=ListeningEvent)
    week_ago = timezone.now() - timedelta(days=7)

    for user, since in (
        (ann, week_ago),
        (ben, week_ago),
        (ann, week_ago - timedelta(days=30)),
        (UserFactory(), week_ago),
    ):
        with django_assert_num_queries(1):
            rows = read(user.pk, since)
        assert rows == list(_listens(user.pk, since))  # names, aware datetimes and UUIDs, as the ORM gives them
    assert [name for name, _, _ in read(ann.pk, week_ago)] == ["Blue in Green", "Jazz 1", "Jazz 2"]
    assert len(read._plans) == 1  # compiled once


def _tracks(ids, names):
    number = IntegerField()
    by_id = Track.objects.filter(pk__in=ids).annotate(kind=Value(0, number)).values_list("kind", "name")
    by_name = Track.objects.filter(name__in=names).annotate(kind=Value(1, number)).values_list("kind", "name")
    return by_id.order_by().union(by_name.order_by(), all=True)


def test_list_arguments_of_any_length_including_none(catalog):
    read = CompiledRead(_tracks, "int[]", "str[]", model=Track)
    jazz = catalog["jazz"]
    for count in (0, 1, 2, 3, 5, 8):
        ids = [t.pk for t in jazz[:count]]
        names = [t.name for t in catalog["metal"][:count]]
        assert sorted(read(ids, names)) == sorted(_tracks(ids, names)), count
    assert read([], []) == []
    # Lengths are padded to powers of two: 0, 1, 2, 4 and 8 (3 and 5 share 4 and 8).
    assert len(read._plans) == 5


def test_an_argument_the_orm_does_not_pass_as_a_parameter_falls_back_to_the_queryset(catalog):
    # The limit is written into the SQL, so its marker cannot be swapped: the read runs the queryset.
    read = CompiledRead(lambda count: Track.objects.order_by("name").values_list("name")[:count], "int", model=Track)
    assert read(2) == [("Bebop 0",), ("Bebop 1",)]
    assert read(3) == [("Bebop 0",), ("Bebop 1",), ("Bebop 2",)]


def test_a_fallen_back_flat_read_still_gives_tuples(catalog):
    read = CompiledRead(
        lambda count: Track.objects.order_by("name").values_list("name", flat=True)[:count], "int", model=Track
    )
    assert read(1) == [("Bebop 0",)]
