from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.jwt_keys import install  # noqa: PLC0415 - runs once the apps are loaded
        from accounts.selectors import socket_user_watch  # noqa: PLC0415

        socket_user_watch()
        install()
