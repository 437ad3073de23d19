"""Offline speech recognition: word error rate and speed of Whisper next to pocketsphinx, in the same run.

    python -m benchmarks.asr [--engines whisper-tiny.en,whisper-base,pocketsphinx] [--minutes 0]

Clips, each with a known transcript:
- `two-cities`: real read speech, the LibriVox reading (public domain) of the opening paragraph of "A Tale of
  Two Cities" shipped in the moonshine-voice wheel, 44 s (`tests/captions/data/two-cities.ogg`);
- `hello-lecture`: the 12.9 s espeak-ng clip of the caption tests (`tests/captions/data/speech.flac`);
- `fading-us`, `fading-gb`: a 380-word lecture on multipath propagation and Rayleigh fading (the words the
  issue saw misheard), spoken by espeak-ng in an American voice at 165 words a minute and a British one at
  150, stored as AAC as a lecture video carries it. Made only when an `espeak-ng` program is on PATH;
- `--minutes N`: the fading lecture repeated with pauses to N minutes, for speed and memory on long audio;
- real speech with a human-made transcript, taken from public repositories (`REAL_CLIPS`): `nptel-dl-1.5`, 167 s
  of a recorded classroom lecture (NPTEL Deep Learning, IIT Madras) with NPTEL's transcript, and `jfk-inaugural`,
  11 s of a 1961 public speech. They are not in this repository: cache them once from a checkout of their
  repository at the recorded commit with `--add-real DIR` (the file's SHA-256 is checked); until then each is
  listed as not run, with the command that fetches it.

Each engine runs the whole offline path of the caption stage (`transcribe_offline_best`: streaming, pieces cut
in pauses, voice-activity filter, word timings, cues) in its own subprocess, so its peak RSS (`ru_maxrss`, with
the interpreter and libraries) is its own. `x RT` is audio seconds over recognition seconds with the model
already loaded (a worker keeps it between jobs); loading is shown apart. The machine's load average is printed
because it is shared: the figures are a floor for an idle 2-core machine. `CPU s per audio s` (user + system
time of the worker over the audio's length) moves less with other work: on an idle machine with N cores the
real-time factor is at most N over it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from pipeline.captions.wer import edit_distance, normalise

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "captions" / "data"
OUT = ROOT / "benchmarks" / "out" / "asr"
REAL = OUT / "real"

TWO_CITIES = (
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, "
    "it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, it was the season of "
    "Darkness, it was the spring of hope, it was the winter of despair, we had everything before us, we had nothing "
    "before us, we were all going direct to Heaven, we were all going direct the other way -- in short, the period "
    "was so far like the present period, that some of its noisiest authorities insisted on its being received, for "
    "good or for evil, in the superlative degree of comparison only.")
HELLO = ("Hello and welcome to the lecture. Today we talk about the history of computers. "
         "The first machines were very large. They filled a whole room.")
FADING = """\
Good morning everyone. Today we continue with wireless channels, and the topic is multipath propagation and Rayleigh
fading. When a radio signal travels from the transmitter to the receiver, it rarely takes a single path. It is
reflected by buildings, scattered by trees, and diffracted around corners. Each copy of the signal arrives with its
own delay, its own attenuation, and its own phase. At the receiver these copies add up. Sometimes they add
constructively and the signal is strong, and sometimes they cancel each other and the signal almost disappears.
This variation of the received power over time and frequency is what we call fading. If there is no line of sight
path and there are many scattered paths of similar strength, the central limit theorem tells us that the channel
coefficient is a complex Gaussian random variable. Its magnitude then follows a Rayleigh distribution, and the
received power is exponentially distributed. That is why this model is called Rayleigh fading. Now let us look at
what fading does to the error probability. In a channel with only additive white Gaussian noise, the bit error rate
falls exponentially as the signal to noise ratio grows. In a Rayleigh fading channel, the average bit error rate
falls only inversely with the signal to noise ratio. To reach an error rate of one in a million, we may need forty
decibels more power than in the Gaussian channel. This is a huge penalty, and it is the main reason why wireless
links use diversity. The idea of diversity is simple. We send the same information over several independent paths,
so that it is unlikely that all of them fade at the same time. We can use several antennas, several frequencies, or
several time slots. With two receive antennas and maximum ratio combining, the error rate falls with the square of
the signal to noise ratio. Next we will define the outage probability, which is the probability that the
instantaneous capacity falls below the rate we want to transmit. For slow fading, outage capacity is a more useful
measure than the ergodic capacity, because the code cannot average over many channel states. Please read chapter
three of the textbook before the next lecture, and try the exercises on outage probability.
"""
JFK = "And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
ENGINES = ("whisper-tiny.en", "whisper-base", "pocketsphinx")


@dataclass(frozen=True)
class RealClip:
    """A recording of a person with a human-made transcript, kept in a public repository at a known commit."""

    name: str
    what: str
    licence: str
    repo: str
    commit: str
    audio: str
    audio_sha256: str
    transcript_pdf: str = ""
    transcript_sha256: str = ""
    text: str = ""


REAL_CLIPS = (
    RealClip(
        "nptel-dl-1.5",
        "NPTEL Deep Learning (CS7015, IIT Madras), lecture 1.5 \"Faster, higher, stronger\": 167 s of a recorded "
        "classroom lecture in Indian English, spontaneous, with NPTEL's transcript of it (PDF)",
        "CC BY-NC-SA (NPTEL course material)",
        "rajkumarwolftiger/rajkumar_tasks", "21127d7671be4f156f68ff9cdfdec903528b316f",
        "nptel_data/audio/Deep_Learning(CS7015)_Lec_1.5_Faster,_higher,_stronger.mp3",
        "c4be22d6d4fc657746f9f0e4ddda75c949496ac974a4a43d622eeaff92db0bd4",
        "nptel_data/transcripts/Deep_Learning(CS7015)_Lec_1.5_Faster,_higher,_stronger.pdf",
        "93047845ff3a74b68f2f2113f40470eb06be452da6408345dc84df7c0e697ed4"),
    RealClip(
        "jfk-inaugural",
        "11 s of John F. Kennedy's inaugural address (1961), the test clip of faster-whisper",
        "public domain (work of the US government)",
        "SYSTRAN/faster-whisper", "65882eee9f5cdbeeb2d877f1131d48cf241b327d",
        "tests/data/jfk.flac", "63a4b1e4c1dc655ac70961ffbf518acd249df237e5a0152faae9a4a836949715", text=JFK),
)

_HEADER_LINE = re.compile(r"(lecture|module|chapter)\b", re.IGNORECASE)
_SLIDE_MARK = re.compile(r"\(\s*refer\s+(slide\s+)?time\s*:?[^)]*\)", re.IGNORECASE)


def lecture_transcript(text: str) -> str:
    """The spoken words of an NPTEL transcript: its title block (course, speaker, department, institute,
    lecture and chapter lines) and its "(Refer Slide Time: mm:ss)" marks left out, line breaks joined."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    header = [i for i, line in enumerate(lines[:10]) if _HEADER_LINE.match(line)]
    body = " ".join(lines[header[-1] + 1:] if header else lines)
    return " ".join(_SLIDE_MARK.sub(" ", body).split())


def _pdf_text(path: Path) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _checked(source: Path, inner: str, sha256: str, clip: RealClip) -> Path:
    path = source / inner
    if _sha256(path) != sha256:
        raise SystemExit(f"{path} is not the file measured for {clip.name}: check out github.com/{clip.repo} "
                         f"at commit {clip.commit}")
    return path


def add_real(source: Path) -> list[str]:
    """Cache every clip of REAL_CLIPS whose audio is in the checkout `source`: the audio as it is, and its
    reference text in `<name>.txt`. Files that differ from the ones measured are refused."""
    if not source.is_dir():
        raise SystemExit(f"--add-real needs a checkout of one of the clips' repositories; {source} is not a folder")
    added = []
    for clip in REAL_CLIPS:
        if not (source / clip.audio).is_file():
            continue
        audio = _checked(source, clip.audio, clip.audio_sha256, clip)
        if clip.transcript_pdf:
            text = lecture_transcript(_pdf_text(_checked(source, clip.transcript_pdf, clip.transcript_sha256, clip)))
        else:
            text = clip.text
        REAL.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(audio, REAL / f"{clip.name}{audio.suffix}")
        (REAL / f"{clip.name}.txt").write_text(text + "\n", encoding="utf-8")
        added.append(clip.name)
    if not added:
        wanted = "; ".join(f"github.com/{c.repo} ({c.audio})" for c in REAL_CLIPS)
        raise SystemExit(f"{source} holds none of the clips' audio; expected a checkout of {wanted}")
    return added


def real_clips() -> tuple[list[tuple[str, Path, str]], list[tuple[str, str]]]:
    """(clips cached by --add-real, (name, why not run) for the others)."""
    found, missing = [], []
    for clip in REAL_CLIPS:
        audio = REAL / f"{clip.name}{Path(clip.audio).suffix}"
        text = REAL / f"{clip.name}.txt"
        if audio.is_file() and text.is_file():
            found.append((clip.name, audio, text.read_text(encoding="utf-8").strip()))
        else:
            missing.append((clip.name, f"not cached: clone github.com/{clip.repo}, check out {clip.commit[:12]}, "
                                       f"run python -m benchmarks.asr --add-real <clone>"))
    return found, missing


def _write_aac(path: Path, samples: np.ndarray, rate: int = 16000) -> Path:
    """Mono int16 samples as AAC in an .m4a file, the way a lecture video carries its sound."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=rate)
        stream.layout = "mono"
        stream.bit_rate = 64000
        step = 1024 * 16
        for i in range(0, len(samples), step):
            frame = av.AudioFrame.from_ndarray(samples[i:i + step].reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = rate
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def _espeak(text: str, voice: str, wpm: int, pitch: int) -> np.ndarray:
    with tempfile.TemporaryDirectory() as d:
        wav = Path(d) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-p", str(pitch), "-w", str(wav), text],
                       check=True, capture_output=True)
        with av.open(str(wav)) as c:
            resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
            pcm = [f.to_ndarray().reshape(-1) for fr in c.decode(audio=0) for f in resampler.resample(fr)]
            pcm += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(pcm).astype(np.int16)


def make_clips(minutes: float) -> list[tuple[str, Path, str]]:
    """(name, audio file, reference text) for every clip this machine can make."""
    clips = [("two-cities", DATA / "two-cities.ogg", TWO_CITIES), ("hello-lecture", DATA / "speech.flac", HELLO)]
    clips += real_clips()[0]
    if shutil.which("espeak-ng") is None:
        print("espeak-ng is not on PATH: the synthetic fading lecture is left out", file=sys.stderr)
        return clips
    OUT.mkdir(parents=True, exist_ok=True)
    text = " ".join(FADING.split())
    for name, voice, wpm, pitch in (("fading-us", "en-us", 165, 50), ("fading-gb", "en-gb", 150, 40)):
        path = OUT / f"{name}.m4a"
        if not path.exists():
            _write_aac(path, _espeak(text, voice, wpm, pitch))
        clips.append((name, path, text))
    if minutes > 0:
        path = OUT / f"fading-{minutes:g}min.m4a"
        one = _espeak(text, "en-us", 165, 50)
        pause = np.zeros(16000 * 3, dtype=np.int16)
        times = max(1, int(round(minutes * 60 / (len(one) / 16000 + 3))))
        if not path.exists():
            _write_aac(path, np.concatenate([np.concatenate([one, pause])] * times))
        clips.append((f"fading-{minutes:g}min", path, " ".join([text] * times)))
    return clips


def _settings_for(engine: str, data_dir: str):
    from pipeline.settings import load_settings

    if engine == "pocketsphinx":
        return load_settings(HANDOUTS_ASR_ENGINE="pocketsphinx", HANDOUTS_DATA_DIR=data_dir)
    return load_settings(HANDOUTS_ASR_ENGINE="whisper", HANDOUTS_ASR_MODEL=engine.split("-", 1)[1],
                         HANDOUTS_DATA_DIR=data_dir)


def worker(engine: str, audio: Path, data_dir: str) -> dict:
    """Recognise one clip with one engine in this process; its text, times and peak memory."""
    from pipeline.captions.audio import iter_pcm
    from pipeline.captions.recognise import choose_engine, transcribe_offline_best
    from pipeline.captions.whisper import load_model

    settings = _settings_for(engine, data_dir)
    duration = sum(len(c.samples) for c in iter_pcm(audio, chunk_seconds=10)) / 16000
    t0 = time.perf_counter()
    info, _ = choose_engine(settings)
    if info is not None:
        load_model(info, settings.asr_threads)
    else:
        from pocketsphinx import Decoder
        Decoder(loglevel="FATAL")
    load = time.perf_counter() - t0
    before = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    heard = transcribe_offline_best(audio, duration, settings)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"text": " ".join(c.text for c in heard.cues), "seconds": seconds, "load": load, "duration": duration,
            "cpu": cpu,
            "recogniser": heard.recogniser, "cues": len(heard.cues),
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--minutes", type=float, default=0.0, help="also a long lecture of this many minutes")
    ap.add_argument("--only", default="", help="comma-separated clip names")
    ap.add_argument("--worker", nargs=3, metavar=("ENGINE", "AUDIO", "DATA_DIR"), help=argparse.SUPPRESS)
    ap.add_argument("--show-text", action="store_true", help="print what each engine heard")
    ap.add_argument("--add-real", action="append", default=[], metavar="DIR",
                    help="cache the real clips found in this checkout of their repository (see REAL_CLIPS)")
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker[0], Path(args.worker[1]), args.worker[2])))
        return 0
    if args.add_real:
        for source in args.add_real:
            for name in add_real(Path(source).expanduser()):
                clip = next(c for c in REAL_CLIPS if c.name == name)
                print(f"cached {name} in {REAL}: {clip.what}; {clip.licence}")
        return 0

    clips = make_clips(args.minutes)
    missing = real_clips()[1]
    if args.only:
        clips = [c for c in clips if c[0] in args.only.split(",")]
        missing = [m for m in missing if m[0] in args.only.split(",")]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    data_dir = str(OUT / "data")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print("| clip | audio s | engine | WER | x real time | CPU s per audio s | load s | peak MB | cues |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, why in missing:
        print(f"| {name} | | all | not run: {why} | | | | | |")
    totals: dict[str, list[float]] = {}
    for name, path, reference in clips:
        for engine in engines:
            if engine not in ENGINES:
                print(f"| {name} | | {engine} | not run: unknown engine, choose from {', '.join(ENGINES)} | | | | |")
                continue
            run = subprocess.run([sys.executable, "-m", "benchmarks.asr", "--worker", engine, str(path), data_dir],
                                 capture_output=True, text=True, cwd=ROOT)
            if run.returncode != 0:
                last = (run.stderr.strip().splitlines() or ["failed"])[-1]
                print(f"| {name} | | {engine} | not run: {last[:120]} | | | | |")
                continue
            r = json.loads(run.stdout.strip().splitlines()[-1])
            ref_words = normalise(reference)
            errors = edit_distance(ref_words, normalise(r["text"]))
            wer = errors / len(ref_words)
            totals.setdefault(engine, []).extend([errors, len(ref_words), r["duration"], r["seconds"], r["cpu"]])
            print(f"| {name} | {r['duration']:.0f} | {engine} | {wer:.1%} | {r['duration'] / r['seconds']:.1f} | "
                  f"{r['cpu'] / r['duration']:.2f} | {r['load']:.1f} | {r['rss_mb']:.0f} | {r['cues']} |", flush=True)
            if args.show_text:
                print(f"    {r['text']}")
    for engine, t in totals.items():
        errors, words = sum(t[0::5]), sum(t[1::5])
        audio, spent, cpu = sum(t[2::5]), sum(t[3::5]), sum(t[4::5])
        print(f"{engine}: WER {errors / words:.1%} over {words:.0f} words, {audio / spent:.1f}x real time "
              f"over {audio:.0f} s, {cpu / audio:.2f} CPU s per audio s")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
