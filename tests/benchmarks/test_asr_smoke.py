"""The speech recognition benchmark end to end on its shortest clip: a table row with a measured WER per engine."""

from __future__ import annotations

import re

from benchmarks import asr
from pipeline.captions.whisper import engine_available


def test_benchmark_measures_each_engine_on_the_same_clip(capsys):
    engines = ["pocketsphinx"] + (["whisper-tiny.en"] if engine_available() else [])
    assert asr.main(["--only", "hello-lecture", "--engines", ",".join(engines)]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| hello-lecture |")]
    assert len(rows) == len(engines)
    wer = {}
    for engine, row in zip(engines, rows):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2] == engine and re.fullmatch(r"\d+\.\d%", cells[3]) and float(cells[4]) > 0
        wer[engine] = float(cells[3].rstrip("%"))
    assert 0 < wer["pocketsphinx"] < 150           # pocketsphinx mishears espeak's voice badly
    if "whisper-tiny.en" in wer:
        assert wer["whisper-tiny.en"] <= 15 < wer["pocketsphinx"]
    assert "load average before" in out and f"{engines[0]}: WER" in out


def test_unknown_engine_is_reported_not_hidden(capsys):
    assert asr.main(["--only", "hello-lecture", "--engines", "kaldi"]) == 0
    out = capsys.readouterr().out
    assert "| hello-lecture | | kaldi | not run:" in out
