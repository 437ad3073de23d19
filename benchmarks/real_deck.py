"""Real slides, not drawn ones: render a PDF slide deck into a lecture video and score the slide finder on it.

    python -m benchmarks.real_deck DECK.pdf [DECK2.pdf ...] [--pip] [--noise] [--room] [--size 1280x720] [--fps 15]

Each page is shown for 15–75 s (seeded), some earlier pages are shown again, and a speaker picture-in-picture and
sensor noise can be added; `--room` films the projection as a room camera does (at an angle inside a larger
scene, exposure drifting, the lecturer walking in front of the screen). Consecutive pages where the later one
only adds ink to the earlier (beamer overlays, bullet builds) are one slide in the ground truth, as a person would count them. Prints precision, recall and F1
of slide changes (±2 s), distinct slides found vs expected, and speed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from benchmarks.slides import score

OUT = Path(__file__).resolve().parent / "out" / "decks"


def render_pages(pdf: Path, size: tuple[int, int]) -> list[np.ndarray]:
    """Every page of a PDF as an RGB frame of `size`, letterboxed on white."""
    import pypdfium2 as pdfium
    from PIL import Image

    w, h = size
    pages = []
    doc = pdfium.PdfDocument(str(pdf))
    for i in range(len(doc)):
        pw, ph = doc[i].get_size()
        scale = min(w / pw, h / ph)
        img = doc[i].render(scale=scale).to_pil().convert("RGB")
        canvas = Image.new("RGB", size, "white")
        canvas.paste(img, ((w - img.width) // 2, (h - img.height) // 2))
        pages.append(np.asarray(canvas))
    return pages


def only_adds_ink(before: np.ndarray, after: np.ndarray) -> bool:
    """True when `after` keeps every inked pixel of `before` (an overlay or build step of the same slide)."""
    gb = before.mean(axis=2)
    ga = after.mean(axis=2)
    inked = gb < 200
    if not inked.any():
        return False
    kept = np.abs(ga[inked] - gb[inked]) < 40
    added = (np.abs(ga - gb) >= 40) & ~inked
    return kept.mean() > 0.995 and added.mean() > 0.0005


def plan(pages: list[np.ndarray], rng: random.Random) -> tuple[list[tuple[int, float]], list[float], int]:
    """The order pages are shown in with durations, the true change times, and the number of distinct slides."""
    slide_of = []
    for i, page in enumerate(pages):
        same = i > 0 and only_adds_ink(pages[i - 1], page)
        slide_of.append(slide_of[-1] if same else (slide_of[-1] + 1 if slide_of else 0))
    order = list(range(len(pages)))
    # go back to an earlier slide now and then, as lecturers do
    for _ in range(max(1, len(pages) // 12)):
        at = rng.randrange(3, len(order)) if len(order) > 3 else len(order)
        back = rng.randrange(0, max(1, at - 1))
        order.insert(at, back)
    schedule, changes, t, last_slide = [], [], 0.0, None
    for k, p in enumerate(order):
        d = rng.uniform(4.0, 12.0) if k + 1 < len(order) and slide_of[order[k + 1]] == slide_of[p] \
            else rng.uniform(15.0, 75.0)
        if last_slide is not None and slide_of[p] != last_slide:
            changes.append(round(t, 3))
        schedule.append((p, d))
        last_slide = slide_of[p]
        t += d
    return schedule, changes, len(set(slide_of))


def encode(pages: list[np.ndarray], schedule: list[tuple[int, float]], out: Path, fps: int, pip: bool,
           noise: bool, rng: random.Random, room: bool = False) -> float:
    """Write the lecture video; returns its duration."""
    from pipeline.synth import exposure_at, lecturer_at, room_view
    if room:
        pages = [room_view(p) for p in pages]
    h, w = pages[0].shape[:2]
    total = sum(d for _, d in schedule)
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    with av.open(str(out), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.options = {"preset": "veryfast", "crf": "26"}
        i, t_end = 0, 0.0
        for p, d in schedule:
            t_end += d
            while i / fps < t_end:
                frame = pages[p]
                if pip or noise or room:
                    frame = frame.copy()
                if room:
                    t = i / fps
                    frame = np.minimum(frame * np.float32(exposure_at(t)), 255).astype(np.uint8)
                    (x0, y0, x1, y1), (hx0, hy0, hx1, hy1) = lecturer_at(t, w, h)
                    frame[y0:y1, x0:x1] = (20, 28, 60)
                    frame[hy0:hy1, hx0:hx1] = (150, 150, 160)
                if pip:
                    pw, ph = w // 5, h // 5
                    shade = 90 + int(40 * np.sin(i / fps * 3.0))
                    frame[h - ph - 10:h - 10, w - pw - 10:w - 10] = (shade, 70, 60)
                    cx = w - pw // 2 - 10 + int(12 * np.sin(i / fps * 1.7))
                    frame[h - ph: h - ph // 3, cx - 20:cx + 20] = (220, 180, 160)
                if noise:
                    frame = np.clip(frame.astype(np.int16) + nrng.integers(-6, 7, frame.shape, dtype=np.int16),
                                    0, 255).astype(np.uint8)
                vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
                vf.pts, vf.time_base = i, Fraction(1, fps)
                for pkt in s.encode(vf):
                    c.mux(pkt)
                i += 1
        for pkt in s.encode():
            c.mux(pkt)
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.real_deck", description=__doc__.splitlines()[0])
    ap.add_argument("decks", nargs="+", type=Path)
    ap.add_argument("--pip", action="store_true")
    ap.add_argument("--noise", action="store_true")
    ap.add_argument("--room", action="store_true", help="a room camera: screen at an angle, lecturer walking")
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    from pipeline.slides import detect_slides

    size = tuple(int(x) for x in args.size.split("x"))
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"{'deck':<28}{'pages':>6}{'slides':>7}{'found':>7}{'P':>6}{'R':>6}{'F1':>6}{'min':>6}{'x RT':>8}")
    for deck in args.decks:
        rng = random.Random(args.seed)
        pages = render_pages(deck, size)
        schedule, truth, distinct = plan(pages, rng)
        tags = "".join(f"-{t}" for t in ("pip", "noise", "room") if getattr(args, t))
        video = OUT / f"{deck.stem}{tags}.mp4"
        duration = encode(pages, schedule, video, args.fps, args.pip, args.noise, rng, args.room)
        t0 = time.perf_counter()
        showings = detect_slides(video, OUT / video.stem)
        took = time.perf_counter() - t0
        p, r, f1, _ = score([s.start for s in showings[1:]], truth)
        print(f"{deck.stem[:27]:<28}{len(pages):>6}{distinct:>7}{len({s.image for s in showings}):>7}"
              f"{p:>6.2f}{r:>6.2f}{f1:>6.2f}{duration / 60:>6.1f}{duration / took:>8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
