"""Prompt files: a profile's override wins, then HANDOUTS_PROMPTS_DIR, then the bundled `prompts/` folder.

A prompt's version is the hash of its text (see engine.Prompt), so editing a file, or overriding it in a
profile, sends its answers to a new cache namespace without anyone bumping a number.
"""

from __future__ import annotations

from pathlib import Path

import pipeline

from ..errors import ConfigError
from ..settings import Settings
from .engine import Prompt

BUNDLED_DIR = Path(pipeline.__file__).resolve().parents[1] / "prompts"


def prompt_path(name: str, folder: Path) -> Path:
    """Where the prompt `name` lives inside `folder`."""
    return folder / f"{name}.txt"


def load_prompt(name: str, settings: Settings, overrides: dict[str, str] | None = None) -> Prompt:
    """The prompt called `name`, from the first place that has it; ConfigError naming the files looked at."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ConfigError("HANDOUTS_PROMPTS_DIR", f"'{name}' is not a prompt name; expected a plain name such as "
                          "'key_points'")
    if overrides and name in overrides:
        text = overrides[name]
        if not text.strip():
            raise ConfigError("HANDOUTS_AI_PROFILE", f"the profile's override of prompt '{name}' is empty; "
                              "remove it or give it the prompt's text")
        return Prompt(name, text.strip() + "\n")
    folders = ([settings.prompts_dir] if settings.prompts_dir else []) + [BUNDLED_DIR]
    tried = []
    for folder in folders:
        path = prompt_path(name, Path(folder))
        tried.append(str(path))
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if not text.strip():
                raise ConfigError("HANDOUTS_PROMPTS_DIR", f"prompt file {path} is empty; write the prompt's "
                                  "instructions in it or delete it to use the bundled one")
            # Line endings and trailing blanks are editor noise, not a new prompt version.
            return Prompt(name, text.replace("\r\n", "\n").strip() + "\n")
    raise ConfigError("HANDOUTS_PROMPTS_DIR", f"no prompt file for '{name}': looked for {', '.join(tried)}; "
                      f"add {name}.txt to one of those folders")
