"""`handouts doctor`: the effective configuration, secrets masked, and whether each service answers."""

from __future__ import annotations

from typing import Callable

from pydantic import SecretStr

from .settings import Settings


def _mask(value) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, SecretStr):
        raw = value.get_secret_value()
        return "(unset)" if not raw else f"***{raw[-4:]}" if len(raw) > 12 else "***"
    return str(value)


def _mask_url(url: str) -> str:
    # never print a password embedded in a URL
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        user = cred.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in cred else url
    return url


def effective_config(settings: Settings) -> list[tuple[str, str]]:
    """(variable, shown value) for every setting."""
    rows = []
    for name, info in Settings.model_fields.items():
        value = getattr(settings, name)
        shown = _mask(value)
        if isinstance(value, str) and "://" in value:
            shown = _mask_url(value)
        rows.append(((info.alias or name).upper(), shown))
    rows.append(("(database in force)", _mask_url(settings.db_url)))
    return rows


def _check_database(settings: Settings) -> str:
    from . import db

    engine = db.make_engine(settings.db_url)
    try:
        rev = db.schema_revision(engine)
    finally:
        engine.dispose()
    return f"{engine.dialect.name} answers; schema revision {rev or 'none (run: handouts db upgrade)'}"


def _check_queue(settings: Settings) -> str:
    if settings.redis_url:
        import redis

        redis.Redis.from_url(settings.redis_url, socket_timeout=5).ping()
        return f"Redis at {_mask_url(settings.redis_url)} answers"
    from .queue import build_huey

    huey = build_huey(settings)
    return f"SQLite queue {huey.storage.filename}: {len(huey)} task(s) waiting"


def _check_storage(settings: Settings) -> str:
    from .storage import make_storage

    return make_storage(settings).check()


def _check_ai(settings: Settings) -> str:
    if settings.openai_api_key is None:
        return "no OPENAI_API_KEY: the offline engines are used (no network needed)"
    from openai import OpenAI

    client = OpenAI(api_key=settings.openai_api_key.get_secret_value(), base_url=settings.openai_base_url,
                    timeout=10, max_retries=0)
    models = client.models.list()
    return f"OpenAI endpoint answers ({len(list(models))} models)"


def _check_speech(settings: Settings) -> str:
    import av
    import pocketsphinx

    from .captions.recognise import describe_engine

    return (f"PyAV {av.__version__} (FFmpeg inside), pocketsphinx {getattr(pocketsphinx, '__version__', '')} "
            f"model ok; {describe_engine(settings)}")


def _queue_depth(settings: Settings) -> int | None:
    """Wake-ups waiting in the queue, as /metrics counts them; None when the queue does not answer."""
    from .queue import build_huey

    try:
        if settings.redis_url:  # bounded waits: a Redis that does not answer must not hold the doctor up
            from huey import RedisHuey

            return len(RedisHuey(settings.queue_name, url=settings.redis_url, socket_timeout=5,
                                 socket_connect_timeout=5))
        return len(build_huey(settings))
    except Exception:  # the queue check above says why
        return None


def _figures(settings: Settings) -> list[str]:
    """The same figures /metrics serves, as lines."""
    from . import db
    from .metrics import read_figures

    engine = db.make_engine(settings.db_url)
    try:
        with db.make_sessionmaker(engine)() as s:
            f = read_figures(s, _queue_depth(settings))
    finally:
        engine.dispose()
    by_status = ", ".join(f"{k} {v}" for k, v in f.jobs.items() if v) or "none yet"
    outcomes = ", ".join(f"{k} {v}" for k, v in f.outcomes.items() if v) or "none yet"
    lines = [f"by status: {by_status}", f"outcomes: {outcomes}",
             "queue depth: " + (f"{f.queue_depth} wake-up(s) waiting" if f.queue_depth is not None
                                else "unknown (the queue does not answer)"),
             f"oldest queued: {f.oldest_queued_seconds:.0f} s",
             f"lease expiries (worker deaths survived): {f.lease_expiries}",
             f"reaper revivals (stages run again after a worker died): {f.revivals}",
             f"dead letters: {f.dead_letters}"]
    for stage, h in sorted(f.stage_seconds.items()):
        lines.append(f"stage {stage}: {h['count']} runs, mean {h['sum'] / h['count']:.1f} s")
    return lines


CHECKS: list[tuple[str, Callable[[Settings], str]]] = [
    ("database", _check_database), ("queue", _check_queue), ("storage", _check_storage),
    ("ai", _check_ai), ("media", _check_speech),
]


def run_doctor(settings: Settings, out=print) -> int:
    """Print configuration and checks; 0 when every check passes."""
    out("Configuration:")
    for var, shown in effective_config(settings):
        out(f"  {var:<36} {shown}")
    out("Checks:")
    failed = 0
    for name, check in CHECKS:
        try:
            line = f"  ok    {name:<9} {check(settings)}"
        except Exception as e:  # doctor's job is to report every failure, of any kind, and go on
            failed += 1
            line = f"  FAIL  {name:<9} {type(e).__name__}: {e}"
        out(line)  # outside the check: a closed pipe is the reader's doing, not a failed service
    try:
        out("Jobs:")
        for line in _figures(settings):
            out(f"  {line}")
    except Exception as e:  # the figures need the database; its check above already says why
        out(f"  (no figures: {type(e).__name__})")
    out("all checks passed" if not failed else f"{failed} check(s) failed")
    return 0 if not failed else 1
