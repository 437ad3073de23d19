"""The answer a model is asked for: one JSON schema per task *and lecture*, so what the schema allows our checks
accept.

Under strict structured outputs a model can only produce what the schema allows, so every constraint we can
state goes into it: slide references are integer enums of the lecture's slide numbers, per-passage answers
name passages by an enum of the passage indexes that carry speech, the study table's requested columns are
required properties of each row, a question's choices are an object with the keys A to E, and the mindmap is a
recursive tree ($defs/$ref). Every schema keeps to OpenAI's strict subset: every property required,
`additionalProperties: false` on every object, no defaults.

`validate()` checks an answer against such a schema (the subset above) as a second line for endpoints that
do not enforce it, and `to_answer()` turns the wire form into the stored answer (pipeline/ai/schemas.py).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .schemas import TASKS, LETTERS, LectureInput

Schema = dict[str, Any]


def _obj(properties: dict[str, Schema], description: str | None = None) -> Schema:
    node: Schema = {"type": "object", "properties": properties, "required": list(properties),
                    "additionalProperties": False}
    if description:
        node["description"] = description
    return node


def _text(description: str | None = None) -> Schema:
    return {"type": "string", "description": description} if description else {"type": "string"}


def _list(items: Schema, description: str | None = None) -> Schema:
    node: Schema = {"type": "array", "items": items}
    if description:
        node["description"] = description
    return node


def _enum(values: list[int], description: str) -> Schema:
    return {"type": "integer", "enum": list(values), "description": description}


def slide_refs(lecture: LectureInput) -> Schema:
    """A list of the lecture's slide numbers (as the handout prints them), and nothing else."""
    return _list(_enum(lecture.slide_numbers(), "a slide number, as in the [... slide N ...] markers"),
                 "the slides this draws on")


def _passage(lecture: LectureInput) -> Schema:
    indexes = lecture.spoken_indexes() or [s.index for s in lecture.slides]
    return _enum(indexes, "the passage number N of a [#N ...] marker")


def _study_table(lecture: LectureInput) -> Schema:
    if lecture.study_columns:
        cells = _obj({c: _text() for c in lecture.study_columns}, "one cell per requested column")
        return _obj({"rows": _list(_obj({"cells": cells, "slides": slide_refs(lecture)}))})
    return _obj({"columns": _list(_text(), "4 to 6 column names; the first names the topic"),
                 "rows": _list(_obj({"cells": _list(_text(), "one cell per column, in column order"),
                                     "slides": slide_refs(lecture)}))})


def _vignettes(lecture: LectureInput) -> Schema:
    choices = _obj({letter: _text() for letter in LETTERS}, "the five options, A to E")
    question = _obj({"objective": _text(), "stem": _text(), "question": _text(), "choices": choices,
                     "answer": {"type": "string", "enum": list(LETTERS)}, "explanation": _text(),
                     "difficulty": {"type": "string", "enum": ["easy", "medium", "hard"]},
                     "slides": slide_refs(lecture)})
    return _obj({"objectives": _list(_text()), "questions": _list(question)})


def _mindmap() -> Schema:
    node = _obj({"text": _text("a short phrase of at most 6 words"),
                 "children": _list({"$ref": "#/$defs/topic"}, "the topics under this one")})
    schema = _obj({"root": {"$ref": "#/$defs/topic"}})
    schema["$defs"] = {"topic": node}
    return schema


def task_schema(task: str, lecture: LectureInput) -> Schema:
    """The strict JSON schema of `task`'s answer over this lecture."""
    if task == "clean_captions":
        return _obj({"slides": _list(_obj({"index": _passage(lecture), "text": _text()}))})
    if task == "title":
        return _obj({"title": _text()})
    if task == "key_points":
        return _obj({"lecture": _list(_text()),
                     "slides": _list(_obj({"index": _passage(lecture), "points": _list(_text())}))})
    if task == "study_table":
        return _study_table(lecture)
    if task == "vignettes":
        return _vignettes(lecture)
    if task == "mindmap":
        return _mindmap()
    raise KeyError(f"unknown AI task '{task}'; known: {', '.join(TASKS)}")


def response_format(task: str, lecture: LectureInput) -> Schema:
    """The `response_format` argument of a chat completion for `task` over `lecture`."""
    return {"type": "json_schema", "json_schema": {"name": task, "strict": True,
                                                   "schema": task_schema(task, lecture)}}


# ---- the second line: an answer checked against the schema it was asked for ------------------------------------

def _resolve(node: Schema, root: Schema) -> Schema:
    ref = node.get("$ref")
    if ref is None:
        return node
    if not ref.startswith("#/$defs/"):
        raise ValueError(f"unsupported $ref {ref!r}")
    return root["$defs"][ref.removeprefix("#/$defs/")]


def validate(value: Any, schema: Schema, root: Schema | None = None, where: str = "answer") -> None:
    """Raise ValueError naming the first place `value` breaks `schema` (the strict subset we build)."""
    root = root if root is not None else schema
    node = _resolve(schema, root)
    kind = node.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            raise ValueError(f"{where} must be an object")
        props = node.get("properties", {})
        missing = [k for k in node.get("required", []) if k not in value]
        if missing:
            raise ValueError(f"{where} lacks {', '.join(repr(k) for k in missing)}")
        extra = [k for k in value if k not in props]
        if extra and node.get("additionalProperties") is False:
            raise ValueError(f"{where} has unexpected {', '.join(repr(k) for k in extra)}")
        for k, sub in props.items():
            if k in value:
                validate(value[k], sub, root, f"{where}.{k}")
    elif kind == "array":
        if not isinstance(value, list):
            raise ValueError(f"{where} must be a list")
        for i, item in enumerate(value):
            validate(item, node["items"], root, f"{where}[{i}]")
    elif kind == "string":
        if not isinstance(value, str):
            raise ValueError(f"{where} must be a string")
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{where} must be an integer")
    if "enum" in node and value not in node["enum"]:
        shown = node["enum"] if len(node["enum"]) <= 12 else node["enum"][:12] + ["…"]
        raise ValueError(f"{where} is {value!r}, not one of {shown}")


# ---- wire form → stored answer ----------------------------------------------------------------------------------

def to_answer(task: str, lecture: LectureInput, data: dict) -> BaseModel:
    """The stored answer (schemas.TASKS[task]) from an answer in the wire form; pydantic errors propagate."""
    model = TASKS[task]
    if task == "study_table" and lecture.study_columns and isinstance(data.get("rows"), list):
        columns = list(lecture.study_columns)
        rows = [{"cells": [str((row.get("cells") or {}).get(c, "")) for c in columns],
                 "slides": row.get("slides", [])} for row in data["rows"] if isinstance(row, dict)]
        return model.model_validate({"columns": columns, "rows": rows})
    if task == "vignettes" and isinstance(data.get("questions"), list):
        questions = []
        for q in data["questions"]:
            if isinstance(q, dict) and isinstance(q.get("choices"), dict):
                q = dict(q, choices=[{"letter": k, "text": q["choices"].get(k, "")} for k in LETTERS])
            questions.append(q)
        return model.model_validate(dict(data, questions=questions))
    return model.model_validate(data)


def from_answer(task: str, lecture: LectureInput, value: BaseModel) -> dict:
    """The wire form of a stored answer (what a model following task_schema would have sent)."""
    data = value.model_dump(mode="json")
    if task == "study_table" and lecture.study_columns:
        # Every requested column, as the schema demands; one the answer left out is empty.
        return {"rows": [{"cells": {c: dict(zip(data["columns"], row["cells"])).get(c, "")
                                    for c in lecture.study_columns}, "slides": row["slides"]}
                         for row in data["rows"]]}
    if task == "vignettes":
        for q in data["questions"]:
            q["choices"] = {c["letter"]: c["text"] for c in q["choices"]}
    return data
