"""Slide changes on room-camera recordings of a real (typeset) deck: ours against a plain frame-difference finder.

    python -m benchmarks.slides_room [--quick] [--seeds 1,2,3,4] [--minutes 5] [--size 1280x720] [--fps 15]

Videos are made by pipeline.synth_room (an fpdf2 deck rasterised with pypdfium2, projected at an angle,
auto-exposure, vignetting, noise, shake, the lecturer walking in front, a speaker picture-in-picture) and
cached under benchmarks/out/room/. Variants per seed:

- `room`: all of the above with the speaker box fixed in a corner;
- `room-pipmove`: the speaker box jumps to the other corner and later leaves for a few seconds;
- `deck`: the same pages as a screen recording (the pages themselves, no camera), for screen-recording accuracy;
- `deck-pip`: the screen recording with the speaker box.

`--before` adds `plain`: our finder with room cameras turned off (SlideOptions(room=False)), i.e. as it was.
The peer is what common slide extractors do: decode every frame, compare a small gray copy of each sampled
frame (2 a second) with the last kept slide, and start a new slide when the mean absolute difference passes a
threshold and the picture has settled. A change matches a true one within +-2 s, one to one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import av
import numpy as np

from benchmarks.slides import score

OUT = Path(__file__).resolve().parent / "out" / "room"
VARIANTS = ("room", "room-pipmove", "deck", "deck-pip")
PEER_THRESHOLD = 8.0    # mean gray levels (of 255) between a sample and the last slide: ~3 %
PEER_RATE = 2.0         # samples a second


def spec_for(variant: str, seed: int, minutes: float, size: tuple[int, int], fps: int):
    from pipeline.synth_room import RoomSpec
    base = RoomSpec(duration=minutes * 60.0, size=size, fps=fps, slides=max(8, int(minutes * 60 / 9)),
                    showing_seconds=(5.0, 14.0), seed=seed)
    camera = variant.startswith("room")
    return replace(base, camera=camera, pip=variant in ("room", "room-pipmove", "deck-pip"),
                   pip_moves=variant == "room-pipmove",
                   occluder=camera, shake=camera, exposure=camera, vignette=camera, noise=3.0 if camera else 0.0)


def ensure(variant: str, seed: int, minutes: float, size, fps) -> tuple[Path, list[float], int]:
    """Make (or reuse) a lecture; return its path, true change times and number of distinct slides."""
    from pipeline.synth_room import make_room_lecture
    spec = spec_for(variant, seed, minutes, size, fps)
    name = f"{variant}-s{seed}-{minutes:g}min-{size[0]}"
    video, meta = OUT / f"{name}.mp4", OUT / f"{name}.json"
    key = json.dumps(asdict(spec), sort_keys=True, default=str)
    if video.exists() and meta.exists():
        saved = json.loads(meta.read_text())
        # a video made before a RoomSpec field existed was made with that field's default
        from pipeline.synth_room import RoomSpec
        defaults = json.loads(json.dumps(asdict(RoomSpec()), default=str))
        old = json.loads(saved["spec"])
        if all(old.get(k, defaults[k]) == v for k, v in json.loads(key).items()):
            return video, saved["changes"], saved["slides"]
    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    truth = make_room_lecture(video, spec)
    print(f"  made {name} in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    slides = len({s.slide for s in truth.showings})
    meta.write_text(json.dumps({"spec": key, "changes": truth.changes(), "slides": slides}))
    return video, truth.changes(), slides


def run_ours(video: Path, room: bool | None = None) -> tuple[list[float], int]:
    """Our finder; room=False is the screen-recording finder alone (as it was before room cameras)."""
    from pipeline.slides import SlideOptions, detect_slides
    out = OUT / "slides" / f"{video.stem}-{room}"
    for f in out.glob("slide-*.png") if out.exists() else ():
        f.unlink()
    showings = detect_slides(video, out, options=SlideOptions(room=room))
    return [s.start for s in showings[1:]], len({s.image for s in showings})


def run_framediff(video: Path, threshold: float = PEER_THRESHOLD, rate: float = PEER_RATE) -> tuple[list[float], int]:
    """The frame-difference finder of common slide extractors (see the module docstring)."""
    changes, kept, prev, pending = [], None, None, None
    next_t = 0.0
    with av.open(str(video)) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in c.decode(stream):
            t = float(frame.time or 0.0)
            if t + 1e-6 < next_t:
                continue
            next_t = t + 1.0 / rate
            g = frame.reformat(width=160, height=90, format="gray").to_ndarray().astype(np.int16)
            if kept is None:
                kept = g
            elif pending is not None:
                # the picture settled when this sample is close to the one that crossed the threshold
                if np.abs(g - prev).mean() < threshold / 2:
                    changes.append(pending)
                    kept = g
                pending = None
            elif np.abs(g - kept).mean() > threshold:
                pending = t
            prev = g
    return changes, len(changes) + 1


def frames_in(video: Path) -> int:
    with av.open(str(video)) as c:
        s = c.streams.video[0]
        return s.frames or int(float(c.duration or 0) / 1e6 * float(s.average_rate or 25))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.slides_room", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="two seeds, 2-minute lectures at 640x360")
    ap.add_argument("--seeds", default="1,2,3,4")
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--only", default="", help="comma-separated variants")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--before", action="store_true",
                    help="also run the screen-recording finder alone (room=False): the figures before room cameras")
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    size = tuple(int(x) for x in args.size.split("x"))
    minutes = args.minutes
    if args.quick:
        seeds, minutes, size = seeds[:2], 2.0, (640, 360)
    variants = [v for v in VARIANTS if not args.only or v in args.only.split(",")]
    dets = ["ours"] + (["plain"] if args.before else []) + ([] if args.no_peer else ["framediff"])
    header = f"{'lecture':<28}{'detector':<11}{'P':>6}{'R':>6}{'F1':>6}{'slides':>8}{'frames/s':>10}{'x RT':>7}"
    print(header)
    print("-" * len(header))
    totals = {(v, d): [0, 0, 0] for v in variants for d in dets}     # hits, found, true
    for variant in variants:
        for seed in seeds:
            video, truth, slides = ensure(variant, seed, minutes, size, args.fps)
            n = frames_in(video)
            for det in dets:
                t0 = time.perf_counter()
                found, distinct = (run_ours(video) if det == "ours" else run_ours(video, room=False)
                                   if det == "plain" else run_framediff(video))
                took = time.perf_counter() - t0
                p, r, f1, _ = score(found, truth)
                agg = totals[(variant, det)]
                agg[0] += round(r * len(truth))
                agg[1] += len(found)
                agg[2] += len(truth)
                print(f"{video.stem:<28}{det:<11}{p:6.2f}{r:6.2f}{f1:6.2f}{f'{distinct}/{slides}':>8}"
                      f"{n / took:10.0f}{minutes * 60 / took:7.0f}", flush=True)
    print()
    print(f"{'variant (all seeds)':<28}{'detector':<11}{'P':>6}{'R':>6}{'F1':>6}")
    for (variant, det), (hit, found, true) in totals.items():
        p = hit / found if found else 1.0
        r = hit / true if true else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"{variant:<28}{det:<11}{p:6.2f}{r:6.2f}{f1:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
