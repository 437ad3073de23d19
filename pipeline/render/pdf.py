"""The PDF handouts: a 16-up overview (4x4 slides a page) and a notes layout (one or two slides a page).

Both hold real, searchable text in an embedded DejaVu Sans subset, one bookmark per showing, document
metadata, alt text on every slide image (fpdf2 tags each image as a /Figure in a structure tree; the
running text itself is not tagged, which fpdf2 does not offer), and slide images scaled to the size
they print at.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..errors import InputError
from ..types import Showing
from .document import FAMILY, GREY, RULE, HandoutMeta, HandoutPDF
from .files import atomic_output
from .images import SlideImages
from .text import alt_text, bookmark, label, label_parts, slide_numbers, spoken_text

__all__ = ["HandoutMeta", "render_grid", "render_notes"]

GRID_DPI = 200    # a 16-up cell prints under 5 cm wide; 200 dpi keeps slide text sharp at that size
NOTES_DPI = 150   # full-width slides; 150 dpi is what office printers resolve in practice
NO_SPEECH = "(no speech)"


def _aspect(images: SlideImages, showings: list[Showing]) -> float:
    """Height over width of the tallest slide, bounded so a stray odd frame cannot wreck the layout."""
    ratios = [h / w for w, h in (images.size(n) for n in dict.fromkeys(s.image for s in showings))]
    return min(max(max(ratios), 0.4), 1.0)


def _save(pdf: HandoutPDF, out: Path) -> Path:
    with atomic_output(out) as tmp:
        pdf.output(str(tmp))
    return Path(out)


def render_grid(showings: list[Showing], images_dir: Path, out: Path, meta: HandoutMeta) -> Path:
    """Render the 16-up handout: a 4x4 grid of slides, each with its time span and a cut of what was said."""
    numbers = slide_numbers(showings)
    pdf = HandoutPDF(meta)
    pdf.set_auto_page_break(False)  # every cell is placed by hand inside the page
    cols = rows = 4
    col_gap, row_gap = 5.0, 4.5
    cell_w = (pdf.epw - (cols - 1) * col_gap) / cols
    cell_h = (pdf.body_bottom - pdf.body_top - (rows - 1) * row_gap) / rows
    probe = SlideImages(images_dir, (1, 1), GRID_DPI)
    img_h = cell_w * _aspect(probe, showings)
    images = SlideImages(images_dir, (cell_w, img_h), GRID_DPI)
    label_size, label_lh = 7.0, 3.1
    text_size, text_lh = 6.8, 2.95

    for i, (number, s) in enumerate(zip(numbers, showings)):
        slot = i % (cols * rows)
        if slot == 0:
            pdf.add_page()
        x = pdf.margin + (slot % cols) * (cell_w + col_gap)
        y = pdf.body_top + (slot // cols) * (cell_h + row_gap)
        bottom = y + cell_h
        pdf.set_xy(x, y)
        pdf.start_section(bookmark(number, s))
        pdf.framed_image(images.get(s.image), (x, y, cell_w, img_h), images.size(s.image), alt_text(number, s))
        y += img_h + 1.6

        pdf.set_font(FAMILY, "B", label_size)
        heading = pdf.heading_lines(label(number, s), label_parts(number, s), cell_w)
        y = pdf.text_lines(x, y, cell_w, label_lh, heading) + 0.4

        said = spoken_text(s)
        pdf.set_font(FAMILY, "", text_size)
        if not said:
            pdf.set_text_color(*GREY)
            said = NO_SPEECH
        room = max(0, math.floor((bottom - y) / text_lh + 1e-6))
        pdf.text_lines(x, y, cell_w, text_lh, pdf.fit_lines(said, cell_w, room))
        pdf.set_text_color(0)
    return _save(pdf, out)


def render_notes(showings: list[Showing], images_dir: Path, out: Path, meta: HandoutMeta,
                 per_page: int = 1) -> Path:
    """Render the notes handout: one or two large slides a page, each followed by everything said."""
    if per_page not in (1, 2):
        raise InputError(f"per_page={per_page!r}: the notes layout puts 1 or 2 slides on a page", field="per_page")
    numbers = slide_numbers(showings)
    pdf = HandoutPDF(meta)
    usable_h = pdf.body_bottom - pdf.body_top
    probe = SlideImages(images_dir, (1, 1), NOTES_DPI)
    aspect = _aspect(probe, showings)
    # Two a page: smaller slides, and the text runs on below each one, so a page holds two slides when
    # what was said is short and the text spills over when it is long, without leaving half pages blank.
    img_h_max = usable_h * (0.55 if per_page == 1 else 0.3)
    img_w = min(pdf.epw, img_h_max / aspect)
    img_h = img_w * aspect
    images = SlideImages(images_dir, (img_w, img_h), NOTES_DPI)
    gap = 9.0
    started_on: list[int] = []  # the page each showing starts on
    label_size, label_lh = 10.0, 5.0
    text_size, text_lh = 10.5, 5.4

    pdf.add_page()  # measuring text needs a page to measure on
    for i, (number, s) in enumerate(zip(numbers, showings)):
        pdf.set_font(FAMILY, "B", label_size)
        heading = pdf.heading_lines(label(number, s), label_parts(number, s), pdf.epw)
        said = spoken_text(s)
        pdf.set_font(FAMILY, "", text_size)
        text_h = pdf.multi_cell(pdf.epw, text_lh, said or NO_SPEECH, align="L", dry_run=True, output="HEIGHT")
        # A slide follows on the same page only with its heading and the start of its text (all of it
        # when short), so an image never sits alone at the foot of a page.
        needs = img_h + 3.5 + len(heading) * label_lh + 1.0 + min(text_h, 3 * text_lh)
        if i == 0:
            y = pdf.body_top
        elif (per_page == 2 and started_on.count(pdf.page) < 2
              and pdf.get_y() + gap + needs <= pdf.body_bottom):
            y = pdf.get_y() + gap
            pdf.set_draw_color(*RULE)
            pdf.set_line_width(0.2)
            pdf.line(pdf.margin + pdf.epw / 3, y - gap / 2, pdf.w - pdf.margin - pdf.epw / 3, y - gap / 2)
        else:
            pdf.add_page()
            y = pdf.body_top
        started_on.append(pdf.page)
        pdf.set_xy(pdf.margin, y)
        pdf.start_section(bookmark(number, s))
        pdf.framed_image(images.get(s.image), (pdf.margin, y, pdf.epw, img_h), images.size(s.image),
                         alt_text(number, s))
        y += img_h + 3.5

        pdf.set_font(FAMILY, "B", label_size)
        y = pdf.text_lines(pdf.margin, y, pdf.epw, label_lh, heading) + 1.0

        pdf.set_font(FAMILY, "", text_size)
        if not said:
            pdf.set_text_color(*GREY)
        pdf.set_xy(pdf.margin, y)
        # multi_cell breaks the page itself when the text runs long; the header repeats on the new page.
        pdf.multi_cell(pdf.epw, text_lh, said or NO_SPEECH, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0)
    return _save(pdf, out)
