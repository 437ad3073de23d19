"""The study table workbook, opened again with openpyxl and drawn as a picture: header, panes, bold, images, widths."""

from __future__ import annotations

import numpy as np
import pytest
from openpyxl import load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock

from pipeline.ai.schemas import StudyRow, StudyTable
from pipeline.errors import InputError, StageFailed
from pipeline.render.xlsx import MAX_WIDTH, MIN_WIDTH, bold_runs, render_study_table
from tests.render.conftest import draw_slide, showings_for

from .sheetview import draw_sheet


@pytest.fixture
def slides(tmp_path):
    folder = tmp_path / "slides"
    folder.mkdir()
    for k in range(1, 5):
        draw_slide(folder / f"slide-{k:03d}.png", f"Slide {k}")
    return folder


def runs(value) -> list[tuple[str, bool]]:
    """A cell's text as (words, bold) runs, whether it came back rich or plain."""
    if isinstance(value, CellRichText):
        return [(b.text, bool(b.font.b)) if isinstance(b, TextBlock) else (b, False) for b in value]
    return [(value, False)]


def test_bold_markers_split_into_runs():
    assert bold_runs("a **b** c") == [("a ", False), ("b", True), (" c", False)]
    assert bold_runs("**all**") == [("all", True)]
    assert bold_runs("2 ** 3 is a power") == [("2 ** 3 is a power", False)]


def test_workbook_has_title_header_frozen_panes_filter_and_bold_runs(table, slides, tmp_path):
    out = render_study_table(table, tmp_path / "t.xlsx", title="Cardiac physiology — study table",
                             images_dir=slides, showings=showings_for(4))
    wb = load_workbook(out, rich_text=True)
    assert wb.sheetnames == ["Study table", "Slides"]
    assert wb.properties.title == "Cardiac physiology — study table" and wb.properties.creator == "Handouts"
    ws = wb["Study table"]
    assert ws["A1"].value == "Cardiac physiology — study table" and ws["A1"].font.b
    assert "A1:E1" in {str(r) for r in ws.merged_cells.ranges}
    assert [c.value for c in ws[2]] == ["Disease", "Pathophysiology", "Presentation", "Treatment", "Slide"]
    assert all(c.font.b for c in ws[2]) and ws["A2"].fill.fgColor.rgb.endswith("1F3A5F")
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:E5"
    assert ws.max_row == 5
    assert runs(ws["A3"].value) == [("Aortic stenosis", True)]
    assert runs(ws["B3"].value) == [("Calcific degeneration of a ", False), ("tricuspid", True),
                                    (" valve in the elderly; a bicuspid valve in younger patients.", False)]
    assert runs(ws["C5"].value)[0] == ("Dyspnoea", True)
    assert ws["D4"].value == "Afterload reduction"  # no markers: a plain string
    # Text that looks like a formula stays text.
    assert ws["D3"].data_type == "s" and ws["D3"].value == "=SUM(A1) is text, not a formula"
    assert all(ws.cell(row=3, column=c).alignment.wrap_text for c in range(1, 5))


def test_widths_follow_content_within_caps(table, tmp_path):
    wide = table.model_copy(deep=True)
    wide.rows[0].cells[1] = "word " * 60
    ws = load_workbook(render_study_table(wide, tmp_path / "w.xlsx", title="t")).active
    width = {c: ws.column_dimensions[c].width for c in "ABCD"}
    assert width["B"] == MAX_WIDTH                      # long text wraps instead of widening the sheet
    assert MIN_WIDTH <= width["A"] < width["B"]
    assert width["A"] >= len("Mitral regurgitation")   # short enough to fit on one line, so it does
    assert ws.row_dimensions[3].height > ws.row_dimensions[5].height  # the long row is taller


def test_slide_thumbnails_sit_in_the_slide_column_of_their_rows(table, slides, tmp_path):
    shows = showings_for(4)
    out = render_study_table(table, tmp_path / "t.xlsx", title="t", images_dir=slides, showings=shows)
    ws = load_workbook(out)["Study table"]
    images = ws._images
    # Row 1 draws on slide 2; row 2 on 99 (not a slide, skipped) then 3; row 3 on none.
    assert sorted((im.anchor._from.row + 1, im.anchor._from.col + 1) for im in images) == [(3, 5), (4, 5)]
    assert ws["E3"].value == "Slide 2 \u00b7 1:00\u20132:00" and ws["E4"].value.startswith("Slide 3 ")
    assert ws["E5"].value is None
    for im in images:
        shown_w, shown_h = im.anchor.ext.width / 9525, im.anchor.ext.height / 9525
        assert 150 <= shown_w <= 160 and shown_h <= 100       # a thumbnail, aspect kept (16:9 slides)
        assert abs(shown_w / shown_h - 16 / 9) < 0.03
        # The row is tall enough for the picture and the label below it (points are 4/3 px).
        assert ws.row_dimensions[im.anchor._from.row + 1].height * 4 / 3 >= shown_h + 15
    assert ws.column_dimensions["E"].width * 7 >= 160
    slides_ws = load_workbook(out)["Slides"]
    assert [c.value for c in slides_ws[1]] == ["Slide", "Shown", "Start (s)", "End (s)", "What was said"]
    assert [slides_ws.cell(row=r, column=2).value for r in range(2, 6)] == ["0:00\u20131:00", "1:00\u20132:00",
                                                                           "2:00\u20133:00", "3:00\u20134:00"]
    assert slides_ws.freeze_panes == "A2"


def test_drawn_sheet_shows_each_thumbnail_inside_its_cell(table, slides, tmp_path):
    out = render_study_table(table, tmp_path / "t.xlsx", title="t", images_dir=slides, showings=showings_for(4))
    picture = np.asarray(draw_sheet(out)).astype(np.int16)
    # The slides' dark blue title bar (25, 55, 130) appears twice: once per row with a slide.
    bar = (np.abs(picture - np.array([25, 55, 130])).sum(axis=2) < 30)
    rows_with_bar = np.flatnonzero(bar.any(axis=1))
    assert rows_with_bar.size and (np.diff(rows_with_bar) > 1).sum() == 1  # two separate bands
    cols = np.flatnonzero(bar.any(axis=0))
    ws = load_workbook(out).active
    left_of_e = sum(ws.column_dimensions[c].width * 7 + 5 for c in "ABCD")
    assert cols.min() >= left_of_e  # inside the Slide column


def test_without_images_the_slide_column_still_names_the_slide(table, slides, tmp_path):
    out = render_study_table(table, tmp_path / "t.xlsx", title="t", images_dir=slides, showings=showings_for(4),
                             image_rows=False)
    ws = load_workbook(out)["Study table"]
    assert ws._images == [] and ws["E3"].value.startswith("Slide 2")


def test_a_slide_number_picks_that_slides_first_showing_and_a_note_sits_under_the_title(table, slides, tmp_path):
    shows = showings_for(4)
    shows[3].repeat_of = 1          # the fourth showing returns to slide 2: the handout has slides 1-3
    one = table.model_copy(deep=True)
    one.rows = [one.rows[0].model_copy(update={"slides": [3]})]
    ws = load_workbook(render_study_table(one, tmp_path / "t.xlsx", title="Heart", images_dir=slides,
                                          showings=shows, image_rows=False, note="Made without an AI model."))
    ws = ws["Study table"]
    assert ws["E3"].value == "Slide 3 \u00b7 2:00\u20133:00"
    assert str(ws["A1"].value) == "Heart\nMade without an AI model."


def test_without_showings_there_is_no_slide_column_nor_second_sheet(table, tmp_path):
    wb = load_workbook(render_study_table(table, tmp_path / "t.xlsx", title="t"))
    assert wb.sheetnames == ["Study table"]
    assert wb.active.max_column == 4 and wb.active.auto_filter.ref == "A2:D5"


def test_rows_that_do_not_fit_the_columns_are_refused(tmp_path):
    bad = StudyTable(columns=["Topic", "Detail"], rows=[StudyRow(cells=["only one"])])
    with pytest.raises(InputError, match=r"row 1 has 1 cells for 2 columns.*Topic, Detail"):
        render_study_table(bad, tmp_path / "bad.xlsx", title="t")
    assert not (tmp_path / "bad.xlsx").exists()


def test_a_missing_slide_image_is_a_render_failure(table, tmp_path):
    empty = tmp_path / "none"
    empty.mkdir()
    with pytest.raises(StageFailed, match="missing"):
        render_study_table(table, tmp_path / "t.xlsx", title="t", images_dir=empty, showings=showings_for(4))


def test_control_characters_and_huge_cells_are_made_safe(tmp_path):
    t = StudyTable(columns=["A"], rows=[StudyRow(cells=["bell\x07 and nul\x00 gone"]), StudyRow(cells=["x" * 40000])])
    ws = load_workbook(render_study_table(t, tmp_path / "t.xlsx", title="t")).active
    assert ws["A3"].value == "bell and nul gone"
    assert len(ws["A4"].value) == 32767 and ws["A4"].value.endswith("\u2026")
