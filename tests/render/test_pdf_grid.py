"""The 16-up handout, checked the way a reader meets it: pages, pixels, text, bookmarks, metadata, tags."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pipeline.errors import InputError, StageFailed
from pipeline.render.document import HandoutPDF
from pipeline.render.pdf import HandoutMeta, render_grid
from pipeline.types import Cue, Showing

from . import pdfread
from .conftest import UNICODE_CAPTION, showings_for

LETTER_PT = (612.0, 792.0)
A4_PT = (595.28, 841.89)


def _cell_box(col: int, row: int, page_mm: tuple[float, float] = (215.9, 279.4)) -> tuple[float, float, float, float]:
    """The image area of a 16:9 slide's grid cell in mm (mirrors the layout: 4x4, 5 and 4.5 mm gutters)."""
    cell_w = (page_mm[0] - 2 * HandoutPDF.margin - 3 * 5.0) / 4
    cell_h = (page_mm[1] - HandoutPDF.footer_room - HandoutPDF.body_top - 3 * 4.5) / 4
    return (HandoutPDF.margin + col * (cell_w + 5.0), HandoutPDF.body_top + row * (cell_h + 4.5),
            cell_w, cell_w * 9 / 16)


def test_eighteen_slides_make_two_pages_with_slides_where_cells_are(make_slides, meta, tmp_path):
    images = make_slides(18)
    out = render_grid(showings_for(18), images, tmp_path / "grid.pdf", meta)
    assert out.is_file()
    assert pdfread.page_count(out) == 2
    assert pdfread.page_size_pt(out) == pytest.approx(LETTER_PT, abs=0.5)
    first = pdfread.render(out, 0, dpi=72)
    assert pdfread.ink(first, _cell_box(0, 0)) > 0.1       # the title bar of slide 1 is there
    assert pdfread.ink(first, _cell_box(3, 3)) > 0.1       # and slide 16 in the last cell
    second = pdfread.render(out, 1, dpi=72)
    assert pdfread.ink(second, _cell_box(1, 0)) > 0.1      # slide 18
    assert pdfread.ink(second, _cell_box(2, 0)) == 0.0     # no slide 19: the cell stays blank
    assert pdfread.ink(second, _cell_box(0, 2)) == 0.0


def test_header_footer_and_captions_are_real_text(make_slides, meta, tmp_path):
    images = make_slides(3)
    shows = showings_for(3)
    shows[1].text = f"We meet {UNICODE_CAPTION} today."
    out = render_grid(shows, images, tmp_path / "grid.pdf", meta)
    text = pdfread.page_text(out, 0)
    assert "Quantum Mechanics — Lecture 7" in text
    assert "Prof. Zoë Ångström" in text
    assert "Page 1/1" in text
    assert "lecture-07.mp4 · 1:02:05" in text
    assert "Slide 2 · 1:00–2:00" in text
    for piece in ("Schrödinger", "∂ψ/∂t", "α-helix", "—"):
        assert piece in text
    assert "Words said while this slide was up. (3)" in text


def test_long_caption_is_cut_with_an_ellipsis_inside_its_cell(make_slides, meta, tmp_path):
    images = make_slides(2)
    shows = showings_for(2)
    shows[0].text = " ".join(f"word{i}" for i in range(400))
    out = render_grid(shows, images, tmp_path / "grid.pdf", meta)
    text = pdfread.page_text(out, 0)
    assert "word0 word1" in text
    assert "word399" not in text
    assert "…" in text
    cut = text[text.index("word0"):text.index("…")]
    assert 20 < len(cut.split()) < 200
    # the cut text stays above the next row of cells
    page = pdfread.render(out, 0, dpi=72)
    x, y, w, _ = _cell_box(0, 1)
    assert pdfread.ink(page, (x, y - 3.5, w, 3.0)) == 0.0
    assert "Slide 2 · 1:00–2:00" in text


def test_revisit_has_its_own_cell_and_reuses_the_image(make_slides, meta, tmp_path):
    images = make_slides(3)
    shows = showings_for(3)
    shows.append(Showing(start=180.0, end=200.0, image="slide-002.png", repeat_of=1, text="Back to this one."))
    out = render_grid(shows, images, tmp_path / "grid.pdf", meta)
    text = pdfread.page_text(out, 0)
    assert "3:00–3:20 (again: slide 2)" in text
    assert "Back to this one." in text
    assert pdfread.image_xobjects(out) == 3
    assert pdfread.ink(pdfread.render(out, 0), _cell_box(3, 0)) > 0.1


def test_empty_caption_says_no_speech_and_cues_fill_an_empty_text(make_slides, meta, tmp_path):
    images = make_slides(2)
    shows = showings_for(2)
    shows[0].text = ""
    shows[1].text = ""
    shows[1].cues = [Cue(60.0, 62.0, "from the\ncues"), Cue(62.0, 64.0, "only")]
    out = render_grid(shows, images, tmp_path / "grid.pdf", meta)
    text = pdfread.page_text(out, 0)
    assert "(no speech)" in text
    assert "from the cues only" in text


def test_outline_has_one_bookmark_per_showing_on_its_page(make_slides, meta, tmp_path):
    images = make_slides(17)
    shows = showings_for(17, seconds_each=45.0)
    shows.append(Showing(start=17 * 45.0, end=800.0, image="slide-004.png", repeat_of=3))
    out = render_grid(shows, images, tmp_path / "grid.pdf", meta)
    entries = pdfread.toc(out)
    assert len(entries) == 18
    assert entries[0] == ("Slide 1 — 0:00", 0)
    assert entries[2] == ("Slide 3 — 1:30", 0)
    assert entries[16] == ("Slide 17 — 12:00", 1)
    assert entries[17] == ("Slide 4 (again) — 12:45", 1)


def test_metadata_language_and_tagged_alt_text(make_slides, meta, tmp_path):
    images = make_slides(2)
    shows = showings_for(2)
    shows[1].text = ""
    out = render_grid(shows, images, tmp_path / "grid.pdf", replace(meta, language="de"))
    md = pdfread.metadata(out)
    assert md["Title"] == "Quantum Mechanics — Lecture 7"
    assert md["Author"] == "Prof. Zoë Ångström"
    assert md["Subject"] == "PHYS 201 handout"
    assert md["Keywords"] == "physics, quantum"
    assert md["Creator"] == "Handouts"
    assert md["CreationDate"].startswith("D:20250301")
    assert pdfread.language(out) == "de"
    assert pdfread.is_tagged(out)
    alts = pdfread.figure_alt_texts(out, 0)
    assert alts == ["Slide 1, shown 0:00–1:00: Words said while this slide was up. (1)",
                    "Slide 2, shown 1:00–2:00; nothing was said."]


def test_defaults_a4_and_a_blank_title(make_slides, tmp_path):
    images = make_slides(1)
    out = render_grid(showings_for(1), images, tmp_path / "grid.pdf", HandoutMeta(title="  ", paper="A4"))
    assert pdfread.page_size_pt(out) == pytest.approx(A4_PT, abs=0.5)
    assert pdfread.metadata(out)["Title"] == "Lecture handout"
    assert "Author" not in pdfread.metadata(out) or pdfread.metadata(out)["Author"] == ""
    assert pdfread.page_text(out, 0).startswith("Lecture handout")


@pytest.mark.parametrize("size, aspect", [((640, 360), 9 / 16), ((400, 300), 3 / 4)])
def test_slides_keep_their_aspect_and_the_heading_sits_below(make_slides, meta, tmp_path, size, aspect):
    images = make_slides(2, size=size)
    out = render_grid(showings_for(2), images, tmp_path / "grid.pdf", meta)
    _, y, w, _ = _cell_box(0, 0)
    top = pdfread.text_top_mm(out, 0, "Slide 1 ·")
    assert y + w * aspect < top < y + w * aspect + 4


def test_bad_input_gets_named_errors(make_slides, meta, tmp_path):
    images = make_slides(2)
    with pytest.raises(InputError, match="no slides"):
        render_grid([], images, tmp_path / "grid.pdf", meta)
    with pytest.raises(InputError, match="repeat_of"):
        render_grid([Showing(0, 1, "slide-001.png", repeat_of=0)], images, tmp_path / "grid.pdf", meta)
    with pytest.raises(StageFailed, match="slide-009.png.*missing"):
        render_grid([Showing(0, 1, "slide-009.png")], images, tmp_path / "grid.pdf", meta)
    with pytest.raises(StageFailed, match="outside"):
        render_grid([Showing(0, 1, "../grid.pdf")], images, tmp_path / "grid.pdf", meta)
    (images / "broken.png").write_bytes(b"not a png")
    with pytest.raises(StageFailed, match="cannot be read"):
        render_grid([Showing(0, 1, "broken.png")], images, tmp_path / "grid.pdf", meta)
    with pytest.raises(InputError, match="paper"):
        HandoutMeta(paper="tabloid")
    assert not (tmp_path / "grid.pdf").exists()


def test_long_source_is_cut_but_the_length_stays(make_slides, meta, tmp_path):
    images = make_slides(1)
    long_source = "https://videos.example.edu/" + "/".join(["a-rather-long-folder-name"] * 8) + "/lecture.mp4"
    out = render_grid(showings_for(1), images, tmp_path / "grid.pdf", replace(meta, source=long_source))
    text = pdfread.page_text(out, 0)
    assert "https://videos.example.edu/" in text and "lecture.mp4" not in text
    assert "… · 1:02:05 Page 1/1" in text


def test_characters_the_font_lacks_do_not_stop_the_handout(make_slides, meta, tmp_path):
    images = make_slides(1)
    shows = showings_for(1)
    shows[0].text = "Kanji 日本語 then Ελληνικά and Привет"
    out = render_grid(shows, images, tmp_path / "grid.pdf", meta)
    assert "Ελληνικά and Привет" in pdfread.page_text(out, 0)


def test_xmp_packet_repeats_title_author_and_language(make_slides, meta, tmp_path):
    import xml.etree.ElementTree as ET

    images = make_slides(1)
    out = render_grid(showings_for(1), images, tmp_path / "grid.pdf", replace(meta, title="Waves & <Particles>"))
    root = ET.fromstring(pdfread.xmp(out))
    ns = {"dc": "http://purl.org/dc/elements/1.1/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}
    assert root.find(".//dc:title/rdf:Alt/rdf:li", ns).text == "Waves & <Particles>"
    assert root.find(".//dc:creator/rdf:Seq/rdf:li", ns).text == "Prof. Zoë Ångström"
    assert root.find(".//dc:language/rdf:Bag/rdf:li", ns).text == "en"


def test_footer_without_a_source_still_says_how_long_the_recording_is(make_slides, meta, tmp_path):
    images = make_slides(1)
    out = render_grid(showings_for(1), images, tmp_path / "grid.pdf", replace(meta, source=None))
    assert "Recording: 1:02:05 Page 1/1" in pdfread.page_text(out, 0)


def test_long_title_and_author_share_the_header_line(make_slides, meta, tmp_path):
    images = make_slides(1)
    long_meta = replace(meta, title="Thermodynamics " * 20, author="Professor " + "Name " * 40)
    out = render_grid(showings_for(1), images, tmp_path / "grid.pdf", long_meta)
    text = pdfread.page_text(out, 0)
    assert text.startswith("Thermodynamics Thermodynamics") and text.count("…") >= 2
    assert pdfread.text_top_mm(out, 0, "Slide 1 ·") > 19   # nothing pushed the grid down
    assert pdfread.metadata(out)["Title"] == ("Thermodynamics " * 20).strip()
