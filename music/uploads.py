"""Uploaded audio files: what they are (by content, never by name), where they go, and the
services that add, retag and delete them.

A file is accepted when its first bytes say it is one of five formats (MP3, AAC in an MP4/M4A
container, Ogg Vorbis or Opus, FLAC, WAV), its container's own structure accounts for every
byte of it (nothing cut off, nothing appended: a WAV whose data is shorter than its header
says, a FLAC whose last frame is incomplete, a WAV with a ZIP archive after it are all
refused), and mutagen reads a duration from it. Its tags (title, artists, album, genre) name
the track unless the form says otherwise.

The request body streams to a temporary file under MEDIA_ROOT/.incoming/ (`UploadStreamHandler`),
counted as it arrives: past UPLOAD_MAX_BYTES the upload stops with a 413 and the partial file is
removed. An accepted file is renamed (same file system: atomic) to MEDIA_ROOT/uploads/<random>.<ext>
as the last step of the transaction that creates its Track and Upload rows; any failure before
that removes it, so no half-written file or row is left. The random name (192 bits) is the
file's protection, as for avatars: whoever has the URL can fetch it.
"""

import logging
import mmap
import os
import re
import secrets
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import mutagen
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import transaction
from mutagen.flac import FLAC
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from accounts.models import User
from core.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge
from music import hooks, selectors, services
from music.models import Track, Upload, UploadShare

logger = logging.getLogger(__name__)

# format -> (Content-Type it is served with, file extension)
FORMATS: dict[str, tuple[str, str]] = {
    "mp3": ("audio/mpeg", ".mp3"),
    "mp4": ("audio/mp4", ".m4a"),
    "ogg": ("audio/ogg", ".ogg"),
    "flac": ("audio/flac", ".flac"),
    "wav": ("audio/wav", ".wav"),
}
CONTENT_TYPES = [content_type for content_type, _ in FORMATS.values()]
# Room for the multipart framing around a file of UPLOAD_MAX_BYTES (boundaries, part headers,
# the name/artists/album fields): a body longer than the cap plus this is refused unread.
MULTIPART_OVERHEAD = 64 * 1024
# What a listener sees in a room when the playing upload is deleted (contract: room socket).
FILE_DELETED = "The track's file was deleted."
MAX_DURATION_MS = 24 * 60 * 60 * 1000
MAX_ARTISTS = 50
INCOMING_DIR = ".incoming"
UPLOADS_DIR = "uploads"


# --- refusals: each a 400/409/413 with its own code (core.errors.CODES) --------------------


class UploadInvalid(Invalid):
    """Corrupt, truncated, empty, not audio, or also something else (a polyglot)."""

    code = "upload_invalid"

    def __init__(self, detail: str):
        super().__init__(detail, field="file")


class UploadUnsupported(Invalid):
    """Audio, but not one of the five formats."""

    code = "upload_unsupported"

    def __init__(self, detail: str):
        super().__init__(
            f"{detail} TuneWave takes MP3, AAC (M4A), Ogg Vorbis or Opus, FLAC and WAV files.", field="file"
        )


class UploadTooLarge(TooLarge):
    code = "upload_too_large"

    def __init__(self) -> None:
        limit = settings.UPLOAD_MAX_BYTES
        super().__init__(f"The file is too large: uploads are limited to {_size(limit)} ({limit} bytes).")


class UploadQuotaExceeded(Conflict):
    code = "upload_quota_exceeded"


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n / 1024:g} KB"


# --- receiving the body: streamed to disk, counted as it arrives ---------------------------


def media_path(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative


class IncomingAudio(UploadedFile):
    """The `file` part of an upload, as it lands on disk under MEDIA_ROOT/.incoming/. Closing
    it removes the file unless `upload_create` moved it into MEDIA_ROOT/uploads/ (Django closes
    a request's files when its response is done, whatever happened)."""

    def __init__(self, *, name: str, content_type: str | None, charset: str | None = None):
        incoming = media_path(INCOMING_DIR)
        incoming.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=incoming, prefix="", suffix=".part", delete=False)  # noqa: SIM115 - closed in close()
        self.path = Path(handle.name)
        self.handle = handle
        super().__init__(handle, name, content_type, 0, charset)

    def temporary_file_path(self) -> str:
        return str(self.path)

    def close(self) -> None:
        try:
            self.handle.close()
        finally:
            self.path.unlink(missing_ok=True)


class UploadStreamHandler(FileUploadHandler):
    """Django's upload handler for POST /track/upload: the `file` part goes straight to disk in
    chunks, counted; at the first byte past UPLOAD_MAX_BYTES it is removed and the request
    answers 413 (`upload_too_large`), before the rest of the body is read. A Content-Length
    that cannot fit is refused before anything is read. Other file parts are skipped."""

    chunk_size = 64 * 1024

    def __init__(self, request=None):
        super().__init__(request)
        self.incoming: IncomingAudio | None = None
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > settings.UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD:
            raise UploadTooLarge()
        return None  # parse the body as usual, through the methods below

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        if field_name != "file" or self.incoming is not None:
            raise SkipFile()
        if content_length is not None and content_length > settings.UPLOAD_MAX_BYTES:
            raise UploadTooLarge()
        self.incoming = IncomingAudio(name=file_name, content_type=content_type, charset=charset)

    def receive_data_chunk(self, raw_data, start):
        if self.incoming is None:
            return None
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            self.discard()
            raise UploadTooLarge()
        self.incoming.write(raw_data)
        return None

    def file_complete(self, file_size):
        if self.incoming is None:
            return None
        self.incoming.handle.flush()
        self.incoming.size = self.received
        return self.incoming

    def upload_interrupted(self):
        self.discard()

    def discard(self) -> None:
        if self.incoming is not None:
            self.incoming.close()
            self.incoming = None


# --- what the file is ----------------------------------------------------------------------


@dataclass
class AudioFile:
    format: str
    duration_ms: int
    title: str = ""
    artists: list[str] = field(default_factory=list)
    album: str = ""
    genres: list[str] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        return FORMATS[self.format][0]

    @property
    def extension(self) -> str:
        return FORMATS[self.format][1]


# First bytes of things that are not audio at all, for a refusal that says what the file is.
_NOT_AUDIO = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a program"),
    (b"BM", "a bitmap image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
]
# First bytes of audio formats TuneWave does not take.
_OTHER_AUDIO = [
    (b"MThd", "A MIDI file"),
    (b"wvpk", "A WavPack file"),
    (b"MAC ", "A Monkey's Audio file"),
    (b"0&\xb2u\x8ef\xcf\x11", "A WMA (ASF) file"),
    (b"caff", "A Core Audio file"),
    (b".snd", "An AU file"),
    (b"#!AMR", "An AMR file"),
    (b"\x1aE\xdf\xa3", "A Matroska or WebM file"),
    (b"RF64", "An RF64 file"),
]
_TEXT_START = re.compile(rb"^\s*(<|\{|\[)")


def sniff(head: bytes) -> str:
    """The format the first bytes announce, or a refusal saying what they are."""
    if head.startswith(b"ID3"):
        return "mp3"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        return "ogg"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[4:8] == b"ftyp":
        return "mp4"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        if head[1] & 0x06 == 0:  # layer bits 00: ADTS, i.e. AAC without a container
            raise UploadUnsupported("This is raw AAC (ADTS); put it in an M4A container.")
        return "mp3"
    if head[:4] == b"RIFF":
        kind = head[8:12]
        if kind == b"WEBP":
            raise UploadInvalid("This is a WebP image, not an audio file.")
        if kind == b"AVI ":
            raise UploadInvalid("This is an AVI video, not an audio file.")
        raise UploadInvalid("This RIFF file is not WAVE audio.")
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        raise UploadUnsupported("An AIFF file.")
    for magic, what in _OTHER_AUDIO:
        if head.startswith(magic):
            raise UploadUnsupported(f"{what}.")
    for magic, what in _NOT_AUDIO:
        if head.startswith(magic):
            raise UploadInvalid(f"This is {what}, not an audio file.")
    if _TEXT_START.match(head):
        raise UploadInvalid("This is a text document (HTML, XML or JSON), not an audio file.")
    raise UploadInvalid("This is not an audio file TuneWave recognises.")


def inspect(path: Path) -> AudioFile:
    """What the file at `path` is; UploadInvalid / UploadUnsupported when it is not a whole
    audio file of the five formats and nothing else."""
    size = path.stat().st_size
    if size == 0:
        raise UploadInvalid("The file is empty.")
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        audio_format = sniff(bytes(data[:64]))
        if b"%PDF-" in data[:1024]:
            raise UploadInvalid("The file is also a PDF document; upload plain audio.")
        tags = _CHECKS[audio_format](data)
    # A ZIP archive is read from its end, so audio with one tucked inside is both.
    if zipfile.is_zipfile(path):
        raise UploadInvalid("The file is also a ZIP archive; upload plain audio.")
    audio = _read_with_mutagen(path, audio_format)
    if audio.title == "" and tags.get("title"):
        audio.title = tags["title"]
    if not audio.artists and tags.get("artist"):
        audio.artists = [tags["artist"]]
    if audio.album == "" and tags.get("album"):
        audio.album = tags["album"]
    if not audio.genres and tags.get("genre"):
        audio.genres = [tags["genre"]]
    return audio


# --- each container accounts for every byte ------------------------------------------------


def _u32le(data, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "little")


def _u32be(data, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "big")


_RIFF_INFO = {b"INAM": "title", b"IART": "artist", b"IPRD": "album", b"IGNR": "genre"}
_WAV_CODECS = {1, 3, 0xFFFE}  # PCM, IEEE float, WAVE_FORMAT_EXTENSIBLE: what browsers play


def _check_wav(data) -> dict[str, str]:
    """RIFF chunks from the header to the end of the file, each whole; a `fmt ` of PCM or float
    and a `data` chunk. Returns the LIST/INFO tags."""
    size = len(data)
    end = _u32le(data, 4) + 8
    if end > size:
        raise UploadInvalid(
            f"The file is truncated: its header promises {end} bytes, the file has {size}. Upload the whole file."
        )
    if size > end + (end & 1):
        raise UploadInvalid(f"The file has {size - end} bytes of something else after the end of the audio.")
    pos, chunks, info = 12, set(), {}
    while pos + 8 <= end:
        kind, length = bytes(data[pos : pos + 4]), _u32le(data, pos + 4)
        body = pos + 8
        if body + length > end:
            if kind == b"data":
                raise UploadInvalid(
                    f"The file is truncated: its header promises {length} bytes of audio, "
                    f"the file has {end - body}. Upload the whole file."
                )
            raise UploadInvalid("The file is damaged: a chunk runs past its end.")
        chunks.add(kind)
        if kind == b"fmt " and length >= 16 and int.from_bytes(data[body : body + 2], "little") not in _WAV_CODECS:
            raise UploadUnsupported("This WAV file holds compressed audio that browsers do not play.")
        if kind == b"LIST" and bytes(data[body : body + 4]) == b"INFO":
            info.update(_riff_info(data, body + 4, body + length))
        pos = body + length + (length & 1)
    if pos < end - 1:
        raise UploadInvalid("The file is damaged: its chunks do not fill it.")
    if not {b"fmt ", b"data"} <= chunks:
        raise UploadInvalid("The file is damaged: a WAV file needs a format and a data chunk.")
    return info


def _riff_info(data, pos: int, end: int) -> dict[str, str]:
    found = {}
    while pos + 8 <= end:
        kind, length = bytes(data[pos : pos + 4]), _u32le(data, pos + 4)
        if kind in _RIFF_INFO and pos + 8 + length <= end:
            text = bytes(data[pos + 8 : pos + 8 + length]).split(b"\x00")[0].decode("utf-8", "replace")
            found[_RIFF_INFO[kind]] = text
        pos += 8 + length + (length & 1)
    return found


def _crc_table(poly: int, width: int) -> list[int]:
    top, mask, table = 1 << (width - 1), (1 << width) - 1, []
    for byte in range(256):
        crc = byte << (width - 8)
        for _ in range(8):
            crc = ((crc << 1) ^ poly) if crc & top else (crc << 1)
        table.append(crc & mask)
    return table


_CRC8 = _crc_table(0x07, 8)
_CRC16 = _crc_table(0x8005, 16)


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = _CRC8[crc ^ byte]
    return crc


def _crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16[(crc >> 8) ^ byte]
    return crc


def _flac_frame_header(data: bytes, at: int) -> tuple[int, int, bool] | None:
    """(coded number, block size, variable block size) of a FLAC frame header at `at` whose
    CRC-8 holds, else None (RFC 9639, 9.1)."""
    if len(data) < at + 6 or data[at] != 0xFF or data[at + 1] not in (0xF8, 0xF9):
        return None
    variable = bool(data[at + 1] & 1)
    size_code, rate_code = data[at + 2] >> 4, data[at + 2] & 0x0F
    channels, depth, reserved = data[at + 3] >> 4, (data[at + 3] >> 1) & 7, data[at + 3] & 1
    if size_code == 0 or rate_code == 15 or channels > 10 or depth == 3 or reserved:
        return None
    pos = at + 4
    first = data[pos]
    extra = next(
        (n for n, mark in ((6, 0xFE), (5, 0xFC), (4, 0xF8), (3, 0xF0), (2, 0xE0), (1, 0xC0)) if first & mark == mark), 0
    )
    if (first >= 0x80 and extra == 0) or first == 0xFF:
        return None
    number = first & (0x7F >> (extra + 1)) if extra else first
    for n in range(1, extra + 1):
        if len(data) <= pos + n or data[pos + n] & 0xC0 != 0x80:
            return None
        number = (number << 6) | (data[pos + n] & 0x3F)
    pos += extra + 1
    if size_code == 6:
        block, pos = data[pos] + 1, pos + 1
    elif size_code == 7:
        block, pos = int.from_bytes(data[pos : pos + 2], "big") + 1, pos + 2
    elif size_code == 1:
        block = 192
    elif size_code <= 5:
        block = 576 << (size_code - 2)
    else:
        block = 256 << (size_code - 8)
    pos += {12: 1, 13: 2, 14: 2}.get(rate_code, 0)
    if len(data) <= pos or _crc8(data[at:pos]) != data[pos]:
        return None
    return number, block, variable


def _check_flac(data) -> dict[str, str]:
    """Metadata blocks from STREAMINFO on, then audio frames whose last one is whole (its
    CRC-16 holds up to the last byte of the file) and ends at the stream's last sample."""
    size, pos = len(data), 4
    while True:
        if pos + 4 > size:
            raise UploadInvalid("The file is truncated: it ends inside its metadata.")
        header = data[pos]
        kind, length = header & 0x7F, int.from_bytes(data[pos + 1 : pos + 4], "big")
        if pos == 4 and (kind != 0 or length != 34):
            raise UploadInvalid("The file is damaged: a FLAC file starts with its STREAMINFO block.")
        if kind == 127:
            raise UploadInvalid("The file is damaged: an invalid metadata block.")
        pos += 4 + length
        if pos > size:
            raise UploadInvalid("The file is truncated: it ends inside its metadata.")
        if header & 0x80:
            break
    audio_start = pos
    if audio_start >= size:
        raise UploadInvalid("The file is truncated: it has no audio frames.")
    info = data[8:42]
    min_block = int.from_bytes(info[0:2], "big")
    max_frame = int.from_bytes(info[7:10], "big")
    total = int.from_bytes(info[13:18], "big") & 0xFFFFFFFFF
    # The last frame starts within the largest frame's size of the end (unknown: 4 MiB, more
    # than any FLAC frame can take).
    window = min(size - audio_start, (max_frame + 32) if max_frame else 4 * 1024 * 1024)
    tail = bytes(data[size - window :])
    expected = _crc16_value(tail)
    tried, at = 0, len(tail) - 6
    while (at := tail.rfind(b"\xff", 0, at)) >= 0:
        header_fields = _flac_frame_header(tail, at)
        if header_fields is None:
            continue
        tried += 1
        if _crc16(tail[at:-2]) == expected:
            number, block, variable = header_fields
            last_sample = number + block if variable else number * min_block + block
            if total and last_sample != total:
                raise UploadInvalid(
                    f"The file is truncated: its header promises {total} samples, the audio stops "
                    f"at {last_sample}. Upload the whole file."
                )
            return {}
        if tried >= 8:
            break
    raise UploadInvalid("The file is truncated or has something else after the audio: its last frame is incomplete.")


def _crc16_value(tail: bytes) -> int:
    return int.from_bytes(tail[-2:], "big")


def _check_ogg(data) -> dict[str, str]:
    """Ogg pages from the first byte to the last, one logical stream of Vorbis or Opus that
    ends with its end-of-stream page."""
    size, pos, serials, flags = len(data), 0, set(), 0
    first_packet = b""
    while pos < size:
        if pos + 27 > size:
            raise UploadInvalid("The file is truncated: it ends inside an Ogg page.")
        if bytes(data[pos : pos + 4]) != b"OggS" or data[pos + 4] != 0:
            raise UploadInvalid(f"The file has {size - pos} bytes of something else after the end of the audio.")
        flags, segments = data[pos + 5], data[pos + 26]
        serials.add(bytes(data[pos + 14 : pos + 18]))
        body = pos + 27 + segments
        if body > size:
            raise UploadInvalid("The file is truncated: it ends inside an Ogg page.")
        length = sum(data[pos + 27 : body])
        if not first_packet:
            first_packet = bytes(data[body : body + 8])
        pos = body + length
        if pos > size:
            raise UploadInvalid("The file is truncated: its last Ogg page is incomplete. Upload the whole file.")
    if len(serials) > 1:
        raise UploadUnsupported("This Ogg file holds several streams (video, or files chained together).")
    if not first_packet.startswith((b"\x01vorbis", b"OpusHead")):
        if first_packet.startswith(b"\x80theora"):
            raise UploadInvalid("This is an Ogg video, not an audio file.")
        raise UploadUnsupported("This Ogg file is neither Vorbis nor Opus.")
    if not flags & 0x04:
        raise UploadInvalid("The file is truncated: its audio stream does not end. Upload the whole file.")
    return {}


_VIDEO_HANDLER = re.compile(rb"hdlr.{8}vide", re.S)


def _check_mp4(data) -> dict[str, str]:
    """Top-level MP4 boxes from `ftyp` to the end of the file, each whole; `moov` and `mdat`
    present, and no video track."""
    size, pos, boxes, moov = len(data), 0, [], b""
    while pos < size:
        if pos + 8 > size:
            raise UploadInvalid(f"The file has {size - pos} bytes of something else after the end of the audio.")
        length, kind = _u32be(data, pos), bytes(data[pos + 4 : pos + 8])
        header = 8
        if length == 1:
            length, header = int.from_bytes(data[pos + 8 : pos + 16], "big"), 16
        elif length == 0:
            length = size - pos
        if not all(0x20 <= c < 0x7F for c in kind) or length < header:
            raise UploadInvalid(f"The file has {size - pos} bytes of something else after the end of the audio.")
        if pos + length > size:
            raise UploadInvalid(
                f"The file is truncated: its '{kind.decode()}' box promises {length} bytes, "
                f"the file has {size - pos}. Upload the whole file."
            )
        if kind == b"moov":
            moov = bytes(data[pos : pos + length])
        boxes.append(kind)
        pos += length
    if boxes[0] != b"ftyp" or b"moov" not in boxes or b"mdat" not in boxes:
        raise UploadInvalid("The file is damaged: an MP4 file needs its ftyp, moov and mdat boxes.")
    if _VIDEO_HANDLER.search(moov):
        raise UploadUnsupported("This is a video (it has a video track).")
    return {}


# MPEG audio frame headers (ISO 11172-3, 13818-3): kbit/s by [version is MPEG-1][layer].
_BITRATES = {
    (True, 1): [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    (True, 2): [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    (True, 3): [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    (False, 1): [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    (False, 2): [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    (False, 3): [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
}
_RATES = {3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000]}


def _mpeg_frame(data, pos: int) -> tuple[int, tuple[int, int, int]] | None:
    """(frame length, (version, layer, sample rate)) of an MPEG audio frame header at `pos`."""
    if pos + 4 > len(data):
        return None
    b1, b2, b3 = data[pos + 1], data[pos + 2], data[pos + 3]
    if data[pos] != 0xFF or b1 & 0xE0 != 0xE0:
        return None
    version, layer_bits = (b1 >> 3) & 3, (b1 >> 1) & 3
    bitrate_index, rate_index, padding = b2 >> 4, (b2 >> 2) & 3, (b2 >> 1) & 1
    if version == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3 or b3 & 3 == 2:
        return None
    layer = 4 - layer_bits
    mpeg1 = version == 3
    bitrate = _BITRATES[(mpeg1, layer)][bitrate_index] * 1000
    rate = _RATES[version][rate_index]
    if layer == 1:
        length = (12 * bitrate // rate + padding) * 4
    elif layer == 3 and not mpeg1:
        length = 72 * bitrate // rate + padding
    else:
        length = 144 * bitrate // rate + padding
    return length, (version, layer, rate)


def _check_mp3(data) -> dict[str, str]:
    """An ID3v2 tag (if any), then MPEG audio frames one after another up to the end, but for
    an ID3v1 or APE tag there. A short last frame is let through: MP3 cannot tell a cut-off
    file from a short one."""
    size, pos = len(data), 0
    if bytes(data[:3]) == b"ID3":
        syncsafe = bytes(data[6:10])
        if any(b & 0x80 for b in syncsafe):
            raise UploadInvalid("The file is damaged: its ID3 tag has an invalid size.")
        pos = 10 + sum(b << (7 * (3 - n)) for n, b in enumerate(syncsafe)) + (10 if data[5] & 0x10 else 0)
        while pos < size and pos < 10 + 65536 and data[pos] == 0:  # padding some taggers leave
            pos += 1
    end = size
    if end - pos >= 128 and bytes(data[end - 128 : end - 125]) == b"TAG":
        end -= 128
    if end - pos >= 32 and bytes(data[end - 32 : end - 24]) == b"APETAGEX":
        ape = _u32le(data, end - 20) + (32 if data[end - 9] & 0x80 else 0)
        end -= min(ape, end - pos)
    first = _mpeg_frame(data, pos)
    if first is None:
        raise UploadInvalid("This is not an MP3 file: no MPEG audio frame where the audio should begin.")
    stream = first[1]
    frames = 0
    while pos < end:
        frame = _mpeg_frame(data, pos)
        if frame is None or frame[1] != stream:
            raise UploadInvalid(f"The file has {end - pos} bytes of something else after the end of the audio.")
        frames += 1
        pos += frame[0]
    return {}


_CHECKS = {"wav": _check_wav, "flac": _check_flac, "ogg": _check_ogg, "mp4": _check_mp4, "mp3": _check_mp3}


# --- duration and tags, from mutagen -------------------------------------------------------


def _clean(text: Any, limit: int = 300) -> str:
    value = " ".join(str(text).replace("\x00", " ").split())
    return "".join(ch for ch in value if ch.isprintable())[:limit]


def _texts(values: Any) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        values = getattr(values, "text", [values])
    return [cleaned for cleaned in (_clean(v) for v in values) if cleaned]


def _read_with_mutagen(path: Path, audio_format: str) -> AudioFile:
    try:
        if audio_format == "ogg":
            with open(path, "rb") as handle:
                opus = b"OpusHead" in handle.read(64 * 1024)[:200]
            parsed: Any = OggOpus(path) if opus else OggVorbis(path)
        else:
            parsed = {"mp3": MP3, "mp4": MP4, "flac": FLAC, "wav": WAVE}[audio_format](path)
    except (mutagen.MutagenError, ValueError, OverflowError, EOFError, KeyError, IndexError) as exc:
        raise UploadInvalid(f"The file is damaged: {_clean(exc, 200) or 'its audio cannot be read'}.") from exc
    if audio_format == "mp4" and not str(getattr(parsed.info, "codec", "")).startswith("mp4a"):
        codec = _clean(getattr(parsed.info, "codec", ""), 20) or "no audio"
        raise UploadUnsupported(f"This MP4 file holds {codec}, not AAC audio.")
    length = float(getattr(parsed.info, "length", 0) or 0)
    duration_ms = int(round(length * 1000))
    if duration_ms <= 0:
        raise UploadInvalid("The file holds no audio (its length is 0 seconds).")
    if duration_ms > MAX_DURATION_MS:
        raise UploadInvalid("The file is longer than 24 hours.")
    audio = AudioFile(format=audio_format, duration_ms=duration_ms)
    tags = parsed.tags
    if tags is None:
        return audio
    if audio_format in ("mp3", "wav"):  # ID3
        audio.title = next(iter(_texts(tags.get("TIT2"))), "")
        audio.artists = _texts(tags.get("TPE1"))
        audio.album = next(iter(_texts(tags.get("TALB"))), "")
        genre = tags.get("TCON")
        audio.genres = _texts(list(genre.genres)) if genre is not None else []
    elif audio_format == "mp4":
        audio.title = next(iter(_texts(tags.get("\xa9nam"))), "")
        audio.artists = _texts(tags.get("\xa9ART"))
        audio.album = next(iter(_texts(tags.get("\xa9alb"))), "")
        audio.genres = _texts(tags.get("\xa9gen"))
    else:  # Vorbis comments (FLAC, Ogg)
        audio.title = next(iter(_texts(tags.get("title"))), "")
        audio.artists = _texts(tags.get("artist"))
        audio.album = next(iter(_texts(tags.get("album"))), "")
        audio.genres = _texts(tags.get("genre"))
    audio.artists = list(dict.fromkeys(audio.artists))[:MAX_ARTISTS]
    audio.genres = audio.genres[:5]
    return audio


# --- services: add, retag, delete ----------------------------------------------------------


def _title_from(file_name: str) -> str:
    stem = Path(file_name or "").stem.replace("_", " ")
    return _clean(stem) or "Untitled upload"


def upload_create(
    *,
    owner: User,
    file: UploadedFile,
    name: str | None = None,
    artists: list[str] | None = None,
    album: str | None = None,
) -> Upload:
    """Adds an uploaded file as `owner`'s track: checked (`inspect`), within the quota, stored
    under MEDIA_ROOT/uploads/ with a random name. `name`, `artists` and `album` (when given)
    take the place of the file's tags. Called outside any transaction (a view): the file is
    moved into place as the transaction's last step, and removed if it does not commit."""
    size = file.size or 0
    if size > settings.UPLOAD_MAX_BYTES:
        raise UploadTooLarge()
    source = _on_disk(file)
    audio = inspect(source)
    title = _clean(name) if name else (audio.title or _title_from(file.name or ""))
    credited = [_clean(a) for a in artists if _clean(a)] if artists else audio.artists
    stored_name = f"{secrets.token_urlsafe(24)}{audio.extension}"
    target = media_path(UPLOADS_DIR) / stored_name
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with transaction.atomic():
            # One upload at a time per owner, so two at once cannot both fit the quota's last room.
            list(User.objects.select_for_update().filter(pk=owner.pk).values_list("pk", flat=True))
            used = selectors.upload_used_bytes(owner=owner)
            quota = settings.UPLOAD_QUOTA_BYTES
            if used + size > quota:
                raise UploadQuotaExceeded(
                    f"This file ({_size(size)}) does not fit your upload space: you use {_size(used)} "
                    f"of {_size(quota)}. Delete some uploads first."
                )
            track = services.track_store(
                spotify_id=f"upload:{secrets.token_hex(16)}",
                name=title,
                artists=[{"name": artist} for artist in (credited or ["Unknown artist"])[:MAX_ARTISTS]],
                album=_clean(album) if album is not None else audio.album,
                duration_ms=audio.duration_ms,
                audio_url=f"{settings.MEDIA_URL}{UPLOADS_DIR}/{stored_name}",
                genres=audio.genres,
                origin=Track.Origin.UPLOAD,
            )
            upload = Upload.objects.create(
                track=track,
                owner=owner,
                file=f"{UPLOADS_DIR}/{stored_name}",
                size_bytes=size,
                content_type=audio.content_type,
                format=audio.format,
            )
            os.replace(source, target)  # last: after it only the commit can fail
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        if not isinstance(file, IncomingAudio):  # our own copy (IncomingAudio removes itself)
            source.unlink(missing_ok=True)
    return upload


def _on_disk(file: UploadedFile) -> Path:
    """The upload's file on disk, under MEDIA_ROOT/.incoming/ (where UploadStreamHandler puts
    it; any other upload object is copied there first, for the atomic move into place)."""
    if isinstance(file, IncomingAudio):
        file.handle.flush()
        return file.path
    incoming = media_path(INCOMING_DIR)
    incoming.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=incoming, suffix=".part", delete=False) as copy:
        for chunk in file.chunks():
            copy.write(chunk)
    return Path(copy.name)


@transaction.atomic
def upload_update(
    *, upload: Upload, name: str | None = None, artists: list[str] | None = None, album: str | None = None
) -> Upload:
    """The owner retags an upload: each field given replaces the track's."""
    track = upload.track
    changed = []
    if name is not None and _clean(name):
        track.name = _clean(name)
        changed.append("name")
    if album is not None:
        track.album = _clean(album)
        changed.append("album")
    if changed:
        track.save(update_fields=changed)
    if artists is not None:
        names = list(dict.fromkeys(a for a in (_clean(a) for a in artists) if a))[:MAX_ARTISTS]
        services.track_artists_set(track=track, names=names or ["Unknown artist"])
    return upload


def upload_delete(*, upload: Upload, reason: str = FILE_DELETED) -> None:
    """Deletes an upload: its track leaves every room's queue, rooms playing it skip it with
    `reason`, and the track, the upload and (once that commits) the file are gone. The owner's
    DELETE and a moderator's take-down in the admin both come here."""
    path = media_path(upload.file)
    with transaction.atomic():
        track = Track.objects.select_for_update().filter(pk=upload.track_id).first()
        if track is None:  # deleted a moment ago by another request
            return
        hooks.track_withdrawn(track=track, reason=reason)
        track.delete()

        def remove_file() -> None:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                logger.warning("uploads: could not remove %s", path, exc_info=True)

        transaction.on_commit(remove_file, robust=True)


def upload_share_for_queue(*, track: Track, user: User, room_id) -> None:
    """Whether `user` may queue `track` in the room `room_id` (rooms checks they may queue
    there at all). Other origins: yes. An upload: its owner may queue it in any room, which
    shares it there (the room's members may find it from now on); a room it was shared in
    may queue it again. Anyone else: 404 if they cannot see it, 403 if they can (shared in
    another room of theirs)."""
    if track.origin != Track.Origin.UPLOAD:
        return
    upload = Upload.objects.filter(track=track).only("pk", "owner_id").first()
    if upload is None:
        raise NotFound("No track with that id.")
    if upload.owner_id == user.pk:
        UploadShare.objects.bulk_create([UploadShare(upload=upload, room_id=room_id)], ignore_conflicts=True)
        return
    if UploadShare.objects.filter(upload=upload, room_id=room_id).exists():
        return
    if selectors.track_is_visible(track=track, user=user):
        raise Forbidden("Only its uploader can queue this upload in another room.")
    raise NotFound("No track with that id.")


def leftovers_prune(*, older_than: datetime, dry_run: bool = False) -> int:
    """Files no upload owns, older than `older_than`: bodies a killed process left half-received
    in MEDIA_ROOT/.incoming/, and stored files whose transaction never committed (a process
    killed between the rename and the commit). Part of `manage.py prune` and its periodic task."""
    cutoff = older_than.timestamp()
    leftovers = [path for path in media_path(INCOMING_DIR).glob("*.part") if path.stat().st_mtime < cutoff]
    stored = {path.name: path for path in media_path(UPLOADS_DIR).glob("*") if path.is_file()}
    owned = {Path(name).name for name in Upload.objects.values_list("file", flat=True).iterator()}
    leftovers += [path for name, path in stored.items() if name not in owned and path.stat().st_mtime < cutoff]
    if not dry_run:
        for path in leftovers:
            path.unlink(missing_ok=True)
    return len(leftovers)
