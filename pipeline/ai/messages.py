"""The chat messages for one task: stable content first so the endpoint's prompt cache can reuse it.

Order: a fixed system message, the transcript (the same for every task of a lecture), then the task's prompt
and its parameters. With OpenAI's strict structured outputs the response schema is itself part of the cached
prefix, so tasks with different schemas do not share it; the order still lets a re-run of one task (a retry, a
split part) and other endpoints' caches reuse the transcript (`python -m benchmarks.ai_cost` prints both figures).
"""

from __future__ import annotations

import hashlib

from .engine import Prompt
from .schemas import LectureInput

SYSTEM = (
    "You turn university lecture transcripts into study materials for students. The first user message is the "
    "transcript, split into passages, one per slide shown; each passage starts with a marker "
    "[#N slide S mm:ss-mm:ss] where N is the passage's number and S the slide's number as the handout prints it "
    "(a return to an earlier slide keeps that slide's number and says 'again'). When a slide's own text was read, "
    "it follows the marker as 'Slide text: ...'. Cite slides by S; name passages by N only where the schema asks "
    "for a passage. The last user message is your task. Use only what the lecture says. Answer with a single JSON "
    "object that fits the given schema, and nothing else."
)
SYSTEM_IMAGES = (
    " A passage may be followed by the picture of its slide, given once at the slide's first showing: read "
    "what it shows (diagrams, tables, labels, formulas) as part of the lecture and cite it by that slide's number."
)
TRANSCRIPT_HEAD = "Lecture transcript:\n\n"


def clock(seconds: float) -> str:
    """m:ss (or h:mm:ss) for a time in the lecture."""
    s = max(0, int(seconds))
    h, rem = divmod(s, 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{rem // 60}:{rem % 60:02d}"


def passages(lecture: LectureInput, with_images: bool = False) -> list[tuple[str, str | None]]:
    """The transcript's passages as (text, image name shown after it); a slide's text and picture come once,
    at its first showing. With images, a silent showing is kept when it brings a picture."""
    out: list[tuple[str, str | None]] = []
    read: set[int | None] = set()
    shown: set[str] = set()
    for s in lecture.slides:
        text = s.text.strip()
        written = slide_writing(s.slide_title, s.slide_text) if s.number not in read else ""
        picture = s.image if with_images and s.image in lecture.images and s.image not in shown else None
        if not text and not written and picture is None:
            continue
        read.add(s.number)      # a slide's text is given once, at its first showing
        if picture is not None:
            shown.add(picture)
        again = " again" if s.repeat_of is not None else ""
        head = f"[#{s.index} slide {s.number}{again} {clock(s.start)}-{clock(s.end)}]"
        body = head + (f"\nSlide text: {written}" if written else "") + \
            (f"\n{text}" if written and text else f" {text}" if text else "")
        out.append((body, picture))
    return out


def render_transcript(lecture: LectureInput) -> str:
    """The transcript as the model reads it: one marked passage per slide that has speech."""
    return TRANSCRIPT_HEAD + "\n\n".join(text for text, _ in passages(lecture))


def transcript_parts(lecture: LectureInput, detail: str) -> list[dict]:
    """The transcript as content parts: each passage's text, then its slide's picture at `detail`."""
    parts: list[dict] = []
    pending = TRANSCRIPT_HEAD
    for text, picture in passages(lecture, with_images=True):
        pending += ("" if pending == TRANSCRIPT_HEAD else "\n\n") + text
        if picture is not None:
            parts.append({"type": "text", "text": pending})
            parts.append({"type": "image_url",
                          "image_url": {"url": lecture.images[picture].data_url(), "detail": detail}})
            pending = ""
    if pending.strip():
        parts.append({"type": "text", "text": pending.lstrip("\n")})
    return parts


def transcript_text(content: str | list[dict]) -> str:
    """The transcript message's text in either form (one string, or text and image parts), pictures left out."""
    if isinstance(content, str):
        return content
    return "\n\n".join(p["text"].strip("\n") for p in content if p.get("type") == "text" and p.get("text"))


def sent_images(lecture: LectureInput) -> list[str]:
    """The names of the pictures a request over `lecture` carries, in the order it shows them."""
    return [picture for _, picture in passages(lecture, with_images=True) if picture is not None]


def slide_writing(title: str, text: str) -> str:
    """What OCR read on a slide, as one line: its title first, then its other lines."""
    lines = [" ".join(line.split()) for line in (text or "").split("\n")]
    head = " ".join((title or "").split())
    body = [line for line in lines if line and line != head]
    return " / ".join(([head] if head else []) + body)


def task_parameters(task: str, lecture: LectureInput) -> list[str]:
    """The per-request details a prompt file cannot know: language, title hint, columns, vignette style."""
    lines = [f"Write in the lecture's language (code: {lecture.language})."]
    if task == "title" and lecture.title_hint.strip():
        lines.append(f"Title hint: {lecture.title_hint.strip()}")
    if task == "study_table":
        if lecture.study_columns:
            lines.append("Columns, in this order: " + " | ".join(lecture.study_columns))
        else:
            lines.append("Columns: choose 4 to 6 columns suited to this lecture; the first names the topic.")
    if task == "vignettes":
        lines.append("Style: clinical vignettes: each stem is a patient presentation (age, sex, complaint, "
                     "history, findings, test results) and the question asks for a diagnosis, mechanism, next "
                     "step or treatment." if lecture.vignette_style == "clinical" else
                     "Style: applied vignettes: each stem is a realistic situation from the discipline (an "
                     "experiment, a case, a problem, a design decision) in which the objective must be applied.")
    return lines


def build_messages(task: str, lecture: LectureInput, prompt: Prompt, image_detail: str | None = None) -> list[dict]:
    """System, transcript, then the task: the prefix is identical for every task over one lecture.

    With `image_detail` and pictures in the lecture, the transcript is a list of text and image parts; otherwise
    it is one string."""
    task_text = prompt.text.rstrip() + "\n\n" + "\n".join(task_parameters(task, lecture))
    if image_detail and sent_images(lecture):
        return [{"role": "system", "content": SYSTEM + SYSTEM_IMAGES},
                {"role": "user", "content": transcript_parts(lecture, image_detail)},
                {"role": "user", "content": task_text}]
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": render_transcript(lecture)},
            {"role": "user", "content": task_text}]


def lecture_cache_key(lecture: LectureInput) -> str:
    """A stable name for the lecture's shared prefix (OpenAI's prompt_cache_key routes it to one cache)."""
    material = render_transcript(lecture) + "".join(lecture.images[n].sha256 for n in sent_images(lecture))
    return "handouts-" + hashlib.sha256(material.encode("utf-8")).hexdigest()[:24]
