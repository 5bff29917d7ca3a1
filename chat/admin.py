from django.contrib import admin, messages

from chat import services
from chat.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "room", "user", "short_text", "created_at"]
    search_fields = ["text", "user__username", "user__email", "room__name"]
    list_filter = ["created_at", "room__is_private"]
    raw_id_fields = ["room", "user"]
    list_select_related = ["room", "user"]
    date_hierarchy = "created_at"
    readonly_fields = ["room", "user", "text", "created_at", "client_msg_id"]
    actions = ["delete_messages"]

    @admin.display(description="text")
    def short_text(self, message: Message) -> str:
        return message.text[:80]

    def has_add_permission(self, request):
        return False

    def get_actions(self, request):
        # Deletion goes through the service, so sockets hear of it; Django's bulk delete would not.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Delete selected messages (live rooms see them vanish)", permissions=["delete"])
    def delete_messages(self, request, queryset):
        count = 0
        for message in queryset.select_related("room"):
            services.message_delete(room=message.room, actor=None, message_id=message.pk)
            count += 1
        self.message_user(request, f"Deleted {count} message(s).", messages.SUCCESS)

    def delete_model(self, request, obj):
        services.message_delete(room=obj.room, actor=None, message_id=obj.pk)
