"""Study materials through OpenAI (a fake on loopback): partial failure, then a retry that makes only what is missing."""

from __future__ import annotations

import pytest

from handouts.cli import main
from pipeline.synth import LectureSpec, make_lecture
from tests.ai.conftest import _fresh_breakers, responder, task_of  # noqa: F401 - the autouse fixture
from tests.fakes.openai_server import FakeOpenAI, FakeResponse


@pytest.fixture
def fake(tmp_path, monkeypatch):
    with FakeOpenAI() as server:
        monkeypatch.setenv("HANDOUTS_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("HANDOUTS_OCR_ENGINE", "off")  # these drawn slides would give the title; the AI names it here
        monkeypatch.setenv("OPENAI_API_KEY", server.api_key)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("HANDOUTS_AI_RETRIES", "0")
        monkeypatch.setenv("HANDOUTS_AI_BREAKER_FAILURES", "50")
        yield server


def _tasks(server) -> list[str]:
    return [task_of(r) for r in server.requests_to("/v1/chat/completions")]


def test_ai_failure_still_delivers_the_handout_and_retry_fills_the_gap(fake, tmp_path, capsys):
    video = tmp_path / "membranes.mp4"
    make_lecture(video, LectureSpec(duration=30.0, slides=4, size=(640, 360), srt=True, seed=2))
    broken = {"study_table", "vignettes"}

    def flaky(request):
        if task_of(request) in broken:
            return FakeResponse(500, {"error": {"message": "the model is overloaded", "type": "server_error"}})
        return responder(request)

    fake.answer_chat_with(flaky)
    out = tmp_path / "out"
    assert main(["make", str(video), "-o", str(out)]) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    names = {p.name for p in out.iterdir()}
    assert any(n.endswith("-handout-16up.pdf") for n in names)
    assert not any(n.endswith("-study-table.xlsx") or n.endswith("-questions.pdf") for n in names)
    assert "study table missing" in printed and "practice questions missing" in printed
    assert any(n.startswith("membrane-transport-in-cells") for n in names), "the AI title names the files"
    assert sorted(set(_tasks(fake))) == sorted({"clean_captions", "title", "key_points", "study_table",
                                                "vignettes", "mindmap"})

    assert main(["status"]) == 0
    job_id = capsys.readouterr().out.split()[0]
    assert main(["status", job_id]) == 0
    assert "completed_with_warnings" in capsys.readouterr().out

    before = len(_tasks(fake))
    fake.answer_chat_with(responder)
    assert main(["retry", job_id]) == 0
    assert "completed " in capsys.readouterr().out
    assert sorted(_tasks(fake)[before:]) == ["study_table", "vignettes"], "only what was missing is asked for"
    assert main(["status", job_id]) == 0
    shown = capsys.readouterr().out
    assert "-study-table.xlsx" in shown and "-questions.pdf" in shown
    assert main(["retry", job_id]) == 1, "nothing is missing any more"
    assert "only a failed, dead or cancelled job" in capsys.readouterr().err
