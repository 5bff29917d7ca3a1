"""Static files storage for DEBUG=0: WhiteNoise's hashed, compressed files, minus the 500s.

Django's manifest storage raises ValueError for a file missing from `staticfiles.json`, and
for every file when `collectstatic` has not run at all, so `/admin/login/` was a 500 on a
server started before (or without) `collectstatic`. Here a missing entry falls back to the
file's plain URL (a 404 for that one asset) and says so in the log; the deploy check and
the start-up warning in tunewave/checks.py say that collectstatic must run.
"""

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


class ForgivingManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:
            logger.warning("Static file %r is not in the collectstatic manifest; serving its plain URL.", name)
            return name
