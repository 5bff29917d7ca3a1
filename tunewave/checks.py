"""TuneWave's own system checks (`manage.py check --deploy`) and the start-up warning."""

import logging

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.checks import Tags, Warning, register

logger = logging.getLogger("tunewave")

W001 = "tunewave.W001"
W002 = "tunewave.W002"


@register(Tags.security, deploy=True)
def check_dev_login(app_configs=None, **kwargs) -> list[Warning]:
    if settings.DEV_LOGIN_ENABLED and not settings.DEBUG:
        return [
            Warning(
                "TUNEWAVE_DEV_LOGIN is on with DEBUG off: anyone can sign in as any e-mail "
                "address (POST /auth/dev/login) without a password.",
                hint="Unset TUNEWAVE_DEV_LOGIN on any server others can reach.",
                id=W001,
            )
        ]
    return []


def static_manifest_missing() -> str | None:
    """The manifest path when the hashed static storage is in use and collectstatic has not
    written its manifest there; None when all is well (or DEBUG serves files as they are)."""
    storage = staticfiles_storage  # lazy; isinstance sees the configured class
    if not isinstance(storage, ManifestFilesMixin):
        return None
    if storage.manifest_storage.exists(storage.manifest_name):
        return None
    return storage.manifest_storage.path(storage.manifest_name)


@register(Tags.staticfiles, deploy=True)
def check_static_collected(app_configs=None, **kwargs) -> list[Warning]:
    missing = static_manifest_missing()
    if missing is None:
        return []
    return [
        Warning(
            f"STATIC_ROOT has no collectstatic manifest ({missing}): the admin and API docs pages "
            "load without their styles and scripts.",
            hint="Run `python manage.py collectstatic --noinput` (the Docker image does it at build time).",
            id=W002,
        )
    ]


def warn_if_static_not_collected() -> None:
    """Called once when the ASGI app starts: the same news as W002, for servers started
    without `check --deploy`."""
    missing = static_manifest_missing()
    if missing is not None:
        logger.warning(
            "STATIC_ROOT has no collectstatic manifest (%s): run `python manage.py collectstatic "
            "--noinput`; until then the admin and API docs pages load without styles.",
            missing,
        )
