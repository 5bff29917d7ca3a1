from chat import views
from core.routes import route

urlpatterns = [
    *route("chat/<str:room_id>", views.ChatView.as_view(), "chat"),
    *route("chat/<str:room_id>/<str:message_id>", views.ChatMessageView.as_view(), "chat-message"),
]
