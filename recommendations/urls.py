from core.routes import route
from recommendations import views

urlpatterns = [
    *route("recommendations/rooms", views.RoomRecommendationsView.as_view(), "recommendations-rooms"),
    *route("recommendations/tracks", views.TrackRecommendationsView.as_view(), "recommendations-tracks"),
    *route("rooms/<str:room_id>/suggestions", views.RoomSuggestionsView.as_view(), "room-suggestions"),
]
