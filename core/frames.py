"""Reading a socket's JSON text frames, for every consumer.

Client frames are flat JSON objects: a `type` and fields whose values are strings, numbers,
true, false or null (docs/asyncapi.yaml; none of them carries a list or an
object). Refusing containers here means no handler ever walks a deeply nested value, and
refusing NaN, Infinity and numbers that overflow to infinity means nothing echoed back is JSON that browsers cannot read.
"""

import json
import math
from typing import Any

MAX_KEY_IN_DETAIL = 40


class FrameError(Exception):
    """A frame refused as a whole; consumers answer `{"type": "error", "code", "detail"}`."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):  # 1e400 reads as inf, which would go back out as Infinity
        raise ValueError(f"{literal[:20]} is out of range")
    return value


def frame_parse(text_data: str) -> dict[str, Any]:
    """The frame as a dict, or FrameError (`bad_json`, `bad_request`).

    Callers check the frame's size first: parsing is linear in it, and a frame of nothing
    but `[` stops at Python's recursion limit (RecursionError, caught here) long before the
    size cap.
    """
    try:
        content = json.loads(text_data, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise FrameError("bad_json", "That frame is nested too deeply.") from None
    except ValueError:  # also UnicodeDecodeError, and ints past Python's digit limit
        raise FrameError("bad_json", "That frame is not valid JSON.") from None
    if not isinstance(content, dict):
        raise FrameError("bad_request", "Frames are JSON objects.")
    for key, value in content.items():
        if isinstance(value, dict | list):
            raise FrameError(
                "bad_request",
                f"{key[:MAX_KEY_IN_DETAIL]!r}: frame fields are strings, numbers, true, false or null.",
            )
    return content


def utf8_size(text_data: str) -> int:
    """Bytes on the wire; a lone surrogate (only a test client can send one raw) counts as 3."""
    return len(text_data.encode("utf-8", "surrogatepass"))
