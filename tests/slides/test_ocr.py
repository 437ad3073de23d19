"""OCR of drawn slides with the real engine: title and body read, small print not taken for the title,
a missing engine leaves a handout with a warning, and the slides stage hands on text and the deck's title."""

from __future__ import annotations

import sys
import time

import pytest
import structlog

from benchmarks.ocr import DrawnSlide, cer, draw_slide, make_deck
from pipeline.context import StageContext
from pipeline.slides import ocr
from pipeline.slides.ocr import OcrOptions, OcrUnavailable, make_engine, read_slides
from pipeline.stages import slides as slides_stage
from pipeline.results import as_checkpoint
from pipeline.storage import LocalStorage

pytest.importorskip("rapidocr", reason="the OCR engine is a dependency of the package; install it with pip")


@pytest.fixture
def no_engine(monkeypatch):
    """Neither RapidOCR nor Tesseract can be had, as on a machine where they failed to install (so nothing was
    ever read there either)."""
    monkeypatch.setitem(sys.modules, "rapidocr", None)  # import raises ImportError
    monkeypatch.setattr(ocr.shutil, "which", lambda name: None)
    monkeypatch.setattr(ocr, "_POOLS", {})
    monkeypatch.setattr(ocr, "SHARED_CACHE", ocr.OcrCache())


def test_drawn_slides_are_read_title_and_body(tmp_path):
    deck = make_deck(3)
    # the content slide has a logo in the top corner, a footer and a page number; the cover a centred title
    for i, slide in enumerate(deck):
        draw_slide(slide, (1920, 1080)).save(tmp_path / f"s{i}.png")
    report = read_slides(tmp_path, ["s0.png", "s1.png", "s2.png", "s1.png"], OcrOptions())
    assert not report.failed and sorted(report.texts) == ["s0.png", "s1.png", "s2.png"]
    for i, slide in enumerate(deck):
        got = report.texts[f"s{i}.png"]
        assert got.engine == "rapidocr"
        assert cer(slide.text, got.text) < 0.03, (slide.text, got.text)
        assert all(0 <= v <= 1 for line in got.lines for v in line.box)
        assert all(a.box[1] <= b.box[1] + 0.01 for a, b in zip(got.lines, got.lines[1:]))  # top to bottom
    assert cer(deck[1].title, report.texts["s1.png"].title) < 0.05
    assert cer(deck[2].title, report.texts["s2.png"].title) < 0.05
    assert report.texts["s0.png"].title == "Lecture 7: Membrane Transport"


def test_footer_page_number_and_logo_are_not_the_title(tmp_path):
    # a slide with no heading: only body text, a logo line, a footer in large print and a page number
    slide = DrawnSlide("", ("Cells in a hypotonic solution swell", "Cells in a hypertonic solution shrink"),
                       footer="PHYS-201 Human Physiology", page="14", layout="plain")
    draw_slide(slide, (1280, 720)).save(tmp_path / "plain.png")
    report = read_slides(tmp_path, ["plain.png"], OcrOptions(workers=1))
    got = report.texts["plain.png"]
    assert "14" in got.text and "Human Physiology" in got.text and "NORTHFIELD" in got.text
    assert "14" not in got.title and "Physiology" not in got.title and "NORTHFIELD" not in got.title


def test_missing_engine_says_what_to_install(no_engine, tmp_path):
    with pytest.raises(OcrUnavailable, match="pip install rapidocr onnxruntime"):
        make_engine(OcrOptions(engine="rapidocr"))
    with pytest.raises(OcrUnavailable, match="rapidocr"):
        make_engine(OcrOptions(engine="auto"))
    with pytest.raises(OcrUnavailable, match="tesseract"):
        make_engine(OcrOptions(engine="tesseract"))
    with pytest.raises(OcrUnavailable, match="not one of"):
        make_engine(OcrOptions(engine="abbyy"))


def test_an_unreadable_image_costs_only_its_own_text(tmp_path):
    draw_slide(make_deck(2)[1], (960, 540)).save(tmp_path / "good.png")
    (tmp_path / "bad.png").write_bytes(b"not a png at all")
    report = read_slides(tmp_path, ["good.png", "bad.png"], OcrOptions())
    assert "good.png" in report.texts and "bad.png" in report.failed
    assert "UnidentifiedImageError" in report.failed["bad.png"]


def _stage_ctx(tmp_path, make_settings, video, **settings) -> StageContext:
    storage = LocalStorage(tmp_path / "files")
    key = "t/jobs/j1/lecture.mp4"
    storage.put_file(key, video, "video/mp4")
    return StageContext(job_id="j1", tenant="t", source=str(video), options={}, stage="slides",
                        settings=make_settings(**settings), storage=storage, workdir=tmp_path / "work",
                        outputs={"fetch": {"video_key": key}}, report=lambda f, m: None,
                        cancel_requested=lambda: False, deadline=time.monotonic() + 600,
                        log=structlog.get_logger())


@pytest.fixture(scope="module")
def short_lecture(tmp_path_factory):
    """Three slides of the demo lecture's real text, 15 s, with a return to the first."""
    from pipeline.demo_lecture import ENZYMES
    from pipeline.synth import LectureSpec, make_lecture

    path = tmp_path_factory.mktemp("ocr-lecture") / "enzymes.mp4"
    make_lecture(path, LectureSpec(duration=15.0, slides=3, size=(960, 540), revisits=True, seed=7,
                                   deck=ENZYMES[:3]))
    return path


def test_slides_stage_gives_each_showing_its_text_and_the_deck_title(short_lecture, tmp_path, make_settings):
    ctx = _stage_ctx(tmp_path, make_settings, short_lecture)
    out = as_checkpoint(slides_stage.run(ctx))  # what the runner stores
    assert set(out) == {"showings", "images", "deck_title", "source"} and out["source"] == "finder"
    assert out["deck_title"] == "Enzymes: how cells speed up chemistry"
    assert not ctx.warnings
    by_image = {}
    for sh in out["showings"]:
        st = sh["slide_text"]
        assert st["engine"] == "rapidocr" and st["lines"]
        by_image.setdefault(sh["image"], st)
        assert by_image[sh["image"]] == st  # a return to a slide carries the same text
    titles = [st["title"] for st in by_image.values()]
    assert "What is an enzyme?" in titles and "Activation energy" in titles


def test_slides_stage_without_an_engine_warns_and_goes_on(short_lecture, tmp_path, make_settings, no_engine):
    ctx = _stage_ctx(tmp_path, make_settings, short_lecture)
    out = as_checkpoint(slides_stage.run(ctx))
    assert out["showings"] and out["images"] and out["deck_title"] == ""
    assert all("slide_text" not in sh for sh in out["showings"])
    assert len(ctx.warnings) == 1 and "Slide text was not read" in ctx.warnings[0]
    assert "pip install rapidocr" in ctx.warnings[0]


def test_ocr_off_reads_nothing_and_says_nothing(short_lecture, tmp_path, make_settings):
    ctx = _stage_ctx(tmp_path, make_settings, short_lecture, HANDOUTS_OCR_ENGINE="off")
    out = as_checkpoint(slides_stage.run(ctx))
    assert out["deck_title"] == "" and not ctx.warnings
    assert all("slide_text" not in sh for sh in out["showings"])


def test_bad_ocr_settings_are_refused(make_settings):
    from pipeline.errors import ConfigError

    for name, value in (("HANDOUTS_OCR_ENGINE", "abbyy"), ("HANDOUTS_OCR_WORKERS", "0"),
                        ("HANDOUTS_OCR_MAX_SIDE", "10")):
        with pytest.raises(ConfigError, match=name):
            make_settings(**{name: value})
    assert make_settings(HANDOUTS_OCR_ENGINE="Tesseract").ocr_engine == "tesseract"


def test_make_without_an_engine_still_makes_the_handout(short_lecture, tmp_path, monkeypatch, no_engine, capsys):
    from handouts.cli import main

    monkeypatch.setenv("HANDOUTS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HANDOUTS_STAGE_RETRY_DELAY", "0")
    out = tmp_path / "out"
    assert main(["make", str(short_lecture), "-o", str(out), "--no-ai"]) == 0, capsys.readouterr().err
    assert list(out.glob("*-handout-notes.pdf")) and (out / "slides.json").exists()
    assert "note: Slide text was not read" in capsys.readouterr().out
