"""What a stage gets: its job's facts, earlier stages' outputs, and the ports it may use."""

from __future__ import annotations

import mimetypes
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

from .artifacts import ArtifactKind
from .errors import Cancelled, StageTimeout
from .results import STAGE_OF, StageResult
from .settings import Settings
from .storage import Storage, job_key

R = TypeVar("R", bound=StageResult)


@dataclass
class StageContext:
    """Everything a stage may touch; the runner builds one per attempt."""

    job_id: str
    tenant: str
    source: str
    options: dict[str, Any]
    stage: str
    settings: Settings
    storage: Storage
    workdir: Path
    outputs: dict[str, dict]
    report: Callable[[float, str], None]
    cancel_requested: Callable[[], bool]
    deadline: float
    log: Any
    ai: Any = None                    # the AI service port (pipeline.ai.service.AIService)
    owner: str = "local"              # who asked (a Slack user, an LMS user, "local")
    panopto: Any = None               # Panopto servers and bearers (pipeline.panopto.access.PanoptoAccess)
    previous: dict | None = None      # this stage's output from a run a retry superseded
    warnings: list[str] = field(default_factory=list)
    artifacts: list[dict] = field(default_factory=list)
    created_keys: list[str] = field(default_factory=list)
    _last_cancel_poll: float = 0.0

    def result(self, model: type[R]) -> R:
        """An earlier stage's checkpoint as its typed result (`ctx.result(FetchResult).video_key`); a stage
        that has not run (or is not in this pipeline) reads as the model's defaults."""
        return model.model_validate(self.outputs.get(STAGE_OF[model]) or {})

    def progress(self, fraction: float, message: str = "") -> None:
        """Report how far this stage is, 0–1, and what it is doing."""
        self.report(max(0.0, min(1.0, fraction)), message)

    def check_cancel(self) -> None:
        """Stop the stage if its job was cancelled or its time is up; cheap enough to call in tight loops."""
        now = time.monotonic()
        if now > self.deadline:
            raise StageTimeout(self.stage, self.settings.stage_timeout(self.stage))
        if now - self._last_cancel_poll >= 1.0:
            self._last_cancel_poll = now
            if self.cancel_requested():
                raise Cancelled(self.job_id)

    def warn(self, message: str) -> None:
        """A problem the user should hear of that does not stop the job."""
        if message not in self.warnings:
            self.warnings.append(message)
            self.log.warning("stage_warning", warning=message)

    def local(self, key: str, name: str | None = None) -> Path:
        """A local copy of a stored file, fetched once into this job's work folder."""
        dest = self.workdir / "cache" / (name or Path(key).name)
        if not dest.exists():
            self.storage.get_file(key, dest)
        return dest

    def save_artifact(self, path: Path, kind: ArtifactKind | str, name: str | None = None,
                      content_type: str | None = None) -> dict:
        """Store a produced file under this job; it becomes an Artifact row when the stage succeeds."""
        name = name or path.name
        content_type = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        key = job_key(self.tenant, self.job_id, name)
        existed = self.storage.exists(key)
        stored = self.storage.put_file(key, path, content_type)
        if not existed:
            self.created_keys.append(key)
        record = {"kind": str(kind), "name": name, "content_type": content_type, "size": stored.size,
                  "storage_key": stored.key, "sha256": stored.sha256}
        self.artifacts.append(record)
        return record


@dataclass(frozen=True)
class StageDef:
    """A stage: its name, its function, and its share of a typical job's time (for progress)."""

    name: str
    fn: Callable[[StageContext], "StageResult | dict"]
    weight: float


def stage_index(stages: tuple[StageDef, ...], name: str) -> int:
    """Position of a stage by name in a stage list."""
    for i, s in enumerate(stages):
        if s.name == name:
            return i
    raise KeyError(name)
