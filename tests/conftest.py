"""Fixtures every test folder shares: a clean environment and settings built per test."""

from __future__ import annotations

import os

import pytest

_OWN_VARS = ("DATABASE_URL", "REDIS_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "S3_BUCKET", "S3_ENDPOINT_URL",
             "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "PORT", "PANOPTO_HOST", "PANOPTO_CLIENT_ID",
             "PANOPTO_CLIENT_SECRET", "PANOPTO_USERNAME", "PANOPTO_PASSWORD", "PANOPTO_ALLOW_SERVICE_USER")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """No test sees the developer's or CI's own Handouts configuration."""
    for name in list(os.environ):
        if name.startswith("HANDOUTS_") or name in _OWN_VARS:
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def make_settings(tmp_path):
    """Build Settings for a test: embedded defaults in tmp_path, fast retries, plus any overrides."""
    from pipeline.settings import load_settings

    def build(**overrides):
        values = {"HANDOUTS_DATA_DIR": str(tmp_path / "data"), "HANDOUTS_STAGE_RETRY_DELAY": 0,
                  "HANDOUTS_ALLOW_PRIVATE_URLS": True, "HANDOUTS_OFFLINE_ASR": False}
        values.update(overrides)
        return load_settings(**values)

    return build


@pytest.fixture(autouse=True)
def _fresh_logging():
    """Commands configure structlog for their process; each test starts from the defaults again."""
    import structlog

    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    yield
    structlog.reset_defaults()
