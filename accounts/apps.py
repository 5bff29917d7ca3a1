from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.selectors import socket_user_watch  # noqa: PLC0415 - runs once the apps are loaded

        socket_user_watch()
