"""Keeps credentials out of server logs.

Daphne and Django log request paths; a WebSocket URL carries `?token=…` and an OAuth
redirect carries `code=`/`state=`. The filter rewrites those values before any handler
writes the record.
"""

import logging
import re

_SECRET_PARAMS = re.compile(
    r"(?P<key>\b(?:token|ticket|access|refresh|code|state|access_token|refresh_token)=)[^&\s\"']+",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+")


def redact(text: str) -> str:
    return _BEARER.sub(r"\1[redacted]", _SECRET_PARAMS.sub(r"\g<key>[redacted]", text))


class RedactTokensFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True
