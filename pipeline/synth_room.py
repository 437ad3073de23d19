"""Room-camera lecture recordings of a real slide deck, with known slide-change times.

A deck of 16:9 pages is typeset as a PDF with fpdf2 (prose from the Python standard library's own
documentation, line plots, bar charts, tables, section pages, a dark page now and then, bullet builds) and
rasterised with pypdfium2. Each page is projected (washed-out blacks, soft focus) onto a screen that a camera
films at an angle inside a room, and every frame adds what a real capture adds:

- auto-exposure: a slow drift plus a lagging reaction to how bright the picture is (a dark page makes the
  camera open up over about a second);
- vignetting and sensor noise;
- camera shake: a smooth wander of a pixel or two, and now and then a knock that decays;
- the lecturer walking in front of the screen, stopping, pointing (a moving occluder);
- a speaker picture-in-picture composited into a corner by the capture system (optionally moving to another
  corner or leaving for a while).

The ground truth lists the showings (start, end, slide, builds), the change times and the speaker box's
rectangle over time, so tests can check that the box neither makes changes nor ends up in slide images.
pypdfium2 is needed to rasterise the deck (it is in the `test` extra).
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

_DOC_MODULES = ("statistics", "heapq", "bisect", "fractions", "decimal", "difflib", "textwrap", "calendar",
                "random", "json", "functools", "collections", "zipfile", "sched", "queue", "shlex", "string",
                "csv", "wave", "colorsys", "graphlib", "ipaddress", "contextlib", "dataclasses", "enum")


@dataclass
class RoomSpec:
    """What the room camera films; every random choice follows `seed`."""

    duration: float = 60.0
    size: tuple[int, int] = (640, 360)
    fps: int = 10
    slides: int = 8                   # distinct slides in the deck (some have build steps: more pages)
    showing_seconds: tuple[float, float] = (4.0, 12.0)
    seed: int = 0
    builds: bool = True               # some slides reveal a last bullet on a second page
    revisits: bool = True             # go back to an earlier slide now and then
    camera: bool = True               # filmed by a room camera; False: the pages themselves (a screen recording)
    pip: bool = True                  # speaker picture-in-picture in a corner
    pip_moves: bool = False           # the speaker box jumps to another corner, and leaves for a while
    occluder: bool = True             # the lecturer walking in front of the screen
    shake: bool = True
    exposure: bool = True
    vignette: bool = True
    noise: float = 3.0                # sensor noise, standard deviation in gray levels
    crf: int = 26
    keyint: int | None = None         # None: 10 s


@dataclass
class RoomShowing:
    start: float
    end: float
    slide: int
    repeat_of: int | None = None
    builds: list[float] = field(default_factory=list)


@dataclass
class RoomTruth:
    duration: float
    size: tuple[int, int]
    fps: int
    showings: list[RoomShowing]
    screen: tuple                       # the screen's corners in the picture (TL, TR, BR, BL), pixels
    pip_boxes: list[tuple[float, float, tuple[int, int, int, int] | None]]   # (from, to, x0 y0 x1 y1 or None)
    pages: list[np.ndarray]             # the deck's pages as RGB, one per (slide, step)
    page_of: dict[tuple[int, int], int]

    def changes(self) -> list[float]:
        return [s.start for s in self.showings[1:]]

    def pip_at(self, t: float) -> tuple[int, int, int, int] | None:
        for a, b, box in self.pip_boxes:
            if a <= t < b:
                return box
        return None


# -- the deck ---------------------------------------------------------------------------------------

def _sentences(rng: random.Random) -> list[tuple[str, list[str]]]:
    """(topic, sentences) from the standard library's docstrings: real technical prose."""
    import importlib
    out = []
    for name in _DOC_MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        texts = [mod.__doc__ or ""]
        for attr in sorted(dir(mod)):
            obj = getattr(mod, attr, None)
            if not attr.startswith("_") and callable(obj) and getattr(obj, "__doc__", None):
                texts.append(obj.__doc__)
        sents = []
        for t in texts:
            t = re.sub(r"\s+", " ", t.encode("latin-1", "ignore").decode("latin-1"))
            for s in re.split(r"(?<=[.!?])\s+", t):
                s = s.strip()
                if 25 <= len(s) <= 110 and not re.search(r"[>{}\[\]=|\\]|\.\.\.|::", s) and s[0].isupper():
                    sents.append(s)
        if len(sents) >= 6:
            out.append((name, sents))
    rng.shuffle(out)
    return out


def _pdf_deck(n: int, rng: random.Random, builds: bool) -> tuple[bytes, list[tuple[int, int]]]:
    """A 16:9 PDF of n slides; returns its bytes and (slide, step) for each page."""
    from fpdf import FPDF

    topics = _sentences(rng)
    pdf = FPDF(orientation="L", unit="mm", format=(142.875, 254.0))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pages: list[tuple[int, int]] = []
    course = rng.choice(("Data Structures", "Numerical Methods", "Software Engineering", "Applied Statistics"))
    for i in range(n):
        name, sents = topics[i % len(topics)]
        kind = "title" if i == 0 else rng.choice(("bullets", "bullets", "plot", "bars", "table", "section",
                                                  "two", "bullets"))
        dark = i > 0 and rng.random() < 0.15
        bullets = rng.sample(sents, min(len(sents), rng.randint(3, 5)))
        steps = 2 if builds and kind in ("bullets", "two") and rng.random() < 0.4 else 1
        for step in range(steps):
            shown = len(bullets) - (steps - 1 - step)
            _page(pdf, kind, dark, i, name, course, bullets[:shown], rng.getstate(), len(bullets))
            pages.append((i, step))
    return bytes(pdf.output()), pages


def _page(pdf, kind: str, dark: bool, i: int, name: str, course: str, bullets: list[str], state, total: int):
    rng = random.Random(str(state))     # the same figure on every step of a build
    pdf.add_page()
    W, H = pdf.w, pdf.h
    bg, ink, bar = ((22, 28, 40), (235, 235, 235), (60, 90, 140)) if dark else \
        ((255, 255, 255), (25, 25, 25), (28, 70, 130))
    pdf.set_fill_color(*bg)
    pdf.rect(0, 0, W, H, "F")
    if kind == "title":
        pdf.set_text_color(*bar if not dark else ink)
        pdf.set_font("Helvetica", "B", 30)
        pdf.set_xy(12, 45)
        pdf.multi_cell(W - 24, 13, course, align="C")
        pdf.set_font("Helvetica", "", 16)
        pdf.set_text_color(*ink)
        pdf.set_xy(12, 80)
        pdf.multi_cell(W - 24, 8, f"Lecture {rng.randint(2, 12)}: the {name} module\n{bullets[0]}", align="C")
        return
    if kind == "section":
        pdf.set_fill_color(*bar)
        pdf.rect(0, 55, W, 32, "F")
        pdf.set_text_color(255, 255, 255)
        pdf.set_font("Helvetica", "B", 26)
        pdf.set_xy(10, 62)
        pdf.cell(W - 20, 18, f"Part {i}: {name}", align="C")
        pdf.set_text_color(*ink)
        pdf.set_font("Helvetica", "I", 12)
        pdf.set_xy(20, 100)
        pdf.multi_cell(W - 40, 6, bullets[0], align="C")
        return
    pdf.set_fill_color(*bar)
    pdf.rect(0, 0, W, 22, "F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Helvetica", "B", 20)
    pdf.set_xy(10, 5)
    title = f"{name}: " + " ".join(bullets[0].split()[:4]).rstrip(".,;:")
    pdf.cell(W - 20, 12, title[:48])
    pdf.set_font("Helvetica", "", 7)
    pdf.set_text_color(150, 150, 150)
    pdf.set_xy(W - 30, H - 8)
    pdf.cell(20, 4, f"{course} - {i + 1}", align="R")
    text_w = W - 24 if kind == "bullets" else W * 0.5
    pdf.set_text_color(*ink)
    pdf.set_font("Helvetica", "", 13 if kind == "bullets" else 11)
    y = 30
    for b in bullets:
        pdf.set_fill_color(200, 80, 60)
        pdf.ellipse(12, y + 2.2, 2, 2, "F")
        pdf.set_xy(16, y)
        pdf.multi_cell(text_w, 6 if kind == "bullets" else 5.2, b)
        y = pdf.get_y() + 3
        if y > H - 15:
            break
    x0, y0, x1, y1 = W * 0.58, 32, W - 10, H - 18
    if kind == "plot":
        pdf.set_draw_color(*ink)
        pdf.set_line_width(0.4)
        pdf.line(x0, y1, x1, y1)
        pdf.line(x0, y0, x0, y1)
        for c, (f, colour) in enumerate(((math.sin, (200, 60, 50)), (math.cos, (40, 110, 190)))):
            a, k = rng.uniform(0.5, 1.0), rng.uniform(1.0, 3.0)
            pdf.set_draw_color(*colour)
            pdf.set_line_width(0.7)
            pts = [(x0 + (x1 - x0) * s / 60, (y0 + y1) / 2 - (y1 - y0) * 0.4 * a * f(k * s / 10) * math.exp(-s / 90))
                   for s in range(61)]
            pdf.polyline(pts)
        pdf.set_font("Helvetica", "", 8)
        pdf.set_xy(x0, y1 + 1)
        pdf.cell(x1 - x0, 4, "time (s)", align="C")
    elif kind == "bars":
        n = rng.randint(4, 7)
        for k in range(n):
            v = rng.uniform(0.2, 1.0)
            bx = x0 + (x1 - x0) * k / n
            pdf.set_fill_color(*rng.choice(((70, 130, 180), (220, 120, 50), (90, 160, 90))))
            pdf.rect(bx + 1.5, y1 - (y1 - y0) * v, (x1 - x0) / n - 3, (y1 - y0) * v, "F")
        pdf.set_draw_color(*ink)
        pdf.line(x0, y1, x1, y1)
    elif kind == "table":
        pdf.set_font("Helvetica", "", 9)
        pdf.set_draw_color(*ink)
        cols, rows = 3, rng.randint(4, 6)
        cw = (x1 - x0) / cols
        for r in range(rows):
            for c in range(cols):
                txt = ("n", "time", "memory")[c] if r == 0 else f"{rng.randint(1, 999) * (10 ** c)}"
                pdf.set_xy(x0 + c * cw, y0 + r * 8)
                pdf.cell(cw, 8, txt, border=1, align="C")
    elif kind == "two":
        pdf.set_draw_color(*ink)
        pdf.set_line_width(0.5)
        for k in range(4):
            cx, cy = x0 + 10 + (k % 2) * 45, y0 + 12 + (k // 2) * 40
            pdf.set_fill_color(230, 238, 250) if not dark else pdf.set_fill_color(50, 60, 90)
            pdf.rect(cx, cy, 32, 16, "DF")
            pdf.set_xy(cx, cy + 4)
            pdf.set_font("Helvetica", "", 8)
            pdf.cell(32, 8, rng.choice(("input", "parse", "sort", "merge", "store", "report")), align="C")
        pdf.line(x0 + 42, y0 + 20, x0 + 55, y0 + 20)
        pdf.line(x0 + 26, y0 + 28, x0 + 26, y0 + 52)


def render_deck(n: int, size: tuple[int, int], rng: random.Random, builds: bool):
    """The deck's pages as RGB arrays of `size`, and (slide, step) for each."""
    try:
        import pypdfium2 as pdfium
    except ImportError as e:        # pragma: no cover - the test extra has it
        raise RuntimeError("the room-camera generator needs pypdfium2 (pip install 'handouts[test]')") from e
    data, pages = _pdf_deck(n, rng, builds)
    doc = pdfium.PdfDocument(data)
    out = []
    for i in range(len(doc)):
        pw, _ = doc[i].get_size()
        img = doc[i].render(scale=size[0] / pw).to_pil().convert("RGB").resize(size, Image.Resampling.LANCZOS)
        out.append(np.asarray(img))
    doc.close()
    return out, pages


# -- the room ---------------------------------------------------------------------------------------

def _screen_quad(w: int, h: int, rng: random.Random) -> tuple:
    """Corners (TL, TR, BR, BL) of the projection as a camera at one side of the room sees it."""
    side = rng.choice((-1, 1))
    cx, cy, sw = w * rng.uniform(0.47, 0.53), h * rng.uniform(0.42, 0.48), w * rng.uniform(0.62, 0.72)
    sh = sw * 9 / 16 * rng.uniform(0.95, 1.05)
    near, far = 1.0 + 0.09 * rng.uniform(0.6, 1.0), 1.0 - 0.09 * rng.uniform(0.6, 1.0)
    lh, rh = (far, near) if side > 0 else (near, far)
    tilt = rng.uniform(-0.03, 0.03) * h
    return ((cx - sw / 2, cy - sh / 2 * lh + tilt), (cx + sw / 2, cy - sh / 2 * rh - tilt),
            (cx + sw / 2 * 0.98, cy + sh / 2 * rh - tilt), (cx - sw / 2 * 0.98, cy + sh / 2 * lh + tilt))


def _homography(src, dst) -> np.ndarray:
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        rhs += [u, v]
    return np.linalg.solve(np.array(rows, float), np.array(rhs, float))


def _room_background(w: int, h: int, quad, rng: random.Random) -> tuple[np.ndarray, np.ndarray]:
    """The room without the projection (a lit wall, a screen frame, a desk) and the screen's mask."""
    wall = np.array((rng.randint(95, 125), rng.randint(90, 115), rng.randint(80, 100)), np.float32)
    yy = np.linspace(0.85, 1.1, h, dtype=np.float32)[:, None, None]
    xx = np.linspace(1.05, 0.9, w, dtype=np.float32)[None, :, None]
    room = np.clip(wall * yy * xx, 0, 255).astype(np.uint8)
    img = Image.fromarray(room)
    d = ImageDraw.Draw(img)
    d.polygon([tuple(p) for p in quad], outline=(30, 30, 30), width=max(2, w // 200))
    d.rectangle((0, int(h * 0.9), w, h), fill=(70, 50, 35))         # the front desk
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).polygon([tuple(p) for p in quad], fill=255)
    return np.asarray(img), np.asarray(mask) > 127


def _project(page: np.ndarray, quad, w: int, h: int, background: np.ndarray, screen: np.ndarray) -> np.ndarray:
    """The page as the projector throws it onto the screen, warped into the camera's picture."""
    ph, pw = page.shape[:2]
    lit = Image.fromarray((page.astype(np.float32) * 0.78 + 38).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.7))
    coeffs = _homography([(0, 0), (pw, 0), (pw, ph), (0, ph)], quad)
    warped = np.asarray(lit.transform((w, h), Image.Transform.PERSPECTIVE, tuple(coeffs),
                                      Image.Resampling.BILINEAR, fillcolor=(0, 0, 0)))
    out = background.copy()
    out[screen] = warped[screen]
    return out


def _draw_person(img: np.ndarray, x: float, arm: float, colour: tuple) -> None:
    """Draw the lecturer (seen from the back of the room, at horizontal position x) into a float RGB picture."""
    h, w = img.shape[:2]
    bw, top = w * 0.075, h * 0.38
    x0, x1 = int(max(0, x - bw * 0.7)), int(min(w, x + bw * 0.6 + w * 0.11))
    if x1 - x0 < 2:
        return
    y0 = int(top - h * 0.02)
    pic = Image.new("RGB", (x1 - x0, h - y0))
    mask = Image.new("L", (x1 - x0, h - y0), 0)
    ox, oy = x - x0, top - y0
    for target, body, head in ((pic, colour, (205, 165, 140)), (mask, 255, 255)):
        d = ImageDraw.Draw(target)
        d.ellipse((ox - bw * 0.32, oy, ox + bw * 0.32, oy + h * 0.11), fill=head)
        d.polygon([(ox - bw * 0.55, oy + h * 0.12), (ox + bw * 0.55, oy + h * 0.12), (ox + bw * 0.62, h),
                   (ox - bw * 0.62, h)], fill=body)
        # one arm: down at the side, or raised towards the screen
        ax, ay = ox + bw * 0.5, oy + h * 0.15
        d.line((ax, ay, ax + math.cos(arm) * w * 0.09, ay - math.sin(arm) * h * 0.16), fill=body,
               width=max(3, int(w * 0.018)))
    m = np.asarray(mask, np.float32)[:, :, None] / 255.0
    region = img[y0:, x0:x1]
    region *= 1 - m
    region += np.asarray(pic, np.float32) * m


def _shift(img: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """The picture moved by (dx, dy) pixels, bilinear between whole-pixel shifts, edges repeated."""
    ix, iy = math.floor(dx), math.floor(dy)
    fx, fy = np.float32(dx - ix), np.float32(dy - iy)
    h, w = img.shape[:2]
    pad = 2 + int(max(abs(ix), abs(iy)))
    p = np.pad(img, ((pad, pad), (pad, pad), (0, 0)), mode="edge")

    def view(ox: int, oy: int) -> np.ndarray:
        return p[pad - oy:pad - oy + h, pad - ox:pad - ox + w]

    top = view(ix, iy) * (1 - fx) + view(ix + 1, iy) * fx
    low = view(ix, iy + 1) * (1 - fx) + view(ix + 1, iy + 1) * fx
    return top * (1 - fy) + low * fy


def _walk_plan(duration: float, rng: random.Random) -> list[tuple[float, float, float]]:
    """Waypoints (time, x as a fraction of the width, arm angle): walks, pauses in front, pointing."""
    plan, t, x = [], 0.0, rng.uniform(0.05, 0.2)
    while t < duration + 5:
        plan.append((t, x, -1.2))
        stay = rng.uniform(1.0, 8.0)
        pointing = rng.random() < 0.4
        plan.append((t + stay, x, 0.6 if pointing else -1.2))
        x2 = rng.uniform(0.0, 1.0)
        t += stay + abs(x2 - x) / rng.uniform(0.08, 0.2)
        x = x2
    return plan


def _walk_at(plan, t: float) -> tuple[float, float]:
    for (t0, x0, a0), (t1, x1, a1) in zip(plan, plan[1:]):
        if t0 <= t <= t1:
            u = (t - t0) / max(t1 - t0, 1e-6)
            return x0 + (x1 - x0) * u, a1 if u > 0.3 else a0
    return plan[-1][1], plan[-1][2]


def _speaker_frames(pw: int, ph: int, rng: random.Random, n: int = 20) -> list[np.ndarray]:
    out = []
    back = (rng.randint(60, 90), rng.randint(80, 100), rng.randint(100, 130))
    for k in range(n):
        img = Image.new("RGB", (pw, ph), back)
        d = ImageDraw.Draw(img)
        sway = math.sin(2 * math.pi * k / n) * pw * 0.06
        cx, cy = pw / 2 + sway, ph * 0.42 + math.cos(4 * math.pi * k / n) * ph * 0.03
        d.rectangle((0, int(ph * 0.15), int(pw * 0.2), int(ph * 0.7)), fill=(150, 140, 120))     # a shelf
        d.ellipse((cx - pw * 0.3, ph * 0.7, cx + pw * 0.3, ph * 1.35), fill=(50, 60, 110))
        d.ellipse((cx - pw * 0.13, cy - ph * 0.2, cx + pw * 0.13, cy + ph * 0.2), fill=(225, 180, 150))
        mouth = 1 + (k % 3)
        d.ellipse((cx - pw * 0.03, cy + ph * 0.08, cx + pw * 0.03, cy + ph * 0.08 + mouth), fill=(120, 50, 50))
        out.append(np.asarray(img))
    return out


def _schedule(spec: RoomSpec, pages: list[tuple[int, int]], rng: random.Random) -> list[RoomShowing]:
    n = max(s for s, _ in pages) + 1
    order = list(range(n))
    if spec.revisits and n >= 5:
        for _ in range(max(1, n // 6)):
            pos = rng.randint(3, len(order) - 1)
            choices = sorted(set(order[:pos - 1]) - {order[pos - 1], order[pos]})
            if choices:
                order.insert(pos, rng.choice(choices))
    steps = {s: sum(1 for p, _ in pages if p == s) for s in range(n)}
    showings, t, first = [], 0.0, {}
    lo, hi = spec.showing_seconds
    for slide in order:
        if showings and t >= spec.duration - lo:
            break
        if showings and showings[-1].slide == slide:
            continue
        length = rng.uniform(lo, hi)
        s = RoomShowing(round(t, 2), round(min(spec.duration, t + length), 2), slide, first.get(slide))
        if s.repeat_of is None and steps[slide] > 1:
            s.builds = [round(s.start + (s.end - s.start) * rng.uniform(0.35, 0.6), 2)]
        first.setdefault(slide, len(showings))
        showings.append(s)
        t += length
    showings[-1].end = spec.duration
    return showings


def make_room_lecture(path: Path, spec: RoomSpec) -> RoomTruth:
    """Write an H.264 MP4 of a deck filmed by a room camera and return its ground truth."""
    w, h = spec.size
    if w % 2 or h % 2 or w < 160 or h < 90:
        raise ValueError(f"size {spec.size} must be even and at least 160x90")
    rng = random.Random(spec.seed)
    page_imgs, pages = render_deck(spec.slides, spec.size, rng, spec.builds)
    page_of = {p: k for k, p in enumerate(pages)}
    showings = _schedule(spec, pages, rng)
    quad = _screen_quad(w, h, rng)
    background, screen = _room_background(w, h, quad, rng)
    projected: dict[int, np.ndarray] = {}

    def picture(k: int) -> np.ndarray:
        if k not in projected:
            projected[k] = (_project(page_imgs[k], quad, w, h, background, screen) if spec.camera
                            else page_imgs[k]).astype(np.float32)
        return projected[k]

    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    vignette = ((1.0 - 0.28 * r2 / 2) if spec.vignette else np.ones_like(r2)).astype(np.float32)[:, :, None]
    nrng = np.random.default_rng(spec.seed)
    noise = [np.clip(nrng.normal(0, spec.noise, (h, w, 1)), -12, 12).astype(np.int16) for _ in range(5)] \
        if spec.noise else []
    plan = _walk_plan(spec.duration, rng)
    shirt = rng.choice(((40, 45, 70), (90, 30, 30), (30, 60, 40), (60, 60, 60)))
    pw, ph = (w // 5) & ~1, (h // 5) & ~1
    speaker = _speaker_frames(pw, ph, rng) if spec.pip else []
    corners = [(w - pw - w // 50, h - ph - h // 40), (w // 50, h - ph - h // 40)]
    pip_boxes: list = []
    if spec.pip:
        if spec.pip_moves:
            a, b = sorted(rng.uniform(0.2, 0.8) * spec.duration for _ in range(2))
            c0 = corners[0]
            c1 = corners[1]
            gone = (b, min(spec.duration, b + rng.uniform(3.0, 8.0)))
            pip_boxes = [(0.0, a, (*c0, c0[0] + pw, c0[1] + ph)), (a, gone[0], (*c1, c1[0] + pw, c1[1] + ph)),
                         (gone[0], gone[1], None), (gone[1], spec.duration + 1, (*c0, c0[0] + pw, c0[1] + ph))]
        else:
            c0 = corners[0]
            pip_boxes = [(0.0, spec.duration + 1, (*c0, c0[0] + pw, c0[1] + ph))]
    else:
        pip_boxes = [(0.0, spec.duration + 1, None)]
    truth = RoomTruth(spec.duration, spec.size, spec.fps, showings, quad, pip_boxes, page_imgs, page_of)

    shake_rng = np.random.default_rng(spec.seed + 1)
    sx = sy = vx = vy = 0.0
    knock_t, knock = -99.0, (0.0, 0.0)
    gain, level = 1.0, None
    n_frames = max(1, int(round(spec.duration * spec.fps)))
    with av.open(str(path), "w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=spec.fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.codec_context.gop_size = spec.keyint or spec.fps * 10
        vs.options = {"preset": "veryfast", "crf": str(spec.crf)}
        k = 0
        for i in range(n_frames):
            t = i / spec.fps
            while k + 1 < len(showings) and t >= showings[k].end:
                k += 1
            s = showings[k]
            step = sum(1 for b in s.builds if t >= b) if s.repeat_of is None else \
                max(st for (p, st) in pages if p == s.slide)
            img = picture(page_of[(s.slide, step)])
            if spec.occluder:
                x, arm = _walk_at(plan, t)
                img = img.copy()
                _draw_person(img, x * w, arm, shirt)
            scale = np.float32(1.0)
            if spec.exposure:
                # auto-exposure: aim for a mid-gray mean, reacting with a lag of about a second
                mean = float(img[::8, ::8].mean())
                level = mean if level is None else level + (mean - level) * min(1.0, 1.2 / spec.fps)
                target = np.clip(118.0 / max(level, 1.0), 0.75, 1.35)
                gain += (target - gain) * min(1.0, 1.5 / spec.fps)
                scale = np.float32(gain * (1.0 + 0.06 * math.sin(2 * math.pi * t / 41.0 + spec.seed)))
            lit = img * (vignette * scale)
            if spec.shake:
                vx = 0.9 * vx + shake_rng.normal(0, 0.08)
                vy = 0.9 * vy + shake_rng.normal(0, 0.08)
                sx, sy = 0.95 * sx + vx, 0.95 * sy + vy
                if shake_rng.random() < 0.15 / spec.fps:
                    knock_t, knock = t, tuple(shake_rng.normal(0, w / 250, 2))
                decay = math.exp(-(t - knock_t) / 0.4) * math.cos((t - knock_t) * 12)
                lit = _shift(lit, sx + knock[0] * decay, sy + knock[1] * decay)
            frame = np.clip(lit, 0, 255).astype(np.uint8)
            if noise:
                frame = np.clip(frame + noise[i % len(noise)], 0, 255).astype(np.uint8)
            box = truth.pip_at(t)
            if box is not None:
                x0, y0, x1, y1 = box
                frame[y0:y1, x0:x1] = speaker[(i // 2) % len(speaker)]
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            vf.pts, vf.time_base = i, Fraction(1, spec.fps)
            for p in vs.encode(vf):
                out.mux(p)
        for p in vs.encode():
            out.mux(p)
    return truth
