"""Synthetic lecture recordings with known ground truth, for tests, benchmarks and the demo.

A lecture is a deck of Pillow-drawn slides shown in order (with optional returns to earlier slides),
encoded as H.264 in MP4. Variants reproduce what makes real slide finding hard: bullet-by-bullet builds,
cross-fades, a speaker picture-in-picture, a moving laser pointer and temporal noise. Frames are streamed
to the encoder one at a time; each distinct slide state is converted to YUV once and reused.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import av.subtitles.subtitle
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .captions.subtitles import write_srt
from .types import Cue

_WORDS = ("entropy gradient matrix vector kernel protein enzyme membrane signal voltage current neuron synapse "
          "theorem lemma proof integral series limit market demand supply price policy treaty empire river "
          "climate carbon orbit photon quantum spin lattice crystal polymer catalyst genome allele species "
          "algorithm graph tree queue stack cache thread socket compiler parser grammar syntax model sample "
          "variance estimate error bias regression cluster feature layer network optimal convex dual").split()

_THEMES = (  # (background, title bar, title ink, body ink, accent)
    ((255, 255, 255), (31, 73, 125), (255, 255, 255), (30, 30, 30), (192, 80, 77)),
    ((248, 246, 240), (120, 40, 40), (255, 250, 240), (40, 40, 40), (60, 120, 180)),
    ((24, 32, 48), (44, 62, 96), (240, 240, 240), (225, 225, 225), (250, 180, 60)),
)


@dataclass
class LectureSpec:
    """What to draw and how to encode it; every random choice follows `seed`."""

    duration: float = 120.0          # seconds
    slides: int = 10                 # distinct slides in the deck
    size: tuple[int, int] = (1280, 720)
    fps: int = 15
    keyint: int | None = None        # frames between forced keyframes; None = 10 s
    preset: str = "veryfast"         # x264 preset; veryfast keeps scene-cut keyframes and B-frames like real files
    crf: int = 26
    builds: bool = False             # some slides reveal their bullets one at a time (one slide, several steps)
    fades: bool = False              # cross-fade of 0.5-1 s between showings
    pip: bool = False                # speaker picture-in-picture in the bottom-right corner
    pointer: bool = False            # a laser-pointer dot wandering over the slide part of the time
    revisits: bool = False           # return to earlier slides now and then
    noise: bool = False              # temporal sensor noise on every frame
    clip: bool = False               # a video clip plays inside every fourth slide (motion confined to a box)
    room: bool = False               # a room camera: the projection filmed at an angle inside a larger scene,
                                     # exposure drifting slowly, the lecturer walking in front of the screen
    showing_seconds: tuple[float, float] | None = None   # each showing lasts uniformly this long (a fast
                                     # lecture) instead of splitting `duration` evenly among the slides
    build_seconds: tuple[float, float] | None = None     # build steps this far apart, from the showing's
                                     # start, instead of spread over the first two thirds of it
    seed: int = 0
    audio: bool = False              # add a quiet AAC track
    srt: bool = False                # write the cues next to the video as <name>.srt
    embed_captions: bool = False     # mux the cues as a mov_text subtitle track
    deck: tuple | None = None        # scripted slides (pipeline.demo_lecture.DeckSlide) instead of random words;
                                     # then `slides` is the deck's length and the cues are its speech


@dataclass
class TruthShowing:
    """One stretch of time a slide is on screen; `builds` are the times extra bullets appear."""

    start: float
    end: float
    slide: int
    repeat_of: int | None = None
    builds: list[float] = field(default_factory=list)


@dataclass
class GroundTruth:
    """What make_lecture drew: showings in order, the transcript, and where the sidecar went."""

    duration: float
    size: tuple[int, int]
    fps: int
    showings: list[TruthShowing]
    cues: list[Cue]
    srt_path: Path | None = None

    def changes(self) -> list[float]:
        """Times at which the slide on screen changes (the middle of a fade); builds are not changes."""
        return [s.start for s in self.showings[1:]]


@dataclass
class _Slide:
    title: str
    bullets: list[str]
    chart: bool
    build: bool
    speech: tuple[str, ...] = ()


def demo_spec() -> LectureSpec:
    """A two-minute lecture on enzymes (seven slides, builds, a revisit), a sidecar SRT and quiet audio: for
    `handouts demo`."""
    from .demo_lecture import ENZYMES

    return LectureSpec(duration=120.0, slides=len(ENZYMES), size=(1280, 720), fps=15, builds=True, revisits=True,
                       audio=True, srt=True, seed=7, deck=ENZYMES)


def _deck(spec: LectureSpec, rng: random.Random) -> list[_Slide]:
    if spec.deck:
        return [_Slide(d.title, list(d.bullets), chart=d.chart, build=spec.builds and d.build, speech=d.speech)
                for d in spec.deck]
    deck = []
    for i in range(spec.slides):
        title = f"{i + 1}. " + " ".join(rng.choice(_WORDS).capitalize() for _ in range(rng.randint(2, 4)))
        bullets = [" ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 7))) for _ in range(rng.randint(3, 5))]
        deck.append(_Slide(title, bullets, chart=rng.random() < 0.3, build=spec.builds and i % 2 == 1))
    return deck


def _schedule(spec: LectureSpec, rng: random.Random) -> list[TruthShowing]:
    order = list(range(spec.slides))
    if spec.revisits and spec.slides >= 4:
        # go back to an earlier slide about once per five slides, never next to itself
        for _ in range(max(1, spec.slides // 5)):
            pos = rng.randint(3, len(order) - 1)
            nxt = order[pos] if pos < len(order) else -1
            choices = sorted({s for s in order[:pos - 1]} - {order[pos - 1], nxt})
            if choices:
                order.insert(pos, rng.choice(choices))
    if spec.showing_seconds:
        lo, hi = spec.showing_seconds
        lengths = [rng.uniform(lo, hi) for _ in order]
    else:
        weights = [rng.uniform(0.6, 1.4) for _ in order]
        lengths = [spec.duration * w / sum(weights) for w in weights]
    showings, t, first = [], 0.0, {}
    for k, (slide, length) in enumerate(zip(order, lengths)):
        end = round(t + length, 2)
        last = k == len(order) - 1 or end >= spec.duration - (spec.showing_seconds or (0, 0))[0]
        if last:
            end = spec.duration      # the deck ran out or the time did: the last showing fills the rest
        if showings and slide == showings[-1].slide:
            continue                 # truncating the order can put a revisit next to its own slide
        showings.append(TruthShowing(t, end, slide, first.get(slide)))
        first.setdefault(slide, len(showings) - 1)
        t = end
        if last:
            break
    showings[-1].end = spec.duration
    return showings


def _font(px: int, unicode: bool = False) -> ImageFont.FreeTypeFont:
    if unicode:
        # Pillow's built-in face has no Greek or maths signs; scripted decks (the demo) use the project's font
        return ImageFont.truetype(str(Path(__file__).with_name("fonts") / "DejaVuSans.ttf"), px)
    return ImageFont.load_default(size=px)


def _draw(slide: _Slide, shown: int, size: tuple[int, int], theme: tuple) -> np.ndarray:
    """Render a slide with its first `shown` bullets as an RGB array."""
    w, h = size
    bg, bar, title_ink, ink, accent = theme
    img = Image.new("RGB", size, bg)
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, int(h * 0.16)), fill=bar)
    scripted = bool(slide.speech)
    d.text((int(w * 0.05), int(h * 0.04)), slide.title, font=_font(max(10, h // 14), scripted), fill=title_ink)
    body = _font(max(8, h // 24), scripted)
    text_w = w * (0.55 if slide.chart else 0.9)
    for j, line in enumerate(slide.bullets[:shown]):
        y = int(h * (0.24 + 0.13 * j))
        r = max(2, h // 120)
        d.ellipse((int(w * 0.05) - r, y + h // 48 - r, int(w * 0.05) + r, y + h // 48 + r), fill=accent)
        while d.textlength(line, font=body) > text_w and " " in line:
            line = line.rsplit(" ", 1)[0]
        d.text((int(w * 0.08), y), line, font=body, fill=ink)
    if slide.chart:
        x0, y0, x1, y1 = int(w * 0.66), int(h * 0.28), int(w * 0.95), int(h * 0.85)
        d.line((x0, y1, x1, y1), fill=ink, width=max(1, h // 240))
        n = 5
        for k in range(n):
            frac = 0.3 + 0.7 * ((len(slide.title) * (k + 3)) % 7) / 7
            bx = x0 + (x1 - x0) * k / n
            d.rectangle((int(bx + 4), int(y1 - (y1 - y0) * frac), int(bx + (x1 - x0) / n - 4), y1), fill=accent)
    return np.asarray(img)


def _yuv(rgb: np.ndarray) -> np.ndarray:
    return av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(format="yuv420p").to_ndarray()


def _pip_patches(w: int, h: int, rng: random.Random, n: int = 24) -> list[np.ndarray]:
    """A short loop of 'speaker' pictures: a head and shoulders that sway and nod."""
    pw, ph = (w // 5) & ~1, (h // 5) & ~1
    out = []
    for k in range(n):
        img = Image.new("RGB", (pw, ph), (70, 90, 110))
        d = ImageDraw.Draw(img)
        sway = math.sin(2 * math.pi * k / n) * pw * 0.08
        nod = math.cos(4 * math.pi * k / n) * ph * 0.04
        cx, cy = pw / 2 + sway, ph * 0.42 + nod
        d.ellipse((cx - pw * 0.28, ph * 0.72, cx + pw * 0.28, ph * 1.3), fill=(40, 50, 120))
        d.ellipse((cx - pw * 0.12, cy - ph * 0.2, cx + pw * 0.12, cy + ph * 0.2), fill=(225, 180, 150))
        arr = np.asarray(img).astype(np.int16)
        arr += np.int16(rng.randint(-6, 6))
        out.append(_yuv(np.clip(arr, 0, 255).astype(np.uint8)))
    return out


def _clip_patches(w: int, h: int, n: int = 30) -> list[np.ndarray]:
    """A looping video clip for a box of a slide: a ball crossing a moving sky over shifting hills."""
    pw, ph = (int(w * 0.36)) & ~1, (int(h * 0.5)) & ~1
    out = []
    for k in range(n):
        img = Image.new("RGB", (pw, ph), (60 + 4 * k, 110, 170 - 3 * k))
        d = ImageDraw.Draw(img)
        for j in range(6):
            x = (j * pw // 5 + k * pw // n) % (pw + pw // 5) - pw // 10
            d.ellipse((x - pw // 8, ph * 0.6, x + pw // 8, ph * 1.2), fill=(40, 120 + 10 * j, 50))
        bx = pw * (0.1 + 0.8 * k / n)
        by = ph * (0.5 - 0.35 * math.sin(math.pi * k / n))
        r = ph // 10
        d.ellipse((bx - r, by - r, bx + r, by + r), fill=(240, 220, 40))
        out.append(_yuv(np.asarray(img)))
    return out


def _paste(dst: np.ndarray, patch: np.ndarray, x: int, y: int, w: int, h: int) -> None:
    """Copy a yuv420p patch (planar, as PyAV lays it out) into a yuv420p frame at even (x, y)."""
    ph = patch.shape[0] * 2 // 3
    pw = patch.shape[1]
    dst[y:y + ph, x:x + pw] = patch[:ph]
    # PyAV stacks U then V below Y, each plane flattened to rows of width w
    du = dst[h:h + h // 4].reshape(h // 2, w // 2)
    dv = dst[h + h // 4:].reshape(h // 2, w // 2)
    pu = patch[ph:ph + ph // 4].reshape(ph // 2, pw // 2)
    pv = patch[ph + ph // 4:].reshape(ph // 2, pw // 2)
    du[y // 2:y // 2 + ph // 2, x // 2:x // 2 + pw // 2] = pu
    dv[y // 2:y // 2 + ph // 2, x // 2:x // 2 + pw // 2] = pv


def _dot(dst: np.ndarray, x: int, y: int, r: int, w: int, h: int) -> None:
    """Draw a red laser-pointer dot (a square at this scale) into a yuv420p frame."""
    x0, x1, y0, y1 = max(0, x - r), min(w, x + r), max(0, y - r), min(h, y + r)
    dst[y0:y1, x0:x1] = 82
    du = dst[h:h + h // 4].reshape(h // 2, w // 2)
    dv = dst[h + h // 4:].reshape(h // 2, w // 2)
    du[y0 // 2:y1 // 2, x0 // 2:x1 // 2] = 90
    dv[y0 // 2:y1 // 2, x0 // 2:x1 // 2] = 240


# where the screen's corners land in a room camera's picture (fractions: TL, TR, BR, BL): filmed from the left
_SCREEN = ((0.17, 0.08), (0.86, 0.15), (0.84, 0.76), (0.19, 0.86))
_WALL = (88, 80, 72)


def room_view(rgb: np.ndarray) -> np.ndarray:
    """The slide as a room camera sees it: projected on a screen seen at an angle, a dim wall around it."""
    h, w = rgb.shape[:2]
    src = [(0, 0), (w, 0), (w, h), (0, h)]
    dst = [(x * w, y * h) for x, y in _SCREEN]
    # PIL maps each output pixel back to the input: solve the homography from dst to src
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        rhs += [u, v]
    coeffs = np.linalg.solve(np.array(rows, float), np.array(rhs, float))
    slide = Image.fromarray(rgb)
    # a projector is softer and less contrasty than the file: wash the blacks out a little
    slide = Image.fromarray((np.asarray(slide, np.float32) * 0.82 + 30).astype(np.uint8))
    warped = slide.transform((w, h), Image.Transform.PERSPECTIVE, tuple(coeffs), Image.Resampling.BILINEAR,
                             fillcolor=_WALL)
    return np.asarray(warped)


def exposure_at(t: float) -> float:
    """A room camera's gain at time t: auto-exposure hunting by about +-10 % over a minute or two."""
    return 1.0 + 0.08 * math.sin(2 * math.pi * t / 97.0) + 0.03 * math.sin(2 * math.pi * t / 23.0)


def lecturer_at(t: float, w: int, h: int) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int]]:
    """Body and head (x0, y0, x1, y1, even pixels) of the lecturer walking across the screen, pausing at the ends."""
    phase = (t / 70.0) % 1.0
    u = min(1.0, max(0.0, 1.5 * abs(2 * phase - 1) - 0.25))
    cx = int(w * (0.22 + 0.56 * u))
    bw, top, neck = w // 12, int(h * 0.42) & ~1, (int(h * 0.42) + h // 9) & ~1
    body = (max(0, cx - bw // 2) & ~1, neck, min(w, cx + bw // 2) & ~1, h)
    head = (max(0, cx - bw // 4) & ~1, top, min(w, cx + bw // 4) & ~1, neck)
    return body, head


def _room_camera(img: np.ndarray, t: float, w: int, h: int) -> None:
    """Drift the exposure and draw the lecturer walking in front of the screen into a yuv420p frame, in place."""
    img[:h] = np.minimum(img[:h] * np.float32(exposure_at(t)), 235).astype(np.uint8)
    (x0, y0, x1, y1), (hx0, hy0, hx1, hy1) = lecturer_at(t, w, h)
    img[y0:y1, x0:x1] = 40
    img[hy0:hy1, hx0:hx1] = 150
    du = img[h:h + h // 4].reshape(h // 2, w // 2)
    dv = img[h + h // 4:].reshape(h // 2, w // 2)
    du[y0 // 2:y1 // 2, x0 // 2:x1 // 2] = 140
    dv[y0 // 2:y1 // 2, x0 // 2:x1 // 2] = 120


def _cues(showings: list[TruthShowing], deck: list[_Slide], rng: random.Random) -> list[Cue]:
    cues = []
    for s in showings:
        slide = deck[s.slide]
        topic = slide.title.split(". ", 1)[-1].lower()
        if slide.speech:
            lines = ([f"Let's go back to {topic} for a second.", slide.speech[0]] if s.repeat_of is not None
                     else list(slide.speech))
            span = (s.end - s.start) / len(lines)
            for k, text in enumerate(lines):
                a = s.start + k * span
                cues.append(Cue(round(a, 3), round(a + span - 0.05, 3), text))
            continue
        lines = ([f"Going back to {topic} for a moment."] if s.repeat_of is not None
                 else [f"Now let us look at {topic}."])
        lines += [f"The point here is that {b}." for b in slide.bullets[: rng.randint(1, 3)]]
        lines.append(f"Keep {rng.choice(_WORDS)} and {rng.choice(_WORDS)} in mind.")
        span = (s.end - s.start) / len(lines)
        for k, text in enumerate(lines):
            a = s.start + k * span
            cues.append(Cue(round(a, 3), round(a + span - 0.05, 3), text))
    return cues


class _Frames:
    """Draws the yuv420p picture for each frame, converting each slide state to YUV only once."""

    def __init__(self, spec: LectureSpec, deck: list[_Slide], showings: list[TruthShowing], theme: tuple,
                 rng: random.Random) -> None:
        self.spec, self.deck, self.showings, self.theme, self.rng = spec, deck, showings, theme, rng
        self.w, self.h = spec.size
        self.cache: dict[tuple[int, int], np.ndarray] = {}
        self.fade_len = [rng.uniform(0.5, 1.0) if spec.fades else 0.0 for _ in showings]
        self.pip = _pip_patches(self.w, self.h, rng) if spec.pip else []
        self.clip = _clip_patches(self.w, self.h) if spec.clip else []
        nrng = np.random.default_rng(spec.seed)
        # luma is limited-range (16..235), so +-10 of noise never wraps: add it as uint8 in place, no clipping
        self.noise = [np.clip(nrng.normal(0, 2.5, (self.h, self.w)), -10, 10).astype(np.int8).view(np.uint8)
                      for _ in range(6)] if spec.noise else []
        # pointer: on during roughly half of each showing, following a slow Lissajous path
        self.pointer_on = [(rng.uniform(0.2, 0.5), rng.uniform(0.55, 0.9)) for _ in showings]

    def _state(self, slide: int, shown: int) -> np.ndarray:
        key = (slide, shown)
        if key not in self.cache:
            if len(self.cache) > 8:     # only the current and next showings are ever needed
                self.cache.pop(next(iter(self.cache)))
            rgb = _draw(self.deck[slide], shown, self.spec.size, self.theme)
            self.cache[key] = _yuv(room_view(rgb) if self.spec.room else rgb)
        return self.cache[key]

    def plan_builds(self) -> None:
        """Spread the reveal steps of build slides over the first two thirds of their first showing."""
        for s in self.showings:
            slide = self.deck[s.slide]
            if slide.build and s.repeat_of is None:
                n = len(slide.bullets)
                if self.spec.build_seconds:
                    lo, hi = self.spec.build_seconds
                    t = s.start + self.rng.uniform(lo, hi)
                    while len(s.builds) < n - 1 and t < s.end - 0.3:
                        s.builds.append(round(t, 2))
                        t += self.rng.uniform(lo, hi)
                else:
                    span = (s.end - s.start) * 0.66
                    s.builds = [round(s.start + 1.0 + span * k / n, 2) for k in range(1, n)]

    def shown_at(self, s: TruthShowing, t: float) -> int:
        slide = self.deck[s.slide]
        if not s.builds:
            return len(slide.bullets)
        return 1 + sum(1 for b in s.builds if t >= b)

    def base(self, k: int, t: float) -> tuple[np.ndarray, tuple]:
        """The clean picture at time t inside showing k (a blend during a fade), and a key naming it."""
        s = self.showings[k]
        own = (s.slide, self.shown_at(s, t))
        half_in = self.fade_len[k] / 2 if k > 0 else 0.0
        half_out = self.fade_len[k + 1] / 2 if k + 1 < len(self.showings) else 0.0
        if half_in and t < s.start + half_in:
            prev = self.showings[k - 1]
            other = (prev.slide, self.shown_at(prev, t))
            a = 0.5 + (t - s.start) / (2 * half_in)          # 0.5 at the change, 1 when the fade ends
            return self._blend(other, own, a), ("fade", k, round(a, 3))
        if half_out and t >= s.end - half_out:
            nxt = self.showings[k + 1]
            other = (nxt.slide, self.shown_at(nxt, t))
            a = 0.5 - (s.end - t) / (2 * half_out)           # 0 when the fade starts, 0.5 at the change
            return self._blend(own, other, a), ("fade", k, round(a, 3))
        return self._state(*own), own

    def _blend(self, a_key: tuple, b_key: tuple, a: float) -> np.ndarray:
        a_img, b_img = self._state(*a_key), self._state(*b_key)
        return (a_img * (1.0 - a) + b_img * a + 0.5).astype(np.uint8)

    def dynamic(self, base: np.ndarray, k: int, i: int, t: float) -> np.ndarray:
        """Add the moving parts (PiP, pointer, noise) to a copy of the base picture."""
        w, h = self.w, self.h
        img = base.copy()
        if self.clip and self.showings[k].slide % 4 == 2:
            patch = self.clip[i % len(self.clip)]
            _paste(img, patch, int(w * 0.58) & ~1, int(h * 0.3) & ~1, w, h)
        if self.pip:
            patch = self.pip[(i // 2) % len(self.pip)]
            ph, pw = patch.shape[0] * 2 // 3, patch.shape[1]
            _paste(img, patch, (w - pw - w // 40) & ~1, (h - ph - h // 40) & ~1, w, h)
        if self.pointer:
            s = self.showings[k]
            a, b = self.pointer_on[k]
            u = (t - s.start) / max(s.end - s.start, 1e-6)
            if a <= u <= b:
                x = int(w * (0.45 + 0.3 * math.sin(t * 1.3 + k)))
                y = int(h * (0.5 + 0.25 * math.sin(t * 0.9 + 2 * k)))
                _dot(img, x, y, max(2, h // 90), w, h)
        if self.spec.room:
            _room_camera(img, t, w, h)
        if self.noise:
            np.add(img[:h], self.noise[i % len(self.noise)], out=img[:h])
        return img

    @property
    def pointer(self) -> bool:
        return self.spec.pointer


def make_lecture(path: Path, spec: LectureSpec) -> GroundTruth:
    """Write an H.264 MP4 lecture described by `spec` to `path` and return its ground truth."""
    path = Path(path)
    w, h = spec.size
    if w % 2 or h % 2 or w < 64 or h < 64:
        raise ValueError(f"size {spec.size} must be even and at least 64x64 for yuv420p H.264")
    rng = random.Random(spec.seed)
    deck = _deck(spec, rng)
    showings = _schedule(spec, rng)
    theme = _THEMES[spec.seed % len(_THEMES)]
    frames = _Frames(spec, deck, showings, theme, rng)
    frames.plan_builds()
    cues = _cues(showings, deck, rng)
    truth = GroundTruth(spec.duration, spec.size, spec.fps, showings, cues)
    if spec.srt:
        truth.srt_path = write_srt(cues, path.with_suffix(".srt"))

    n_frames = max(1, int(round(spec.duration * spec.fps)))
    keyint = spec.keyint or spec.fps * 10
    moving = spec.pip or spec.pointer or spec.noise or spec.clip or spec.room
    with av.open(str(path), "w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=spec.fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.codec_context.gop_size = keyint
        vs.options = {"preset": spec.preset, "crf": str(spec.crf)}
        ss = _subtitle_stream(out) if spec.embed_captions else None
        aus = None
        if spec.audio:
            aus = out.add_stream("aac", rate=16000)
            aus.layout = "mono"
        sub_queue = list(cues)
        audio_done = 0
        k, last_key, frame = 0, None, None
        for i in range(n_frames):
            t = i / spec.fps
            while k + 1 < len(showings) and t >= showings[k].end:
                k += 1
            base, key = frames.base(k, t)
            if moving:
                frame = av.VideoFrame.from_ndarray(frames.dynamic(base, k, i, t), format="yuv420p")
            elif key != last_key or frame is None:
                # a still picture is wrapped once and re-sent with new timestamps: x264 copies it in
                frame = av.VideoFrame.from_ndarray(base, format="yuv420p")
            last_key = key
            frame.pts = i
            frame.time_base = Fraction(1, spec.fps)
            for p in vs.encode(frame):
                out.mux(p)
            if ss is not None:
                while sub_queue and sub_queue[0].start <= t:
                    _mux_cue(out, ss, sub_queue.pop(0))
            if aus is not None and (i + 1) % spec.fps == 0:
                audio_done = _mux_silence(out, aus, audio_done, int((i + 1) / spec.fps * 16000))
        for p in vs.encode():
            out.mux(p)
        if ss is not None:
            for c in sub_queue:
                _mux_cue(out, ss, c)
        if aus is not None:
            _mux_silence(out, aus, audio_done, int(spec.duration * 16000))
            for p in aus.encode():
                out.mux(p)
    return truth


_ASS_HEADER = (b"[Script Info]\nScriptType: v4.00+\nPlayResX: 384\nPlayResY: 288\n\n[V4+ Styles]\n"
               b"Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
               b"Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
               b"Alignment, MarginL, MarginR, MarginV, Encoding\n"
               b"Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\n\n"
               b"[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n")


def _subtitle_stream(out):
    """A mov_text track; the encoder needs an ASS header and millisecond timestamps."""
    ss = out.add_stream("mov_text")
    ss.codec_context.subtitle_header = _ASS_HEADER
    ss.codec_context.time_base = Fraction(1, 1000)
    return ss


def _mux_cue(out, stream, cue: Cue) -> None:
    start, dur = int(round(cue.start * 1000)), int(round((cue.end - cue.start) * 1000))
    text = cue.text.replace("\n", "\\N").encode()
    sub = av.subtitles.subtitle.SubtitleSet.create(b"0,0,Default,,0,0,0,," + text, 0, dur, start)
    packet = stream.codec_context.encode_subtitle(sub)
    packet.stream = stream
    out.mux(packet)


def _mux_silence(out, stream, done: int, upto: int) -> int:
    """Encode near-silent audio (a faint hiss, so levels are not exactly zero) from sample `done` to `upto`."""
    step = 1024
    rng = np.random.default_rng(done)
    while done < upto:
        n = min(step, upto - done)
        pcm = rng.integers(-20, 20, (1, n), dtype=np.int16)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = 16000
        frame.pts = done
        frame.time_base = Fraction(1, 16000)
        for p in stream.encode(frame):
            out.mux(p)
        done += n
    return done
