"""The study table as an Excel workbook: one row per topic, `**bold**` as real bold, a slide thumbnail per row.

Sheet "Study table": the lecture title, a styled header row that stays in view (frozen) and filters,
wrapped cells in columns sized to their content, and, when the slides are given, a "Slide" column with
a thumbnail of the first slide each row draws on. Sheet "Slides": every showing with its time span,
so a row's slide number can be looked up in the recording.

Cells are always written as strings: text from a model that starts with "=" must never become a formula.
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, OneCellAnchor
from openpyxl.drawing.xdr import XDRPositiveSize2D
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.units import pixels_to_EMU
from openpyxl.worksheet.worksheet import Worksheet
from PIL import Image, UnidentifiedImageError

from ..ai.schemas import StudyTable
from ..errors import InputError, StageFailed
from ..types import Showing
from .files import atomic_output
from .images import SlideImages
from .text import slide_numbers, span, spoken_text

FONT_NAME = "Calibri"
FONT_SIZE = 11
HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
BAND_FILL = PatternFill("solid", fgColor="F2F5F9")
HEADER_RULE = Border(bottom=Side(style="medium", color="1F3A5F"))
CELL_RULE = Border(bottom=Side(style="thin", color="D5DAE1"))
MIN_WIDTH, MAX_WIDTH = 10, 55          # characters; past the cap text wraps instead of widening the sheet
THUMB_PX = (160, 100)                  # the box a slide thumbnail fits in on screen, in pixels
THUMB_PAD = 4                          # pixels between a thumbnail and its cell's edges
LINE_PT = 15.0                         # height of one wrapped line of 11 pt text
MAX_ROW_PT = 409.0                     # Excel's limit
MAX_CELL_CHARS = 32_767                # Excel's limit
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)


def clean(text: str) -> str:
    """Text Excel accepts: control characters dropped, cut to the cell limit."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(text)).replace("\r\n", "\n")
    return text if len(text) <= MAX_CELL_CHARS else text[:MAX_CELL_CHARS - 1] + "\u2026"


def bold_runs(text: str) -> list[tuple[str, bool]]:
    """Split text into (words, bold) runs at `**...**` pairs; a lone `**` stays as it is."""
    runs: list[tuple[str, bool]] = []
    at = 0
    for m in _BOLD.finditer(text):
        if m.start() > at:
            runs.append((text[at:m.start()], False))
        runs.append((m.group(1), True))
        at = m.end()
    if at < len(text):
        runs.append((text[at:], False))
    return [r for r in runs if r[0]]


def plain(text: str) -> str:
    """The text as it reads in the cell, without the bold markers."""
    return "".join(part for part, _ in bold_runs(text))


def _rich(text: str) -> CellRichText | str:
    """A cell value: rich text with bold runs when the text marks any, else the plain string."""
    runs = bold_runs(clean(text))
    if not any(b for _, b in runs):
        return "".join(part for part, _ in runs)
    # Each run names its font: a run without one falls back to the workbook default, not the cell's font.
    return CellRichText([TextBlock(InlineFont(rFont=FONT_NAME, sz=FONT_SIZE, b=bold or None), part)
                         for part, bold in runs])


def _put(ws: Worksheet, row: int, col: int, value: CellRichText | str) -> None:
    cell = ws.cell(row=row, column=col)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with


def _width(texts: list[str], header: str) -> float:
    """A column width in characters: its longest line, at least the header, within the caps."""
    longest = max((len(line) for t in texts for line in t.split("\n")), default=0)
    header_need = max((len(w) for w in header.split()), default=0) + 2
    return float(min(MAX_WIDTH, max(MIN_WIDTH, header_need, longest + 2)))


def _lines(text: str, width: float) -> int:
    """How many lines wrapped text takes in a column `width` characters wide (a little pessimistic)."""
    usable = max(1.0, width - 1.5)
    return sum(max(1, math.ceil(len(p) * 1.08 / usable)) for p in text.split("\n"))


def _thumbnail(path: Path) -> tuple[io.BytesIO, tuple[int, int]]:
    """The slide at twice its on-screen size (sharp on dense screens) and the size it is shown at."""
    try:
        with Image.open(path) as im:
            im.load()
            img = im.convert("RGB")
    except (UnidentifiedImageError, OSError) as e:
        raise StageFailed("render", f"slide image {path.name!r} cannot be read ({e}); run the slides stage again")
    scale = min(THUMB_PX[0] / img.width, THUMB_PX[1] / img.height)
    shown = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    img.thumbnail((shown[0] * 2, shown[1] * 2), Image.Resampling.LANCZOS)
    png, jpeg = io.BytesIO(), io.BytesIO()
    img.save(png, format="PNG", optimize=True)
    img.save(jpeg, format="JPEG", quality=85, optimize=True)
    # Flat slides are smaller and crisper as PNG; photos and video noise as JPEG.
    best = png if png.tell() <= jpeg.tell() else jpeg
    best.seek(0)
    return best, shown


def _check(table: StudyTable, showings: list[Showing] | None) -> list[str]:
    """The header names to write; refuses a table whose rows do not fit its columns."""
    try:
        table.check_shape()
    except ValueError as e:
        raise InputError(f"study table: {e}; every row needs exactly one cell per column "
                         f"({', '.join(table.columns)})", field="rows") from None
    if showings:
        slide_numbers(showings)  # refuses a broken list of showings before anything is drawn
    return [clean(" ".join(c.split())) or f"Column {k + 1}" for k, c in enumerate(table.columns)]


def _title_and_header(ws: Worksheet, title: str, header: list[str]) -> None:
    ws.cell(row=1, column=1, value=clean(" ".join(title.split())) or "Study table").font = Font(
        name=FONT_NAME, size=14, bold=True, color="1F3A5F")
    ws.cell(row=1, column=1).alignment = Alignment(vertical="center")
    if len(header) > 1:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.row_dimensions[1].height = 26
    for col, name in enumerate(header, start=1):
        _put(ws, 2, col, name)
        cell = ws.cell(row=2, column=col)
        cell.font = Font(name=FONT_NAME, size=FONT_SIZE, bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.border = HEADER_RULE
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="left")


def _place_image(ws: Worksheet, data: io.BytesIO, shown: tuple[int, int], row: int, col: int) -> None:
    img = SheetImage(data)
    img.width, img.height = shown
    marker = AnchorMarker(col=col - 1, colOff=pixels_to_EMU(THUMB_PAD), row=row - 1, rowOff=pixels_to_EMU(THUMB_PAD))
    img.anchor = OneCellAnchor(_from=marker, ext=XDRPositiveSize2D(pixels_to_EMU(shown[0]), pixels_to_EMU(shown[1])))
    ws.add_image(img)


def _slides_sheet(ws: Worksheet, showings: list[Showing]) -> None:
    """One row per showing: its number, when it was on screen and what was said."""
    header = ["Slide", "Shown", "Start (s)", "End (s)", "What was said"]
    widths = [9, 16, 10, 10, 90]
    for col, (name, width) in enumerate(zip(header, widths), start=1):
        _put(ws, 1, col, name)
        cell = ws.cell(row=1, column=col)
        cell.font = Font(name=FONT_NAME, size=FONT_SIZE, bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        ws.column_dimensions[get_column_letter(col)].width = width
    for r, (number, s) in enumerate(zip(slide_numbers(showings), showings), start=2):
        label = str(number) + (" (again)" if s.repeat_of is not None else "")
        said = clean(spoken_text(s))
        _put(ws, r, 1, label)
        _put(ws, r, 2, span(s.start, s.end))
        ws.cell(row=r, column=3, value=round(float(s.start), 1))
        ws.cell(row=r, column=4, value=round(float(s.end), 1))
        _put(ws, r, 5, said)
        for col in range(1, 6):
            ws.cell(row=r, column=col).alignment = Alignment(wrap_text=col == 5, vertical="top")
        ws.row_dimensions[r].height = min(MAX_ROW_PT, _lines(said, widths[4]) * LINE_PT + 3)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:E{len(showings) + 1}"


def _save(wb: Workbook, out: Path) -> Path:
    with atomic_output(out) as tmp:
        wb.save(str(tmp))
    return Path(out)


def render_study_table(table: StudyTable, out: Path, *, title: str, images_dir: Path | None = None,
                       showings: list[Showing] | None = None, image_rows: bool = True, note: str = "") -> Path:
    """Write the study table as an .xlsx workbook; with showings, a Slide column (thumbnails when images_dir).

    A row's `slides` are slide numbers as the handout prints them; the picture is that slide's first showing.
    `note` is a line under the table (e.g. that no model made it)."""
    header = _check(table, showings)
    numbers = slide_numbers(showings) if showings else []
    with_slides = bool(showings)
    images = SlideImages(images_dir, (1, 1), 72) if (with_slides and image_rows and images_dir) else None

    wb = Workbook()
    ws = wb.active
    ws.title = "Study table"
    wb.properties.title = " ".join(title.split())[:250] or "Study table"
    wb.properties.creator = "Handouts"
    columns = header + (["Slide"] if with_slides else [])
    _title_and_header(ws, title, columns)

    texts = [[plain(clean(row.cells[c])) for row in table.rows] for c in range(len(header))]
    widths = [_width(texts[c], header[c]) for c in range(len(header))]
    thumbs: dict[str, tuple[io.BytesIO, tuple[int, int]]] = {}
    if with_slides:
        slide_w = (THUMB_PX[0] + 2 * THUMB_PAD + 6) / 7 if images else 18  # ~7 px per character of width
        widths.append(max(18.0, slide_w))
    for c, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = w

    for r, row in enumerate(table.rows, start=3):
        lines = 1
        for c, text in enumerate(row.cells, start=1):
            _put(ws, r, c, _rich(text))
            cell = ws.cell(row=r, column=c)
            cell.font = Font(name=FONT_NAME, size=FONT_SIZE)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            lines = max(lines, _lines(texts[c - 1][r - 3], widths[c - 1]))
        height = lines * LINE_PT + 4
        if with_slides:
            first = {n: i for i, n in reversed(list(enumerate(numbers)))}
            chosen = next((first[n] for n in row.slides if n in first), None)
            col = len(header) + 1
            if chosen is not None:
                s = showings[chosen]  # type: ignore[index]
                _put(ws, r, col, f"Slide {numbers[chosen]} \u00b7 {span(s.start, s.end)}")
                if images is not None:
                    if s.image not in thumbs:
                        thumbs[s.image] = _thumbnail(images.path(s.image))
                    data, shown = thumbs[s.image]
                    # Each placement needs its own stream: openpyxl reads it when the workbook is saved.
                    _place_image(ws, io.BytesIO(data.getvalue()), shown, r, col)
                    # The label sits under the picture, at the foot of the cell.
                    height = max(height, (shown[1] + 2 * THUMB_PAD) * 0.75 + LINE_PT + 2)
            ws.cell(row=r, column=col).alignment = Alignment(vertical="bottom", wrap_text=True)
            ws.cell(row=r, column=col).font = Font(name=FONT_NAME, size=9, color="555555")
        ws.row_dimensions[r].height = min(MAX_ROW_PT, height)
        for c in range(1, len(columns) + 1):
            cell = ws.cell(row=r, column=c)
            cell.border = CELL_RULE
            if (r - 3) % 2:
                cell.fill = BAND_FILL

    if note:    # under the title, where it is read before the table
        _put(ws, 1, 1, CellRichText(TextBlock(InlineFont(rFont=FONT_NAME, sz=14, b=True, color="1F3A5F"),
                                              clean(" ".join(title.split())) or "Study table"),
                                    TextBlock(InlineFont(rFont=FONT_NAME, sz=9, i=True, color="555555"),
                                              "\n" + clean(note))))
        ws.cell(row=1, column=1).alignment = Alignment(vertical="center", wrap_text=True)
        ws.row_dimensions[1].height = 42
    last = get_column_letter(len(columns))
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{last}{max(2, len(table.rows) + 2)}"
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if with_slides:
        _slides_sheet(wb.create_sheet("Slides"), showings)  # type: ignore[arg-type]
    return _save(wb, out)
