import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class Genre(models.Model):
    """A genre, by its normalised (lower-case, single-spaced) name."""

    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Artist(models.Model):
    # Spotify's id, or a local one ("local:…") for artists known only from imports.
    spotify_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=300)
    genres = models.ManyToManyField(Genre, related_name="artists", blank=True)
    image_url = models.URLField(max_length=500, blank=True)
    # When Spotify last told us this artist's genres and image (None: never asked).
    enriched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(Lower("name"), name="music_artist_name_ci")]

    def __str__(self) -> str:
        return self.name


class Track(models.Model):
    # Spotify's 22-character id, or "local:<uuid hex>" for tracks only an import knows.
    spotify_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=300)
    album = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    image_url = models.URLField(max_length=500, blank=True)
    # A clip the browser can play directly (the demo catalog); empty = only Spotify plays it.
    audio_url = models.CharField(max_length=500, blank=True)
    artists = models.ManyToManyField(Artist, through="TrackArtist", related_name="tracks")
    # Genres given for the track itself; the full set adds its artists' genres (Track.genre_names).
    genres = models.ManyToManyField(Genre, related_name="tracks", blank=True)
    popularity = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    enriched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(Lower("name"), name="music_track_name_ci"),
            # Most popular first: the popular-tracks reads (autoplay's fallback in
            # recommendations.room_picks, the recommender's popular baseline) walk it and stop.
            models.Index(fields=["-popularity", "id"], name="music_track_popular"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_local(self) -> bool:
        return self.spotify_id.startswith("local:")


class TrackArtist(models.Model):
    """Keeps the credited order of a track's artists."""

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="credits")
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="credits")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["track", "artist"], name="music_trackartist_unique")]

    def __str__(self) -> str:
        return f"{self.artist} on {self.track}"


class FavoriteTrack(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorites")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="favorited_by")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "track"], name="music_favorite_unique")]
        indexes = [models.Index(fields=["user", "-added_at"], name="music_fav_user_added")]

    def __str__(self) -> str:
        return f"{self.user} likes {self.track}"


class ListeningEvent(models.Model):
    """One listen (or, from an aggregated import, `play_count` listens ending at listened_at)."""

    class Source(models.TextChoices):
        ROOM = "room", "Room"
        IMPORT = "import", "Import"
        DEMO = "demo", "Demo data"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="listening_events")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="listening_events")
    # The room it was heard in. A plain id: music sits below rooms in the app layers.
    room_id = models.UUIDField(null=True, blank=True)
    listened_at = models.DateTimeField()
    ms_played = models.PositiveIntegerField(default=0)
    play_count = models.PositiveIntegerField(default=1)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ROOM)
    # The listener reacted with a like during this play (a taste signal, weaker than a favorite).
    liked = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["-listened_at"]
        constraints = [
            # Re-importing a file, or two server processes recording the same play, add nothing.
            models.UniqueConstraint(fields=["user", "track", "listened_at"], name="music_listen_unique"),
        ]
        indexes = [
            models.Index(fields=["user", "-listened_at"], name="music_listen_user_time"),
            models.Index(fields=["track", "-listened_at"], name="music_listen_track_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user} heard {self.track} at {self.listened_at:%Y-%m-%d %H:%M}"
