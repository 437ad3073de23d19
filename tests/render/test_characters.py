"""Every character shown: Greek, maths and CJK are drawn in PDFs and PNGs, mathematical letters read as plain."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.render import fonts
from pipeline.render.document import FAMILY, HandoutMeta, HandoutPDF
from pipeline.mindmap_tree import parse_mindmap
from pipeline.render.mindmap import render_png
from pipeline.render.pdf import render_notes
from pipeline.types import Showing

from .pdfread import all_text, ink, render

SAMPLES = ["λ/2", "ε", "∑", "≤", "𝑝ijk", "中文", "⨋ ⫽", "かな"]


def test_mathematical_letters_become_plain_ones():
    assert fonts.normalise("𝑝ijk") == "pijk"
    assert fonts.normalise("𝐀𝐁 and 𝔤 and ℎ and 𝟙") == "AB and g and h and 1"
    assert fonts.normalise("𝜆/2") == "λ/2"
    plain = "Schrödinger ∂ψ/∂t ≤ ∑ ℝ 中文"
    assert fonts.normalise(plain) is plain  # nothing else is touched, not even other letterlike symbols


def test_the_chain_covers_the_samples_and_names_what_it_cannot_draw():
    assert fonts.missing(" ".join(SAMPLES)) == ""
    assert fonts.font_for("中") == fonts.FALLBACKS[1][1]
    assert fonts.font_for("⨋") == fonts.FALLBACKS[0][1]
    assert fonts.font_for("a", bold=True) == fonts.BOLD
    assert fonts.missing("Phoenician \U00010900 and 한") == "\U00010900한"  # known gaps


def test_every_sample_is_drawn_and_extracted_from_a_pdf(tmp_path):
    pdf = HandoutPDF(HandoutMeta(title="Characters"))
    pdf.add_page()
    boxes = []
    for k, sample in enumerate(SAMPLES):
        for style in ("", "B"):
            x, y = 20.0 + (80.0 if style else 0.0), 30.0 + k * 12.0
            pdf.set_font(FAMILY, style, 16)
            pdf.set_xy(x, y)
            pdf.cell(60, 8, sample)
            boxes.append((sample, style, (x, y, pdf.get_string_width(sample), 8.0)))
    out = tmp_path / "chars.pdf"
    pdf.output(str(out))

    text = all_text(out)
    for sample in SAMPLES:
        assert fonts.normalise(sample) in text
    assert "𝑝" not in text
    page = render(out, 0, dpi=150)
    for sample, style, box in boxes:
        # Before the fallbacks a missing glyph was dropped: no ink at all where it should stand.
        assert ink(page, box, dpi=150) > 0.03, (sample, style)


def test_a_caption_with_maths_and_cjk_survives_into_the_notes_handout(tmp_path, make_slides, meta):
    folder = make_slides(1)
    said = "The array spacing is 𝜆/2, and ε ≤ ∑ 𝑝ijk over i, j, k; 中文 too."
    out = render_notes([Showing(0, 60, "slide-001.png", text=said)], folder, tmp_path / "notes.pdf", meta)
    assert "The array spacing is λ/2, and ε ≤ ∑ pijk over i, j, k; 中文 too." in all_text(out)


def _glyph_ink(font: ImageFont.FreeTypeFont, char: str) -> np.ndarray:
    img = Image.new("L", (80, 80), 255)
    ImageDraw.Draw(img).text((40, 40), char, font=font, fill=0, anchor="mm")
    return np.asarray(img) < 128


@pytest.mark.parametrize("char", ["中", "⨋", "⫽", "か"])
def test_png_text_draws_the_glyph_not_a_box(char):
    chain = fonts.pil_font(48)
    dejavu = ImageFont.truetype(str(fonts.REGULAR), 48)
    drawn, notdef = _glyph_ink(chain, char), _glyph_ink(dejavu, char)
    assert drawn.sum() > 40
    # DejaVu alone draws its "missing glyph" box; the chain must draw something else.
    assert (drawn != notdef).mean() > 0.01


def test_png_text_mixes_faces_on_one_line_and_keeps_the_anchor():
    font = fonts.pil_font(40)
    line = "λ/2 ≤ 中文 ⟨x⟩"
    assert font.getlength(line) == pytest.approx(sum(font.getlength(c) for c in line), abs=2)
    img = Image.new("L", (600, 120), 255)
    ImageDraw.Draw(img).text((300, 60), line, font=font, fill=0, anchor="mm")
    cols = np.where((np.asarray(img) < 128).any(axis=0))[0]
    rows = np.where((np.asarray(img) < 128).any(axis=1))[0]
    assert abs((cols[0] + cols[-1]) / 2 - 300) < 6 and abs((rows[0] + rows[-1]) / 2 - 60) < 8
    with pytest.raises(ValueError, match="anchor"):
        font.getmask2(line, "L", anchor="xx")


def test_mindmap_png_reads_mathematical_letters_as_plain_ones(tmp_path):
    fancy = render_png(parse_mindmap("mindmap\n  root((𝜀 and 中文))\n    𝑝ijk\n"), tmp_path / "a.png")
    plain = render_png(parse_mindmap("mindmap\n  root((ε and 中文))\n    pijk\n"), tmp_path / "b.png")
    a, b = np.asarray(Image.open(fancy).convert("L")), np.asarray(Image.open(plain).convert("L"))
    assert a.shape == b.shape and (a == b).all()
    dejavu_only = np.asarray(Image.open(render_png(parse_mindmap("mindmap\n  root((ε and ☐☐))\n    pijk\n"),
                                                   tmp_path / "c.png")).convert("L"))
    assert a.shape != dejavu_only.shape or (a != dejavu_only).any()
