"""The demo catalogue: tracks, artists, users and histories from fixed seeds, and a clip per track.

Everything derives from fixed seeds, so `load_demo_data` builds the same rows, with the same
Spotify-like ids, every time, and a second run finds them all in place. Each track's clip
is a little melody synthesised from its id: the genre picks scale, tempo range, timbre and
rhythms; the id picks key, tempo, motifs and phrasing. Clips are mono 8-bit PCM WAV at
8 kHz (8 kB a second; 31-38 s each, about 90 MB for the catalogue), and each lasts
exactly its track's `duration_ms`, so a played clip counts as a listen (> 30 s).
"""

# Seeded `random.Random` is the point here: repeatable demo content, never secrets.
# ruff: noqa: S311

import hashlib
import math
import os
import random
import uuid
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.db import transaction

from accounts.models import User
from accounts.services import user_create, user_update
from music import services
from music.models import ListeningEvent

# Histories end here rather than "now", so that every run writes the same timestamps.
DEMO_ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)
DEMO_EMAIL_DOMAIN = "demo.tunewave"
_NAMESPACE = uuid.UUID("6f1d3c52-7a4e-4b8e-9d3a-2f0c1e5b7a90")
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def demo_spotify_id(key: str) -> str:
    """A Spotify-shaped id (22 base-62 characters) derived from `key`: the same key, the same id."""
    number = int.from_bytes(hashlib.sha256(f"tunewave-demo/{key}".encode()).digest()[:17], "big")
    chars = []
    for _ in range(22):
        number, digit = divmod(number, 62)
        chars.append(_BASE62[digit])
    return "".join(chars)


def _seed(spotify_id: str) -> int:
    return int.from_bytes(hashlib.sha256(spotify_id.encode()).digest()[:8], "big")


# --- Genres and how they sound ----------------------------------------------------------

SCALES = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "harmonic minor": (0, 2, 3, 5, 7, 8, 11),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "blues": (0, 3, 5, 6, 7, 10),
    "major pentatonic": (0, 2, 4, 7, 9),
    "minor pentatonic": (0, 3, 5, 7, 10),
}

# One bar in beats, four beats a bar; a negative length is a rest.
RHYTHMS = {
    "even": ((1, 1, 1, 1), (1, 0.5, 0.5, 1, 1), (2, 1, 1)),
    "eighths": ((0.5,) * 8, (1, 0.5, 0.5, 0.5, 0.5, 1)),
    "sixteenths": ((0.25,) * 16, (0.5, 0.25, 0.25, 0.5, 0.25, 0.25, 0.5, 0.5, 1)),
    "swing": ((0.66, 0.34) * 4, (1, 0.66, 0.34, 2)),
    "syncopated": ((0.75, 0.75, 0.5, 0.75, 0.75, 0.5), (1.5, 1.5, 1), (0.5, 1, 0.5, 1, 1)),
    "offbeat": ((-0.5, 0.5) * 4, (-0.5, 0.5, -0.5, 0.5, 1, 1)),
    "sparse": ((1, -1, 0.5, 0.5, -1), (1.5, -0.5, 1, -1)),
    "long": ((2, 2), (4,), (3, 1)),
}


@dataclass(frozen=True)
class Style:
    genre: str
    parent: str | None  # the broader genre its artists also carry (bebop: jazz)
    scale: str
    wave: str  # sine | triangle | square | saw
    bpm: tuple[int, int]
    tonic: int  # MIDI note of the lowest key's tonic
    rhythm: str
    decay: float  # how fast a note fades, per second
    naming: str  # how its artists and tracks are named (see _NAMERS)


GENRES = [
    Style("jazz", None, "dorian", "triangle", (110, 140), 57, "swing", 2.5, "person"),
    Style("bebop", "jazz", "mixolydian", "triangle", (180, 240), 60, "eighths", 3.0, "person"),
    Style("cool jazz", "jazz", "dorian", "sine", (80, 110), 55, "swing", 1.5, "person"),
    Style("soul", None, "minor pentatonic", "triangle", (80, 100), 57, "syncopated", 2.0, "person"),
    Style("funk", "soul", "dorian", "square", (100, 115), 52, "syncopated", 5.0, "band"),
    Style("r&b", "soul", "minor pentatonic", "sine", (70, 90), 57, "syncopated", 1.5, "person"),
    Style("disco", None, "minor", "square", (115, 125), 57, "eighths", 3.0, "band"),
    Style("hip hop", None, "minor pentatonic", "square", (85, 95), 48, "sparse", 4.0, "mc"),
    Style("trap", "hip hop", "harmonic minor", "saw", (130, 150), 48, "sparse", 3.0, "mc"),
    Style("metal", None, "phrygian", "saw", (140, 180), 40, "eighths", 2.0, "metal"),
    Style("doom metal", "metal", "harmonic minor", "saw", (55, 75), 36, "long", 0.6, "metal"),
    Style("black metal", "metal", "minor", "saw", (180, 220), 45, "sixteenths", 2.0, "metal"),
    Style("hard rock", None, "blues", "square", (110, 140), 45, "eighths", 2.0, "band"),
    Style("punk", None, "major", "square", (170, 200), 52, "eighths", 3.0, "band"),
    Style("indie rock", None, "major", "triangle", (110, 130), 55, "even", 2.0, "band"),
    Style("shoegaze", "indie rock", "lydian", "saw", (90, 110), 52, "long", 0.5, "band"),
    Style("post-rock", None, "minor", "triangle", (70, 100), 52, "long", 0.8, "band"),
    Style("dream pop", "indie rock", "major", "sine", (80, 100), 60, "even", 1.0, "band"),
    Style("techno", "electronic", "minor", "square", (125, 135), 45, "sixteenths", 6.0, "electronic"),
    Style("house", "electronic", "dorian", "square", (120, 126), 48, "offbeat", 4.0, "electronic"),
    Style("ambient", "electronic", "major pentatonic", "sine", (50, 70), 55, "long", 0.3, "electronic"),
    Style("drum and bass", "electronic", "minor", "saw", (170, 176), 45, "sixteenths", 5.0, "electronic"),
    Style("synthpop", "pop", "major", "square", (110, 125), 57, "eighths", 2.5, "electronic"),
    Style("pop", None, "major", "triangle", (100, 120), 60, "even", 2.0, "person"),
    Style("k-pop", "pop", "major", "square", (120, 135), 60, "syncopated", 3.0, "band"),
    Style("classical", None, "major", "sine", (80, 120), 60, "even", 1.0, "classical"),
    Style("baroque", "classical", "harmonic minor", "triangle", (100, 130), 60, "sixteenths", 3.0, "classical"),
    Style("opera", "classical", "harmonic minor", "sine", (60, 80), 57, "long", 0.5, "classical"),
    Style("folk", None, "major pentatonic", "triangle", (90, 110), 55, "even", 2.0, "person"),
    Style("country", None, "major", "triangle", (100, 120), 55, "even", 2.5, "person"),
    Style("bluegrass", "country", "major", "square", (140, 180), 60, "eighths", 4.0, "band"),
    Style("blues", None, "blues", "triangle", (70, 90), 52, "swing", 1.5, "person"),
    Style("reggae", None, "major", "square", (70, 80), 52, "offbeat", 4.0, "person"),
    Style("dub", "reggae", "minor", "sine", (65, 80), 45, "sparse", 1.0, "mc"),
    Style("salsa", "latin", "harmonic minor", "triangle", (170, 200), 57, "syncopated", 3.0, "band"),
    Style("bossa nova", "latin", "major", "sine", (120, 140), 55, "syncopated", 2.0, "person"),
]
ARTISTS_PER_GENRE = 2
# Artist 0 of each genre has four tracks, artist 1 five: 36 genres x 9 = 324 tracks.
TRACKS_PER_ARTIST = (4, 5)


# --- Names ------------------------------------------------------------------------------

FIRST = "Ada Miles Nina Ornette Ella Chet Billie Otis Etta Curtis Dolly Hank Joni Odetta Clara Amara Kofi Yuki Mateo Lucia Ravi Ines Tomas Greta Sol Iris Felix Nora Luca Mira Oskar Zara Theo Vera Jonah Elif Rosa Dario".split()
LAST = "Blackwood Carver Delacroix Ellison Fairweather Grant Holloway Ivers Jarrett Kingsley Lovell Marsh Nakamura Okafor Pryce Quill Rivers Santos Thorne Underhill Valdez Whitlock Young Zimmer Abernathy Bell Castellano Drummond Eastman Moreau".split()
ADJ = "Velvet Paper Silver Quiet Electric Broken Golden Neon Hollow Wild Crimson Glass Lucky Restless Northern Sleepy Burning Lonely Midnight Copper Blue Distant Endless Frozen Hidden Summer Winter Little Open Secret".split()
NOUN = "Lanterns Wolves Satellites Orchards Ghosts Rivers Tigers Arcades Harbors Comets Foxes Parades Echoes Pilots Gardens Strangers Monarchs Tides Engines Sparrows".split()
THING = "Train River City Moon Heart Road Window Dance Light Garden Rain Fire Ocean Dream Shadow Mountain Highway Letter Mirror Star Harbor Sky Echo Signal Memory Season Bridge Avenue Horizon Lantern".split()
DARK = "Grim Iron Frost Blood Storm Ash Night Bone Raven Black Dread Thorn Void Wolf Cinder".split()
DARK_END = "throne forge hammer reaper crypt fall spire bane maw gate wraith horn veil fire born".split()
DARK_THING = "Ash Frost Ruin Iron Sorrow Storms Bones Ravens Night Embers Winter Shadows".split()
SYNTH = "Pulse Vector Mono Circuit Lumen Kinetic Nova Prism Quartz Delta Orbit Sonar Helix Flux Aero Kilo".split()
SYNTH_END = "Unit System Machine Collective Theory Lab Array Signal Motion Drift".split()
FORMS = "Sonata Prelude Nocturne Etude Fugue Concerto Suite Aria Partita Serenade Invention Fantasia".split()
KEYS = ("C major", "D minor", "E-flat major", "F-sharp minor", "G major", "A minor", "B-flat major", "C-sharp minor")
CITIES = "Vienna Leipzig Prague Cremona Salzburg Bergen Lisbon Kraków Ghent Turin".split()


def _artist_name(rng: random.Random, naming: str) -> str:
    if naming == "band":
        return f"The {rng.choice(ADJ)} {rng.choice(NOUN)}"
    if naming == "metal":
        return f"{rng.choice(DARK)}{rng.choice(DARK_END)}"
    if naming == "electronic":
        return f"{rng.choice(SYNTH)} {rng.choice(SYNTH_END)}"
    if naming == "mc":
        return f"{rng.choice(('MC', 'Lil', 'Young', 'DJ'))} {rng.choice(THING)}"
    if naming == "classical":
        return rng.choice((f"Ensemble {rng.choice(CITIES)}", f"{rng.choice(FIRST)} {rng.choice(LAST)}"))
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _track_name(rng: random.Random, naming: str) -> str:
    if naming == "metal":
        return rng.choice(
            (f"Throne of {rng.choice(DARK_THING)}", f"Beneath the {rng.choice(THING)}", f"{rng.choice(DARK)} Oath")
        )
    if naming == "electronic":
        return rng.choice((f"{rng.choice(SYNTH)} {rng.randint(1, 99)}", f"{rng.choice(ADJ)} {rng.choice(THING)}"))
    if naming == "classical":
        return f"{rng.choice(FORMS)} No. {rng.randint(1, 12)} in {rng.choice(KEYS)}"
    return rng.choice(
        (
            f"{rng.choice(ADJ)} {rng.choice(THING)}",
            f"The {rng.choice(THING)}",
            f"{rng.choice(THING)} Song",
            f"Song for {rng.choice(FIRST)}",
        )
    )


# --- The catalogue ----------------------------------------------------------------------


@dataclass(frozen=True)
class DemoArtist:
    spotify_id: str
    name: str
    genres: tuple[str, ...]


@dataclass(frozen=True)
class DemoTrack:
    spotify_id: str
    name: str
    album: str
    duration_ms: int
    popularity: int
    style: Style
    artists: tuple[DemoArtist, ...]

    @property
    def genres(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(genre for artist in self.artists for genre in artist.genres))

    def spec(self, *, media_url: str) -> dict:
        """The track as services.tracks_bulk_store takes it."""
        return {
            "spotify_id": self.spotify_id,
            "name": self.name,
            "album": self.album,
            "duration_ms": self.duration_ms,
            "popularity": self.popularity,
            "audio_url": clip_url(self.spotify_id, media_url=media_url),
            "origin": "demo",
            "artists": [
                {"spotify_id": artist.spotify_id, "name": artist.name, "genres": list(artist.genres)}
                for artist in self.artists
            ],
        }


def demo_catalog(limit: int | None = None) -> list[DemoTrack]:
    """The demo tracks in a fixed order that visits every genre before any comes back,
    so the first `limit` tracks still span many genres."""
    used_names: set[str] = set()
    artists: dict[tuple[int, int], DemoArtist] = {}
    for g, style in enumerate(GENRES):
        for a in range(ARTISTS_PER_GENRE):
            rng = random.Random(f"tunewave-demo:artist:{style.genre}:{a}")
            name = _artist_name(rng, style.naming)
            while name in used_names:
                name = _artist_name(rng, style.naming)
            used_names.add(name)
            genres = (style.genre, style.parent) if style.parent else (style.genre,)
            artists[g, a] = DemoArtist(demo_spotify_id(f"artist:{style.genre}:{a}"), name, genres)

    per_artist: dict[tuple[int, int], list[DemoTrack]] = {}
    for (g, a), artist in artists.items():
        style = GENRES[g]
        rng = random.Random(f"tunewave-demo:tracks:{style.genre}:{a}")
        albums = [f"{rng.choice(ADJ)} {rng.choice(THING)}" for _ in range(2)]
        names: set[str] = set()
        tracks = []
        for t in range(TRACKS_PER_ARTIST[a % len(TRACKS_PER_ARTIST)]):
            name = _track_name(rng, style.naming)
            while name in names:
                name = _track_name(rng, style.naming)
            names.add(name)
            spotify_id = demo_spotify_id(f"track:{style.genre}:{a}:{t}")
            credits: tuple[DemoArtist, ...] = (artist,)
            if rng.random() < 0.15:  # a featured artist: the genre's other one
                credits = (artist, artists[g, (a + 1) % ARTISTS_PER_GENRE])
            tracks.append(
                DemoTrack(
                    spotify_id=spotify_id,
                    name=name,
                    album=albums[t * len(albums) // TRACKS_PER_ARTIST[-1]],
                    # 31.000-38.000 s, a whole number of milliseconds (the clip matches exactly).
                    duration_ms=31_000 + _seed(spotify_id) % 7_001,
                    popularity=rng.randint(15, 90),
                    style=style,
                    artists=credits,
                )
            )
        per_artist[g, a] = tracks

    ordered = []
    for t in range(max(TRACKS_PER_ARTIST)):
        for a in range(ARTISTS_PER_GENRE):
            for g in range(len(GENRES)):
                tracks = per_artist[g, a]
                if t < len(tracks):
                    ordered.append(tracks[t])
    return ordered[:limit] if limit is not None else ordered


# --- Users, favourites, histories --------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    genres: tuple[str, ...]  # their taste, the first the strongest

    @property
    def email(self) -> str:
        return f"{self.username}@{DEMO_EMAIL_DOMAIN}"


DEMO_USERS = [
    DemoUser("alice", "Alice (jazz)", ("jazz", "bebop", "cool jazz", "soul")),
    DemoUser("bob", "Bob (metal)", ("metal", "doom metal", "black metal", "hard rock")),
    DemoUser("charlie", "Charlie (electronic)", ("electronic", "techno", "house", "drum and bass")),
    DemoUser("dana", "Dana (indie)", ("indie rock", "shoegaze", "dream pop", "post-rock")),
    DemoUser("eli", "Eli (hip hop)", ("hip hop", "trap", "r&b", "funk")),
    DemoUser("fatima", "Fatima (classical)", ("classical", "baroque", "opera")),
    DemoUser("gus", "Gus (folk)", ("folk", "country", "bluegrass", "blues")),
    DemoUser("hana", "Hana (pop)", ("pop", "k-pop", "synthpop", "disco")),
    DemoUser("ivan", "Ivan (punk)", ("punk", "hard rock", "indie rock")),
    DemoUser("jules", "Jules (reggae)", ("reggae", "dub", "latin", "bossa nova")),
    DemoUser("kim", "Kim (soul)", ("soul", "funk", "disco", "r&b")),
    DemoUser("leo", "Leo (ambient)", ("ambient", "classical", "post-rock", "cool jazz")),
]


def _taste_weights(user: DemoUser, tracks: list[DemoTrack]) -> list[float]:
    weights = []
    for track in tracks:
        genres = set(track.genres)
        weight = 0.0
        for rank, genre in enumerate(user.genres):
            if genre in genres:
                weight = max(weight, 8.0 / (rank + 1))
        weights.append(weight)
    return weights


def demo_favorites(user: DemoUser, tracks: list[DemoTrack]) -> list[DemoTrack]:
    """Up to 8 tracks of the user's taste, the stronger the likelier."""
    rng = random.Random(f"tunewave-demo:favorites:{user.username}")
    liked = [(track, weight) for track, weight in zip(tracks, _taste_weights(user, tracks), strict=True) if weight]
    chosen: list[DemoTrack] = []
    while liked and len(chosen) < 8:
        track = rng.choices([t for t, _ in liked], weights=[w for _, w in liked])[0]
        chosen.append(track)
        liked = [(t, w) for t, w in liked if t is not track]
    return chosen


def demo_history(user: DemoUser, tracks: list[DemoTrack]) -> list[tuple[DemoTrack, datetime]]:
    """About 80 listens over the four weeks before DEMO_ANCHOR, four in five to their taste."""
    rng = random.Random(f"tunewave-demo:history:{user.username}")
    weights = _taste_weights(user, tracks)
    liked = [track for track, weight in zip(tracks, weights, strict=True) if weight]
    liked_weights = [weight for weight in weights if weight]
    listens = []
    moment = DEMO_ANCHOR
    for _ in range(72 + rng.randrange(16)):
        moment -= timedelta(minutes=rng.randrange(90, 900))
        if liked and rng.random() < 0.8:
            track = rng.choices(liked, weights=liked_weights)[0]
        else:
            track = rng.choice(tracks)
        listens.append((track, moment))
    return listens


# --- Audio ------------------------------------------------------------------------------
#
# A sample-by-sample Python loop takes about 45 s for the catalogue. Instead each note is
# cut from a precomputed loop of its pitch, and its fading envelope is applied to whole
# runs of samples at once with bytes.translate (one lookup table per loudness step): the
# catalogue takes about a second, with no numpy.

RATE = 8000  # samples a second; with 8-bit samples a millisecond is exactly 8 bytes
WAV_HEADER = 44  # bytes before the samples in a PCM WAV that the `wave` module writes
_TABLE = 1024
_LEVEL_RATIO = 0.88  # each loudness step is 12% quieter than the one before
_LEVELS = 48
_LONGEST_NOTE = RATE * 12
_AMPLITUDE = {"sine": 110, "triangle": 110, "square": 60, "saw": 75}


def _wavetable(kind: str) -> list[float]:
    table = []
    for i in range(_TABLE):
        x = i / _TABLE
        if kind == "sine":
            table.append(math.sin(2 * math.pi * x))
        elif kind == "square":
            table.append(1.0 if x < 0.5 else -1.0)
        elif kind == "saw":
            table.append(2 * x - 1)
        else:
            table.append(4 * x - 1 if x < 0.5 else 3 - 4 * x)
    return table


# _LOUDNESS[k] scales an unsigned 8-bit sample (silence = 128) by _LEVEL_RATIO ** k;
# the last entry is silence.
_LOUDNESS = [
    bytes(max(0, min(255, 128 + round((value - 128) * _LEVEL_RATIO**level))) for value in range(256))
    for level in range(_LEVELS)
] + [bytes([128]) * 256]


class Synth:
    """Renders notes; keeps each pitch's loop for reuse across tracks."""

    def __init__(self):
        self._tables = {kind: _wavetable(kind) for kind in _AMPLITUDE}
        self._tones: dict[tuple[str, int], bytes] = {}

    def _tone(self, kind: str, midi: int) -> bytes:
        tone = self._tones.get((kind, midi))
        if tone is None:
            period = RATE / (440 * 2 ** ((midi - 69) / 12))
            # A loop of whole periods (~2000 samples) repeats without a click; rounding its
            # length detunes the note by well under a cent.
            periods = max(1, round(2000 / period))
            length = round(periods * period)
            step = periods * _TABLE / length
            table, amplitude = self._tables[kind], _AMPLITUDE[kind]
            loop = bytes(128 + int(amplitude * table[int(i * step) % _TABLE]) for i in range(length))
            tone = loop * (_LONGEST_NOTE // length + 2)
            self._tones[kind, midi] = tone
        return tone

    def note(self, kind: str, midi: int | None, frames: int, decay: float) -> bytes:
        """`frames` samples of a plucked-and-fading note (or silence, for midi None)."""
        if midi is None or frames < 64:
            return bytes([128]) * frames
        if frames > _LONGEST_NOTE:
            return self.note(kind, midi, _LONGEST_NOTE, decay) + bytes([128]) * (frames - _LONGEST_NOTE)
        tone = self._tone(kind, midi)
        attack, release = min(24, frames // 4), min(160, frames // 4)
        parts = [tone[:attack].translate(_LOUDNESS[6])]
        run = max(16, int(-math.log(_LEVEL_RATIO) / decay * RATE))  # samples per loudness step
        start, level, end = attack, 0, frames - release
        while start < end:
            stop = min(end, start + run)
            parts.append(tone[start:stop].translate(_LOUDNESS[level]))
            start, level = stop, min(level + 1, _LEVELS - 1)
        quarter = release // 4
        for i in range(4):
            stop = frames if i == 3 else start + quarter
            parts.append(tone[start:stop].translate(_LOUDNESS[min(_LEVELS, level + 5 * (i + 1))]))
            start = stop
        return b"".join(parts)


def _bar(rng: random.Random, style: Style, degree: int) -> tuple[list[tuple[int | None, float]], int]:
    """A bar of (scale degree or None for a rest, beats), walking from `degree`; and where it ended."""
    bar: list[tuple[int | None, float]] = []
    for beats in rng.choice(RHYTHMS[style.rhythm]):
        if beats < 0:
            bar.append((None, -beats))
            continue
        degree = max(-3, min(10, degree + rng.choice((-2, -1, -1, 0, 1, 1, 2, 3))))
        bar.append((degree, beats))
    return bar, degree


def clip_samples(track: DemoTrack, synth: Synth) -> bytes:
    """The track's melody: exactly duration_ms of 8 kHz unsigned 8-bit samples."""
    style = track.style
    rng = random.Random(_seed(track.spotify_id))
    scale = SCALES[style.scale]
    tonic = style.tonic + rng.randrange(12)
    seconds_per_beat = 60 / rng.randint(*style.bpm)

    def midi(degree: int) -> int:
        octave, step = divmod(degree, len(scale))
        return tonic + 12 * octave + scale[step]

    # Motifs A and B, a variation of each, and a phrase order that comes back to A.
    a, end = _bar(rng, style, 0)
    b, _ = _bar(rng, style, end)
    a2 = a[:-1] + [(0 if a[-1][0] is not None else None, a[-1][1])]
    b2 = [(None if d is None else d + 2, beats) for d, beats in b]
    c, _ = _bar(rng, style, 4)
    bars = rng.choice(([a, a2, b, a2], [a, b, a, b2, c, a2], [a, a, b, b2, a, c, a2]))

    target = track.duration_ms * RATE // 1000
    parts: list[bytes] = []
    frames, i = 0, 0
    final = int(4 * seconds_per_beat * RATE)  # the closing note: about a bar
    while True:
        bar = [(None if d is None else midi(d), round(beats * seconds_per_beat * RATE)) for d, beats in bars[i]]
        if frames + sum(n for _, n in bar) > target - final:
            break
        parts.extend(synth.note(style.wave, note, n, style.decay) for note, n in bar)
        frames += sum(n for _, n in bar)
        i = (i + 1) % len(bars)
    parts.append(synth.note(style.wave, midi(0), target - frames, min(style.decay, 1.5)))
    return b"".join(parts)


def clip_path(spotify_id: str, *, media_root: Path) -> Path:
    return Path(media_root) / "demo" / f"{spotify_id}.wav"


def clip_url(spotify_id: str, *, media_url: str) -> str:
    return f"{media_url.rstrip('/')}/demo/{spotify_id}.wav"


def clip_size(duration_ms: int) -> int:
    return WAV_HEADER + duration_ms * RATE // 1000


def clip_write(track: DemoTrack, *, media_root: Path, synth: Synth) -> bool:
    """Writes the track's clip unless a file of the right size is there; True if written."""
    path = clip_path(track.spotify_id, media_root=media_root)
    if path.is_file() and path.stat().st_size == clip_size(track.duration_ms):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with wave.open(str(partial), "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(1)
        clip.setframerate(RATE)
        clip.writeframes(clip_samples(track, synth))
    # Renamed into place, so an interrupted run never leaves a short clip under the real name.
    os.replace(partial, path)
    return True


# --- Loading ----------------------------------------------------------------------------


@dataclass
class DemoSummary:
    tracks: int = 0
    genres: int = 0
    users: int = 0
    users_created: int = 0
    clips_written: int = 0
    rooms_created: int = 0
    # For the layers above (rooms.demo builds demo rooms from these).
    user_list: list = field(default_factory=list)
    track_ids: dict = field(default_factory=dict)


def _demo_user(demo: DemoUser) -> tuple[User, bool]:
    user = User.objects.filter(email__iexact=demo.email).first()
    created = user is None
    if user is None:
        user = user_create(email=demo.email, username=demo.username, display_name=demo.display_name)
    wanted = {"display_name": demo.display_name, "favorite_genres": list(demo.genres[:3])}
    changed = {field: value for field, value in wanted.items() if getattr(user, field) != value}
    if changed:
        user = user_update(user=user, data=changed)
    return user, created


def demo_data_load(
    *,
    media_root: Path,
    media_url: str,
    limit: int | None = None,
    audio: bool = True,
    progress: Callable[[str], None] = lambda line: None,
) -> DemoSummary:
    """Loads (or completes) the demo data; a second run adds and changes nothing.

    The rows go in one transaction; the clips are written after it, each only if missing
    or of the wrong size, so a second run is quick.
    """
    catalog = demo_catalog(limit)
    summary = DemoSummary(tracks=len(catalog), genres=len({g for t in catalog for g in t.genres}))
    with transaction.atomic():
        track_ids: dict[str, int] = {}
        for start in range(0, len(catalog), 60):
            chunk = catalog[start : start + 60]
            track_ids.update(services.tracks_bulk_store(tracks=[t.spec(media_url=media_url) for t in chunk]))
            progress(f"tracks {start + len(chunk)}/{len(catalog)}")

        users: list[User] = []
        favorites: list[tuple[uuid.UUID, int]] = []
        events: list[dict] = []
        for demo in DEMO_USERS:
            user, created = _demo_user(demo)
            users.append(user)
            summary.users_created += created
            favorites.extend((user.pk, track_ids[t.spotify_id]) for t in demo_favorites(demo, catalog))
            for track, moment in demo_history(demo, catalog):
                # The id follows from what the event is, so reruns name the same row.
                event_id = uuid.uuid5(_NAMESPACE, f"{demo.email}|{track.spotify_id}|{moment.isoformat()}")
                events.append(
                    {
                        "id": event_id,
                        "user_id": user.pk,
                        "track_id": track_ids[track.spotify_id],
                        "listened_at": moment,
                        "ms_played": track.duration_ms,
                        "source": ListeningEvent.Source.DEMO,
                    }
                )
        services.favorites_bulk_add(pairs=favorites)
        services.listening_bulk_record(events=events)
        summary.users = len(users)
        progress(f"users {len(users)}/{len(DEMO_USERS)}, {len(favorites)} favorites, {len(events)} listens")
        summary.user_list, summary.track_ids = users, track_ids

    if audio:
        synth = Synth()
        for done, track in enumerate(catalog, start=1):
            summary.clips_written += clip_write(track, media_root=media_root, synth=synth)
            if done % 40 == 0 or done == len(catalog):
                progress(f"audio {done}/{len(catalog)} ({summary.clips_written} written)")
    return summary
