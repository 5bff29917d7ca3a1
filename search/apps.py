from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registrations at start-up (docs/architecture.md, "Registering implementations across layers"):
        # the pg_trgm lookups search uses, and GET /users/{id}'s listening_now, which accounts
        # (below rooms) asks through its hook.
        from accounts import hooks  # noqa: PLC0415 - runs once the apps are loaded
        from search import people, selectors  # noqa: PLC0415 - idem

        selectors.register_lookups()
        hooks.register_listening_now(people.listening_now_of)
