"""Django admin for site moderators: find rooms and people, close rooms, remove, ban, unban.

Every change a moderator makes goes through rooms.services, so the rules and side effects
(sockets closed, queue positions kept dense, notifications) are the ones the API applies.
That is why no row is edited in place here (`has_change_permission` is False, the change
pages are view pages): a plain ModelForm save would write the row and skip all of that.
The `change` permissions of the Moderators group gate the actions instead.

Two of the services only know a room member as the actor (`room_delete`, `queue_remove`);
for those the admin acts as the room's owner, who always passes their checks. The
services record no actor for these two, so nothing is misattributed.
"""

from typing import TYPE_CHECKING, TypedDict

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from core.errors import DomainError, NotFound
from rooms import services
from rooms.access import may_be_banned, may_be_removed
from rooms.models import Ban, Invite, Membership, QueueItem, Room

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations  # a dev dependency, for the type checker only


class _MemberCount(TypedDict):
    member_count: int


MODERATOR_BAN_REASON = "Banned by a site moderator"


class _ViewOnly:
    def has_change_permission(self, request, obj=None):
        return False


class _ReadOnlyInline(_ViewOnly, admin.TabularInline):
    """Rows shown inside a room for reading; the row's own admin has the actions."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class MembershipInline(_ReadOnlyInline):
    model = Membership
    fields = ["user", "role", "joined_at"]
    readonly_fields = ["joined_at"]
    # A select of every user would not scale, should this inline ever become editable.
    raw_id_fields = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class QueueItemInline(_ReadOnlyInline):
    model = QueueItem
    fields = ["position", "track", "added_by", "added_at"]
    readonly_fields = ["added_at"]
    raw_id_fields = ["track", "added_by"]
    ordering = ["position"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("track", "added_by")


@admin.register(Room)
class RoomAdmin(_ViewOnly, admin.ModelAdmin):
    list_display = ["name", "owner", "is_private", "member_count", "created_at", "closed_at"]
    list_select_related = ["owner"]
    search_fields = ["name", "description", "owner__username", "owner__email"]
    list_filter = ["is_private", ("closed_at", admin.EmptyFieldListFilter), "genres", "created_at"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    # Rooms are edited by their owners through the API (room_update checks the owner and
    # tells the room's sockets); moderators close or delete them.
    fields = [
        "id",
        "name",
        "description",
        "is_private",
        "genres",
        "owner",
        "queue_policy",
        "playback_policy",
        "created_at",
        "closed_at",
    ]
    readonly_fields = ["id", "created_at"]
    inlines = [MembershipInline, QueueItemInline]
    actions = ["close_rooms"]

    def get_queryset(self, request):
        # Counted in the page's query instead of one COUNT per row. A subquery rather than a
        # JOIN + GROUP BY: Django drops it from the changelist's COUNT(*) and date queries,
        # which then never touch the membership table.
        members = (
            Membership.objects.filter(room=OuterRef("pk")).order_by().values("room").annotate(n=Count("pk")).values("n")
        )
        return super().get_queryset(request).annotate(member_count=Coalesce(Subquery(members), 0))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, room: "WithAnnotations[Room, _MemberCount]") -> int:
        return room.member_count

    def has_add_permission(self, request):
        # room_create makes the owner's membership too; rooms are created by their owners.
        return False

    def has_close_permission(self, request) -> bool:
        return request.user.has_perm("rooms.change_room")

    @admin.action(description="Close selected rooms", permissions=["close"])
    def close_rooms(self, request, queryset):
        count = 0
        for room in queryset.filter(closed_at__isnull=True):
            services.room_close(room=room)
            count += 1
        self.message_user(request, f"Closed {count} room(s).", messages.SUCCESS)

    def delete_model(self, request, obj):
        services.room_delete(room=obj, actor=obj.owner)

    def delete_queryset(self, request, queryset):
        for room in queryset.select_related("owner"):
            services.room_delete(room=room, actor=room.owner)


@admin.register(Membership)
class MembershipAdmin(_ViewOnly, admin.ModelAdmin):
    list_display = ["user", "room", "role", "joined_at"]
    list_select_related = ["user", "room"]
    search_fields = ["user__username", "user__email", "user__display_name", "room__name"]
    list_filter = ["role", "joined_at"]
    raw_id_fields = ["user", "room"]
    ordering = ["-joined_at"]
    # Roles change through member_role_set (one owner, notifications); people join themselves.
    fields = ["user", "room", "role", "joined_at"]
    readonly_fields = ["joined_at"]
    actions = ["remove_members", "ban_members"]

    def get_actions(self, request):
        # "Remove selected members" says what happens to owners; the generic delete would not.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # member_remove never removes the owner; offering it would report a delete that did not happen.
        if obj is not None and not may_be_removed(obj.role):
            return False
        return super().has_delete_permission(request, obj)

    def has_ban_permission(self, request) -> bool:
        return request.user.has_perm("rooms.add_ban")

    @admin.action(description="Remove selected members from their rooms", permissions=["delete"])
    def remove_members(self, request, queryset):
        removed = 0
        for membership in queryset.select_related("room", "user"):
            if not may_be_removed(membership.role):
                self.message_user(
                    request,
                    f"Skipped {membership.user}: the owner of {membership.room} cannot be removed.",
                    messages.WARNING,
                )
                continue
            if services.member_remove(room=membership.room, target=membership.user):
                removed += 1
        self.message_user(request, f"Removed {removed} member(s).", messages.SUCCESS)

    @admin.action(description="Ban selected members", permissions=["ban"])
    def ban_members(self, request, queryset):
        banned = 0
        for membership in queryset.select_related("room", "user"):
            try:
                services.ban_create(
                    room=membership.room, actor=None, target=membership.user, reason=MODERATOR_BAN_REASON
                )
            except DomainError as exc:
                self.message_user(
                    request,
                    f"Could not ban {membership.user} from {membership.room}: {exc.detail}",
                    messages.ERROR,
                )
                continue
            banned += 1
        self.message_user(request, f"Banned {banned} member(s).", messages.SUCCESS)

    def delete_model(self, request, obj):
        services.member_remove(room=obj.room, target=obj.user)

    def delete_queryset(self, request, queryset):
        # The owner's membership is never deleted here (member_remove keeps it), like the action.
        for membership in queryset.select_related("room", "user"):
            services.member_remove(room=membership.room, target=membership.user)


class BanAddForm(forms.ModelForm):
    """Checks what ban_create would refuse, so the moderator sees a form error, not a 500."""

    class Meta:
        model = Ban
        fields = ["room", "user", "reason"]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean returns
        room, user = cleaned.get("room"), cleaned.get("user")
        if room is not None and user is not None and not may_be_banned(room, user):
            raise forms.ValidationError("The owner cannot be banned from their own room.")
        return cleaned


@admin.register(Ban)
class BanAdmin(_ViewOnly, admin.ModelAdmin):
    list_display = ["room", "user", "banned_by", "reason", "created_at"]
    list_select_related = ["room", "user", "banned_by"]
    search_fields = ["room__name", "user__username", "user__email", "banned_by__username", "reason"]
    list_filter = ["created_at"]
    raw_id_fields = ["room", "user"]
    ordering = ["-created_at"]
    actions = ["unban"]

    def get_actions(self, request):
        # Deleting a ban is unbanning; one name for it in the menu.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # Bans may be added here as well as by the Membership action: a moderator often needs to
    # ban someone who already left the room. The add form therefore goes through
    # ban_create (save_model below), which also removes the membership and tells the user.
    # An existing ban is not edited in place: unban and ban again.
    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = BanAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["room", "user", "reason"]
        return ["room", "user", "banned_by", "reason", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["created_at"]

    def save_model(self, request, obj, form, change):
        ban = services.ban_create(room=obj.room, actor=None, target=obj.user, reason=obj.reason or MODERATOR_BAN_REASON)
        # The admin links to and logs `obj`; make it the row the service wrote.
        obj.pk, obj.banned_by, obj.reason, obj.created_at = ban.pk, ban.banned_by, ban.reason, ban.created_at

    def _unban(self, ban: Ban) -> None:
        try:
            services.ban_delete(room=ban.room, actor=None, target=ban.user)
        except NotFound:
            pass  # lifted a moment ago by someone else: the outcome is the same

    @admin.action(description="Unban selected", permissions=["delete"])
    def unban(self, request, queryset):
        count = 0
        for ban in queryset.select_related("room", "user"):
            self._unban(ban)
            count += 1
        self.message_user(request, f"Unbanned {count} user(s).", messages.SUCCESS)

    def delete_model(self, request, obj):
        self._unban(obj)

    def delete_queryset(self, request, queryset):
        for ban in queryset.select_related("room", "user"):
            self._unban(ban)


@admin.register(QueueItem)
class QueueItemAdmin(_ViewOnly, admin.ModelAdmin):
    list_display = ["room", "position", "track", "added_by", "added_at"]
    list_select_related = ["room", "track", "added_by"]
    search_fields = ["room__name", "track__name", "added_by__username"]
    list_filter = ["added_at"]
    raw_id_fields = ["room", "track", "added_by"]
    fields = ["room", "position", "track", "added_by", "added_at"]
    readonly_fields = ["added_at"]
    ordering = ["room", "position"]

    def has_add_permission(self, request):
        return False

    # queue_remove closes the gap under the room's lock; a plain delete would leave a hole.
    def delete_model(self, request, obj):
        services.queue_remove(room=obj.room, actor=obj.room.owner, item_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for item in queryset.select_related("room__owner"):
            try:
                services.queue_remove(room=item.room, actor=item.room.owner, item_id=item.pk)
            except NotFound:
                pass  # already played or removed


@admin.register(Invite)
class InviteAdmin(_ViewOnly, admin.ModelAdmin):
    list_display = ["room", "user", "invited_by", "created_at", "expires_at", "accepted_at"]
    list_select_related = ["room", "user", "invited_by"]
    search_fields = ["room__name", "user__username", "user__email", "invited_by__username"]
    list_filter = [("accepted_at", admin.EmptyFieldListFilter), "created_at", "expires_at"]
    raw_id_fields = ["room", "user", "invited_by"]
    fields = ["id", "room", "user", "invited_by", "created_at", "expires_at", "accepted_at"]
    readonly_fields = ["id", "created_at"]
    ordering = ["-created_at"]

    def has_add_permission(self, request):
        # invite_create needs an inviting owner or moderator and notifies the invitee.
        return False
