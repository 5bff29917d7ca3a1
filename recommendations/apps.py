from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "recommendations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # rooms asks for autoplay picks through its hook (docs/architecture.md, "Registering
        # implementations across layers"); room_picks imports models, so not before ready().
        from recommendations import room_picks  # noqa: PLC0415 - needs the app registry loaded
        from rooms import hooks  # noqa: PLC0415 - with room_picks, after the models are loaded

        hooks.register_autoplay_picker(room_picks.autoplay_picks)
