from django.apps import AppConfig


class TunewaveConfig(AppConfig):
    """The project package as an app: its system checks are registered, and the cache
    backends shared by the process's threads, on start-up."""

    name = "tunewave"
    verbose_name = "TuneWave"

    def ready(self) -> None:
        # Django's place to register checks: checks.py reads staticfiles storage, which needs settings and apps loaded.
        from core.cache_batch import share_cache_backends  # noqa: PLC0415 - needs the apps loaded
        from tunewave import checks  # noqa: F401, PLC0415 - registering the checks is the import's effect

        share_cache_backends()
