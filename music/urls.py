from django.urls import path

from core.routes import route
from music import views, views_covers, views_tracks, views_uploads

urlpatterns = [
    path("covers/<str:version>/<str:kind>/<str:key>.svg", views_covers.cover, name="cover"),
    *route("track", views_tracks.TrackCreateView.as_view(), "track-create"),
    # Before track/<spotify_id>, which would take "upload" and "uploads" for ids.
    *route("track/upload", views_uploads.UploadCreateView.as_view(), "track-upload"),
    *route("track/uploads", views_uploads.UploadListView.as_view(), "track-uploads"),
    *route("track/uploads/<str:track_id>", views_uploads.UploadDetailView.as_view(), "track-upload-detail"),
    *route("track/<str:spotify_id>", views_tracks.TrackDetailView.as_view(), "track-detail"),
    *route("favorites/me", views.MyFavoritesView.as_view(), "favorites-me"),
    *route("favorites/me/<str:spotify_id>", views.MyFavoriteDetailView.as_view(), "favorites-me-detail"),
    *route("favorites/<str:user_id>", views.UserFavoritesView.as_view(), "favorites-user"),
    *route("users/me/history", views.MyHistoryView.as_view(), "history-me"),
    *route("users/<str:user_id>/history", views.UserHistoryView.as_view(), "history-user"),
]
