from django.contrib import admin

from recommendations.models import ModelBuild


@admin.register(ModelBuild)
class ModelBuildAdmin(admin.ModelAdmin):
    """The precompute's runs: when, how long, on how much data (read-only)."""

    list_display = ["started_at", "status", "seconds", "users", "tracks", "interactions"]
    list_filter = ["status"]
    # The catalog blob (megabytes of arrays) is not for reading in a browser.
    exclude = ["catalog"]
    readonly_fields = [f.name for f in ModelBuild._meta.fields if f.name != "catalog"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
