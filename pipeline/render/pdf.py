"""The PDF handouts: grids (16-up overview, 6-up with captions below, 4-up with captions and note lines
beside) and a notes layout (one or two slides a page).

Over each slide image lies the slide's OCR text as an invisible layer, and its title names the slide in the
contents and outline. Machine-heard captions are announced on the first page and labelled on every slide.

With the AI's key points, the notes handout opens with a page of the lecture's points and a table of
contents, and each slide that has points gets a small box of them between its picture and its caption.

Both hold real, searchable text in an embedded DejaVu Sans subset, one bookmark per showing, document
metadata, alt text on every slide image (fpdf2 tags each image as a /Figure in a structure tree; the
running text itself is not tagged, which fpdf2 does not offer), and slide images scaled to the size
they print at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from ..ai.schemas import KeyPoints
from ..errors import InputError
from ..types import Showing
from .document import ACCENT, FAMILY, GREY, MACHINE_INK, RULE, BoxStyle, HandoutMeta, HandoutPDF
from .files import atomic_output
from .images import SlideImages
from .text import (alt_text, bookmark, clock, contents_label, covered_note, first_words, label, label_parts,
                   lecture_points, machine_notice, new_points, slide_numbers, slide_points, slide_titles,
                   spoken_text)

__all__ = ["LAYOUTS", "HandoutMeta", "check_layout", "render_grid", "render_notes"]

GRID_DPI = 200    # a 16-up cell prints under 5 cm wide; 200 dpi keeps slide text sharp at that size
NOTES_DPI = 150   # full-width slides; 150 dpi is what office printers resolve in practice
NO_SPEECH = "(no speech)"
SLIDE_BOX = BoxStyle(text_size=9.5, line_h=4.7, title_h=5.0)
LECTURE_BOX = BoxStyle(text_size=11.0, line_h=5.5, title_size=13.0, title_h=9.0, pad=5.0, indent=5.0, gap=2.2,
                       max_lines=3)
KEY_POINTS_TITLE = "Key points of this lecture"
COVERED_SIZE, COVERED_LH = 7.5, 3.4


def _covered_lines(pdf: HandoutPDF, s: Showing) -> list[str]:
    """The small-type lines under a slide a speaker box hides (none when nothing covers it)."""
    if s.covered is None:
        return []
    pdf.set_font(FAMILY, "", COVERED_SIZE)
    return pdf.fit_lines(covered_note(s.covered), pdf.epw, 2)


def _aspect(images: SlideImages, showings: list[Showing]) -> float:
    """Height over width of the tallest slide, bounded so a stray odd frame cannot wreck the layout."""
    ratios = [h / w for w, h in (images.size(n) for n in dict.fromkeys(s.image for s in showings))]
    return min(max(max(ratios), 0.4), 1.0)


def _save(pdf: HandoutPDF, out: Path) -> Path:
    with atomic_output(out) as tmp:
        pdf.output(str(tmp))
    return Path(out)


@dataclass(frozen=True)
class GridLayout:
    """A page of several slides: `cols` x `rows` cells, the caption below each slide or beside it."""

    cols: int
    rows: int
    dpi: int
    label_size: float     # pt, the slide's heading
    label_lh: float       # mm a heading line
    text_size: float      # pt, the caption
    text_lh: float        # mm a caption line
    col_gap: float = 5.0
    row_gap: float = 4.5
    beside: bool = False  # caption to the right of the slide, with ruled lines for notes below it


GRIDS = {
    # A 16-up cell prints under 5 cm wide; 200 dpi keeps slide text sharp at that size.
    "16up": GridLayout(4, 4, GRID_DPI, 7.0, 3.1, 6.8, 2.95),
    # 6-up and 4-up are what students print to write on: larger slides, the captions readable at arm's length.
    "6up": GridLayout(2, 3, 170, 9.0, 4.3, 8.6, 3.9, col_gap=8.0, row_gap=6.0),
    "4up": GridLayout(1, 4, 170, 9.5, 4.6, 8.8, 4.1, col_gap=6.0, row_gap=5.0, beside=True),
}
LAYOUTS = (*GRIDS, "notes")
MACHINE_LABEL = "Machine transcript"
NOTE_LINE_GAP = 7.0  # mm between ruled lines for handwriting


def check_layout(layout: str) -> str:
    """The layout name, refused with the choices when it is not one of LAYOUTS."""
    if layout not in LAYOUTS:
        raise InputError(f"layout {layout!r} is not known; use one of {', '.join(LAYOUTS)}", field="layout")
    return layout


def _notice_room(pdf: HandoutPDF) -> float:
    """Height the machine-captions notice takes at the top of the first page (0 when captions were human)."""
    if not pdf.meta.machine_captions:
        return 0.0
    return pdf.notice_height(pdf.notice_lines(machine_notice(pdf.meta.recogniser), pdf.epw)) + 3.0


def _caption(pdf: HandoutPDF, x: float, y: float, w: float, bottom: float, said: str, g: GridLayout) -> float:
    """A cell's caption from y down to at most `bottom`: machine-heard ones labelled and in a lighter ink."""
    pdf.set_font(FAMILY, "", g.text_size)
    room = max(0, math.floor((bottom - y) / g.text_lh + 1e-6))
    if said and pdf.meta.machine_captions and room >= 2:
        pdf.set_font(FAMILY, "B", g.text_size * 0.85)
        pdf.set_text_color(*GREY)
        y = pdf.text_lines(x, y, w, g.text_lh, [MACHINE_LABEL.upper()])
        pdf.set_font(FAMILY, "", g.text_size)
        pdf.set_text_color(*MACHINE_INK)
        room -= 1
    elif not said:
        pdf.set_text_color(*GREY)
    y = pdf.text_lines(x, y, w, g.text_lh, pdf.fit_lines(said or NO_SPEECH, w, room))
    pdf.set_text_color(0)
    return y


def render_grid(showings: list[Showing], images_dir: Path, out: Path, meta: HandoutMeta,
                layout: str = "16up") -> Path:
    """Render a grid handout (16up, 6up or 4up): slides with their time span and a cut of what was said."""
    if check_layout(layout) not in GRIDS:
        raise InputError(f"layout {layout!r} is not a grid; render_notes makes the notes layout", field="layout")
    g = GRIDS[layout]
    numbers = slide_numbers(showings)
    titles = slide_titles(showings)
    pdf = HandoutPDF(meta)
    pdf.set_auto_page_break(False)  # every cell is placed by hand inside the page
    pdf.add_page()  # measuring text needs a page to measure on
    notice_h = _notice_room(pdf)
    cell_w = (pdf.epw - (g.cols - 1) * g.col_gap) / g.cols
    cell_h = (pdf.body_bottom - pdf.body_top - notice_h - (g.rows - 1) * g.row_gap) / g.rows
    probe = SlideImages(images_dir, (1, 1), g.dpi)
    aspect = _aspect(probe, showings)
    if g.beside:
        img_w = min(cell_w * 0.52, cell_h / aspect)
        text_x, text_w = img_w + g.col_gap, cell_w - img_w - g.col_gap
    else:
        img_w = min(cell_w, (cell_h - 3 * g.label_lh) / aspect)
        text_x, text_w = 0.0, cell_w
    img_h = img_w * aspect
    images = SlideImages(images_dir, (img_w, img_h), g.dpi)

    for i, (number, s) in enumerate(zip(numbers, showings)):
        slot = i % (g.cols * g.rows)
        if slot == 0 and i:
            pdf.add_page()
        if i == 0 and notice_h:
            pdf.notice(pdf.margin, pdf.body_top, pdf.epw, machine_notice(meta.recogniser))
        top = pdf.body_top + (notice_h if pdf.page == 1 else 0.0)
        x = pdf.margin + (slot % g.cols) * (cell_w + g.col_gap)
        y = top + (slot // g.cols) * (cell_h + g.row_gap)
        bottom = y + cell_h
        pdf.set_xy(x, y)
        pdf.start_section(bookmark(number, s, titles[i]))
        frame = pdf.framed_image(images.get(s.image), (x, y, img_w if g.beside else cell_w, img_h),
                                 images.size(s.image), alt_text(number, s, titles[i]))
        pdf.text_layer(s.slide_text or _original_text(showings, i), frame)
        tx, ty = (x + text_x, y) if g.beside else (x, y + img_h + 1.6)

        pdf.set_font(FAMILY, "B", g.label_size)
        heading = pdf.heading_lines(label(number, s), label_parts(number, s), text_w)
        ty = pdf.text_lines(tx, ty, text_w, g.label_lh, heading) + 0.4
        ty = _caption(pdf, tx, ty, text_w, bottom, spoken_text(s), g)
        if g.beside:
            _note_lines(pdf, tx, ty + NOTE_LINE_GAP * 0.6, text_w, bottom)
    return _save(pdf, out)


def _note_lines(pdf: HandoutPDF, x: float, y: float, w: float, bottom: float) -> None:
    """Light ruled lines from y to `bottom`, for what a student writes beside a slide."""
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.15)
    while y <= bottom - 1.0:
        pdf.line(x, y, x + w, y)
        y += NOTE_LINE_GAP


def _original_text(showings: list[Showing], i: int):
    """A revisit's slide text, borrowed from the showing it returns to when it carries none itself."""
    s = showings[i]
    while s.slide_text is None and s.repeat_of is not None:
        s = showings[s.repeat_of]
    return s.slide_text


@dataclass
class _Block:
    """One piece of the key points page, measured before it is placed."""

    kind: str          # "title", "facts", "notice", "box_head", "point", "box_end", "contents_head" or "row"
    height: float
    payload: object = None
    page: int = 0      # filled in by _paginate: which page of the front matter, from 0
    y: float = 0.0


@dataclass
class _FrontMatter:
    """The key points page(s), planned in full before the slides are drawn, so their number is known."""

    blocks: list[_Block]
    panels: list[tuple[int, float, float]] = field(default_factory=list)  # (page, top, bottom) of tinted panels
    pages: int = 1


CONTENTS_ROW_H = 5.6
CONTENTS_PAGE_W = 12.0  # the page number column, wide enough for "999"


def _plan_front(pdf: HandoutPDF, showings: list[Showing], numbers: list[int], points: list[str]) -> _FrontMatter:
    """Measure every block of the key points page; the slides' page numbers are filled in when drawing."""
    meta = pdf.meta
    blocks: list[_Block] = []
    pdf.set_font(FAMILY, "B", 18)
    blocks.append(_Block("title", 8.2 * len(lines := pdf.fit_lines(meta.title, pdf.epw, 3)) + 1.5, lines))
    slides = numbers and max(numbers)
    again = sum(s.repeat_of is not None for s in showings)
    facts = [meta.author or "", f"Recording {clock(meta.duration)}" if meta.duration else "",
             f"{slides} slide{'s' if slides != 1 else ''}" + (f", {again} shown again" if again else "")]
    blocks.append(_Block("facts", 5.0 + 7.0, " \u00b7 ".join(f for f in facts if f)))
    if meta.machine_captions:
        blocks.append(_Block("notice", _notice_room(pdf) + 2.0, machine_notice(meta.recogniser)))
    if points:
        blocks.append(_Block("box_head", LECTURE_BOX.pad + LECTURE_BOX.title_h))
        for lines in pdf.wrap_points(points, pdf.epw, LECTURE_BOX):
            blocks.append(_Block("point", len(lines) * LECTURE_BOX.line_h, lines))
        blocks.append(_Block("box_end", LECTURE_BOX.pad + 9.0))
    blocks.append(_Block("contents_head", 10.0, "Contents"))
    blocks += [_Block("row", CONTENTS_ROW_H, i) for i in range(len(showings))]
    return _paginate(pdf, blocks)


def _paginate(pdf: HandoutPDF, blocks: list[_Block]) -> _FrontMatter:
    """Place blocks down the pages; a heading keeps its first line, a panel split by a page is closed and reopened."""
    plan = _FrontMatter(blocks)
    page, y = 0, pdf.body_top
    panel_top: float | None = None
    pad, gap = LECTURE_BOX.pad, LECTURE_BOX.gap
    for k, b in enumerate(blocks):
        after = blocks[k + 1] if k + 1 < len(blocks) else None
        lead = gap if k and b.kind == "point" and blocks[k - 1].kind == "point" else 0.0
        room = lead + b.height + (pad if b.kind == "point" else 0.0)
        if b.kind in ("box_head", "contents_head") and after is not None:
            room += after.height + (pad if after.kind == "point" else 0.0)
        if y + room > pdf.body_bottom + 1e-6 and y > pdf.body_top:
            if panel_top is not None:
                plan.panels.append((page, panel_top, y + pad))
                panel_top = pdf.body_top
            page, y, lead = page + 1, pdf.body_top + (pad if panel_top is not None else 0.0), 0.0
        if b.kind == "box_head":
            panel_top = y
        y += lead
        b.page, b.y = page, y
        y += b.height
        if b.kind == "box_end" and panel_top is not None:
            plan.panels.append((page, panel_top, b.y + pad))
            panel_top = None
    plan.pages = page + 1
    return plan


def _draw_front(pdf: HandoutPDF, plan: _FrontMatter, showings: list[Showing], numbers: list[int],
                started_on: list[int], titles: list[str]) -> None:
    """Draw the planned key points page(s) into the pages reserved for them; called once the slides are placed."""
    x, w = pdf.margin, pdf.epw
    pdf.set_font(FAMILY, "B", 9.5)
    label_w = max(pdf.get_string_width(contents_label(n, s)) for n, s in zip(numbers, showings)) + 5.0
    words_w = w - label_w - CONTENTS_PAGE_W - 4.0
    # Every block was placed inside the body by _paginate; an automatic break here could only miscount pages.
    auto_break = pdf.auto_page_break
    pdf.set_auto_page_break(False)
    for page in range(plan.pages):
        if page:
            pdf.add_page()  # inside the reserved run this moves on to the next reserved page
        for p, top, bottom in plan.panels:
            if p == page:
                pdf.box_panel(x, top, w, bottom - top, LECTURE_BOX)
        for b in (b for b in plan.blocks if b.page == page):
            if b.kind == "title":
                pdf.set_font(FAMILY, "B", 18)
                pdf.text_lines(x, b.y, w, 8.2, b.payload)
            elif b.kind == "facts":
                pdf.set_font(FAMILY, "", 9.5)
                pdf.set_text_color(*GREY)
                pdf.text_lines(x, b.y, w, 5.0, [b.payload])
                pdf.set_text_color(0)
            elif b.kind == "notice":
                pdf.notice(x, b.y, w, b.payload)
            elif b.kind == "box_head":
                pdf.set_font(FAMILY, "B", LECTURE_BOX.title_size)
                pdf.set_text_color(*ACCENT)
                pdf.text_lines(x + LECTURE_BOX.bar + LECTURE_BOX.pad, b.y + LECTURE_BOX.pad, w, 6.0,
                               [KEY_POINTS_TITLE])
                pdf.set_text_color(0)
            elif b.kind == "point":
                pdf.box_bullet(x, b.y, w, b.payload, LECTURE_BOX)
            elif b.kind == "contents_head":
                pdf.set_font(FAMILY, "B", 12)
                pdf.text_lines(x, b.y, w, 6.0, [b.payload])
                pdf.set_draw_color(*RULE)
                pdf.set_line_width(0.2)
                pdf.line(x, b.y + 7.2, x + w, b.y + 7.2)
            elif b.kind == "row":
                _contents_row(pdf, b.y, numbers[b.payload], showings[b.payload], started_on[b.payload],
                              label_w, words_w, titles[b.payload])
    pdf.set_auto_page_break(auto_break, margin=pdf.footer_room)


def _contents_row(pdf: HandoutPDF, y: float, number: int, showing: Showing, page: int, label_w: float,
                  words_w: float, title: str = "") -> None:
    """One line of the contents: slide name, its title (else the first words said on it), a dotted leader,
    and its page as a link."""
    x = pdf.margin
    pdf.set_font(FAMILY, "B", 9.5)
    pdf.text_lines(x, y, label_w, CONTENTS_ROW_H, [contents_label(number, showing)])
    pdf.set_font(FAMILY, "", 9.5)
    words = title or first_words(spoken_text(showing), 14)
    said = pdf.fit_lines(words, words_w, 1)[0] if words else ""
    if not said:
        pdf.set_text_color(*GREY)
    pdf.text_lines(x + label_w, y, words_w, CONTENTS_ROW_H, [said or NO_SPEECH])
    pdf.set_text_color(0)
    leader_from = x + label_w + pdf.get_string_width(said or NO_SPEECH) + 2.0
    leader_to = x + pdf.epw - CONTENTS_PAGE_W
    if leader_to - leader_from > 3.0:
        pdf.set_draw_color(*RULE)
        pdf.set_line_width(0.25)
        with pdf.local_context():
            pdf.set_dash_pattern(dash=0.25, gap=1.2)
            pdf.line(leader_from, y + CONTENTS_ROW_H * 0.72, leader_to, y + CONTENTS_ROW_H * 0.72)
    pdf.text_lines(leader_to, y, CONTENTS_PAGE_W, CONTENTS_ROW_H, [str(page)], align="R")
    pdf.link(x, y, pdf.epw, CONTENTS_ROW_H, pdf.add_link(page=page))


def render_notes(showings: list[Showing], images_dir: Path, out: Path, meta: HandoutMeta,
                 per_page: int = 1, *, key_points: KeyPoints | None = None) -> Path:
    """Render the notes handout: one or two large slides a page, each followed by everything said.

    With `key_points`, a key points page with a table of contents comes first, and each showing that has
    points gets a box of them (1 to 3) between its picture and its caption.
    """
    if per_page not in (1, 2):
        raise InputError(f"per_page={per_page!r}: the notes layout puts 1 or 2 slides on a page", field="per_page")
    if key_points is not None and not isinstance(key_points, KeyPoints):
        raise InputError(f"key_points must be a KeyPoints (pipeline.ai.schemas), not {type(key_points).__name__}; "
                         "validate the study results with KeyPoints.model_validate first", field="key_points")
    numbers = slide_numbers(showings)
    titles = slide_titles(showings)
    overall = lecture_points(key_points) if key_points else []
    per_slide = slide_points(key_points, len(showings)) if key_points else [[] for _ in showings]
    # A point that only repeats the caption below it tells the student nothing new.
    per_slide = [new_points(points, spoken_text(s)) for points, s in zip(per_slide, showings)]
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
    if overall or any(per_slide):
        pdf.start_section("Key points")
        front = _plan_front(pdf, showings, numbers, overall)
        # The contents need each slide's page, known only once the slides are placed: fpdf2 keeps the
        # pages free now and calls back at output time, after every page number is settled.
        pdf.insert_toc_placeholder(
            lambda doc, _outline: _draw_front(doc, front, showings, numbers, started_on, titles),
            pages=front.pages, reset_page_indices=False)
        notice_h = 0.0  # the notice stands on the key points page
    else:
        notice_h = _notice_room(pdf)
        if notice_h:
            pdf.notice(pdf.margin, pdf.body_top, pdf.epw, machine_notice(meta.recogniser))
    for i, (number, s) in enumerate(zip(numbers, showings)):
        pdf.set_font(FAMILY, "B", label_size)
        heading = pdf.heading_lines(label(number, s), label_parts(number, s), pdf.epw)
        said = spoken_text(s)
        pdf.set_font(FAMILY, "", text_size)
        text_h = pdf.multi_cell(pdf.epw, text_lh, said or NO_SPEECH, align="L", dry_run=True, output="HEIGHT")
        items = pdf.wrap_points(per_slide[i], pdf.epw, SLIDE_BOX) if per_slide[i] else []
        box_h = pdf.box_height(items, SLIDE_BOX) + 4.3 if items else 0.0
        covered = _covered_lines(pdf, s)
        machine_h = label_lh if said and meta.machine_captions else 0.0
        # A slide follows on the same page only with its heading, its key points and the start of its text
        # (all of it when short), so an image never sits alone at the foot of a page.
        needs = (img_h + 3.5 + len(covered) * COVERED_LH + len(heading) * label_lh + 1.0 + box_h + machine_h
                 + min(text_h, 3 * text_lh))
        if i == 0:
            y = pdf.body_top + notice_h
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
        pdf.start_section(bookmark(number, s, titles[i]))
        frame = pdf.framed_image(images.get(s.image), (pdf.margin, y, pdf.epw, img_h), images.size(s.image),
                                 alt_text(number, s, titles[i]))
        pdf.text_layer(s.slide_text or _original_text(showings, i), frame)
        y += img_h + 1.2
        if covered:
            pdf.set_font(FAMILY, "", COVERED_SIZE)
            pdf.set_text_color(*GREY)
            y = pdf.text_lines(pdf.margin, y, pdf.epw, COVERED_LH, covered)
            pdf.set_text_color(0)
        y += 2.3

        pdf.set_font(FAMILY, "B", label_size)
        y = pdf.text_lines(pdf.margin, y, pdf.epw, label_lh, heading) + 1.0
        if items:
            y = pdf.points_box(pdf.margin, y + 0.8, pdf.epw, "Key points", items, SLIDE_BOX) + 3.5

        if said and meta.machine_captions:
            pdf.set_font(FAMILY, "B", 8.0)
            pdf.set_text_color(*GREY)
            y = pdf.text_lines(pdf.margin, y, pdf.epw, label_lh,
                               [f"{MACHINE_LABEL.upper()} \u00b7 speech recognition, may contain errors"])
            pdf.set_text_color(*MACHINE_INK)
        pdf.set_font(FAMILY, "", text_size)
        if not said:
            pdf.set_text_color(*GREY)
        pdf.set_xy(pdf.margin, y)
        # multi_cell breaks the page itself when the text runs long; the header repeats on the new page.
        pdf.multi_cell(pdf.epw, text_lh, said or NO_SPEECH, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0)
    return _save(pdf, out)
