import io

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from core.errors import TooLarge


class LimitedJSONParser(JSONParser):
    """JSON bodies are capped at DATA_UPLOAD_MAX_MEMORY_SIZE (413 above).

    DRF reads the request stream directly, which skips Django's own body limit. Nesting
    deep enough to exhaust the decoder's recursion (20,000 `[`) is malformed JSON too: a
    400, not a RecursionError turned into a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if stream is None:
            raise ParseError("The request body is empty; JSON was expected.")
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise TooLarge(f"JSON bodies are limited to {limit // 1024} KiB.")
        try:
            return super().parse(io.BytesIO(raw), media_type, parser_context)
        except ParseError as exc:
            raise ParseError(f"Malformed JSON: {exc.detail}") from exc
        except RecursionError as exc:
            raise ParseError("Malformed JSON: nested too deeply.") from exc
