"""The read model adapters show: one job's facts in one object, so no adapter parses stage checkpoints."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from .artifacts import ArtifactKind, kind_of
from .models import Job
from .results import AlignResult, CaptionsResult, FetchResult, SlidesResult, StageResult, StudyResult


@dataclass(frozen=True)
class ArtifactInfo:
    """One stored file of a job."""

    kind: ArtifactKind | None
    name: str
    size: int
    content_type: str
    storage_key: str
    sha256: str


@dataclass(frozen=True)
class JobSummary:
    """Everything an adapter says about a job: where it is, what it is, what it made and what is missing."""

    id: str
    status: str
    stage: str | None
    progress: float
    message: str
    title: str | None
    origin: str
    tenant: str
    scope: str | None
    owner: str
    options: dict
    created_at: datetime
    finished_at: datetime | None
    duration: float | None = None
    slide_count: int | None = None
    captions_source: str | None = None
    captions_machine: bool = False
    slides_source: str | None = None
    artifacts: tuple[ArtifactInfo, ...] = ()
    warnings: tuple[str, ...] = ()
    missing: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    @property
    def provenance(self) -> str | None:
        """Which parts came from the platform itself, for a summary line: "Slides and captions from Panopto"."""
        own = [part for part, src in (("slides", self.slides_source), ("captions", self.captions_source))
               if src == "panopto"]
        return f"{' and '.join(own).capitalize()} from Panopto" if own else None

    def files(self, *kinds: ArtifactKind) -> list[ArtifactInfo]:
        """Artifacts of these kinds, in the order asked."""
        return [a for k in kinds for a in self.artifacts if a.kind == k]


R = TypeVar("R", bound=StageResult)


def _result(done: dict[str, dict], stage: str, model: type[R]) -> R | None:
    return model.model_validate(done[stage]) if stage in done else None


def summarize(job: Job) -> JobSummary:
    """The summary of a loaded job (its stage runs and artifacts are read here)."""
    done = {r.stage: (r.output or {}) for r in job.stage_runs if r.status == "succeeded"}
    fetch = _result(done, "fetch", FetchResult)
    captions = _result(done, "captions", CaptionsResult)
    slides = _result(done, "slides", SlidesResult)
    shown = _result(done, "align", AlignResult) or slides
    study = _result(done, "study", StudyResult)
    return JobSummary(
        id=job.id, status=job.status, stage=job.stage, progress=job.progress, message=job.message or "",
        title=job.title, origin=job.origin, tenant=job.tenant, scope=job.scope, owner=job.owner,
        options=dict(job.options or {}), created_at=job.created_at, finished_at=job.finished_at,
        duration=fetch.duration if fetch else None,
        slide_count=len(shown.showings) if shown is not None else None,
        captions_source=captions.source if captions else None,
        captions_machine=captions.machine if captions else False,
        slides_source=slides.source if slides else None,
        artifacts=tuple(ArtifactInfo(kind_of(a.kind), a.name, a.size, a.content_type, a.storage_key, a.sha256)
                        for a in job.artifacts),
        warnings=tuple(job.warnings or ()), missing=dict(study.missing) if study else {},
        error=(job.error or {}).get("message") if job.error else None)


def job_summary(session: Session, job_id: str) -> JobSummary | None:
    """The summary of one job, or None when it does not exist."""
    job = session.get(Job, job_id)
    return summarize(job) if job is not None else None
