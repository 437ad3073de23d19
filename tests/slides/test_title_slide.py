"""The lecture's title off its title slide (`prominent_text`): three real decks' OCR lines, then made-up slides.

The real lines are what RapidOCR (our settings) read off page 1 of each public deck of benchmarks.real_lectures,
rendered at 1280x720: text and box as fractions of the slide, rounded to 3 places. The PDFs are not here."""

from __future__ import annotations

from pipeline.slides.ocr_layout import order_lines, prominent_text
from pipeline.types import TextLine

TURING = [("The", 0.751, 0.028, 0.795, 0.076),
          ("Learning at the Turing", 0.150, 0.074, 0.337, 0.111),
          ("Alan Turing", 0.769, 0.052, 0.870, 0.109),
          ("Institute", 0.753, 0.091, 0.830, 0.133),
          ("Mathematics of Machine Learning - Summer School", 0.182, 0.283, 0.817, 0.339),
          ("Lecture 1", 0.440, 0.480, 0.562, 0.535),
          ("Introduction", 0.424, 0.546, 0.577, 0.602),
          ("June 28, 2021", 0.436, 0.732, 0.564, 0.776),
          ("Patrick Rebeschini", 0.410, 0.852, 0.590, 0.887),
          ("Department of Statistics, University of Oxford", 0.300, 0.893, 0.701, 0.935)]
EPFL = [("Optimization for Machine Learning", 0.243, 0.174, 0.757, 0.243),
        ("CS-439", 0.444, 0.246, 0.557, 0.309),
        ("Lecture 2: Gradient Descent", 0.345, 0.374, 0.655, 0.420),
        ("Nicolas Flammarion", 0.392, 0.513, 0.616, 0.561),
        ("EPFL - github.com/epfml/OptML_course", 0.302, 0.622, 0.682, 0.674),
        ("February 27th, 2026", 0.396, 0.680, 0.604, 0.730)]
SBU = [("AMS 595: Fundamentals of Computing: Part II", 0.213, 0.261, 0.782, 0.324),
       ("Lecture 1: Overview of Python", 0.352, 0.335, 0.646, 0.383),
       ("Xiangmin Jiao", 0.426, 0.467, 0.571, 0.528),
       ("Stony Brook University", 0.410, 0.567, 0.590, 0.615),
       ("Xiangmin Jiao", 0.204, 0.963, 0.299, 0.998),
       ("Fundamentals of Computing", 0.411, 0.963, 0.592, 0.998),
       ("1 / 13", 0.803, 0.963, 0.852, 0.998)]


def slide(rows):
    return order_lines([TextLine(text, (x0, y0, x1, y1), 0.95) for text, x0, y0, x1, y1 in rows])


def test_turing_deck_the_logo_in_the_corner_is_taller_than_the_title_and_is_passed_over():
    lines = slide(TURING)
    tallest = max(lines, key=lambda line: line.box[3] - line.box[1])
    assert tallest.text == "Alan Turing"  # the logo's line, by 0.001 of the slide's height
    assert prominent_text(lines) == "Mathematics of Machine Learning - Summer School — Lecture 1: Introduction"


def test_epfl_deck_a_two_line_course_title_and_the_lecture_line_under_it():
    assert prominent_text(slide(EPFL)) == "Optimization for Machine Learning CS-439 — Lecture 2: Gradient Descent"


def test_sbu_deck_the_author_in_nearly_the_title_size_lower_down_is_not_the_title():
    assert prominent_text(slide(SBU)) == "AMS 595: Fundamentals of Computing: Part II — Lecture 1: Overview of Python"


def test_a_bigger_logo_in_a_corner_loses_to_a_centred_title():
    lines = slide([("ACME", 0.85, 0.02, 0.97, 0.14),                      # twice the title's height
                   ("Cell Signalling", 0.30, 0.35, 0.70, 0.41),
                   ("Dr. Ada Example", 0.40, 0.55, 0.60, 0.59)])
    assert prominent_text(lines) == "Cell Signalling"
    # with nothing else on the slide, the corner text is all there is
    assert prominent_text(slide([("ACME", 0.85, 0.02, 0.97, 0.14)])) == "ACME"


def test_an_opening_content_slide_keeps_its_heading_in_the_top_left_corner():
    lines = slide([("Introduction", 0.05, 0.05, 0.35, 0.12),
                   ("Why membranes matter to every cell", 0.08, 0.30, 0.80, 0.35),
                   ("Transport costs energy", 0.08, 0.40, 0.55, 0.45)])
    assert prominent_text(lines) == "Introduction"


def test_dates_addresses_and_page_numbers_are_never_the_title_however_large():
    lines = slide([("March 3, 2025", 0.30, 0.10, 0.70, 0.20),
                   ("www.example.edu/bio101", 0.25, 0.22, 0.75, 0.31),
                   ("ada@example.edu", 0.35, 0.32, 0.65, 0.40),
                   ("Enzymes", 0.40, 0.45, 0.60, 0.50),
                   ("2025-03-03", 0.40, 0.55, 0.60, 0.63),
                   ("7", 0.45, 0.66, 0.55, 0.80)])
    assert prominent_text(lines) == "Enzymes"
    assert prominent_text(slide([("12 / 40", 0.4, 0.4, 0.6, 0.5), ("3 March 2025", 0.3, 0.6, 0.7, 0.7)])) == ""


def test_two_title_lines_of_one_size_join_and_the_author_below_does_not():
    lines = slide([("Secondary active transport", 0.20, 0.30, 0.80, 0.37),
                   ("and the sodium gradient", 0.25, 0.38, 0.75, 0.45),
                   ("Ada Example", 0.40, 0.60, 0.60, 0.67)])          # the same size, well apart
    assert prominent_text(lines) == "Secondary active transport and the sodium gradient"


def test_a_small_course_line_over_the_lecture_line_is_put_in_front_but_an_institution_is_not():
    lines = slide([("CS 101 Algorithms", 0.35, 0.25, 0.65, 0.30),
                   ("Lecture 3: Sorting", 0.25, 0.33, 0.75, 0.41),
                   ("Ada Example", 0.40, 0.55, 0.60, 0.59)])
    assert prominent_text(lines) == "CS 101 Algorithms — Lecture 3: Sorting"
    lines = slide([("Northfield University", 0.35, 0.25, 0.65, 0.30),
                   ("Lecture 3: Sorting", 0.25, 0.33, 0.75, 0.41),
                   ("Ada Example", 0.40, 0.55, 0.60, 0.59)])
    assert prominent_text(lines) == "Lecture 3: Sorting"


def test_a_lecture_line_far_down_or_tiny_stays_out():
    low = slide([("Membrane Transport", 0.2, 0.30, 0.8, 0.38), ("Ada Example", 0.4, 0.5, 0.6, 0.54),
                 ("Lecture 7", 0.42, 0.80, 0.58, 0.86)])
    assert prominent_text(low) == "Membrane Transport"
    tiny = slide([("Membrane Transport", 0.2, 0.30, 0.8, 0.38), ("Lecture 7", 0.46, 0.40, 0.54, 0.43)])
    assert prominent_text(tiny) == "Membrane Transport"
    # the lecture line's own second line may not be the department's name in the same size
    dept = slide([("Heat Transfer by Conduction", 0.208, 0.286, 0.789, 0.375),
                  ("Lecture 3", 0.439, 0.436, 0.544, 0.494),
                  ("Department of Mechanical Engineering", 0.295, 0.536, 0.686, 0.594)])
    assert prominent_text(dept) == "Heat Transfer by Conduction — Lecture 3"
    # a course line ending in a colon takes the lecture line without a dash
    colon = slide([("Physiology:", 0.35, 0.30, 0.65, 0.38), ("Week 2 Kidneys", 0.4, 0.42, 0.6, 0.47)])
    assert prominent_text(colon) == "Physiology: Week 2 Kidneys"


def test_a_long_title_is_cut_at_a_word_to_150_characters():
    words = "word " * 60
    got = prominent_text(slide([(words.strip(), 0.02, 0.30, 0.98, 0.36), ("x y", 0.45, 0.5, 0.55, 0.53)]))
    assert len(got) <= 151 and got.endswith("word…") and "  " not in got
