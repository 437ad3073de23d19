"""The LTI benchmark end to end with two users for a second: every row completes round trips without errors."""

from __future__ import annotations

import re

from benchmarks import lti_launch


def test_two_users_one_second(capsys):
    assert lti_launch.main(["--users", "2", "--seconds", "1"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith(("Handouts", "peer"))]
    assert len(rows) == 3
    for row in rows:
        rt_s, p50, p99, done, errors = re.findall(r"[\d.]+", row)[-5:]  # the label may hold digits too
        assert int(done) > 0 and int(errors) == 0 and float(rt_s) > 0
