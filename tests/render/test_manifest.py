"""slides.json: the written shape, the round trip, and errors that name the entry and field."""

from __future__ import annotations

import json

import pytest

from pipeline.errors import InputError, SourceNotFound
from pipeline.render.manifest import read_manifest, write_manifest
from pipeline.types import Cue, Showing

from .conftest import UNICODE_CAPTION


def _showings() -> list[Showing]:
    return [
        Showing(12.5, 47.00049, "slide-001.png", None, "Welcome.", [Cue(12.5, 14.0, "Welcome.")]),
        Showing(47.00049, 80.1234567, "slide-002.png", None, UNICODE_CAPTION),
        Showing(80.1234567, 95.0, "slide-001.png", 0, ""),
    ]


def test_shape_on_disk(tmp_path):
    out = write_manifest(_showings(), tmp_path / "out" / "slides.json",
                         extra={"captions_source": "embedded", "duration": 95.0, "title": "Lecture 7"})
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["version"] == 1
    assert doc["captions_source"] == "embedded" and doc["duration"] == 95.0 and doc["title"] == "Lecture 7"
    assert doc["slides"][0] == {"start": 12.5, "end": 47.0, "image": "slide-001.png", "text": "Welcome.",
                                "repeat_of": None}
    assert doc["slides"][1]["end"] == 80.123
    assert doc["slides"][2]["repeat_of"] == 0
    assert UNICODE_CAPTION in out.read_text(encoding="utf-8")   # written as text, not \\u escapes
    assert [p.name for p in out.parent.iterdir()] == ["slides.json"]  # no temporary file left behind


def test_round_trip(tmp_path):
    back = read_manifest(write_manifest(_showings(), tmp_path / "slides.json", extra={"duration": 95.0}))
    assert [(s.start, s.end, s.image, s.text, s.repeat_of) for s in back] == [
        (12.5, 47.0, "slide-001.png", "Welcome.", None),
        (47.0, 80.123, "slide-002.png", UNICODE_CAPTION, None),
        (80.123, 95.0, "slide-001.png", "", 0),
    ]
    assert all(s.cues == [] for s in back)


def test_extras_cannot_take_the_manifest_keys(tmp_path):
    with pytest.raises(InputError, match="'slides' is reserved"):
        write_manifest(_showings(), tmp_path / "slides.json", extra={"slides": []})
    with pytest.raises(InputError, match="plain JSON"):
        write_manifest(_showings(), tmp_path / "slides.json", extra={"when": object()})
    assert not (tmp_path / "slides.json").exists()


def _write(tmp_path, doc) -> object:
    p = tmp_path / "slides.json"
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return p


GOOD = {"start": 0, "end": 5, "image": "slide-001.png", "text": "hi", "repeat_of": None}


@pytest.mark.parametrize("entries, index, field, words", [
    ([{**GOOD, "start": -1}], 0, "start", "0 or more"),
    ([{**GOOD, "start": True}], 0, "start", "number of seconds"),
    ([{**GOOD, "end": "5"}], 0, "end", "number of seconds"),
    ([GOOD, {**GOOD, "start": 9, "end": 3}], 1, "end", "before start"),
    ([{k: v for k, v in GOOD.items() if k != "image"}], 0, "image", "missing"),
    ([{**GOOD, "image": ""}], 0, "image", "non-empty"),
    ([{**GOOD, "image": "../etc/passwd"}], 0, "image", "plain file name"),
    ([{**GOOD, "text": 3}], 0, "text", "string"),
    ([GOOD, {**GOOD, "repeat_of": 1}], 1, "repeat_of", "earlier slide"),
    ([GOOD, {**GOOD, "repeat_of": 0, "image": "slide-002.png"}], 1, "repeat_of", "differs"),
    ([GOOD, "slide-002.png"], 1, "slides", "must be an object"),
])
def test_bad_entries_name_index_and_field(tmp_path, entries, index, field, words):
    with pytest.raises(InputError) as e:
        read_manifest(_write(tmp_path, {"slides": entries}))
    assert e.value.context["index"] == index and e.value.context["field"] == field
    assert words in e.value.message
    if field != "slides":
        assert f"slides[{index}].{field}" in e.value.message


@pytest.mark.parametrize("doc, words", [
    ("{not json", "not valid JSON at line 1"),
    ([GOOD], "must be a JSON object"),
    ({"title": "x"}, '"slides" must be a list'),
    ({"slides": {"0": GOOD}}, '"slides" must be a list'),
    ({"version": 2, "slides": [GOOD]}, "version 2 is not supported"),
])
def test_bad_documents(tmp_path, doc, words):
    with pytest.raises(InputError, match=words.replace("(", r"\(").replace('"', '"')):
        read_manifest(_write(tmp_path, doc))


def test_missing_file_and_null_text(tmp_path):
    with pytest.raises(SourceNotFound, match="no such manifest"):
        read_manifest(tmp_path / "nope.json")
    back = read_manifest(_write(tmp_path, {"slides": [{**GOOD, "text": None}]}))
    assert back[0].text == ""


def test_slide_text_and_covered_region_round_trip(tmp_path):
    from pipeline.types import SlideText, TextLine

    read = SlideText("Rayleigh fading", (TextLine("Rayleigh fading", (0.05, 0.04, 0.6, 0.14), 0.97),), "rapidocr")
    shows = _showings()
    shows[0].slide_text, shows[0].covered = read, (0.75, 0.7, 1.0, 1.0)
    out = write_manifest(shows, tmp_path / "slides.json")
    entry = json.loads(out.read_text(encoding="utf-8"))["slides"][0]
    assert entry["slide_text"]["title"] == "Rayleigh fading" and entry["covered"] == [0.75, 0.7, 1.0, 1.0]
    assert "slide_text" not in json.loads(out.read_text(encoding="utf-8"))["slides"][1]
    back = read_manifest(out)
    assert back[0].slide_text == read and back[0].covered == (0.75, 0.7, 1.0, 1.0)
    assert back[1].slide_text is None and back[1].covered is None


@pytest.mark.parametrize("extra, field, words", [
    ({"covered": [0.5, 0.5, 0.2, 1]}, "covered", "x0 < x1"),
    ({"covered": [0, 0, 1.5, 1]}, "covered", "fractions 0 to 1"),
    ({"covered": "bottom right"}, "covered", "[x0, y0, x1, y1]"),
    ({"slide_text": "Rayleigh"}, "slide_text", "title string"),
    ({"slide_text": {"title": "t", "lines": [{"text": "a"}]}}, "slide_text.lines[0].box", "[x0, y0, x1, y1]"),
    ({"slide_text": {"title": "t", "lines": [{"box": [0, 0, 1, 1]}]}}, "slide_text.lines[0]", "text string"),
])
def test_bad_slide_text_and_covered_name_the_field(tmp_path, extra, field, words):
    with pytest.raises(InputError) as e:
        read_manifest(_write(tmp_path, {"slides": [{**GOOD, **extra}]}))
    assert e.value.context["field"] == field and words in e.value.message
