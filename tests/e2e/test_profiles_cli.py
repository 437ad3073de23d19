"""`handouts profiles`: a tenant's own setting profile, used by a job."""

from __future__ import annotations

import pytest

from handouts.cli import main
from pipeline.synth import LectureSpec, make_lecture


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HANDOUTS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HANDOUTS_OFFLINE_ASR", "false")


def test_a_tenant_profile_sets_the_study_table_columns(tmp_path, capsys):
    prompt = tmp_path / "table.txt"
    prompt.write_text("Make a table for pharmacology students.")
    assert main(["profiles", "set", "pharm", "--base", "default", "--columns", "Drug | Mechanism | Side effects",
                 "--prompt", f"study_table={prompt}"]) == 0
    assert "Drug | Mechanism | Side effects" in capsys.readouterr().out
    assert main(["profiles", "list"]) == 0
    listing = capsys.readouterr().out
    assert "pharm" in listing and "tenant" in listing and "medical-step1" in listing and "study_table" in listing

    video = tmp_path / "drugs.mp4"
    make_lecture(video, LectureSpec(duration=20.0, slides=3, size=(320, 180), srt=True, seed=4))
    out = tmp_path / "out"
    assert main(["make", str(video), "-o", str(out), "--profile", "pharm"]) == 0
    # The offline engine cannot tell drugs from a synthetic talk: it names the profile's columns and says so.
    said = capsys.readouterr()
    assert "cannot fill the columns Drug | Mechanism | Side effects" in said.out + said.err
    assert not list(out.glob("*-study-table.xlsx"))

    assert main(["profiles", "delete", "pharm"]) == 0
    capsys.readouterr()
    assert main(["make", str(video), "-o", str(tmp_path / "o2"), "--profile", "pharm"]) == 1
    assert "unknown setting profile 'pharm'" in capsys.readouterr().err


@pytest.mark.parametrize("argv,needle", [
    (["profiles", "set", "bad name!"], "letters, digits"),
    (["profiles", "set", "p", "--base", "nope"], "bundled profile"),
    (["profiles", "set", "p", "--columns", "A | a"], "repeat"),
    (["profiles", "set", "p", "--prompt", "study_table"], "TASK=FILE"),
    (["profiles", "set", "p", "--prompt", "quiz=x.txt"], "unknown tasks"),
    (["profiles", "set", "p", "--prompt", "title=/nonexistent/x.txt"], "cannot be read"),
    (["profiles", "delete", "nobody"], "has no profile"),
])
def test_bad_profile_commands_say_what_is_wrong(capsys, argv, needle):
    assert main(argv) == 1
    assert needle in capsys.readouterr().err
