"""The AI cost benchmark end to end on a short lecture: a paid first run, a free re-run that sends no request."""

from __future__ import annotations

import pytest

from benchmarks import ai_cost
from pipeline.errors import ConfigError, InputError


@pytest.fixture(autouse=True)
def _fresh_breakers():
    from pipeline.ai.breaker import reset_breakers

    reset_breakers()
    yield
    reset_breakers()


def test_short_lecture_first_run_paid_rerun_free(capsys):
    assert ai_cost.main(["--minutes", "5", "--models", "gpt-4o-mini"]) == 0
    out = capsys.readouterr().out
    assert "ESTIMATED (characters / 4)" in out
    assert "Offline engine, same lecture" in out and "anchors.md §3.3" in out


def test_report_figures_for_one_model():
    report = ai_cost.run_benchmark(5, ["gpt-4o-mini"])
    assert report.slides >= 3 and 600 <= report.words <= 800          # 140 words a minute
    [result] = report.models
    first, rerun = result.first, result.rerun
    assert first.calls == 6 and first.cached_calls == 0 and first.http_requests == 6
    assert first.tokens_in > first.tokens_out > 0 and first.cost_usd > 0
    assert {u.task for u in result.per_task} == {"clean_captions", "title", "key_points", "study_table",
                                                 "vignettes", "mindmap"}
    # The re-run is answered from the database cache: six ledger rows, all cached, nothing paid, nothing sent.
    assert rerun.calls == 6 and rerun.cached_calls == 6
    assert rerun.tokens_in == rerun.tokens_out == rerun.tokens_cached == 0
    assert rerun.cost_usd == 0.0 and rerun.http_requests == 0
    assert report.offline_seconds > 0


def test_hour_lecture_is_realistic():
    lecture = ai_cost.build_lecture(60)
    assert 45 <= len(lecture.slides) <= 55
    assert 8000 <= ai_cost.lecture_words(lecture) <= 9000
    assert lecture.slides[-1].end == pytest.approx(3600, abs=1)
    assert [s for s in lecture.slides if s.repeat_of is not None]      # a revisit, as lecturers do
    assert ai_cost.build_lecture(60) == lecture                        # deterministic


def test_prompt_cache_follows_openai_rules():
    cache = ai_cost.PromptCache()
    long = "x" * (4 * 2000)
    assert cache.lookup_and_store("m", long + "first task") == 0                  # nothing seen yet
    assert cache.lookup_and_store("m", long + "second task") == 1920             # 2,000 tokens in 128-steps
    assert cache.lookup_and_store("other", long + "second task") == 0            # caches are per model
    assert cache.lookup_and_store("m", "y" * 4 * 1000 + "short") == 0
    assert cache.lookup_and_store("m", "y" * 4 * 1000 + "shorter") == 0          # below 1,024 tokens
    assert ai_cost.common_prefix("abcdef", "abcxyz") == 3


def test_lecture_read_back_from_a_request():
    from pipeline.ai.engine import Prompt
    from pipeline.ai.messages import build_messages

    lecture = ai_cost.build_lecture(5).model_copy(update={"study_columns": ["Concept", "Example"],
                                                          "vignette_style": "clinical"})
    back = ai_cost.lecture_from_request(build_messages("study_table", lecture, Prompt("study_table", "Task.")))
    assert [s.text for s in back.slides] == [s.text.strip() for s in lecture.slides]
    assert back.study_columns == ["Concept", "Example"]
    assert [int(s.start) for s in back.slides] == [int(s.start) for s in lecture.slides]


def test_bad_arguments_are_named(capsys):
    with pytest.raises(InputError, match="--minutes 0"):
        ai_cost.build_lecture(0)
    with pytest.raises(ConfigError, match="no price for model 'gpt-unknown'"):
        ai_cost.run_benchmark(5, ["gpt-unknown"])
    assert ai_cost.main(["--minutes", "5", "--models", " "]) == 2
    assert "--models is empty" in capsys.readouterr().err
