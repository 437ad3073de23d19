"""What a student sees on the page: slide text layers, titles in contents and outline, machine-heard captions,
key points that add something, speaker-box notes, and the 6-up and 4-up layouts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pypdfium2 as pdfium
import pytest

from pipeline.ai.schemas import KeyPoints
from pipeline.errors import InputError
from pipeline.render.pdf import GRIDS, render_grid, render_notes
from pipeline.types import Showing, SlideText, TextLine

from .conftest import showings_for
from .pdfread import all_text, figure_alt_texts, ink, page_count, page_text, render, toc


def _read(title: str) -> SlideText:
    """Slide text as OCR reports it for the fake slides of conftest.draw_slide (title bar, three bullets)."""
    return SlideText(title=title, lines=(TextLine(title, (0.05, 0.04, 0.45, 0.14)),
                                         TextLine(f"point 1 of {title} Rayleigh", (0.08, 0.26, 0.6, 0.31))),
                     engine="test")


def _with_text(n: int) -> list[Showing]:
    shows = showings_for(n)
    return [dataclasses.replace(s, slide_text=_read(f"Topic {k + 1} fading")) for k, s in enumerate(shows)]


def _text_in(pdf, index: int, box_pt: tuple[float, float, float, float]) -> str:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        return doc[index].get_textpage().get_text_bounded(*box_pt)
    finally:
        doc.close()


@pytest.mark.parametrize("layout", ["16up", "6up", "4up"])
def test_grid_layouts_carry_searchable_slide_text_over_each_image_and_titles_in_the_outline(
        tmp_path, make_slides, meta, layout):
    folder = make_slides(8)
    out = render_grid(_with_text(8), folder, tmp_path / f"{layout}.pdf", meta, layout)
    per_page = GRIDS[layout].cols * GRIDS[layout].rows
    assert page_count(out) == -(-8 // per_page)
    text = all_text(out)
    for k in range(1, 9):
        assert f"point 1 of Topic {k} fading Rayleigh" in text  # the invisible layer, one per slide
        assert f"Words said while this slide was up. ({k})" in text
    assert [t for t, _ in toc(out)][:2] == ["Slide 1: Topic 1 fading", "Slide 2: Topic 2 fading"]
    alts = [a for p in range(page_count(out)) for a in figure_alt_texts(out, p)]
    assert len(alts) == 8 and "\u201cTopic 1 fading\u201d" in alts[0]


def test_the_text_layer_is_invisible_and_stands_where_the_slide_shows_it(tmp_path, make_slides, meta):
    folder = make_slides(1)
    plain = render_notes(showings_for(1), folder, tmp_path / "plain.pdf", meta)
    layered = render_notes(_with_text(1), folder, tmp_path / "layered.pdf", meta)
    a, b = render(plain, 0, dpi=100), render(layered, 0, dpi=100)
    assert (np.asarray(a) == np.asarray(b)).all()  # nothing changes on paper
    # The title line stands in the slide's title bar: the top left of the image on the first page.
    w_pt = pdfium.PdfDocument(str(layered)).get_page_size(0)[0]
    img_w_pt = w_pt - 2 * 12.0 * 72 / 25.4
    x0 = 12.0 * 72 / 25.4
    doc = pdfium.PdfDocument(str(layered))
    height = doc.get_page_size(0)[1]
    doc.close()
    top = height - 19.0 * 72 / 25.4
    img_h_pt = img_w_pt * 360 / 640
    title_box = (x0, top - img_h_pt * 0.15, x0 + img_w_pt * 0.5, top - img_h_pt * 0.03)
    assert "Topic 1 fading" in _text_in(layered, 0, title_box)
    assert "Topic 1 fading" not in _text_in(layered, 0, (x0, top - img_h_pt, x0 + img_w_pt, top - img_h_pt * 0.4))


def test_bad_text_boxes_are_skipped_not_drawn_somewhere_wrong(tmp_path, make_slides, meta):
    folder = make_slides(1)
    lines = (TextLine("upside down", (0.5, 0.5, 0.2, 0.2)), TextLine("   ", (0.1, 0.1, 0.5, 0.2)),
             TextLine("clamped to the image", (-0.5, 0.9, 1.7, 1.4)), TextLine("fine", (0.1, 0.4, 0.3, 0.5)))
    shows = [dataclasses.replace(showings_for(1)[0], slide_text=SlideText("", lines))]
    text = all_text(render_notes(shows, folder, tmp_path / "n.pdf", meta))
    assert "upside down" not in text and "fine" in text and "clamped to the image" in text


def test_contents_use_slide_titles_and_fall_back_to_first_words(tmp_path, make_slides, meta):
    folder = make_slides(2)
    shows = _with_text(2)
    shows[1] = dataclasses.replace(shows[1], slide_text=None)
    kp = KeyPoints.model_validate({"lecture": ["Fading is random."], "slides": []})
    out = render_notes(shows, folder, tmp_path / "n.pdf", meta, key_points=kp)
    front = page_text(out, 0)
    assert "Slide 1 Topic 1 fading" in front
    assert "Slide 2 Words said while this slide was up. (2)" in front
    assert [t for t, _ in toc(out)][1:] == ["Slide 1: Topic 1 fading", "Slide 2 \u2014 1:00"]


def test_a_revisit_borrows_its_slides_title(tmp_path, make_slides, meta):
    folder = make_slides(2)
    shows = _with_text(2) + [Showing(120, 180, "slide-001.png", repeat_of=0, text="Back again.")]
    out = render_grid(shows, folder, tmp_path / "g.pdf", meta)
    assert [t for t, _ in toc(out)][2] == "Slide 1 (again): Topic 1 fading"


@pytest.mark.parametrize("layout", ["16up", "4up", "notes"])
def test_machine_heard_captions_are_said_on_the_first_page_and_labelled(tmp_path, make_slides, meta, layout):
    folder = make_slides(3)
    heard = dataclasses.replace(meta, machine_captions=True, recogniser="pocketsphinx")
    if layout == "notes":
        out = render_notes(showings_for(3), folder, tmp_path / "n.pdf", heard)
        human = render_notes(showings_for(3), folder, tmp_path / "h.pdf", meta)
    else:
        out = render_grid(showings_for(3), folder, tmp_path / "g.pdf", heard, layout)
        human = render_grid(showings_for(3), folder, tmp_path / "h.pdf", meta, layout)
    first = page_text(out, 0)
    assert "produced by automatic speech recognition (pocketsphinx)" in first and "may contain errors" in first
    assert "MACHINE TRANSCRIPT" in first
    assert "speech recognition" not in all_text(human) and "MACHINE" not in all_text(human)
    assert "Words said while this slide was up. (1)" in first


def test_machine_notice_goes_on_the_key_points_page(tmp_path, make_slides, meta):
    folder = make_slides(2)
    heard = dataclasses.replace(meta, machine_captions=True)
    kp = KeyPoints.model_validate({"lecture": ["Fading is random."], "slides": []})
    out = render_notes(showings_for(2), folder, tmp_path / "n.pdf", heard, key_points=kp)
    assert "automatic speech recognition, not by a person" in page_text(out, 0)
    assert "automatic speech recognition" not in page_text(out, 1)


def test_key_points_that_repeat_the_caption_are_dropped_and_an_empty_box_is_not_drawn(tmp_path, make_slides, meta):
    folder = make_slides(2)
    shows = showings_for(2, text="Enzymes lower the activation energy. They are proteins.")
    kp = KeyPoints.model_validate({"lecture": ["Enzymes matter."], "slides": [
        {"index": 0, "points": ["enzymes lower the Activation energy", "Enzymes are reused after the reaction."]},
        {"index": 1, "points": ["They are proteins."]}]})
    out = render_notes(shows, folder, tmp_path / "n.pdf", meta, key_points=kp)
    first_slide, second_slide = page_text(out, 1), page_text(out, 2)
    assert "Key points \u2022 Enzymes are reused after the reaction." in first_slide
    assert first_slide.count("activation energy") == 1  # only in the caption
    assert "Key points" not in second_slide  # its one point was the caption itself


def test_a_covered_region_is_named_under_the_slide(tmp_path, make_slides, meta):
    folder = make_slides(2)
    shows = showings_for(2)
    shows[0] = dataclasses.replace(shows[0], covered=(0.75, 0.7, 1.0, 1.0))
    out = render_notes(shows, folder, tmp_path / "n.pdf", meta)
    assert "The speaker video covers part of this slide (bottom right, about 8% of it)" in page_text(out, 0)
    assert "speaker video" not in page_text(out, 1)


def test_grid_refuses_an_unknown_layout_and_the_notes_layout(tmp_path, make_slides, meta):
    folder = make_slides(1)
    with pytest.raises(InputError, match="layout '9up' is not known; use one of 16up, 6up, 4up, notes"):
        render_grid(showings_for(1), folder, tmp_path / "x.pdf", meta, "9up")
    with pytest.raises(InputError, match="render_notes"):
        render_grid(showings_for(1), folder, tmp_path / "x.pdf", meta, "notes")


@pytest.mark.parametrize("layout", ["6up", "4up"])
def test_six_and_four_up_pages_are_filled_as_students_print_them(tmp_path, make_slides, meta, layout):
    folder = make_slides(GRIDS[layout].cols * GRIDS[layout].rows)
    out = render_grid(showings_for(GRIDS[layout].cols * GRIDS[layout].rows), folder, tmp_path / "g.pdf", meta,
                      layout)
    assert page_count(out) == 1
    page = render(out, 0, dpi=72)
    w_mm, h_mm = page.width * 25.4 / 72, page.height * 25.4 / 72
    # ink in every row band of slides, and for 4-up on both halves (slide left, caption and lines right)
    rows = GRIDS[layout].rows
    band = (h_mm - 19 - 13) / rows
    for r in range(rows):
        y = 19 + r * band
        assert ink(page, (12, y + 2, w_mm / 2 - 14, band - 4)) > 0.02
        assert ink(page, (w_mm / 2 + 2, y + 2, w_mm / 2 - 14, band - 4)) > 0.005
