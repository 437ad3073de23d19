"""The notes handout: large slides with everything said, flowing onto further pages when long."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.render.document import HandoutPDF
from pipeline.render.pdf import render_grid, render_notes
from pipeline.types import Showing

from . import pdfread
from .conftest import UNICODE_CAPTION, showings_for


def _speech(words: int, tag: str) -> str:
    return " ".join(f"{tag}{i}" for i in range(words))


def test_one_per_page_puts_each_slide_on_its_own_page(make_slides, meta, tmp_path):
    images = make_slides(3)
    out = render_notes(showings_for(3), images, tmp_path / "notes.pdf", meta)
    assert pdfread.page_count(out) == 3
    for i in range(3):
        page = pdfread.render(out, i)
        assert pdfread.ink(page, (HandoutPDF.margin, HandoutPDF.body_top, 60, 10)) > 0.2  # the title bar
        assert f"Slide {i + 1} · {i}:00–{i + 1}:00" in pdfread.page_text(out, i)
    assert [e[1] for e in pdfread.toc(out)] == [0, 1, 2]


def test_full_caption_flows_onto_the_next_page(make_slides, meta, tmp_path):
    images = make_slides(2)
    shows = showings_for(2)
    long = _speech(900, "w") + " " + UNICODE_CAPTION
    shows[0].text = long
    out = render_notes(shows, images, tmp_path / "notes.pdf", meta)
    assert pdfread.page_count(out) >= 3
    text = pdfread.all_text(out)
    # every word is there, in order, once the page furniture between pages is taken out
    body = text.replace("Quantum Mechanics — Lecture 7 Prof. Zoë Ångström", " ")
    for furniture in ("lecture-07.mp4 · 1:02:05 Page 1/", "lecture-07.mp4 · 1:02:05 Page 2/"):
        body = body.replace(furniture, " ")
    words = [w for w in body.split() if w.startswith("w") and w[1:].isdigit()]
    assert words == [f"w{i}" for i in range(900)]
    assert UNICODE_CAPTION in text
    # the page after the flow starts with the rest of the text under the header, then slide 2 on its own page
    assert pdfread.page_text(out, 1).split()[8].startswith("w")
    assert pdfread.toc(out)[1] == ("Slide 2 — 1:00", pdfread.page_count(out) - 1)


def test_two_per_page_packs_short_notes_and_bookmarks_follow(make_slides, meta, tmp_path):
    images = make_slides(5)
    shows = showings_for(5)
    shows.append(Showing(300.0, 320.0, "slide-001.png", repeat_of=0, text=""))
    out = render_notes(shows, images, tmp_path / "notes.pdf", meta, per_page=2)
    assert pdfread.page_count(out) == 3
    assert [p for _, p in pdfread.toc(out)] == [0, 0, 1, 1, 2, 2]
    last = pdfread.page_text(out, 2)
    assert "5:00–5:20 (again: slide 1)" in last and "(no speech)" in last
    assert pdfread.image_xobjects(out) == 5
    assert len(pdfread.figure_alt_texts(out, 0)) == 2


def test_two_per_page_gives_a_long_note_the_room_it_needs(make_slides, meta, tmp_path):
    images = make_slides(3)
    shows = showings_for(3)
    shows[1].text = _speech(700, "x")
    out = render_notes(shows, images, tmp_path / "notes.pdf", meta, per_page=2)
    pages = [p for _, p in pdfread.toc(out)]
    assert pages[0] == 0
    # slide 2 may start under slide 1, but slide 3 never starts on a page before slide 2's text ends
    last_x = max(i for i in range(pdfread.page_count(out)) if "x699" in pdfread.page_text(out, i))
    assert pages[2] >= last_x
    assert pdfread.all_text(out).count("x699") == 1


def test_notes_carry_the_same_metadata_and_alt_text(make_slides, meta, tmp_path):
    images = make_slides(1)
    out = render_notes(showings_for(1), images, tmp_path / "notes.pdf", meta)
    assert pdfread.metadata(out)["Title"] == "Quantum Mechanics — Lecture 7"
    assert pdfread.language(out) == "en"
    assert pdfread.figure_alt_texts(out, 0)[0].startswith("Slide 1, shown 0:00–1:00: Words said")


def test_notes_reject_a_third_layout(make_slides, meta, tmp_path):
    images = make_slides(1)
    with pytest.raises(InputError, match="1 or 2"):
        render_notes(showings_for(1), images, tmp_path / "notes.pdf", meta, per_page=4)


def test_sixty_slides_of_video_frames_stay_small(tmp_path, meta):
    """Frames decoded from video are noisy: the 16-up of 60 of them must still be a few MB at most."""
    from PIL import Image, ImageDraw
    import numpy as np

    rng = np.random.default_rng(7)
    folder = tmp_path / "slides"
    folder.mkdir()
    noise = rng.integers(-6, 7, (540, 960, 3)).astype(np.int16)
    for k in range(60):
        frame = np.full((540, 960, 3), 245, np.int16)
        frame[:80] = (30 + k, 60, 140)
        frame = np.clip(frame + np.roll(noise, k * 37, axis=1), 0, 255).astype(np.uint8)
        img = Image.fromarray(frame)
        d = ImageDraw.Draw(img)
        for line in range(8):
            d.rectangle([60, 120 + line * 45, 60 + 70 * ((k + line) % 11 + 2), 142 + line * 45], fill=(40, 40, 40))
        img.save(folder / f"slide-{k + 1:03d}.png", compress_level=1)
    shows = showings_for(60)
    out = render_grid(shows, folder, tmp_path / "grid.pdf", meta)
    size = out.stat().st_size
    assert pdfread.page_count(out) == 4
    assert size < 3_000_000, f"60-slide 16-up handout is {size / 1e6:.1f} MB"
