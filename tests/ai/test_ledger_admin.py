"""The cost ledger (rows, prices, summary) and the two admin commands' functions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import structlog
from sqlalchemy import select

from pipeline.ai import ledger as ledger_module
from pipeline.ai.admin import print_costs
from pipeline.ai.ledger import Call, Ledger, costs_summary, price_of
from pipeline.models import AIRequest, Job


def test_price_counts_cached_input_at_its_own_rate(make_settings):
    settings = make_settings()
    # gpt-4o-mini: 0.15 in, 0.075 cached, 0.60 out per 1M tokens.
    assert price_of(settings, "gpt-4o-mini", 1_000_000, 0, 0) == 0.15
    assert price_of(settings, "gpt-4o-mini", 1_000_000, 1_000_000, 0) == 0.075
    assert price_of(settings, "gpt-4o-mini", 12_000, 8_000, 2_000) == round((4000 * 0.15 + 8000 * 0.075 +
                                                                            2000 * 0.60) / 1e6, 8)
    assert price_of(settings, "gpt-4o-mini-2024-07-18", 1_000_000, 0, 0) == 0.15     # dated snapshot


def test_unknown_model_costs_nothing_and_warns_once(make_settings):
    ledger_module._warned_models.discard("mystery-model")
    with structlog.testing.capture_logs() as logs:
        assert price_of(make_settings(), "mystery-model", 1000, 0, 1000) == 0.0
        assert price_of(make_settings(), "mystery-model", 1000, 0, 1000) == 0.0
    warnings = [e for e in logs if e["event"] == "ai_price_unknown"]
    assert len(warnings) == 1 and warnings[0]["model"] == "mystery-model"


def test_record_writes_rows(make_settings, sessions):
    with sessions() as s, s.begin():
        s.add(Job(id="j1", source="x.mp4"))
    ledger = Ledger(make_settings(), sessions)
    ledger.record(Call("openai", "gpt-4o-mini", "title", "abc", tokens_in=2000, tokens_cached=1024, tokens_out=30,
                       latency_ms=812.345), job_id="j1", tenant="uni-a", stage="study")
    ledger.record(Call("openai", "gpt-4o-mini", "title", "abc", tokens_in=2000, cached=True), job_id="j1")
    with sessions() as s:
        paid, cached = s.scalars(select(AIRequest).order_by(AIRequest.id))
    assert (paid.job_id, paid.tenant, paid.stage, paid.prompt_version, paid.latency_ms) == ("j1", "uni-a", "study",
                                                                                             "abc", 812.3)
    assert paid.cost_usd == price_of(make_settings(), "gpt-4o-mini", 2000, 1024, 30) > 0
    assert cached.cached and cached.cost_usd == 0.0


def add_row(sessions, *, day_offset, tenant, model, cost, cached=False, tin=100, tout=10):
    with sessions() as s, s.begin():
        s.add(AIRequest(tenant=tenant, engine="openai", model=model, tokens_in=tin, tokens_out=tout, cost_usd=cost,
                        cached=cached, created_at=datetime.now(timezone.utc) - timedelta(days=day_offset)))


def test_costs_summary_groups_by_day_tenant_model(sessions):
    add_row(sessions, day_offset=0, tenant="a", model="gpt-4o-mini", cost=0.01)
    add_row(sessions, day_offset=0, tenant="a", model="gpt-4o-mini", cost=0.0, cached=True)
    add_row(sessions, day_offset=0, tenant="b", model="gpt-4o-mini", cost=0.02)
    add_row(sessions, day_offset=2, tenant="a", model="gpt-5-mini", cost=0.05)
    add_row(sessions, day_offset=45, tenant="a", model="gpt-5-mini", cost=9.0)      # outside the window
    with sessions() as s:
        rows = costs_summary(s, days=30)
    today = datetime.now(timezone.utc).date().isoformat()
    assert [(r.day == today, r.tenant, r.model, r.calls, r.cached_calls) for r in rows] == [
        (True, "a", "gpt-4o-mini", 2, 1), (True, "b", "gpt-4o-mini", 1, 0), (False, "a", "gpt-5-mini", 1, 0)]
    assert rows[0].tokens_in == 200 and rows[0].tokens_out == 20 and rows[0].cost_usd == 0.01
    with sessions() as s:
        assert len(costs_summary(s, days=60)) == 4


def test_print_costs_prints_a_table_with_a_total(make_settings, sessions):
    lines: list[str] = []
    print_costs(make_settings(), sessions, out=lines.append)
    assert lines == ["No AI calls in the last 30 days."]
    add_row(sessions, day_offset=0, tenant="uni-a", model="gpt-4o-mini", cost=0.0123, tin=12000)
    add_row(sessions, day_offset=0, tenant="uni-a", model="gpt-4o-mini", cost=0.0, cached=True)
    lines.clear()
    print_costs(make_settings(), sessions, out=lines.append, days=7)
    assert lines[0].startswith("AI costs, last 7 days")
    assert lines[1].split()[:4] == ["day", "tenant", "model", "calls"]
    body = lines[2].split()
    assert body[1:6] == ["uni-a", "gpt-4o-mini", "2", "1", "12,100"] and body[-1] == "0.0123"
    assert lines[-1].split()[0] == "total" and lines[-1].split()[-1] == "0.0123"
    assert len({len(line) for line in lines[1:]}) == 1             # columns line up


def test_an_engine_priced_as_a_whole_needs_no_model_entry(make_settings):
    ledger_module._warned_models.discard("extractive-v1")
    with structlog.testing.capture_logs() as logs:
        assert price_of(make_settings(), "extractive-v1", 5000, 0, 5000, engine="offline") == 0.0
    assert not [e for e in logs if e["event"] == "ai_price_unknown"]
