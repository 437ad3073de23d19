"""Prompt files (override order, versions, errors) and setting profiles (bundled, per tenant, unknown, invalid)."""

from __future__ import annotations

import pytest

from pipeline.ai.profiles import BUNDLED, Profile, get_profile
from pipeline.ai.prompts import BUNDLED_DIR, load_prompt
from pipeline.ai.schemas import TASKS
from pipeline.errors import ConfigError, InputError
from pipeline.models import SettingProfile


def test_every_task_has_a_bundled_prompt(make_settings):
    settings = make_settings()
    for task in TASKS:
        prompt = load_prompt(task, settings)
        assert prompt.name == task and prompt.text.startswith("Task:") and len(prompt.version) == 12
    assert "`root`" in load_prompt("mindmap", settings).text
    assert BUNDLED_DIR.name == "prompts" and (BUNDLED_DIR / "title.txt").is_file()


def test_prompts_dir_then_profile_override_win(make_settings, tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "title.txt").write_text("Task: folder title\r\n\r\n")
    settings = make_settings(HANDOUTS_PROMPTS_DIR=str(folder))
    assert load_prompt("title", settings).text == "Task: folder title\n"
    assert load_prompt("key_points", settings).text == load_prompt("key_points", make_settings()).text
    assert load_prompt("title", settings, {"title": "Task: profile title"}).text == "Task: profile title\n"


def test_version_is_the_text_hash(make_settings, tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "title.txt").write_text("Task: one")
    settings = make_settings(HANDOUTS_PROMPTS_DIR=str(folder))
    v1 = load_prompt("title", settings).version
    (folder / "title.txt").write_text("Task: one\n\n")          # editor noise only
    assert load_prompt("title", settings).version == v1
    (folder / "title.txt").write_text("Task: two")
    assert load_prompt("title", settings).version != v1


def test_missing_and_empty_prompts_name_the_files(make_settings, tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    settings = make_settings(HANDOUTS_PROMPTS_DIR=str(folder))
    with pytest.raises(ConfigError) as info:
        load_prompt("flashcards", settings)
    assert str(folder / "flashcards.txt") in info.value.message
    assert str(BUNDLED_DIR / "flashcards.txt") in info.value.message
    (folder / "title.txt").write_text("  \n")
    with pytest.raises(ConfigError, match="title.txt is empty"):
        load_prompt("title", settings)
    with pytest.raises(ConfigError, match="not a prompt name"):
        load_prompt("../secrets", settings)


def test_bundled_profiles(sessions):
    with sessions() as s:
        default = get_profile(s, "local", "default")
        medical = get_profile(s, "local", "medical-step1")
    assert default.study_columns[0] == "Concept" and default.vignette_style == "applied"
    assert medical.study_columns == ("Disease", "Etiology / risk factors", "Pathophysiology", "Clinical presentation",
                                     "Diagnosis", "Treatment", "Buzzwords / high-yield")
    assert medical.vignette_style == "clinical"
    assert get_profile(None, "any", "default") is BUNDLED["default"]


def test_tenant_rows_adjust_or_add_profiles(sessions):
    with sessions() as s, s.begin():
        s.add(SettingProfile(tenant="uni-a", name="medical-step1", data={"vignette_style": "applied"}))
        s.add(SettingProfile(tenant="uni-a", name="chem", data={"study_columns": [" Reaction ", "Conditions"],
                                                                "prompts": {"mindmap": "Task: reactions map"}}))
    with sessions() as s:
        adjusted = get_profile(s, "uni-a", "medical-step1")
        chem = get_profile(s, "uni-a", "chem")
        other_tenant = get_profile(s, "uni-b", "medical-step1")
    assert adjusted.vignette_style == "applied" and adjusted.study_columns == BUNDLED["medical-step1"].study_columns
    assert chem == Profile("chem", ("Reaction", "Conditions"), "applied", {"mindmap": "Task: reactions map"})
    assert other_tenant.vignette_style == "clinical"


def test_unknown_profile_lists_the_known_ones(sessions):
    with sessions() as s, s.begin():
        s.add(SettingProfile(tenant="uni-a", name="chem", data={}))
    with sessions() as s:
        with pytest.raises(InputError) as info:
            get_profile(s, "uni-a", "physics")
    assert "unknown setting profile 'physics'" in info.value.message
    assert "chem, default, medical-step1" in info.value.message


@pytest.mark.parametrize("data, words", [
    ({"study_columns": []}, "study_columns"),
    ({"study_columns": ["A", "a"]}, "repeat"),
    ({"vignette_style": "cartoon"}, "vignette_style"),
    ({"prompts": {"flashcards": "x"}}, "unknown tasks"),
    ({"colour": "red"}, "colour"),
])
def test_invalid_profile_data_is_a_clear_error(data, words, sessions):
    with sessions() as s, s.begin():
        s.add(SettingProfile(tenant="t", name="bad", data=data))
    with sessions() as s:
        with pytest.raises(InputError) as info:
            get_profile(s, "t", "bad")
    assert "setting profile 'bad' is invalid" in info.value.message and words in info.value.message
