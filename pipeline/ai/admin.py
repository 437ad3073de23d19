"""What `handouts ai cache clear` and `handouts ai costs` do; the CLI only parses arguments and calls these."""

from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from ..settings import Settings
from .cache import make_cache
from .ledger import costs_summary


def clear_cache(settings: Settings, sessions: sessionmaker[Session] | None, prompt: str | None = None) -> int:
    """Delete cached AI answers (all, or one prompt's); the number deleted."""
    return make_cache(settings, sessions).clear(prompt or None)


def print_costs(settings: Settings, sessions: sessionmaker[Session], out: Callable[[str], None] = print,
                days: int = 30) -> None:
    """Print calls, tokens and estimated cost per day, tenant and model, with a total line."""
    with sessions() as session:
        rows = costs_summary(session, days=days)
    if not rows:
        out(f"No AI calls in the last {days} days.")
        return
    header = ("day", "tenant", "model", "calls", "cached", "tokens in", "of which cached", "tokens out", "cost USD")
    table = [(r.day, r.tenant, r.model, str(r.calls), str(r.cached_calls), f"{r.tokens_in:,}",
              f"{r.tokens_cached:,}", f"{r.tokens_out:,}", f"{r.cost_usd:.4f}") for r in rows]
    table.append(("total", "", "", str(sum(r.calls for r in rows)), str(sum(r.cached_calls for r in rows)),
                  f"{sum(r.tokens_in for r in rows):,}", f"{sum(r.tokens_cached for r in rows):,}",
                  f"{sum(r.tokens_out for r in rows):,}", f"{sum(r.cost_usd for r in rows):.4f}"))
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(header)]
    numeric = range(3, len(header))

    def line(cells) -> str:
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    out(f"AI costs, last {days} days (estimated from HANDOUTS_AI_PRICES)")
    out(line(header))
    for row in table:
        out(line(row))
