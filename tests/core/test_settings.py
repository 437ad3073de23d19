import subprocess
import sys

import pytest

from pipeline.errors import ConfigError
from pipeline.settings import load_settings


def test_defaults_are_embedded(make_settings, tmp_path):
    s = make_settings()
    assert s.db_url.startswith("sqlite:///") and s.db_url.endswith("handouts.db")
    assert s.redis_url is None and s.storage_backend == "local"
    assert s.stage_timeout("slides") == s.stage_timeout_default


def test_postgres_urls_get_the_psycopg_driver(make_settings):
    assert make_settings(DATABASE_URL="postgres://u@h/db").db_url == "postgresql+psycopg://u@h/db"
    assert make_settings(DATABASE_URL="postgresql://u@h/db").db_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize("var,value,needle", [
    ("PORT", "eighty", "PORT"),
    ("HANDOUTS_STAGE_RETRIES", "-1", "HANDOUTS_STAGE_RETRIES"),
    ("HANDOUTS_STORAGE", "ftp", "HANDOUTS_STORAGE"),
    ("REDIS_URL", "localhost:6379", "REDIS_URL"),
    ("DATABASE_URL", "not a url", "DATABASE_URL"),
])
def test_bad_values_name_the_variable(monkeypatch, var, value, needle):
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as e:
        load_settings()
    assert e.value.variable == needle
    assert needle in e.value.message


def test_s3_needs_a_bucket(monkeypatch):
    monkeypatch.setenv("HANDOUTS_STORAGE", "s3")
    with pytest.raises(ConfigError, match="S3_BUCKET"):
        load_settings()


def test_cli_stops_with_one_line_naming_the_variable(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HANDOUTS_DATA_DIR": str(tmp_path), "HANDOUTS_STAGE_TIMEOUT": "soon"}
    r = subprocess.run([sys.executable, "-m", "handouts.cli", "doctor"], env=env, capture_output=True, text=True,
                       cwd=tmp_path.parent, timeout=60)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "HANDOUTS_STAGE_TIMEOUT" in lines[0]


def test_an_admin_token_needs_a_real_secret_key(make_settings):
    with pytest.raises(ConfigError, match="HANDOUTS_SECRET_KEY"):
        make_settings(HANDOUTS_ADMIN_TOKEN="t")
    assert make_settings(HANDOUTS_ADMIN_TOKEN="t", HANDOUTS_SECRET_KEY="x" * 40).admin_token is not None
