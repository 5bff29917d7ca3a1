from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied

from accounts import services
from accounts.models import User


def is_protected_from(actor: User, target: User | None) -> bool:
    """Whether `actor` must leave `target` alone in the admin.

    Only a superuser changes, deactivates or deletes a staff or superuser account: a site
    moderator who could would make themself superuser by resetting the superuser's password.
    A moderator still edits their own account, within `get_readonly_fields`.
    """
    if target is None or actor.is_superuser:
        return False
    return (target.is_staff or target.is_superuser) and target.pk != actor.pk


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "display_name", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff", "is_superuser", "date_joined", "groups"]
    search_fields = ["username", "email", "display_name"]
    ordering = ["-date_joined"]
    readonly_fields = ["id", "date_joined", "last_login"]
    actions = ["deactivate_users"]
    fieldsets = (
        (None, {"fields": ("id", "username", "email", "password")}),
        ("Profile", {"fields": ("display_name", "bio", "avatar", "favorite_genres")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "email", "password1", "password2")}),)

    def get_readonly_fields(self, request, obj=None):
        # Site moderators may deactivate people, never hand out staff powers (to themselves either).
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_staff", "is_superuser", "groups", "user_permissions", "password", "email"]
            if obj is not None and (obj.is_staff or obj.is_superuser):
                fields.append("is_active")  # staff accounts are switched off by a superuser only
        return fields

    def has_change_permission(self, request, obj=None):
        # Every write view asks this with the object: the change form's POST, the password
        # form, and (through has_delete_permission below) deletion. A protected account's
        # change form still opens, read-only, for moderators with the view permission.
        if is_protected_from(request.user, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if is_protected_from(request.user, obj):
            return False
        return super().has_delete_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        # Django's password view checks only `change_user`; a moderator may change ordinary
        # people's profiles, but the only password anyone except a superuser sets is their own.
        user = self.get_object(request, unquote(id))
        if user is not None and not request.user.is_superuser and user.pk != request.user.pk:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    @admin.action(description="Deactivate selected users (revokes their tokens)", permissions=["change"])
    def deactivate_users(self, request, queryset):
        count = skipped = 0
        for user in queryset.filter(is_active=True):
            if is_protected_from(request.user, user):
                skipped += 1
                continue
            services.user_deactivate(user=user)
            count += 1
        self.message_user(request, f"Deactivated {count} user(s).", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"Skipped {skipped} staff account(s): only a superuser may deactivate staff.",
                messages.WARNING,
            )

    def save_model(self, request, obj, form, change):
        # Unticking "active" in the form must revoke tokens exactly like the action does.
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.user_deactivate(user=obj)
