"""Real services for the tests that need them: PostgreSQL and Redis from the environment, S3 on loopback."""

from __future__ import annotations

import os

import pytest

from tests.fakes.pg import scratch_database


def _missing(variable: str, example: str):
    # In CI the services are there and their tests must run; elsewhere they skip with the reason.
    reason = f"{variable} is not set (e.g. {example})"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the service-backed tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        _missing("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    with scratch_database(base, "handouts_test") as url:
        yield url


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        _missing("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    return url


@pytest.fixture(scope="session")
def s3_endpoint():
    from tests.fakes.s3 import s3_server

    with s3_server() as endpoint:
        yield endpoint
