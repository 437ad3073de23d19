"""The vignette questions as a PDF: questions grouped by learning objective, the answer key on pages of its own.

A student works through the questions without seeing an answer, then turns to the key: so no page that
holds a question holds an answer, an explanation or a difficulty, and the key always starts a new page.
A question never breaks across pages unless it is taller than a page. The page furniture (DejaVu Sans,
header, footer, metadata) is the handouts' own, so every document of a lecture looks alike.
"""

from __future__ import annotations

from pathlib import Path

from ..ai.schemas import Vignette, VignetteSet
from .document import FAMILY, GREY, RULE, HandoutMeta, HandoutPDF
from .files import atomic_output
from .text import unmarked

# The few words of the page itself, per language; the questions arrive already in the lecture's language.
WORDS: dict[str, dict[str, str]] = {
    "en": {"difficulty": "Difficulty", "questions": "Practice questions", "key": "Answer key", "objective": "Objective",
           "intro": "{n} questions on {m} learning objectives. The answer key starts on a new page after the last "
                    "question.", "easy": "easy", "medium": "medium", "hard": "hard", "other": "Other questions",
           "slide": "Slide", "slides": "Slides"},
    "es": {"difficulty": "Dificultad", "questions": "Preguntas de práctica", "key": "Respuestas",
           "objective": "Objetivo",
           "intro": "{n} preguntas sobre {m} objetivos de aprendizaje. Las respuestas empiezan en una página nueva "
                    "tras la última pregunta.", "easy": "fácil", "medium": "media", "hard": "difícil",
           "other": "Otras preguntas", "slide": "Diapositiva", "slides": "Diapositivas"},
    "fr": {"difficulty": "Difficulté", "questions": "Questions d’entraînement", "key": "Corrigé",
           "objective": "Objectif",
           "intro": "{n} questions sur {m} objectifs d’apprentissage. Le corrigé commence sur une nouvelle page "
                    "après la dernière question.", "easy": "facile", "medium": "moyenne", "hard": "difficile",
           "other": "Autres questions", "slide": "Diapositive", "slides": "Diapositives"},
    "de": {"difficulty": "Schwierigkeit", "questions": "Übungsfragen", "key": "Lösungen", "objective": "Lernziel",
           "intro": "{n} Fragen zu {m} Lernzielen. Die Lösungen beginnen nach der letzten Frage auf einer neuen "
                    "Seite.", "easy": "leicht", "medium": "mittel", "hard": "schwer", "other": "Weitere Fragen",
           "slide": "Folie", "slides": "Folien"},
    "pt": {"difficulty": "Dificuldade", "questions": "Questões de prática", "key": "Gabarito", "objective": "Objetivo",
           "intro": "{n} questões sobre {m} objetivos de aprendizagem. O gabarito começa numa nova página após a "
                    "última questão.", "easy": "fácil", "medium": "média", "hard": "difícil",
           "other": "Outras questões", "slide": "Slide", "slides": "Slides"},
}

TEXT_SIZE, TEXT_LH = 10.5, 5.2
NUMBER_W = 10.0        # the question number's gutter, mm
LETTER_W = 7.0         # a choice letter's gutter, mm
QUESTION_GAP = 6.0


def words(language: str) -> dict[str, str]:
    """The page's own words in `language` ("pt-BR" finds "pt"), English when the language is not known."""
    key = (language or "en").split("-")[0].split("_")[0].lower()
    return WORDS.get(key, WORDS["en"])


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def groups(vignettes: VignetteSet) -> list[tuple[str, list[Vignette]]]:
    """Questions under their objectives, in the set's order of objectives; strays under their own objective."""
    order: dict[str, tuple[str, list[Vignette]]] = {}
    for objective in vignettes.objectives:
        order.setdefault(_norm(objective), (" ".join(objective.split()), []))
    for q in vignettes.questions:
        key = _norm(q.objective)
        order.setdefault(key, (" ".join(q.objective.split()), []))[1].append(q)
    return [(name, qs) for name, qs in order.values() if qs]


def plain_set(vignettes: VignetteSet) -> VignetteSet:
    """The questions as printed: Markdown emphasis dropped from every text a student reads."""
    questions = [q.model_copy(update={
        "objective": unmarked(q.objective), "stem": unmarked(q.stem), "question": unmarked(q.question),
        "explanation": unmarked(q.explanation),
        "choices": [c.model_copy(update={"text": unmarked(c.text)}) for c in q.choices]})
        for q in vignettes.questions]
    return vignettes.model_copy(update={"objectives": [unmarked(o) for o in vignettes.objectives],
                                        "questions": questions})


class QuizPDF(HandoutPDF):
    """The handout page with helpers for blocks that must not break across pages."""

    def height(self, width: float, text: str, size: float, bold: bool = False) -> float:
        """How tall `text` wraps to in `width` at `size`."""
        self.set_font(FAMILY, "B" if bold else "", size)
        return self.multi_cell(width, TEXT_LH * size / TEXT_SIZE, text, dry_run=True, output="HEIGHT")

    def keep(self, needed: float) -> None:
        """Start a new page unless `needed` mm fit below the current position (or would fit on no page)."""
        room = self.body_bottom - self.get_y()
        if needed > room and needed <= self.body_bottom - self.body_top:
            self.add_page()

    def para(self, x: float, width: float, text: str, size: float = TEXT_SIZE, bold: bool = False,
             colour: tuple[int, int, int] | int = 0) -> None:
        """A wrapped paragraph at x, `width` wide, from the current y; leaves y below it."""
        self.set_font(FAMILY, "B" if bold else "", size)
        self.set_text_color(*colour) if isinstance(colour, tuple) else self.set_text_color(colour)
        self.set_x(x)
        self.multi_cell(width, TEXT_LH * size / TEXT_SIZE, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)

    def rule(self) -> None:
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(self.margin, self.get_y(), self.margin + self.epw, self.get_y())


def _objective_heading(pdf: QuizPDF, label: str, objective: str, first_block: float) -> None:
    text = f"{label}: {objective}"
    pdf.keep(pdf.height(pdf.epw, text, 12, True) + 4 + first_block)
    pdf.start_section(text if len(text) <= 90 else text[:89] + "\u2026", level=1)
    pdf.para(pdf.margin, pdf.epw, text, 12, True, (31, 58, 95))
    pdf.ln(1)
    pdf.rule()
    pdf.ln(3)


def _question_height(pdf: QuizPDF, q: Vignette) -> float:
    body = pdf.epw - NUMBER_W
    h = pdf.height(body, q.stem, TEXT_SIZE) + 2 + pdf.height(body, q.question, TEXT_SIZE, True) + 2
    h += sum(pdf.height(body - LETTER_W, c.text, TEXT_SIZE) + 1 for c in q.choices)
    return h


def _question(pdf: QuizPDF, number: int, q: Vignette) -> None:
    pdf.keep(_question_height(pdf, q))
    x = pdf.margin + NUMBER_W
    body = pdf.epw - NUMBER_W
    top = pdf.get_y()
    pdf.set_font(FAMILY, "B", TEXT_SIZE)
    pdf.set_xy(pdf.margin, top)
    pdf.cell(NUMBER_W, TEXT_LH, f"{number}.")
    pdf.set_xy(x, top)
    pdf.para(x, body, q.stem)
    pdf.ln(2)
    pdf.para(x, body, q.question, bold=True)
    pdf.ln(2)
    for c in q.choices:
        y = pdf.get_y()
        pdf.set_font(FAMILY, "B", TEXT_SIZE)
        pdf.set_xy(x, y)
        pdf.cell(LETTER_W, TEXT_LH, f"{c.letter}.")
        pdf.set_xy(x + LETTER_W, y)
        pdf.para(x + LETTER_W, body - LETTER_W, c.text)
        pdf.ln(1)
    pdf.ln(QUESTION_GAP)


def _key_entry(pdf: QuizPDF, number: int, q: Vignette, w: dict[str, str]) -> None:
    x = pdf.margin + NUMBER_W
    body = pdf.epw - NUMBER_W
    chosen = next(c.text for c in q.choices if c.letter == q.answer)
    answer = f"{q.answer}. {chosen}"
    level = f"{w['difficulty']}: {w.get(q.difficulty, q.difficulty)}"
    if q.slides:
        # Where to look it up again, in the handout's numbering.
        level += f" \u00b7 {w['slide'] if len(q.slides) == 1 else w['slides']} {', '.join(map(str, q.slides))}"
    needed = pdf.height(body, answer, TEXT_SIZE, True) + pdf.height(body, q.explanation, TEXT_SIZE) + 9
    pdf.keep(needed)
    top = pdf.get_y()
    pdf.set_font(FAMILY, "B", TEXT_SIZE)
    pdf.set_xy(pdf.margin, top)
    pdf.cell(NUMBER_W, TEXT_LH, f"{number}.")
    pdf.set_xy(x, top)
    pdf.para(x, body, answer, bold=True)
    pdf.para(x, body, q.explanation)
    pdf.para(x, body, level, 8.5, colour=GREY)
    pdf.ln(3.5)


def _save(pdf: QuizPDF, out: Path) -> Path:
    with atomic_output(out) as tmp:
        pdf.output(str(tmp))
    return Path(out)


def render_quiz(vignettes: VignetteSet, out: Path, *, title: str, language: str = "en", heading: str = "",
                note: str = "") -> Path:
    """Write the questions, grouped by objective and numbered, then the answer key from a new page.

    `heading` replaces the page's own name for the questions (e.g. "Recall practice"); `note` is printed in
    bold under the introduction (e.g. that no model wrote them)."""
    w = words(language)
    vignettes = plain_set(vignettes)
    grouped = groups(vignettes)
    meta = HandoutMeta(title=title, subject=f"{w['questions']} \u2014 {len(vignettes.questions)}",
                       keywords=[w["questions"], w["key"], *[name for name, _ in grouped][:8]], language=language)
    pdf = QuizPDF(meta)
    pdf.set_auto_page_break(True, margin=pdf.footer_room)
    pdf.add_page()
    name = heading or w["questions"]
    pdf.start_section(name, level=0)
    pdf.para(pdf.margin, pdf.epw, name, 16, True)
    pdf.ln(1)
    pdf.para(pdf.margin, pdf.epw, w["intro"].format(n=len(vignettes.questions), m=len(grouped)), 9.5,
             colour=GREY)
    if note:
        pdf.ln(1)
        pdf.para(pdf.margin, pdf.epw, note, 9.5, True, GREY)
    pdf.ln(5)

    numbered: list[tuple[int, str, Vignette]] = []
    for k, (objective, questions) in enumerate(grouped, start=1):
        _objective_heading(pdf, f"{w['objective']} {k}", objective, _question_height(pdf, questions[0]))
        for q in questions:
            numbered.append((len(numbered) + 1, objective, q))
            _question(pdf, numbered[-1][0], q)

    pdf.add_page()  # the key never shares a page with a question
    pdf.start_section(w["key"], level=0)
    pdf.para(pdf.margin, pdf.epw, w["key"], 16, True)
    pdf.ln(4)
    current = None
    for number, objective, q in numbered:
        if objective != current:
            current = objective
            # The objective's name stays with its first answer.
            pdf.keep(pdf.height(pdf.epw, objective, 9.5, True) + 1.5 + pdf.height(pdf.epw, q.explanation, TEXT_SIZE)
                     + 2 * TEXT_LH + 9)
            pdf.para(pdf.margin, pdf.epw, objective, 9.5, True, GREY)
            pdf.ln(1.5)
        _key_entry(pdf, number, q, w)
    return _save(pdf, out)
