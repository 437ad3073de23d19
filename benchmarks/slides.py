"""Slide-change benchmark: our finder against PySceneDetect on synthetic lectures with known slide timings.

    python -m benchmarks.slides [--quick] [--peer adaptive,content] [--only NAME]

Videos are made once by pipeline.synth and cached under benchmarks/out/. Each detector runs in its own
subprocess so its peak memory (ru_maxrss) is its own. A detected change matches a true one within +-2 s,
one to one; builds are not changes, returns to an earlier slide are.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
TOLERANCE = 2.0
VARIANTS = ("cuts", "builds", "fades", "pip", "pointer", "revisits", "noise", "all", "fast", "room")
ALL_FLAGS = ("builds", "fades", "pip", "pointer", "revisits", "noise")


def spec_for(variant: str, minutes: int):
    """The lecture for one benchmark row: 720p15, about one slide a minute (`fast`: one per 4-12 s), fixed seed."""
    from pipeline.synth import LectureSpec
    if variant == "fast":
        # a slide every 4-12 s, build steps 0.6-2 s apart: several showings inside one 10 s GOP
        return LectureSpec(duration=minutes * 60.0, slides=minutes * 8, size=(1280, 720), fps=15,
                           seed=VARIANTS.index(variant) + 11 * minutes, builds=True, revisits=True, pip=True,
                           pointer=True, showing_seconds=(4.0, 12.0), build_seconds=(0.6, 2.0))
    if variant == "room":
        # a room camera: the screen at an angle, exposure drifting, the lecturer walking in front, sensor noise
        flags = ("room", "noise")
    else:
        flags = ALL_FLAGS if variant == "all" else (() if variant == "cuts" else (variant,))
    spec = LectureSpec(duration=minutes * 60.0, slides=max(6, minutes), size=(1280, 720), fps=15,
                       seed=VARIANTS.index(variant) + 11 * minutes)
    return replace(spec, **{f: True for f in flags})


def ensure_video_apart(variant: str, minutes: int) -> tuple[Path, list[float]]:
    """ensure_video in a child process. Linux carries a process's peak RSS over fork and exec into its children,
    so a parent that had made a video in process would lend its peak to every detector measured after it."""
    subprocess.run([sys.executable, "-m", "benchmarks.slides", "--make", variant, str(minutes)], check=True,
                   cwd=Path(__file__).resolve().parent.parent)
    return ensure_video(variant, minutes)


def ensure_video(variant: str, minutes: int) -> tuple[Path, list[float]]:
    """Make (or reuse) the lecture for a row; return its path and the true change times."""
    from pipeline.synth import make_lecture
    spec = spec_for(variant, minutes)
    name = f"{variant}-{minutes}min"
    video, meta = OUT / f"{name}.mp4", OUT / f"{name}.json"
    key = json.dumps(asdict(spec), sort_keys=True, default=str)
    if video.exists() and meta.exists():
        saved = json.loads(meta.read_text())
        if _same_spec(json.loads(saved.get("spec", "{}")), json.loads(key)):
            return video, saved["changes"]
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"  making {name} ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    truth = make_lecture(video, spec)
    print(f"  made {name} in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    meta.write_text(json.dumps({"spec": key, "changes": truth.changes(),
                                "slides": len({s.slide for s in truth.showings}),
                                "showings": [asdict(s) for s in truth.showings]}))
    return video, truth.changes()


def _same_spec(saved: dict, current: dict) -> bool:
    """A cached video fits when every field matches; one saved before a field existed was made with its default."""
    from pipeline.synth import LectureSpec
    defaults = json.loads(json.dumps(asdict(LectureSpec()), default=str))
    return all(saved.get(k, defaults[k]) == v for k, v in current.items())


def score(found: list[float], truth: list[float]) -> tuple[float, float, float, float]:
    """Precision, recall, F1 and median timing error (s) of change times, matched one to one within TOLERANCE."""
    pairs = sorted((abs(f - t), i, j) for i, f in enumerate(found) for j, t in enumerate(truth)
                   if abs(f - t) <= TOLERANCE)
    used_f, used_t, errors = set(), set(), []
    for err, i, j in pairs:
        if i not in used_f and j not in used_t:
            used_f.add(i)
            used_t.add(j)
            errors.append(err)
    hit = len(used_t)
    p = hit / len(found) if found else (1.0 if not truth else 0.0)
    r = hit / len(truth) if truth else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0), (statistics.median(errors) if errors else float("nan"))


# -- detectors, each run inside a child process -------------------------------------------------------

def run_ours(video: Path) -> dict:
    from pipeline.slides import detect_slides
    out = OUT / "slides" / video.stem
    if out.exists():
        for f in out.glob("slide-*.png"):
            f.unlink()
    showings = detect_slides(video, out)
    return {"changes": [s.start for s in showings[1:]], "slides": len({s.image for s in showings}),
            "revisits": sum(1 for s in showings if s.repeat_of is not None)}


def run_scenedetect(video: Path, which: str) -> dict:
    from scenedetect import AdaptiveDetector, ContentDetector, SceneManager, open_video
    stream = open_video(str(video), backend="pyav")
    manager = SceneManager()
    detectors = {"adaptive": AdaptiveDetector, "content": ContentDetector,
                 # film defaults miss slide changes on one template; this is the threshold a slide user would try
                 "content10": lambda: ContentDetector(threshold=10.0)}
    manager.add_detector(detectors[which]())
    manager.detect_scenes(stream)
    scenes = manager.get_scene_list()
    return {"changes": [s[0].seconds for s in scenes[1:]], "slides": len(scenes), "revisits": 0}


def child(detector: str, video: Path) -> None:
    """Entry of the subprocess: run one detector, print its result with time and peak memory as JSON."""
    t0 = time.perf_counter()
    result = run_ours(video) if detector == "ours" else run_scenedetect(video, detector)
    result["seconds"] = time.perf_counter() - t0
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def measure(detector: str, video: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.slides", "--child", detector, str(video)],
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    if proc.returncode != 0:
        raise RuntimeError(f"{detector} failed on {video}:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Print the benchmark table."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.slides", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the 10-minute lectures")
    ap.add_argument("--peer", default="adaptive", help="PySceneDetect detectors: adaptive,content,content10 (or none)")
    ap.add_argument("--only", default="", help="comma-separated variants to run")
    ap.add_argument("--child", nargs=2, metavar=("DETECTOR", "VIDEO"), help=argparse.SUPPRESS)
    ap.add_argument("--make", nargs=2, metavar=("VARIANT", "MINUTES"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.make:
        ensure_video(args.make[0], int(args.make[1]))
        return 0
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0
    peers = [p for p in args.peer.split(",") if p and p != "none"]
    unknown = sorted(set(peers) - {"adaptive", "content", "content10"})
    if unknown:
        ap.error(f"--peer: unknown detector {', '.join(unknown)}; choose from adaptive, content, content10 or none")
    if peers:
        try:
            import scenedetect  # noqa: F401
        except ImportError:
            ap.error("--peer needs PySceneDetect, which is not installed: pip install -e '.[bench]' "
                     "(or run with --peer none for our figures alone)")
    rows = [(v, 10) for v in VARIANTS] + ([] if args.quick else [("all", 60)])
    if args.only:
        rows = [r for r in rows if r[0] in args.only.split(",")]
    header = (f"{'lecture':<16}{'detector':<10}{'P':>6}{'R':>6}{'F1':>6}{'err s':>7}{'slides':>8}{'s/h':>8}"
              f"{'x RT':>8}{'peak MB':>9}")
    print(header)
    print("-" * len(header))
    for variant, minutes in rows:
        video, truth = ensure_video_apart(variant, minutes)
        meta = json.loads(video.with_suffix(".json").read_text())
        hours = minutes / 60
        results = {}
        for det in ["ours", *peers]:
            r = measure(det, video)
            p, rc, f1, err = score(r["changes"], truth)
            results[det] = r
            slides = f"{r['slides']}/{meta['slides']}" if det == "ours" else f"{r['slides']}"
            print(f"{video.stem:<16}{det:<10}{p:6.2f}{rc:6.2f}{f1:6.2f}{err:7.2f}{slides:>8}{r['seconds'] / hours:8.1f}"
                  f"{minutes * 60 / r['seconds']:8.0f}{r['peak_mb']:9.0f}", flush=True)
        for det in peers:
            speed = results[det]["seconds"] / results["ours"]["seconds"]
            memory = results["ours"]["peak_mb"] / results[det]["peak_mb"]
            print(f"{'':<16}ours vs {det}: {speed:.1f}x faster, {memory:.2f}x the peak memory", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
