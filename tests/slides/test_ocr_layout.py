"""Reading order and title finding over OCR boxes (no engine needed: boxes are given as an engine gives them)."""

from __future__ import annotations

import json

from pipeline.slides.ocr import attach_text, deck_title
from pipeline.slides.ocr_layout import find_title, order_lines, prominent_text
from pipeline.types import Showing, SlideText, TextLine


def line(text, x0, y0, x1, y1, conf=0.99):
    return TextLine(text, (x0, y0, x1, y1), conf)


def test_fragments_of_one_row_are_merged_left_to_right_and_rows_go_top_to_bottom():
    frags = [line("bilayer", 0.40, 0.30, 0.55, 0.35), line("Membranes", 0.05, 0.05, 0.40, 0.13),
             line("The lipid", 0.08, 0.305, 0.38, 0.352), line("2", 0.95, 0.94, 0.96, 0.97),
             line("BIO-101", 0.03, 0.94, 0.15, 0.97)]
    got = order_lines(frags)
    assert [g.text for g in got] == ["Membranes", "The lipid bilayer", "BIO-101", "2"]
    merged = got[1]
    assert merged.box == (0.08, 0.30, 0.55, 0.352)


def test_a_small_logo_beside_a_big_title_stays_its_own_line():
    got = order_lines([line("Osmosis and tonicity", 0.045, 0.037, 0.567, 0.135),
                       line("NORTHFIELD UNIVERSITY", 0.6, 0.022, 0.972, 0.052)])
    assert [g.text for g in got] == ["NORTHFIELD UNIVERSITY", "Osmosis and tonicity"]
    assert find_title(got) == "Osmosis and tonicity"


def test_page_number_and_footer_are_never_the_title_even_when_large():
    lines = order_lines([line("12", 0.90, 0.02, 0.97, 0.14),                 # a big page number at the top
                         line("Diffusion", 0.05, 0.05, 0.30, 0.12),
                         line("Fick's law of diffusion", 0.08, 0.3, 0.5, 0.34),
                         line("Random motion drives it", 0.08, 0.4, 0.5, 0.44),
                         line("PHYSIOLOGY 201 MEMBRANE TRANSPORT", 0.1, 0.90, 0.9, 0.99)])  # a huge footer
    assert find_title(lines) == "Diffusion"
    assert prominent_text(lines) == "Diffusion"


def test_slide_without_a_heading_has_no_title():
    # three body lines of one size, the first halfway down: nothing marks a title
    lines = order_lines([line("a chart label", 0.1, 0.5, 0.3, 0.54), line("another label", 0.1, 0.6, 0.3, 0.64),
                         line("Figure 3", 0.1, 0.92, 0.2, 0.95)])
    assert find_title(lines) == ""
    assert find_title([]) == "" and prominent_text([]) == ""
    assert find_title(order_lines([line("7", 0.1, 0.1, 0.2, 0.2), line("3 / 40", 0.4, 0.3, 0.6, 0.4)])) == ""


def test_a_title_set_on_two_lines_is_joined():
    lines = order_lines([line("Secondary active transport", 0.05, 0.05, 0.7, 0.12),
                         line("and the sodium gradient", 0.05, 0.13, 0.6, 0.20),
                         line("body text here", 0.08, 0.3, 0.5, 0.34)])
    assert find_title(lines) == "Secondary active transport and the sodium gradient"


def test_deck_title_comes_from_the_opening_slide_and_revisits_share_text():
    cover = SlideText("", (line("NORTHFIELD UNIVERSITY", 0.8, 0.02, 0.97, 0.05),
                           line("Lecture 7: Membrane Transport", 0.2, 0.36, 0.8, 0.45),
                           line("Dr. Ada Example", 0.4, 0.55, 0.6, 0.59),
                           line("1", 0.95, 0.94, 0.96, 0.97)), "test")
    second = SlideText("Diffusion", (line("Diffusion", 0.05, 0.05, 0.3, 0.12),), "test")
    showings = [Showing(0, 10, "slide-001.png"), Showing(10, 20, "slide-002.png"),
                Showing(20, 30, "slide-001.png", repeat_of=0)]
    attach_text(showings, {"slide-001.png": cover, "slide-002.png": second})
    assert showings[2].slide_text is showings[0].slide_text
    assert deck_title(showings) == "Lecture 7: Membrane Transport"
    # an opening slide with no text: the next distinct slide speaks for the deck, but no later one does
    blank = [Showing(0, 5, "a.png", slide_text=SlideText("", (), "test")), Showing(5, 9, "b.png"),
             Showing(9, 20, "c.png", slide_text=second)]
    assert deck_title(blank) == ""
    assert deck_title([]) == ""


def test_slide_text_survives_the_checkpoint_round_trip():
    st = SlideText("Osmosis", (line("Osmosis", 0.05, 0.05, 0.3, 0.12, 0.97),
                               line("Water follows solute, λ/2 ≈ 0.5", 0.08, 0.3, 0.7, 0.34, 0.9)), "rapidocr")
    sh = Showing(1.0, 9.5, "slide-003.png", repeat_of=None, text="said", slide_text=st)
    back = Showing.from_json(json.loads(json.dumps(sh.to_json())))
    assert back.slide_text == st and back.slide_text.text == "Osmosis\nWater follows solute, λ/2 ≈ 0.5"
    assert back.slide_text.lines[1].box == (0.08, 0.3, 0.7, 0.34)
    unread = Showing.from_json(json.loads(json.dumps(Showing(0, 1, "x.png").to_json())))
    assert unread.slide_text is None
