"""Real audio files for the upload tests, made on the spot: WAV with Python's `wave`, FLAC and
Ogg (Vorbis, Opus) with `soundfile` (libsndfile), MP3 with `lameenc`; a one-second 440 Hz sine
unless told otherwise."""

import io
import wave
import zlib

import av
import lameenc  # type: ignore[import-not-found]
import numpy as np
import soundfile  # type: ignore[import-untyped]

RATE = 44_100


def sine(seconds: float = 1.0, rate: int = RATE, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    mono = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return np.repeat(mono[:, None], channels, axis=1) if channels > 1 else mono


def pcm16(seconds: float = 1.0, rate: int = RATE, channels: int = 1) -> bytes:
    return (sine(seconds, rate, channels) * 32767).astype("<i2").tobytes()


def wav_bytes(seconds: float = 1.0, rate: int = RATE, channels: int = 1) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm16(seconds, rate, channels))
    return out.getvalue()


def _soundfile(seconds: float, fmt: str, subtype: str | None, rate: int = RATE, tags: dict | None = None) -> bytes:
    out = io.BytesIO()
    with soundfile.SoundFile(out, "w", samplerate=rate, channels=1, format=fmt, subtype=subtype) as f:
        for key, value in (tags or {}).items():
            setattr(f, key, value)
        f.write(sine(seconds, rate))
    return out.getvalue()


def flac_bytes(seconds: float = 1.0, tags: dict | None = None) -> bytes:
    """`tags`: soundfile's names (title, artist, album, genre)."""
    return _soundfile(seconds, "FLAC", "PCM_16", tags=tags)


def ogg_vorbis_bytes(seconds: float = 1.0, tags: dict | None = None) -> bytes:
    return _soundfile(seconds, "OGG", "VORBIS", tags=tags)


def ogg_opus_bytes(seconds: float = 1.0) -> bytes:
    return _soundfile(seconds, "OGG", "OPUS", rate=48_000)


def m4a_bytes(seconds: float = 1.0) -> bytes:
    """AAC in an MP4 (M4A) container, encoded by FFmpeg inside PyAV."""
    out_buffer = io.BytesIO()
    container = av.open(out_buffer, mode="w", format="ipod")
    stream = container.add_stream("aac", rate=RATE, layout="mono")
    samples = sine(seconds).astype(np.float32).reshape(1, -1)
    for start in range(0, samples.shape[1], 1024):
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples[:, start : start + 1024]), format="fltp", layout="mono"
        )
        frame.sample_rate = RATE
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)
    container.close()
    return out_buffer.getvalue()


def mp3_bytes(seconds: float = 1.0) -> bytes:
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(128)
    encoder.set_in_sample_rate(RATE)
    encoder.set_channels(1)
    encoder.set_quality(7)
    return bytes(encoder.encode(pcm16(seconds)) + encoder.flush())


def png_bytes() -> bytes:
    """A real 1x1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def zip_bytes() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return out.getvalue()
