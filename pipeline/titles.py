"""The lecture's title: one rule, used by the study stage (as the AI's hint) and the render stage (on every file).

Precedence, first found wins:
1. the `--title` option (what the person asked for);
2. the fetch stage's `session_title` (the recording's name where it came from, e.g. a Panopto session);
3. the slides stage's `deck_title` (read off the first slide or its most prominent text);
4. the AI title task's answer (study stage results);
5. the file name (fetch's `title`, made readable), else "Lecture handout".
"""

from __future__ import annotations

from typing import Any, Mapping

FALLBACK = "Lecture handout"


def _clean(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def lecture_title(options: Mapping[str, Any], outputs: Mapping[str, Any], ai_title: str | None = None) -> str:
    """The title of the lecture by the precedence above."""
    title, _ = titled(options, outputs, ai_title)
    return title


def titled(options: Mapping[str, Any], outputs: Mapping[str, Any],
           ai_title: str | None = None) -> tuple[str, str]:
    """The title and where it came from: option, session, deck, ai, file or fallback."""
    fetched = outputs.get("fetch") or {}
    slides = outputs.get("slides") or {}
    for source, value in (("option", options.get("title")), ("session", fetched.get("session_title")),
                          ("deck", slides.get("deck_title")), ("ai", ai_title), ("file", fetched.get("title"))):
        text = _clean(value)
        if text:
            return text, source
    return FALLBACK, "fallback"


def non_ai_title(options: Mapping[str, Any], outputs: Mapping[str, Any]) -> tuple[str, str]:
    """The best title known before the AI is asked (its hint), with its source."""
    return titled(options, outputs, None)
