"""What the precompute learns, stored for request-time reads.

Neighbour lists are packed arrays, one row per track or user, not one row per pair: a
request reads the rows of the ~100 tracks it starts from in one indexed query and decodes
each with `numpy.frombuffer`, instead of turning thousands of pair rows into Python
objects. The whole set is replaced at each recompute (200,000 rows, not 10 million).
"""

import uuid

import numpy as np
from django.conf import settings
from django.db import models
from django.utils import timezone

from music.models import Track
from rooms.models import Room

# Little-endian on disk whatever the machine: the rows are read by every server process.
INT64 = np.dtype("<i8")
INT32 = np.dtype("<i4")
FLOAT32 = np.dtype("<f4")


def pack_ints(values) -> bytes:
    return np.asarray(values, dtype=INT64).tobytes()


def pack_floats(values) -> bytes:
    return np.asarray(values, dtype=FLOAT32).tobytes()


def unpack_ints(data) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=INT64)


def pack_counts(values) -> bytes:
    return np.minimum(np.asarray(values, dtype=np.int64), 2**31 - 1).astype(INT32).tobytes()


def unpack_counts(data) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=INT32)


def unpack_floats(data) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=FLOAT32)


def pack_uuids(values) -> bytes:
    return b"".join(uuid.UUID(str(value)).bytes for value in values)


def unpack_uuids(data) -> list[uuid.UUID]:
    data = bytes(data)
    return [uuid.UUID(bytes=data[i : i + 16]) for i in range(0, len(data), 16)]


class ModelBuild(models.Model):
    """One run of the precompute: what it read, what it wrote, how long it took."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    users = models.PositiveIntegerField(default=0)
    tracks = models.PositiveIntegerField(default=0)
    interactions = models.PositiveBigIntegerField(default=0)
    # The most listeners any track has: popularity is log(listeners) / log(this).
    max_listeners = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0)
    # Parameters, per-step timings, peak memory, errors.
    figures = models.JSONField(default=dict, blank=True)
    # Every track's genres and artists as compressed arrays (see served.CatalogFeatures): read
    # once per build by each process, so requests look features up instead of querying them.
    catalog = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.status} build of {self.started_at:%Y-%m-%d %H:%M}"


class TrackNeighbors(models.Model):
    """A track's most similar tracks by co-listening, best first."""

    track = models.OneToOneField(Track, on_delete=models.CASCADE, primary_key=True, related_name="+")
    neighbor_ids = models.BinaryField()  # int64 track pks
    scores = models.BinaryField()  # float32, same order
    # int32 distinct listeners of each neighbour: their popularity without another query.
    neighbor_listeners = models.BinaryField()
    # Distinct listeners of this track in the data the model was learned from.
    listeners = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"neighbours of track {self.track_id}"


class UserNeighbors(models.Model):
    """The users whose histories are most like this user's, most similar first."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+")
    neighbor_ids = models.BinaryField()  # 16-byte UUIDs
    scores = models.BinaryField()  # float32 cosine similarities

    def __str__(self) -> str:
        return f"neighbours of user {self.user_id}"


class TrackList(models.Model):
    """A ranked list of tracks: "popular" overall, "genre:<pk>" the most listened in a genre."""

    key = models.CharField(max_length=64, primary_key=True)
    track_ids = models.BinaryField()  # int64 track pks
    scores = models.BinaryField()  # float32 listeners

    def __str__(self) -> str:
        return self.key


class RoomTaste(models.Model):
    """Genres and artists of a room's recent plays.

    This is the part of a room's profile that needs a pass over listening history, so the
    precompute makes it; declared genres, the current track and the queue are read fresh.
    """

    room = models.OneToOneField(Room, on_delete=models.CASCADE, primary_key=True, related_name="+")
    genre_ids = models.BinaryField()
    genre_weights = models.BinaryField()
    artist_ids = models.BinaryField()
    artist_weights = models.BinaryField()
    plays = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"taste of room {self.room_id}"
