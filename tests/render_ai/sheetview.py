"""A rough picture of a worksheet as Excel would lay it out, for looking at a generated workbook without Excel.

Column widths, row heights, fills, bold runs and the anchored pictures are drawn from what openpyxl reads
back; wrapping is approximate. Good enough to see whether the sheet reads well, not a spreadsheet engine.
"""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.utils import get_column_letter
from PIL import Image, ImageDraw, ImageFont

FONTS = Path(__file__).resolve().parents[2] / "pipeline" / "fonts"
PX_PER_CHAR = 7.0
PX_PER_PT = 4 / 3


def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size)


def _runs(value, bold_cell: bool) -> list[tuple[str, bool]]:
    if isinstance(value, CellRichText):
        return [(b.text, bool(b.font and b.font.b)) if isinstance(b, TextBlock) else (str(b), bold_cell)
                for b in value]
    return [("" if value is None else str(value), bold_cell)]


def draw_sheet(path: Path, sheet: str | None = None, *, max_rows: int = 40) -> Image.Image:
    """Draw the first rows of a worksheet: grid, header fill, text (bold runs in bold) and pictures."""
    wb = load_workbook(path, rich_text=True)
    ws = wb[sheet] if sheet else wb.active
    cols = ws.max_column
    rows = min(ws.max_row, max_rows)
    xs = [0.0]
    for c in range(1, cols + 1):
        w = ws.column_dimensions[get_column_letter(c)].width or 8.43
        xs.append(xs[-1] + w * PX_PER_CHAR + 5)
    ys = [0.0]
    for r in range(1, rows + 1):
        h = ws.row_dimensions[r].height or 15
        ys.append(ys[-1] + h * PX_PER_PT)
    img = Image.new("RGB", (int(xs[-1]) + 1, int(ys[-1]) + 1), "white")
    d = ImageDraw.Draw(img)
    size = 12
    merged = {(m.min_row, m.min_col): m for m in ws.merged_cells.ranges}
    covered = {(r, c) for m in merged.values() for r in range(m.min_row, m.max_row + 1)
               for c in range(m.min_col, m.max_col + 1) if (r, c) != (m.min_row, m.min_col)}
    for r in range(1, rows + 1):
        for c in range(1, cols + 1):
            if (r, c) in covered:
                continue
            cell = ws.cell(row=r, column=c)
            span = merged.get((r, c))
            last = span.max_col if span else c
            box = (xs[c - 1], ys[r - 1], xs[last], ys[r])
            fill = cell.fill.fgColor.rgb if cell.fill and cell.fill.fill_type == "solid" else None
            if isinstance(fill, str) and len(fill) >= 6:
                d.rectangle(box, fill="#" + fill[-6:])
            d.rectangle(box, outline=(205, 205, 205))
            colour = cell.font.color.rgb if cell.font and cell.font.color and isinstance(cell.font.color.rgb, str) \
                else "FF000000"
            x, y = box[0] + 3, box[1] + 2
            if cell.alignment is not None and cell.alignment.vertical == "bottom":
                y = box[3] - size - 6
            for text, bold in _runs(cell.value, bool(cell.font and cell.font.b)):
                f = _font(bold, size)
                for k, part in enumerate(text.split(" ")):
                    word = (" " if k else "") + part
                    if x + f.getlength(word) > box[2] - 3 and x > box[0] + 3:
                        x, y = box[0] + 3, y + size + 4
                        word = part
                    if y + size < box[3]:
                        d.text((x, y), word, font=f, fill="#" + colour[-6:])
                    x += f.getlength(word)
    for pic in ws._images:
        frm = pic.anchor._from
        if frm.row >= rows:
            continue
        x = xs[frm.col] + frm.colOff / 9525
        y = ys[frm.row] + frm.rowOff / 9525
        data = pic._data()
        # The size a picture is shown at is its anchor's extent; its own pixels may be finer.
        ext = getattr(pic.anchor, "ext", None)
        shown = (round(ext.width / 9525), round(ext.height / 9525)) if ext is not None else (pic.width, pic.height)
        thumb = Image.open(io.BytesIO(data)).convert("RGB").resize(shown)
        img.paste(thumb, (int(x), int(y)))
    return img
