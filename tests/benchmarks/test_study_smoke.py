"""The study-materials benchmark on a short lecture: what each variant sends, keeps and costs, against its peer."""

from __future__ import annotations

import pytest

from benchmarks import study


@pytest.fixture(autouse=True)
def _fresh_breakers():
    from pipeline.ai.breaker import reset_breakers

    reset_breakers()
    yield
    reset_breakers()


def test_variants_send_keep_and_cost_what_they_should():
    deck, runs = study.run_benchmark(4, ["gpt-4.1-nano"])
    by = {r.variant: r for r in runs}
    assert set(by) == set(study.VARIANTS)
    distinct = len(deck.facts)
    assert distinct >= 3 and deck.unspoken                  # the slides' tables say what the lecturer does not
    for r in runs:
        assert r.calls == 6 and not r.missing and r.cost_usd > 0
    peer, ours = by[study.PEER], by[study.OURS]
    # pictures go to the tasks that see them (three by default), one per distinct slide
    assert peer.pictures_sent == by["speech+slide text"].pictures_sent == 0
    assert ours.pictures_sent == by["speech+pictures"].pictures_sent == 3 * distinct
    assert ours.tokens_image == 3 * distinct * 355          # 512x288 at 2.46 tokens a 32 px patch
    # the peer hears no slide, so it keeps none of what was only written; pictures alone carry it legibly
    assert peer.kept_unspoken == 0.0
    assert by["speech+pictures"].kept_unspoken >= 0.8 and ours.kept >= peer.kept
    assert ours.tokens_in > by["speech+slide text"].tokens_in > peer.tokens_in
    report = study.format_report(4, deck, runs)
    assert "ours vs peer (text-only prompts)" in report and "HANDOUTS_AI_IMAGES=auto sends" in report
