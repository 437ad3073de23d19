"""The web benchmark end to end on a small table: it fills PostgreSQL, times both apps and prints the ratios."""

from __future__ import annotations

import os
import re

import pytest

from benchmarks import web as web_bench


def test_web_benchmark_prints_ours_peer_and_ratio(capsys):
    if not os.environ.get("TEST_DATABASE_URL"):
        if os.environ.get("CI"):
            pytest.fail("CI must run the service-backed tests: TEST_DATABASE_URL is not set")
        pytest.skip("TEST_DATABASE_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    assert web_bench.main(["--jobs", "400", "--requests", "5"]) == 0
    out = capsys.readouterr().out
    assert "400 jobs written" in out and "ix_jobs_created" in out, "the list reads the index, not a sort"
    rows = re.findall(r"^\| (jobs list \(operator, all tenants\)|jobs list \(one tenant\)|job page [^|]*) \|"
                      r"((?: [0-9.]+ \|){6})$", out, re.M)
    assert len(rows) == 3, out
    for _, figures in rows:
        values = [float(v) for v in figures.split("|") if v.strip()]
        assert all(v > 0 for v in values)


def test_web_benchmark_needs_a_database(monkeypatch, capsys):
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    assert web_bench.main(["--jobs", "10"]) == 2
    assert "TEST_DATABASE_URL" in capsys.readouterr().err
