"""Generated cover art: an SVG per album (and per room) for everything without a Spotify image.

A cover's URL is `/covers/v1/<kind>/<key>.svg` (`kind`: `album` or `room`). The key is 18 hex
digits: 16 from a hash of what the cover stands for (an album: its name and first artist,
case- and space-folded; a room: its id) and 2 encoding the genre tint as a hue. The key alone
determines the picture, so the view reads no database and any well-formed key renders; nothing
of the album's name is embedded in the SVG, so user or Spotify text never reaches the markup.
`v1` is the drawing's version: change the drawing, bump it, and clients' year-long caches miss.

The drawing: a two-colour gradient near the genre's hue (the album's hash moves it and picks
the second colour), then one motif (circles, waves, stripes, rings, hills, dots or a sun),
placed and sized by the hash. A room's cover adds broadcast arcs in a corner.
"""

# Seeded `random.Random` draws a picture from a hash: repeatable, never a secret.
# ruff: noqa: S311

import hashlib
import math
import random
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

COVER_VERSION = "v1"
KINDS = ("album", "room")
KEY = re.compile(r"[0-9a-f]{18}")
SIZE = 300

# Genres around the colour wheel, relatives side by side (metal reds, jazz ambers, electronic
# teals, indie blues, pop violets). A genre not listed takes the hue of the first listed one its
# name contains ("death metal": metal), moved a little by its own name; any other, a hashed hue.
WHEEL = (
    "metal doom-metal black-metal hard-rock rock punk salsa latin bossa-nova jazz bebop cool-jazz country "
    "bluegrass folk reggae dub ambient house electronic techno drum-and-bass blues classical baroque opera "
    "post-rock indie-rock shoegaze dream-pop synthpop pop k-pop disco hip-hop trap r&b soul funk"
).split()
GENRE_HUES = {
    name.replace("-", " ").replace("post rock", "post-rock").replace("k pop", "k-pop"): i * 360 / len(WHEEL)
    for i, name in enumerate(WHEEL)
}
# The broad genres: a track's more specific genre ("bebop" beside "jazz") tints its cover.
BROAD = frozenset(
    {
        "jazz",
        "soul",
        "hip hop",
        "metal",
        "rock",
        "indie rock",
        "electronic",
        "pop",
        "classical",
        "country",
        "reggae",
        "latin",
    }
)


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode()).digest()


def genre_hue(genres: Iterable[str]) -> float | None:
    """The tint for a set of genre names, in degrees; None without genres."""
    names = sorted({_fold(name) for name in genres if name and name.strip()}, key=lambda n: (n in BROAD, n))
    if not names:
        return None
    name = names[0]
    if name in GENRE_HUES:
        return GENRE_HUES[name]
    shift = _digest("genre", name)[0] / 255 * 16 - 8
    for known, hue in GENRE_HUES.items():
        if known in name:
            return (hue + shift) % 360
    return _digest("genre", name)[1] / 256 * 360


def _key(seed: bytes, hue: float | None) -> str:
    tint = round(hue / 360 * 256) % 256 if hue is not None else seed[8]
    return f"{seed[:8].hex()}{tint:02x}"


def album_key(*, album: str, artist: str, genres: Iterable[str] = ()) -> str:
    """The key of an album's cover: the same album, artist and genres, the same key."""
    return _key(_digest("album", _fold(album), _fold(artist)), genre_hue(genres))


def room_key(*, room_id, genres: Iterable[str] = ()) -> str:
    """The key of a room's own cover: its id (renaming keeps the cover), tinted by its genres."""
    return _key(_digest("room", str(room_id)), genre_hue(genres))


def cover_path(kind: str, key: str) -> str:
    """The cover's path (music/urls.py routes it; spelled out here, since reverse() costs more
    than the rest of rendering a track)."""
    return f"/covers/{COVER_VERSION}/{kind}/{key}.svg"


def album_cover_path(*, album: str, artists: Sequence[str], genres: Iterable[str], name: str = "") -> str:
    """The cover path for a track's album. A track without an album is a single: its own name
    stands in for the album's."""
    return cover_path("album", album_key(album=album or name, artist=artists[0] if artists else "", genres=genres))


def track_cover_path(track) -> str:
    """`album_cover_path` for a Track with `credits` (and their artists) and `genres` prefetched
    (music.selectors.track_prefetches): no query."""
    return album_cover_path(
        album=track.album,
        artists=[credit.artist.name for credit in track.credits.all()],
        genres=[genre.name for genre in track.genres.all()],
        name=track.name,
    )


def room_cover_path_of(room_id, genres: Iterable[str]) -> str:
    """The own cover path of the room with this id and these genre names."""
    return cover_path("room", room_key(room_id=room_id, genres=genres))


def room_cover_path(room) -> str:
    """The room's own cover path; its `genres` prefetched (rooms.selectors.with_listing)."""
    return room_cover_path_of(room.pk, [genre.name for genre in room.genres.all()])


# --- Drawing ----------------------------------------------------------------------------


def _n(value: float) -> str:
    """A number as SVG text: one decimal at most, no "-0"."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _hsl(hue: float, saturation: float, lightness: float, alpha: float | None = None) -> str:
    """A CSS colour (the only kind of text the SVG holds besides numbers)."""
    body = f"{_n(hue % 360)},{_n(saturation)}%,{_n(lightness)}%"
    return f"hsl({body})" if alpha is None else f"hsla({body},{alpha:.2f})"


# A colour for a motif: hsla from hue, saturation, lightness (per cent) and alpha.
Ink = Callable[[float, float, float, float], str]

# Each motif draws itself in one of four variants (a clearly different form: how many, which
# way, where), then places the details with the rest of the hash.


def _circles(rng: random.Random, variant: int, hue: float, hue2: float, ink: Ink) -> list[str]:
    count, low, high = ((3, 60, 120), (5, 35, 85), (8, 20, 60), (14, 8, 30))[variant]
    return [
        f'<circle cx="{_n(rng.uniform(0, SIZE))}" cy="{_n(rng.uniform(0, SIZE))}" r="{_n(rng.uniform(low, high))}" '
        f'fill="{ink(rng.choice((hue, hue2)), 70, rng.uniform(55, 85), rng.uniform(0.3, 0.65))}"/>'
        for _ in range(count)
    ]


def _waves(rng: random.Random, variant: int, hue: float, hue2: float, ink: Ink) -> list[str]:
    count, amplitude, width = ((3, 40, 16), (5, 22, 9), (8, 12, 5), (4, 55, 26))[variant]
    length = rng.uniform(70, 160)
    shapes = []
    for i in range(count):
        y = SIZE * (i + 1) / (count + 1) + rng.uniform(-8, 8)
        phase = rng.uniform(0, math.tau)
        points = [
            f"{_n(x)},{_n(y + amplitude * math.sin(phase + x / length * math.tau))}"
            for x in (-length + step * length / 8 for step in range(int((SIZE + 2 * length) / (length / 8)) + 1))
        ]
        shapes.append(
            f'<polyline points="{" ".join(points)}" fill="none" stroke="{ink(hue2, 80, 88, 0.55)}" '
            f'stroke-width="{width}" stroke-linecap="round" stroke-linejoin="round"/>'
        )
    return shapes


def _stripes(rng: random.Random, variant: int, hue: float, hue2: float, ink: Ink) -> list[str]:
    angle = (-45, 0, 45, 90)[variant] + rng.uniform(-8, 8)
    band = rng.uniform(14, 40)
    bars = []
    y = -float(SIZE)
    while y < SIZE * 2:
        bars.append(
            f'<rect x="{-SIZE}" y="{_n(y)}" width="{SIZE * 3}" height="{_n(band * rng.uniform(0.3, 0.9))}" '
            f'fill="{ink(hue2, 75, rng.uniform(60, 85), rng.uniform(0.2, 0.5))}"/>'
        )
        y += band * 2
    return [f'<g transform="rotate({_n(angle)} 150 150)">{"".join(bars)}</g>']


_CORNERS = ((30, 30), (270, 30), (30, 270), (270, 270))


def _rings(rng: random.Random, variant: int, hue: float, hue2: float, ink: Ink) -> list[str]:
    cx, cy = (x + rng.uniform(-25, 25) for x in _CORNERS[variant])
    step = rng.uniform(18, 34)
    return [
        f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(step * i)}" fill="none" '
        f'stroke="{ink(hue2 if i % 2 else hue, 70, 85, 0.5)}" stroke-width="{_n(step * rng.uniform(0.15, 0.45))}"/>'
        for i in range(1, 18)
    ]


def _hills(rng: random.Random, variant: int, hue: float, hue2: float, ink: Ink) -> list[str]:
    layers, peaks = ((2, 2), (3, 3), (4, 4), (3, 6))[variant]
    shapes = []
    for layer in range(layers):
        base = SIZE * (0.45 + 0.5 * layer / layers)
        points = [f"0,{SIZE}", f"0,{_n(base)}"]
        for p in range(1, peaks * 2):
            y = base - rng.uniform(40, 110) if p % 2 else base - rng.uniform(0, 20)
            points.append(f"{_n(SIZE * p / (peaks * 2))},{_n(y)}")
        points += [f"{SIZE},{_n(base)}", f"{SIZE},{SIZE}"]
        shapes.append(f'<polygon points="{" ".join(points)}" fill="{ink(hue2, 45, 20 + 12 * layer, 0.8)}"/>')
    return shapes


def _dots(rng: random.Random, variant: int, hue: float, hue2: float, ink: Ink) -> list[str]:
    cells = (4, 6, 8, 11)[variant]
    cell = SIZE / cells
    grow_x, grow_y = rng.uniform(-1, 1), rng.uniform(-1, 1)
    shapes = []
    for row in range(cells):
        for col in range(cells):
            scale = 0.5 + 0.5 * math.sin((col * grow_x + row * grow_y) * 0.9 + rng.uniform(0, 0.6))
            shapes.append(
                f'<circle cx="{_n(cell * (col + 0.5))}" cy="{_n(cell * (row + 0.5))}" '
                f'r="{_n(cell * 0.42 * max(scale, 0.12))}" fill="{ink(hue2, 80, 85, 0.6)}"/>'
            )
    return shapes


def _sun(rng: random.Random, variant: int, hue: float, hue2: float, ink: Ink) -> list[str]:
    cx, cy = ((90, 120), (210, 120), (150, 175), (150, 95))[variant]
    r = rng.uniform(55, 95)
    shapes = [f'<circle cx="{cx}" cy="{cy}" r="{_n(r)}" fill="{ink(hue2, 85, 70, 0.9)}"/>']
    gaps = rng.randint(3, 6)
    for i in range(gaps):
        shapes.append(
            f'<rect x="0" y="{_n(cy + r * i / gaps + 2)}" width="{SIZE}" height="{_n(2 + i * 2.5)}" '
            f'fill="{ink(hue, 60, 30, 0.95)}"/>'
        )
    return shapes


def _shards(rng: random.Random, variant: int, hue: float, hue2: float, ink: Ink) -> list[str]:
    """Triangles fanning out from one corner."""
    ox, oy = _CORNERS[variant]
    shapes = []
    angles = sorted(rng.uniform(0, 360) for _ in range(rng.randint(4, 7)))
    for i, start in enumerate(angles):
        end = angles[(i + 1) % len(angles)] if i + 1 < len(angles) else angles[0] + 360
        if (end - start) < 8:
            continue
        a, b = math.radians(start), math.radians(start + (end - start) * 0.6)
        points = f"{ox},{oy} {_n(ox + 520 * math.cos(a))},{_n(oy + 520 * math.sin(a))} " + (
            f"{_n(ox + 520 * math.cos(b))},{_n(oy + 520 * math.sin(b))}"
        )
        shapes.append(f'<polygon points="{points}" fill="{ink(hue2, 75, rng.uniform(55, 80), 0.45)}"/>')
    return shapes


def _blocks(rng: random.Random, variant: int, hue: float, hue2: float, ink: Ink) -> list[str]:
    """A few bold rectangles and quarter circles on a grid, Bauhaus-like."""
    grid = (2, 3, 4, 5)[variant]
    cell = SIZE / grid
    shapes: list[str] = []
    for row in range(grid):
        for col in range(grid):
            if rng.random() < 0.45 and shapes:
                continue
            x, y = col * cell, row * cell
            fill = ink(rng.choice((hue, hue2)), 70, rng.uniform(50, 80), 0.75)
            if rng.random() < 0.5:
                shapes.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(cell)}" height="{_n(cell)}" fill="{fill}"/>')
            else:
                cx, cy = x + cell * rng.choice((0, 1)), y + cell * rng.choice((0, 1))
                shapes.append(f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(cell)}" fill="{fill}"/>')
    return shapes


MOTIFS: dict[str, Callable[[random.Random, int, float, float, Ink], list[str]]] = {
    "blocks": _blocks,
    "circles": _circles,
    "dots": _dots,
    "hills": _hills,
    "rings": _rings,
    "shards": _shards,
    "stripes": _stripes,
    "sun": _sun,
    "waves": _waves,
}
VARIANTS = 4


def _overlay_split(rng: random.Random, hue: float, ink: Ink) -> list[str]:
    """Half the cover shaded, cut on a diagonal or straight down the middle."""
    points = rng.choice(
        ("0,0 300,0 0,300", "300,0 300,300 0,300", "0,0 150,0 150,300 0,300", "0,0 300,0 300,150 0,150")
    )
    return [f'<polygon points="{points}" fill="{ink(hue, 40, 10, 0.35)}"/>']


def _overlay_frame(rng: random.Random, hue: float, ink: Ink) -> list[str]:
    inset = rng.choice((18, 30))
    return [
        f'<rect x="{inset}" y="{inset}" width="{SIZE - 2 * inset}" height="{SIZE - 2 * inset}" fill="none" '
        f'stroke="{ink(hue, 30, 95, 0.8)}" stroke-width="5"/>'
    ]


def _overlay_band(rng: random.Random, hue: float, ink: Ink) -> list[str]:
    y = rng.choice((40, 190))
    return [f'<rect x="0" y="{y}" width="{SIZE}" height="70" fill="{ink(hue, 45, 12, 0.55)}"/>']


def _overlay_none(rng: random.Random, hue: float, ink: Ink) -> list[str]:
    return []


# Drawn over the motif: one more clearly visible trait, so that two covers sharing a motif and
# colours still differ.
OVERLAYS: dict[str, Callable[[random.Random, float, Ink], list[str]]] = {
    "band": _overlay_band,
    "frame": _overlay_frame,
    "none": _overlay_none,
    "split": _overlay_split,
}


def cover_design(kind: str, key: str) -> dict:
    """What a cover looks like, as numbers: the colours, the gradient's direction, the motif
    and its variant (tests compare these to check that two covers look different), and the
    random stream that places the motif's details."""
    rng = random.Random(int.from_bytes(_digest(kind, key), "big"))
    tint = int(key[16:], 16) / 256 * 360
    hue = (tint + rng.uniform(-25, 25)) % 360
    hue2 = (hue + rng.choice((-150, -100, -60, 45, 75, 120, 180)) + rng.uniform(-10, 10)) % 360
    pale = rng.random() < 0.35  # a light ground with dark shapes, else the reverse
    return {
        "hue": hue,
        "hue2": hue2,
        "pale": pale,
        "saturation": rng.uniform(50, 80),
        "light": rng.uniform(68, 80) if pale else rng.uniform(22, 40),
        "light2": rng.uniform(52, 64) if pale else rng.uniform(45, 62),
        "angle": rng.randrange(8) * 45,  # where the gradient darkens: one of eight directions
        "motif": rng.choice(sorted(MOTIFS)),
        "variant": rng.randrange(VARIANTS),
        "overlay": rng.choice(sorted(OVERLAYS)),
        "rng": rng,
    }


def _broadcast(rng: random.Random) -> list[str]:
    cx, cy = rng.choice(_CORNERS)
    cx, cy = cx + (25 if cx < 150 else -25), cy + (25 if cy < 150 else -25)
    arcs = [f'<circle cx="{cx}" cy="{cy}" r="9" fill="#fff" fill-opacity="0.9"/>']
    arcs += [
        f'<circle cx="{cx}" cy="{cy}" r="{radius}" fill="none" stroke="#fff" stroke-opacity="0.75" stroke-width="6"/>'
        for radius in (24, 40, 56)
    ]
    return arcs


@lru_cache(maxsize=2048)
def render_cover(kind: str, key: str) -> bytes:
    """The SVG for a well-formed `kind` and `key` (ValueError otherwise)."""
    if kind not in KINDS or not KEY.fullmatch(key):
        raise ValueError("Not a cover.")
    design = cover_design(kind, key)
    rng = design["rng"]
    radians = math.radians(design["angle"])
    dx, dy = math.cos(radians) / 2, math.sin(radians) / 2
    stops = (
        f'<stop offset="0" stop-color="{_hsl(design["hue"], design["saturation"], design["light"])}"/>'
        f'<stop offset="1" stop-color="{_hsl(design["hue2"], design["saturation"], design["light2"])}"/>'
    )
    ink: Ink = _hsl
    if design["pale"]:

        def ink(hue: float, saturation: float, lightness: float, alpha: float) -> str:
            return _hsl(hue, saturation, 100 - lightness, alpha)

    shapes = MOTIFS[design["motif"]](rng, design["variant"], design["hue"], design["hue2"], ink)
    shapes += OVERLAYS[design["overlay"]](rng, design["hue"], ink)
    if kind == "room":
        shapes += _broadcast(rng)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}">'
        f'<defs><linearGradient id="g" x1="{0.5 - dx:.3f}" y1="{0.5 - dy:.3f}" x2="{0.5 + dx:.3f}" '
        f'y2="{0.5 + dy:.3f}">{stops}</linearGradient>'
        f'<clipPath id="c"><rect width="{SIZE}" height="{SIZE}"/></clipPath></defs>'
        f'<g clip-path="url(#c)"><rect width="{SIZE}" height="{SIZE}" fill="url(#g)"/>{"".join(shapes)}</g></svg>'
    )
    return svg.encode()
