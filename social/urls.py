from core.routes import route
from social import views

urlpatterns = [
    *route("friendships/send-request", views.SendRequestView.as_view(), "friendship-send"),
    *route("friendships/my-friends", views.MyFriendsView.as_view(), "friendships-mine"),
    *route("friendships/my-send-requests", views.MySentRequestsView.as_view(), "friendships-sent"),
    *route("friendships/my-received-requests", views.MyReceivedRequestsView.as_view(), "friendships-received"),
    *route("friendships/<uuid:friendship_id>/accept", views.AcceptView.as_view(), "friendship-accept"),
    *route("friendships/<uuid:friendship_id>/decline", views.DeclineView.as_view(), "friendship-decline"),
    *route("friendships/<uuid:friendship_id>", views.FriendshipDetailView.as_view(), "friendship-detail"),
    *route("notifications/my", views.MyNotificationsView.as_view(), "notifications-mine"),
    *route("notifications/<uuid:notification_id>/mark-read", views.MarkReadView.as_view(), "notification-read"),
    *route("notifications/<uuid:notification_id>", views.NotificationDetailView.as_view(), "notification-detail"),
]
