"""The command line as a person uses it: pipes that close early, warnings named, output folders kept tidy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from handouts.cli import FILES_MANIFEST, _export, _previous_run
from pipeline.errors import InputError


def _env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOUTS_")}
    env.update(HANDOUTS_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(Path(__file__).parents[2]))
    return env


@pytest.mark.parametrize("command", [["doctor"], ["status", "--limit", "400"]])
def test_a_closed_pipe_ends_quietly(tmp_path, make_settings, command):
    # `handouts doctor | head -1`: the reader leaves after one line; no traceback, no "failed check"
    from handouts.wiring import open_runtime
    from pipeline.jobs import submit_job

    rt = open_runtime(make_settings(HANDOUTS_DATA_DIR=str(tmp_path / "data")), stages=())
    with rt.transaction() as s:
        for i in range(400):  # more lines than a pipe buffer holds
            submit_job(s, lambda _id: None, source=f"https://media.example.edu/{'x' * 80}/{i}.mp4")
    rt.close()
    proc = subprocess.Popen([sys.executable, "-m", "handouts", *command], env=_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert proc.returncode in (0, 141)


def test_serve_and_status_start_without_alembic_chatter(tmp_path):
    r = subprocess.run([sys.executable, "-m", "handouts", "status"], env=_env(tmp_path), capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and "alembic" not in (r.stderr + r.stdout).lower()


class _Art:
    def __init__(self, name, kind="handout_notes"):
        self.name, self.kind, self.size, self.sha256, self.storage_key = name, kind, 1, "x", f"k/{name}"


class _Storage:
    def get_file(self, key, dest):
        dest.write_text(key)
        return dest


class _Rt:
    storage = _Storage()


class _Job:
    id, title, source = "j1", "Week 3", "lecture.mp4"

    def __init__(self, *names):
        self.artifacts = [_Art(n) for n in names]


def test_a_rerun_replaces_the_previous_runs_files(tmp_path):
    out = tmp_path / "out"
    _export(_Rt(), _Job("week-3-handout-notes.pdf", "slides.json"), out, _previous_run(out, set(), False))
    (out / "my-notes.txt").write_text("mine")  # a person's own file beside the results
    _export(_Rt(), _Job("enzymes-handout-notes.pdf", "slides.json"), out, _previous_run(out, set(), False))
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["enzymes-handout-notes.pdf", "slides.json", "my-notes.txt", FILES_MANIFEST])
    listing = json.loads((out / FILES_MANIFEST).read_text())
    assert listing["job"] == "j1" and [f["name"] for f in listing["files"]] == ["enzymes-handout-notes.pdf",
                                                                                 "slides.json"]


def test_a_folder_of_other_files_is_refused_without_force(tmp_path):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.docx").write_text("x")
    video = out / "lecture.mp4"
    video.write_text("v")
    with pytest.raises(InputError, match=r"chapter1\.docx.*--force"):
        _previous_run(out, {video.resolve()}, False)
    assert _previous_run(out, {video.resolve()}, True) == []
    (out / "chapter1.docx").unlink()
    (out / "lecture.en.srt").write_text("1")
    assert _previous_run(out, {video.resolve()}, False) == []  # the source and its sidecars may sit there
    with pytest.raises(InputError, match="is a file, not a folder"):
        _previous_run(video, set(), False)


def test_submit_queues_without_waiting_and_jobs_show_and_cancel(tmp_path, capsys, monkeypatch):
    from handouts.cli import main

    monkeypatch.setenv("HANDOUTS_DATA_DIR", str(tmp_path / "data"))
    video = tmp_path / "week1.mp4"
    video.write_bytes(b"not checked until a worker fetches it")
    assert main(["submit", str(video), "https://user:pw@media.example.edu/w2.mp4?sig=abc", "--json"]) == 0
    ids = json.loads(capsys.readouterr().out)["jobs"]
    assert len(ids) == 2
    assert main(["jobs", "show", ids[1], "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "queued" and shown["source"] == "https://media.example.edu/w2.mp4"
    assert main(["jobs", "list", "--stale"]) == 0
    listed = capsys.readouterr().out
    assert ids[0] in listed and "pw@" not in listed and "sig=" not in listed
    assert main(["jobs", "cancel", ids[0]]) == 0
    assert "cancelled" in capsys.readouterr().out
    assert main(["jobs", "cancel", ids[0]]) == 1
    assert "already cancelled" in capsys.readouterr().err
    assert main(["submit", str(tmp_path / "missing.mp4")]) == 1
    assert "no such file" in capsys.readouterr().err
    assert main(["submit", "https://ann:hunter2@media.example.edu/w3.mp4?X-Amz-Signature=SIGabc"]) == 0
    printed = capsys.readouterr().out
    assert "media.example.edu/w3.mp4" in printed and "hunter2" not in printed and "SIGabc" not in printed
    assert main(["status"]) == 0 and main(["jobs", "list"]) == 0
    listed = capsys.readouterr().out
    assert "media.example.edu/w3.mp4" in listed and "hunter2" not in listed and "SIGabc" not in listed


@pytest.mark.parametrize("link", ["https://media..example.edu/w1.mp4", "https://" + "a" * 70 + ".example.edu/w1.mp4",
                                  "https://xn--zz.example.edu/w1.mp4", "https://[::1/w1.mp4"])
def test_submit_and_make_refuse_a_malformed_host_and_queue_nothing(tmp_path, capsys, monkeypatch, link):
    from handouts.cli import main

    monkeypatch.setenv("HANDOUTS_DATA_DIR", str(tmp_path / "data"))
    assert main(["submit", "--json", link]) == 1
    captured = capsys.readouterr()
    assert "not a valid link" in captured.err and captured.out == ""
    assert main(["jobs", "list"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["make", link, "-o", str(tmp_path / "out")]) == 1
    assert "not a valid link" in capsys.readouterr().err


def test_a_database_that_is_down_gets_one_line_and_exit_75(tmp_path, capsys, monkeypatch):
    from handouts.cli import main

    monkeypatch.setenv("HANDOUTS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    assert main(["status"]) == 75
    err = capsys.readouterr().err
    assert "the database is unavailable" in err and "try again in a minute" in err and "Traceback" not in err


def test_jobs_list_stale_and_dead_and_show_json_on_a_worker_death(tmp_path, capsys, monkeypatch, make_settings):
    from datetime import timedelta

    from handouts.cli import main
    from handouts.wiring import open_runtime
    from pipeline.jobs import submit_job
    from pipeline.models import Job, JobStatus, RunStatus, StageRun, utcnow

    monkeypatch.setenv("HANDOUTS_DATA_DIR", str(tmp_path / "data"))
    rt = open_runtime(make_settings(HANDOUTS_DATA_DIR=str(tmp_path / "data")))
    with rt.transaction() as s:
        ids = [submit_job(s, lambda _id: None, source=f"https://media.example.edu/w{i}.mp4").id for i in range(4)]
        orphan, dead, live, _queued = (s.get(Job, i) for i in ids)
        orphan.status = live.status = JobStatus.RUNNING
        orphan.stage_runs.append(StageRun(stage="fetch", status=RunStatus.RUNNING, worker="gone:1:x",
                                          lease_expires_at=utcnow() - timedelta(minutes=1)))
        live.stage_runs.append(StageRun(stage="fetch", status=RunStatus.RUNNING, worker="here:2:y",
                                        lease_expires_at=utcnow() + timedelta(minutes=5)))
        dead.status = JobStatus.DEAD
        dead.error = {"code": "dead_letter", "stage": "fetch", "message": "stage 'fetch' lost its worker 3 times"}
        dead.stage_runs.append(StageRun(stage="fetch", status=RunStatus.EXPIRED, worker="gone:3:z"))
    rt.close()
    assert main(["jobs", "list", "--stale"]) == 0
    stale = capsys.readouterr().out
    assert ids[0] in stale and "(lease of fetch lapsed)" in stale and ids[3] in stale
    assert ids[1] not in stale and ids[2] not in stale, "dead and live jobs are not stale"
    assert main(["jobs", "list", "--dead"]) == 0
    assert capsys.readouterr().out.split()[0] == ids[1]
    assert main(["jobs", "list", "--limit", "2"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert main(["jobs", "show", ids[1], "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "dead" and shown["error"]["code"] == "dead_letter"
    assert shown["runs"] == [{"stage": "fetch", "attempt": 1, "status": "expired", "worker": "gone:3:z",
                              "seconds": None, "lease_expires_at": None, "error": None}]
    assert main(["jobs", "show", ids[0]]) == 0
    assert "gone:1:x" in capsys.readouterr().out
    assert main(["jobs", "show", "nosuchjob", "--json"]) == 1
    assert "no job with id 'nosuchjob'" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["jobs", "list", "--stale", "--dead"], "not allowed with argument"),
    (["jobs", "list", "--limit", "0"], "give 1 or more"),
    (["jobs", "list", "--limit", "many"], "not a whole number"),
    (["jobs", "show"], "the following arguments are required: job"),
    (["submit"], "the following arguments are required: SOURCE"),
])
def test_jobs_and_submit_usage_errors_are_named(argv, message, capsys):
    from handouts.cli import main

    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2 and message in capsys.readouterr().err


def test_submit_checks_every_source_before_queueing_any(tmp_path, capsys, monkeypatch):
    from handouts.cli import main

    monkeypatch.setenv("HANDOUTS_DATA_DIR", str(tmp_path / "data"))
    video = tmp_path / "week1.mp4"
    video.write_bytes(b"x")
    for bad, message in ((str(tmp_path / "missing.mp4"), "no such file"), ("", "an empty SOURCE"),
                         ("ftp://ann:pw@media.example.edu/w2.mp4", "ftp:// links are not supported")):
        assert main(["submit", str(video), bad]) == 1
        err = capsys.readouterr().err
        assert message in err and "ann:pw" not in err, err
    assert main(["jobs", "list"]) == 0
    assert capsys.readouterr().out == "", "nothing was queued"
    assert main(["submit", str(video), "https://media.example.edu/w2.mp4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].endswith(str(video)) and lines[1].endswith("media.example.edu/w2.mp4")
