from django.urls import path

from core.routes import route
from music import views, views_covers, views_tracks

urlpatterns = [
    path("covers/<str:version>/<str:kind>/<str:key>.svg", views_covers.cover, name="cover"),
    *route("track", views_tracks.TrackCreateView.as_view(), "track-create"),
    *route("track/<str:spotify_id>", views_tracks.TrackDetailView.as_view(), "track-detail"),
    *route("favorites/me", views.MyFavoritesView.as_view(), "favorites-me"),
    *route("favorites/me/<str:spotify_id>", views.MyFavoriteDetailView.as_view(), "favorites-me-detail"),
    *route("favorites/<str:user_id>", views.UserFavoritesView.as_view(), "favorites-user"),
    *route("users/me/history", views.MyHistoryView.as_view(), "history-me"),
    *route("users/<str:user_id>/history", views.UserHistoryView.as_view(), "history-user"),
]
