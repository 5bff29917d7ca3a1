from django.contrib import admin, messages

from music import uploads
from music.models import Artist, FavoriteTrack, Genre, ListeningEvent, Track, TrackArtist, Upload


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

    # An uploaded track goes the way of a take-down (UploadAdmin): rooms skip it, the file goes too.
    def delete_model(self, request, obj):
        upload = Upload.objects.filter(track=obj).first()
        if upload is not None:
            uploads.upload_delete(upload=upload)
        else:
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for upload in Upload.objects.filter(track__in=queryset):
            uploads.upload_delete(upload=upload)
        super().delete_queryset(request, queryset)


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


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    """Uploaded audio files. Nothing is edited here; a moderator takes an upload down (the
    action, or Delete), which goes through music.uploads.upload_delete as the owner's DELETE
    does: rooms skip it, its queue items go, the track goes, and the file with it."""

    list_display = ["track", "owner", "format", "size_bytes", "content_type", "created_at"]
    list_filter = ["format", "created_at"]
    search_fields = ["track__name", "track__spotify_id", "owner__username", "owner__email", "file"]
    list_select_related = ["track", "owner"]
    readonly_fields = ["track", "owner", "file", "size_bytes", "content_type", "format", "created_at"]
    date_hierarchy = "created_at"
    actions = ["take_down"]

    def has_add_permission(self, request):
        return False  # uploads come from POST /track/upload, with their checks

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a bulk delete would skip the rooms and the files
        return actions

    @admin.action(description="Take down selected uploads (delete track and file)", permissions=["delete"])
    def take_down(self, request, queryset):
        count = 0
        for upload in queryset.select_related("track"):
            uploads.upload_delete(upload=upload)
            count += 1
        self.message_user(request, f"Took down {count} upload(s).", messages.SUCCESS)

    def delete_model(self, request, obj):
        uploads.upload_delete(upload=obj)

    def delete_queryset(self, request, queryset):
        for upload in queryset:
            uploads.upload_delete(upload=upload)
