"""The cost ledger: one AIRequest row per AI call, cached or not, priced from HANDOUTS_AI_PRICES."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import structlog
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, sessionmaker

from ..models import AIRequest
from ..settings import Settings

log = structlog.get_logger(__name__)
_warned_models: set[str] = set()


def price_of(settings: Settings, model: str, tokens_in: int, tokens_cached: int, tokens_out: int,
             engine: str | None = None) -> float:
    """Estimated USD for one call; cached input tokens are part of tokens_in and billed at the cached rate."""
    prices = settings.ai_prices.get(model)
    if prices is None and engine:
        # An engine priced as a whole (the offline one: free) needs no entry per model version.
        prices = settings.ai_prices.get(engine)
    if prices is None:
        # Endpoints answer with dated snapshots (gpt-4o-mini-2024-07-18): price them as their family.
        family = max((name for name in settings.ai_prices if model.startswith(name + "-")), key=len, default=None)
        prices = settings.ai_prices.get(family) if family else None
    if prices is None:
        if model not in _warned_models:
            _warned_models.add(model)
            log.warning("ai_price_unknown", model=model,
                        hint="add the model to HANDOUTS_AI_PRICES; its calls are recorded at cost 0")
        return 0.0
    fresh = max(0, tokens_in - tokens_cached)
    cost = (fresh * prices.get("in", 0.0) + tokens_cached * prices.get("cached", prices.get("in", 0.0))
            + tokens_out * prices.get("out", 0.0)) / 1_000_000
    return round(cost, 8)


@dataclass(frozen=True)
class Call:
    """What is known about one AI call when it is recorded."""

    engine: str
    model: str
    prompt_name: str | None
    prompt_version: str | None
    tokens_in: int = 0
    tokens_cached: int = 0
    tokens_out: int = 0
    tokens_image: int = 0       # estimated share of tokens_in spent on slide pictures (logged, not a column)
    latency_ms: float = 0.0
    cached: bool = False
    outcome: str = "ok"


class Ledger:
    """Writes AIRequest rows, each in its own short transaction so a failed job still leaves its costs."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions

    def record(self, call: Call, *, job_id: str | None = None, tenant: str = "local",
               stage: str | None = None) -> AIRequest:
        """Write the row for `call`; a cached answer costs nothing."""
        cost = 0.0 if call.cached else price_of(self.settings, call.model, call.tokens_in, call.tokens_cached,
                                                call.tokens_out, call.engine)
        row = AIRequest(job_id=job_id, tenant=tenant, stage=stage, engine=call.engine, model=call.model,
                        prompt_name=call.prompt_name, prompt_version=call.prompt_version, tokens_in=call.tokens_in,
                        tokens_cached=call.tokens_cached, tokens_out=call.tokens_out, cost_usd=cost,
                        latency_ms=round(call.latency_ms, 1), cached=call.cached, outcome=call.outcome)
        with self.sessions() as session, session.begin():
            session.add(row)
        log.info("ai_call", engine=call.engine, model=call.model, prompt=call.prompt_name, cached=call.cached,
                 outcome=call.outcome, tokens_in=call.tokens_in, tokens_image=call.tokens_image,
                 tokens_cached=call.tokens_cached, tokens_out=call.tokens_out, cost_usd=cost, job_id=job_id)
        return row


@dataclass(frozen=True)
class CostRow:
    """One line of the costs summary: a day, a tenant, a model."""

    day: str
    tenant: str
    model: str
    calls: int
    cached_calls: int
    tokens_in: int
    tokens_cached: int
    tokens_out: int
    cost_usd: float


def costs_summary(session: Session, days: int = 30) -> list[CostRow]:
    """Calls, tokens and cost per day, tenant and model over the last `days` days, newest day first."""
    since = datetime.now(timezone.utc) - timedelta(days=days)
    day = func.date(AIRequest.created_at)
    stmt = (select(day, AIRequest.tenant, AIRequest.model, func.count(),
                   func.sum(case((AIRequest.cached, 1), else_=0)), func.sum(AIRequest.tokens_in),
                   func.sum(AIRequest.tokens_cached), func.sum(AIRequest.tokens_out), func.sum(AIRequest.cost_usd))
            .where(AIRequest.created_at >= since)
            .group_by(day, AIRequest.tenant, AIRequest.model)
            .order_by(day.desc(), AIRequest.tenant, AIRequest.model))
    return [CostRow(str(d), tenant, model, int(n), int(c or 0), int(tin or 0), int(tc or 0), int(tout or 0),
                    round(float(cost or 0.0), 6))
            for d, tenant, model, n, c, tin, tc, tout, cost in session.execute(stmt)]
