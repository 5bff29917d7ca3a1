"""/media/ served by the embedded server (SERVE_MEDIA): avatars, demo clips and uploaded audio.

Behind nginx /media/ never reaches Django (deploy/nginx.conf); this is the one-box server,
and it behaves as nginx does where players care:

- HTTP Range (RFC 9110, 14): `bytes=a-b`, open `bytes=a-`, suffix `bytes=-n` answer 206 with
  `Content-Range`; a range past the end answers 416 with `Content-Range: bytes */size`; a
  malformed or multi-range header is ignored (the whole file, 200). `If-Range` that does not
  match the file's validator gets the whole file too. `Accept-Ranges: bytes` always, so
  browsers seek without downloading whole files.
- The right Content-Type for audio (audio/mpeg, audio/mp4, audio/ogg, audio/flac, audio/wav),
  `X-Content-Type-Options: nosniff`, and for uploads/ and demo/ (files whose names never change
  content) `Cache-Control: public, max-age=31536000, immutable`.
- Streaming: the body is read in chunks as it is sent (an async iterator under ASGI, so Django
  does not collect it into memory first), never the whole file at once.
- Only regular files inside MEDIA_ROOT: no `..`, no absolute paths, no hidden names (the
  upload area MEDIA_ROOT/.incoming/ holds half-received files), no symlinks out of the root.
"""

import asyncio
import mimetypes
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path, PurePosixPath
from typing import Literal

from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import http_date, parse_http_date_safe

CHUNK = 64 * 1024
IMMUTABLE = "public, max-age=31536000, immutable"
# Directories whose files never change under the same name (random or content-derived names).
IMMUTABLE_DIRS = ("uploads", "demo")
CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".mp4": "audio/mp4",
    ".aac": "audio/aac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
    ".wav": "audio/wav",
    ".webp": "image/webp",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def resolve(root: Path, path: str) -> Path:
    """The regular file `path` names inside `root`; Http404 for anything else."""
    parts = PurePosixPath(path).parts
    if not parts or "\\" in path or "\x00" in path or path.startswith("/"):
        raise Http404("No such file.")
    if any(part in (".", "..") or part.startswith(".") for part in parts):
        raise Http404("No such file.")
    root = root.resolve()
    target = root.joinpath(*parts).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise Http404("No such file.")
    return target


def byte_range(header: str, size: int) -> tuple[int, int] | None | Literal[False]:
    """(first, last) byte of a satisfiable single range; None to send the whole file (no
    header, or one this ignores); False when unsatisfiable (416)."""
    match = _RANGE.match(header.strip().replace(" ", "")) if header else None
    if match is None:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # suffix: the last n bytes
        length = int(last)
        if length == 0 or size == 0:
            return False
        return max(0, size - length), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # not a valid range: ignored (RFC 9110, 14.2)
    if start >= size:
        return False
    return start, min(int(last), size - 1) if last else size - 1


def _chunks(path: Path, start: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        handle.seek(start)
        while length > 0:
            block = handle.read(min(CHUNK, length))
            if not block:
                return
            length -= len(block)
            yield block


async def _achunks(path: Path, start: int, length: int) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(open, path, "rb")
    try:
        await asyncio.to_thread(handle.seek, start)
        while length > 0:
            block = await asyncio.to_thread(handle.read, min(CHUNK, length))
            if not block:
                return
            length -= len(block)
            yield block
    finally:
        await asyncio.to_thread(handle.close)


def serve(request: HttpRequest, path: str, document_root: str | Path) -> HttpResponseBase:
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    target = resolve(Path(document_root), path)
    stat = target.stat()
    size, modified = stat.st_size, http_date(stat.st_mtime)
    etag = f'"{stat.st_size:x}-{int(stat.st_mtime_ns):x}"'
    headers = {
        "Content-Type": content_type(target),
        "Accept-Ranges": "bytes",
        "Last-Modified": modified,
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
    }
    if PurePosixPath(path).parts[0] in IMMUTABLE_DIRS:
        headers["Cache-Control"] = IMMUTABLE

    if _not_modified(request, etag, stat.st_mtime):
        return _response(304, headers)

    wanted = byte_range(request.headers.get("Range", ""), size)
    if wanted is not None and not _if_range_holds(request, etag, modified):
        wanted = None
    if wanted is False:
        return _response(416, {**headers, "Content-Range": f"bytes */{size}", "Content-Length": "0"})
    if wanted is None:
        first, last, status = 0, size - 1, 200
    else:
        first, last = wanted
        status = 206
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    length = max(0, last - first + 1)
    headers["Content-Length"] = str(length)
    if request.method == "HEAD" or length == 0:
        return _response(status, headers)
    body = _achunks(target, first, length) if isinstance(request, ASGIRequest) else _chunks(target, first, length)
    response = StreamingHttpResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def _response(status: int, headers: dict[str, str]) -> HttpResponse:
    response = HttpResponse(status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def _not_modified(request: HttpRequest, etag: str, mtime: float) -> bool:
    match = request.headers.get("If-None-Match")
    if match is not None:
        return etag in [tag.strip() for tag in match.split(",")] or match.strip() == "*"
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and int(mtime) <= since


def _if_range_holds(request: HttpRequest, etag: str, modified: str) -> bool:
    """An `If-Range` names the file as the client has it; a stale one gets the whole file."""
    condition = request.headers.get("If-Range")
    return condition is None or condition.strip() in (etag, modified)
