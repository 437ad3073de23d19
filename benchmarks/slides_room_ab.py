"""Speed of two versions of the slide finder on the same room-benchmark files, in one run, with the peer.

    python -m benchmarks.slides_room_ab --before /path/to/old/checkout [--names room-s1,deck-s1] [--reps 1]

The files are the ones `python -m benchmarks.slides_room --seeds 1,2 --minutes 2 --size 640x360 --fps 10`
made (cached under benchmarks/out/room/; make them with that command first). For each file the old checkout's
finder, this checkout's finder and the frame-difference peer each run in their own process, one after the
other, so a shared, loaded machine slows all three alike; each prints the finder's wall and CPU seconds, its
frames a second, times real time, change F1 and peak memory. The old checkout must have the same layout
(`pipeline/slides`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.slides import score
from benchmarks.slides_room import OUT, frames_in

HERE = Path(__file__).resolve().parent.parent

_OURS = r'''
import json, resource, shutil, sys, tempfile, time
from pathlib import Path
from pipeline.slides import detect_slides
out = Path(tempfile.mkdtemp(prefix="slides-ab-"))
t, c = time.perf_counter(), time.process_time()
showings = detect_slides(Path(sys.argv[1]), out)
print(json.dumps({"wall": time.perf_counter() - t, "cpu": time.process_time() - c,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                  "changes": [s.start for s in showings[1:]]}))
shutil.rmtree(out, ignore_errors=True)
'''

_PEER = r'''
import json, sys, time
from pathlib import Path
from benchmarks.slides_room import run_framediff
t, c = time.perf_counter(), time.process_time()
changes, _ = run_framediff(Path(sys.argv[1]))
print(json.dumps({"wall": time.perf_counter() - t, "cpu": time.process_time() - c, "changes": changes}))
'''


def _run(code: str, tree: Path, video: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    r = subprocess.run([sys.executable, "-c", code, str(video)], env=env, capture_output=True, text=True,
                       cwd=str(tree))
    if r.returncode != 0:
        raise SystemExit(f"{video.name} in {tree}: the finder failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.slides_room_ab", description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, type=Path, help="a checkout of the version to compare against")
    ap.add_argument("--names", default="room-s1,room-s2,room-pipmove-s1,room-pipmove-s2,deck-s1,deck-s2,"
                                        "deck-pip-s1,deck-pip-s2")
    ap.add_argument("--suffix", default="-2min-640", help="file name after the variant and seed")
    ap.add_argument("--reps", type=int, default=1)
    args = ap.parse_args(argv)
    if not (args.before / "pipeline" / "slides").is_dir():
        ap.error(f"--before {args.before}: no pipeline/slides there; give the root of an older checkout")
    header = f"{'lecture':<20}{'finder':<8}{'F1':>5}{'cpu s':>8}{'f/s':>7}{'x RT':>7}{'wall s':>8}{'f/s':>7}{'x RT':>7}{'MB':>5}"
    print(header)
    print("-" * len(header))
    for name in args.names.split(","):
        video, meta = OUT / f"{name}{args.suffix}.mp4", OUT / f"{name}{args.suffix}.json"
        if not video.exists() or not meta.exists():
            raise SystemExit(f"{video} is missing: make it with python -m benchmarks.slides_room first")
        truth = json.loads(meta.read_text())["changes"]
        n = frames_in(video)
        with __import__("av").open(str(video)) as c:
            seconds = float(c.duration or 0) / 1e6
        for _ in range(args.reps):
            for label, code, tree in (("before", _OURS, args.before), ("after", _OURS, HERE), ("peer", _PEER, HERE)):
                d = _run(code, tree, video)
                f1 = score(d["changes"], truth)[2]
                print(f"{name:<20}{label:<8}{f1:5.2f}{d['cpu']:8.2f}{n / d['cpu']:7.0f}{seconds / d['cpu']:7.1f}"
                      f"{d['wall']:8.2f}{n / d['wall']:7.0f}{seconds / d['wall']:7.1f}{d.get('rss', ''):>5}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
