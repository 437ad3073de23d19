"""Key points in the notes handout: a first page of the lecture's points and contents, a box under each slide."""

from __future__ import annotations

import re

import pytest

from pipeline.ai.schemas import KeyPoints, SlidePoints
from pipeline.errors import InputError
from pipeline.render.document import BOX_FILL, HandoutMeta
from pipeline.render.pdf import render_notes
from pipeline.render.text import lecture_points, slide_points
from pipeline.types import Showing

from . import pdfread
from .conftest import showings_for

LECTURE = ["Enzymes are protein catalysts.", "They lower the activation energy.", "Heat denatures them."]


def _points(**slides: list[str]) -> KeyPoints:
    """Key points with the lecture's three, and per-slide points given as s0=[...], s2=[...]."""
    return KeyPoints(lecture=LECTURE, slides=[SlidePoints(index=int(k[1:]), points=v) for k, v in slides.items()])


def _tint_share(img, box_mm) -> float:
    """Share of pixels in a box (mm) painted the key points tint."""
    import numpy as np

    px = 72 / 25.4
    x, y, w, h = box_mm
    crop = np.asarray(img.crop((round(x * px), round(y * px), round((x + w) * px), round((y + h) * px))), int)
    return float((np.abs(crop - np.array(BOX_FILL)).sum(axis=2) <= 6).mean())


def test_each_slide_shows_its_own_points_between_picture_and_caption(make_slides, meta, tmp_path):
    images = make_slides(3)
    kp = _points(s0=["Alpha point one.", "Alpha point two."], s2=["Gamma point."], s7=["Nowhere to go."])
    out = render_notes(showings_for(3), images, tmp_path / "notes.pdf", meta, key_points=kp)
    assert pdfread.page_count(out) == 4  # the key points page, then one page a slide as before
    first, second, third = (pdfread.page_text(out, i) for i in (1, 2, 3))
    assert "Key points • Alpha point one. • Alpha point two." in first
    assert "Key points" not in second and "point" not in second.replace("Words said", "")
    assert "Key points • Gamma point." in third
    assert "Nowhere to go." not in pdfread.all_text(out)
    # top to bottom: the slide's heading, its points, then what was said
    heading = pdfread.text_top_mm(out, 1, "Slide 1 ·")
    point = pdfread.text_top_mm(out, 1, "Alpha point one.")
    caption = pdfread.text_top_mm(out, 1, "Words said while")
    assert heading < point < caption
    page = pdfread.render(out, 1)
    assert _tint_share(page, (40, point - 6, 100, 4)) > 0.8, "the points sit on a light panel"
    assert _tint_share(pdfread.render(out, 2), (40, point - 6, 100, 4)) == 0.0


def test_first_page_lists_the_lecture_points_and_a_contents(make_slides, meta, tmp_path):
    images = make_slides(3)
    shows = showings_for(3)
    shows.append(Showing(180.0, 200.0, "slide-001.png", repeat_of=0, text=""))
    out = render_notes(shows, images, tmp_path / "notes.pdf", meta, key_points=_points(s1=["Beta."]))
    front = pdfread.page_text(out, 0)
    assert "Quantum Mechanics — Lecture 7" in front and "Recording 1:02:05" in front
    assert "3 slides, 1 shown again" in front
    listed = "Key points of this lecture • " + " • ".join(LECTURE)
    assert listed in front
    assert front.index(listed) < front.index("Contents")
    rows = re.findall(r"(Slide \d(?: \(again\))?) (.+?) (\d+)(?= Slide|$)", front[front.index("Contents") + 9:])
    assert [(name, int(page)) for name, _, page in rows] == [
        ("Slide 1", 2), ("Slide 2", 3), ("Slide 3", 4), ("Slide 1 (again)", 5)]
    assert rows[0][1].startswith("Words said while") and rows[3][1] == "(no speech)"
    # page numbers in the contents agree with the outline, and each row is a link to its page
    assert [p + 1 for _, p in pdfread.toc(out)[1:]] == [2, 3, 4, 5]
    assert pdfread.link_targets(out, 0) == [1, 2, 3, 4]


def test_outline_gains_a_key_points_entry(make_slides, meta, tmp_path):
    images = make_slides(2)
    out = render_notes(showings_for(2), images, tmp_path / "notes.pdf", meta, key_points=_points(s0=["A."]))
    assert pdfread.toc(out) == [("Key points", 0), ("Slide 1 — 0:00", 1), ("Slide 2 — 1:00", 2)]


@pytest.mark.parametrize("key_points", [None, KeyPoints(lecture=["  "], slides=[SlidePoints(index=0, points=[""])])],
                         ids=["none", "only-blank-points"])
def test_without_key_points_the_handout_is_unchanged(make_slides, meta, tmp_path, key_points):
    images = make_slides(3)
    plain = render_notes(showings_for(3), images, tmp_path / "plain.pdf", meta)
    out = render_notes(showings_for(3), images, tmp_path / "notes.pdf", meta, key_points=key_points)
    assert pdfread.page_count(out) == pdfread.page_count(plain) == 3
    assert pdfread.all_text(out) == pdfread.all_text(plain)
    assert pdfread.toc(out) == pdfread.toc(plain)


def test_a_long_lecture_continues_its_contents_on_a_second_page(make_slides, meta, tmp_path):
    images = make_slides(1)
    shows = [Showing(k * 10.0, (k + 1) * 10.0, "slide-001.png", repeat_of=None if k == 0 else 0,
                     text=f"Said at minute {k}.") for k in range(45)]
    wordy = [f"Point {k}: " + "a longer sentence that wraps onto more than one line of the page " * 5
             for k in range(12)]
    kp = KeyPoints(lecture=wordy, slides=[SlidePoints(index=44, points=["Last one."])])
    out = render_notes(shows, images, tmp_path / "notes.pdf", meta, key_points=kp)
    outline = pdfread.toc(out)
    front_pages = outline[1][1]
    assert front_pages >= 2, "12 long points and 45 rows do not fit one page"
    front = " ".join(pdfread.page_text(out, i) for i in range(front_pages))
    assert all(f"Point {k}:" in front for k in range(12))
    assert "…" in front, "a point longer than three lines is cut"
    last_page = pdfread.page_count(out)
    assert f"Said at minute 44. {last_page}" in front
    assert outline[-1] == ("Slide 1 (again) — 7:20", last_page - 1)
    assert "Last one." in pdfread.page_text(out, last_page - 1)


def test_two_a_page_keeps_a_slides_points_with_it(make_slides, tmp_path):
    images = make_slides(4)
    meta = HandoutMeta(title="Short", paper="a4", duration=240.0)
    kp = _points(**{f"s{k}": [f"Point of slide {k + 1}, " + "worth saying " * 12] * 3 for k in range(4)})
    out = render_notes(showings_for(4), images, tmp_path / "notes.pdf", meta, per_page=2, key_points=kp)
    outline = pdfread.toc(out)
    for k, (_, page) in enumerate(outline[1:]):
        text = pdfread.page_text(out, page)
        assert text.count(f"Point of slide {k + 1},") == 3, f"slide {k + 1}'s points are on its page"
        assert text.index(f"Slide {k + 1} ·") < text.index(f"Point of slide {k + 1},") < text.index(f"({k + 1})")
    front = pdfread.page_text(out, 0)
    listed = [int(page) for _, page in re.findall(r"\((\d)\) (\d+)", front)]
    assert listed == [p + 1 for _, p in outline[1:]]


def test_points_are_cleaned_and_capped():
    kp = KeyPoints(lecture=["- **Bold** claim", "", "• second"] + [f"p{k}" for k in range(20)],
                   slides=[SlidePoints(index=1, points=["one", "__two__", "three", "four"]),
                           SlidePoints(index=1, points=["five"]), SlidePoints(index=-1, points=["lost"])])
    assert lecture_points(kp)[:2] == ["Bold claim", "second"] and len(lecture_points(kp)) == 12
    assert slide_points(kp, 3) == [[], ["one", "two", "three"], []]


def test_a_dict_is_refused_with_a_pointer_to_the_model(make_slides, meta, tmp_path):
    images = make_slides(1)
    with pytest.raises(InputError, match="KeyPoints.model_validate"):
        render_notes(showings_for(1), images, tmp_path / "notes.pdf", meta,
                     key_points={"lecture": ["x"], "slides": []})
