import re
import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

# A Spotify track id: 22 letters and digits (music.services.SPOTIFY_ID is the same pattern).
SPOTIFY_TRACK_ID = re.compile(r"[0-9A-Za-z]{22}")


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
    class Origin(models.TextChoices):
        SPOTIFY = "spotify", "Spotify"
        UPLOAD = "upload", "Uploaded file"
        DEMO = "demo", "Demo catalog"
        IMPORT = "import", "Listening-history import"

    # Spotify's 22-character id, "local:<uuid hex>" for tracks only an import knows, or
    # "upload:<uuid hex>" for an uploaded file (music.uploads).
    spotify_id = models.CharField(max_length=64, unique=True)
    # Where the track comes from; with audio_url it decides how it can play (Track.sources).
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.SPOTIFY, db_default="spotify")
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

    @property
    def sources(self) -> list[str]:
        return track_sources(origin=self.origin, spotify_id=self.spotify_id, audio_url=self.audio_url)


def track_sources(*, origin: str, spotify_id: str, audio_url: str) -> list[str]:
    """How a browser can play a track: `audio` (its audio_url), `spotify` (Spotify's player, for
    Spotify's own ids; demo tracks only look like Spotify's)."""
    found = ["audio"] if audio_url else []
    if origin in (Track.Origin.SPOTIFY, Track.Origin.IMPORT) and SPOTIFY_TRACK_ID.fullmatch(spotify_id):
        found.append("spotify")
    return found


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


class Upload(models.Model):
    """An audio file a listener uploaded: the file behind an `origin: upload` Track.

    The file sits under MEDIA_ROOT/uploads/ with a random name; that name (unguessable) is its
    protection, as for avatars. Deleting the track deletes this row; the file goes with it
    (music.uploads)."""

    track = models.OneToOneField(Track, on_delete=models.CASCADE, primary_key=True, related_name="upload")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads")
    # Relative to MEDIA_ROOT: "uploads/<random>.<ext>".
    file = models.CharField(max_length=200, unique=True)
    size_bytes = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=50)
    # What the content turned out to be: mp3, mp4 (AAC/M4A), ogg (Vorbis/Opus), flac, wav.
    format = models.CharField(max_length=10)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="music_upload_owner_time")]

    def __str__(self) -> str:
        return f"{self.track} (uploaded by {self.owner})"


class UploadShare(models.Model):
    """A room an upload was queued in: its members may find the track too. A plain room id,
    as in ListeningEvent: music sits below rooms."""

    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="shares")
    room_id = models.UUIDField()
    shared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["upload", "room_id"], name="music_uploadshare_unique")]
        indexes = [models.Index(fields=["room_id"], name="music_uploadshare_room")]

    def __str__(self) -> str:
        return f"{self.upload} shared in {self.room_id}"
