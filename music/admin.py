from django.contrib import admin

from music.models import Artist, FavoriteTrack, Genre, ListeningEvent, Track, TrackArtist


class TrackArtistInline(admin.TabularInline):
    model = TrackArtist
    extra = 0
    raw_id_fields = ["artist"]


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    list_display = ["name"]


@admin.register(Artist)
class ArtistAdmin(admin.ModelAdmin):
    list_display = ["name", "spotify_id", "enriched_at"]
    search_fields = ["name", "spotify_id"]
    list_filter = [("enriched_at", admin.EmptyFieldListFilter), "genres"]
    filter_horizontal = ["genres"]


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["name", "album", "spotify_id", "duration_ms", "popularity", "created_at"]
    search_fields = ["name", "album", "spotify_id", "artists__name"]
    list_filter = ["genres", ("audio_url", admin.EmptyFieldListFilter), "created_at"]
    filter_horizontal = ["genres"]
    inlines = [TrackArtistInline]
    list_select_related = True


@admin.register(FavoriteTrack)
class FavoriteTrackAdmin(admin.ModelAdmin):
    list_display = ["user", "track", "added_at"]
    search_fields = ["user__username", "user__email", "track__name"]
    raw_id_fields = ["user", "track"]
    list_select_related = ["user", "track"]
    date_hierarchy = "added_at"


@admin.register(ListeningEvent)
class ListeningEventAdmin(admin.ModelAdmin):
    list_display = ["user", "track", "listened_at", "ms_played", "play_count", "source", "room_id"]
    search_fields = ["user__username", "user__email", "track__name"]
    list_filter = ["source", "listened_at"]
    raw_id_fields = ["user", "track"]
    list_select_related = ["user", "track"]
    date_hierarchy = "listened_at"
