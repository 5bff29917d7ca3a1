from django.contrib import admin
from django.utils.html import format_html

from recommendations import evaluation
from recommendations.models import ModelBuild


@admin.register(ModelBuild)
class ModelBuildAdmin(admin.ModelAdmin):
    """The precompute's runs: when, how long, on how much data, which model the tuning chose (read-only)."""

    list_display = ["started_at", "status", "seconds", "users", "tracks", "interactions", "chosen_model"]
    list_filter = ["status"]
    # The catalog blob (megabytes of arrays) is not for reading in a browser.
    exclude = ["catalog"]
    readonly_fields = [f.name for f in ModelBuild._meta.fields if f.name != "catalog"] + ["tuning"]

    @admin.display(description="item model")
    def chosen_model(self, obj: ModelBuild) -> str:
        return obj.figures.get("tuning", {}).get("chosen", {}).get("name", "")

    @admin.display(description="tuning")
    def tuning(self, obj: ModelBuild) -> str:
        return format_html("<pre>{}</pre>", evaluation.format_tuning(obj.figures.get("tuning", {})))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
