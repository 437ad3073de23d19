"""The small pieces under the layouts: clock times, slide numbers, fitted text, prepared images."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from pipeline.errors import InputError
from pipeline.render.document import FAMILY, HandoutMeta, HandoutPDF
from pipeline.render.images import SlideImages
from pipeline.render.text import bookmark, clock, label, slide_numbers, span
from pipeline.types import Showing

from .conftest import draw_slide


@pytest.mark.parametrize("seconds, shown", [(0, "0:00"), (59.999, "0:59"), (725, "12:05"), (3725.4, "1:02:05"),
                                            (-3, "0:00")])
def test_clock(seconds, shown):
    assert clock(seconds) == shown


def test_span_label_and_bookmark():
    first = Showing(725, 820, "a.png")
    again = Showing(1510, 1560, "a.png", repeat_of=0)
    assert span(725, 820) == "12:05–13:40"
    assert label(3, first) == "Slide 3 · 12:05–13:40"
    assert label(3, again) == "25:10–26:00 (again: slide 3)"
    assert bookmark(3, first) == "Slide 3 — 12:05"
    assert bookmark(3, again) == "Slide 3 (again) — 25:10"


def test_revisits_take_the_number_of_the_slide_they_return_to():
    shows = [Showing(0, 1, "a.png"), Showing(1, 2, "b.png"), Showing(2, 3, "a.png", repeat_of=0),
             Showing(3, 4, "c.png"), Showing(4, 5, "b.png", repeat_of=1), Showing(5, 6, "a.png", repeat_of=2)]
    assert slide_numbers(shows) == [1, 2, 1, 3, 2, 1]
    with pytest.raises(InputError, match="showing 1: repeat_of=5"):
        slide_numbers([Showing(0, 1, "a.png"), Showing(1, 2, "a.png", repeat_of=5)])
    with pytest.raises(InputError, match="showing 1: repeat_of=True"):
        slide_numbers([Showing(0, 1, "a.png"), Showing(1, 2, "a.png", repeat_of=True)])


def test_fit_lines_cuts_with_an_ellipsis_that_fits():
    pdf = HandoutPDF(HandoutMeta())
    pdf.add_page()
    pdf.set_font(FAMILY, "", 7)
    text = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma"
    lines = pdf.fit_lines(text, 30, 2)
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert all(pdf.get_string_width(line) <= 30 + 1e-6 for line in lines)
    assert pdf.fit_lines("short", 30, 3) == ["short"]
    assert pdf.fit_lines("x" * 300, 30, 1)[0].endswith("…")
    assert pdf.fit_lines(text, 30, 0) == []


def test_images_are_scaled_to_the_box_and_prepared_once(tmp_path):
    draw_slide(tmp_path / "big.png", "Big", size=(1920, 1080))
    images = SlideImages(tmp_path, (44.0, 24.75), dpi=200)   # a 16-up cell: about 346 x 195 px
    prepared = images.get("big.png")
    assert images.get("big.png") is prepared
    assert images.size("big.png") == (1920, 1080)
    pic = prepared if isinstance(prepared, Image.Image) else Image.open(prepared)
    assert pic.size[0] <= images.box_px[0] and pic.size[1] <= images.box_px[1]
    assert pic.size[0] == images.box_px[0] or pic.size[1] == images.box_px[1]


def test_small_images_are_never_enlarged_and_transparency_lands_on_white(tmp_path):
    Image.new("RGBA", (100, 50), (0, 0, 0, 0)).save(tmp_path / "clear.png")
    images = SlideImages(tmp_path, (200.0, 100.0), dpi=150)
    prepared = images.get("clear.png")
    pic = prepared if isinstance(prepared, Image.Image) else Image.open(prepared)
    assert pic.size == (100, 50)
    assert pic.convert("RGB").getpixel((10, 10)) == (255, 255, 255)


def test_flat_slides_stay_lossless_and_noisy_frames_go_jpeg(tmp_path):
    import numpy as np

    draw_slide(tmp_path / "flat.png", "Flat")
    noisy = np.random.default_rng(1).integers(0, 256, (360, 640, 3), dtype=np.uint8)
    Image.fromarray(noisy).save(tmp_path / "noisy.png")
    images = SlideImages(tmp_path, (100.0, 56.25), dpi=150)
    assert isinstance(images.get("flat.png"), Image.Image) and images.get("flat.png").mode == "P"
    assert isinstance(images.get("noisy.png"), io.BytesIO)
    assert Image.open(images.get("noisy.png")).format == "JPEG"
