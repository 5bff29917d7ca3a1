from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "social"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from social.services import friends_watch  # noqa: PLC0415 - runs once the apps are loaded

        friends_watch()
