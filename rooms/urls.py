from core.routes import route
from rooms import views

urlpatterns = [
    *route("rooms", views.RoomListView.as_view(), "rooms"),
    *route("rooms/by-name", views.RoomByNameView.as_view(), "rooms-by-name"),
    *route("rooms/my-rooms", views.MyRoomsView.as_view(), "rooms-mine"),
    *route("rooms/<str:room_id>", views.RoomDetailView.as_view(), "room-detail"),
    *route("rooms/<str:room_id>/join", views.RoomJoinView.as_view(), "room-join"),
    *route("rooms/<str:room_id>/leave", views.RoomLeaveView.as_view(), "room-leave"),
    *route("rooms/<str:room_id>/members", views.RoomMembersView.as_view(), "room-members"),
    *route("rooms/<str:room_id>/members/<str:user_id>/role", views.MemberRoleView.as_view(), "room-member-role"),
    *route("rooms/<str:room_id>/members/<str:user_id>/ban", views.BanView.as_view(), "room-member-ban"),
    *route("rooms/<str:room_id>/invite/<str:user_id>", views.InviteView.as_view(), "room-invite"),
    *route("rooms/<str:room_id>/queue", views.QueueView.as_view(), "room-queue"),
    *route("rooms/<str:room_id>/queue/<str:association_id>", views.QueueItemView.as_view(), "room-queue-item"),
    *route("ban/my-issued", views.MyIssuedBansView.as_view(), "bans-issued"),
    *route("ban/my-received", views.MyReceivedBansView.as_view(), "bans-received"),
]
