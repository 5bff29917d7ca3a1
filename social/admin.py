from django.contrib import admin

from social.models import Friendship, Notification, OutgoingEmail


@admin.register(Friendship)
class FriendshipAdmin(admin.ModelAdmin):
    list_display = ["from_user", "to_user", "status", "created_at", "responded_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["from_user__username", "from_user__email", "to_user__username", "to_user__email"]
    raw_id_fields = ["from_user", "to_user"]
    list_select_related = ["from_user", "to_user"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "text", "is_read", "created_at"]
    list_filter = ["kind", "is_read", "created_at"]
    search_fields = ["user__username", "user__email", "text"]
    raw_id_fields = ["user"]
    list_select_related = ["user"]


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["to_email", "subject", "kind", "created_at", "sent_at", "attempts"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["to_email", "subject"]
    readonly_fields = ["user", "to_email", "subject", "body", "kind", "created_at", "sent_at", "attempts", "last_error"]
