"""The offline engine: every AI task answered extractively from the lecture's own words, with no network.

It cleans captions by rule, ranks sentences (TextRank with term and form features), extracts key terms (TF-IDF
over slides), and fills the study table, questions and mind map from them. The same lecture always gives the
same answer, and nothing in an answer is a fact the lecture did not state.
"""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from ...errors import AIError, AIOutputInvalid
from ..engine import Completion, Prompt
from ..schemas import TASKS, CleanedCaptions, LectureInput, LectureTitle, SlideText
from .analysis import Analysis, analyse
from .mindmap import make_mindmap
from .points import key_points
from .table import study_table
from .title import make_title
from .vignettes import vignettes


def _clean_captions(a: Analysis) -> BaseModel:
    return CleanedCaptions(slides=[SlideText(index=s.index, text=a.cleaned[s.index]) for s in a.lecture.slides])


def _title(a: Analysis) -> BaseModel:
    return LectureTitle(title=make_title(a))


def _key_points(a: Analysis) -> BaseModel:
    if not a.has_text:
        raise AIOutputInvalid("key_points", "the lecture has no captions to draw key points from; "
                              "add captions or a transcript and run it again")
    return key_points(a)


_RUNNERS = {
    "clean_captions": _clean_captions,
    "title": _title,
    "key_points": _key_points,
    "study_table": study_table,
    "vignettes": vignettes,
    "mindmap": make_mindmap,
}


class OfflineEngine:
    """The extractive engine behind the AI port; free, deterministic, always available."""

    name = "offline"
    model = "extractive-v1"
    # It reads no pixels: a slide's picture reaches it as the text OCR read off that slide (SlideInput.slide_text),
    # so a lecture carrying pictures is answered exactly as the same lecture without them.
    accepts_images = False

    def run(self, task: str, lecture: LectureInput, prompt: Prompt) -> Completion:
        """Answer one task over the lecture; the prompt is accepted for the port's sake but not read."""
        runner = _RUNNERS.get(task)
        if runner is None:
            raise AIError(task, f"unknown AI task '{task}'; the offline engine knows {', '.join(sorted(TASKS))}")
        value = runner(analyse(lecture))
        try:
            value = TASKS[task].model_validate(value.model_dump())
        except ValidationError as exc:
            raise AIOutputInvalid(task, f"the offline engine built a {task} answer that breaks its schema: "
                                  f"{exc.errors()[0]['msg']}") from exc
        return Completion(value=value, model=self.model)
