"""Operational figures, read from the database and the queue at the moment they are asked for.

The job rows are the truth, so the figures are the same whichever process answers: nothing is counted in one
process's memory, which is what makes the Prometheus endpoint safe behind many web and worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from .jobs import aware
from .models import Job, JobStatus, RunStatus, StageRun, utcnow

BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)


@dataclass
class Figures:
    """One reading of the system's state."""

    jobs: dict[str, int] = field(default_factory=dict)                 # by status
    runs: dict[str, int] = field(default_factory=dict)                 # stage runs by status
    stage_seconds: dict[str, dict] = field(default_factory=dict)       # stage -> {"buckets": [...], "sum", "count"}
    queue_depth: int | None = None                                     # wake-ups waiting in the queue
    oldest_queued_seconds: float = 0.0
    lease_expiries: int = 0                                            # runs whose worker died
    revivals: int = 0                                                  # of those, stages run again afterwards
    dead_letters: int = 0

    @property
    def outcomes(self) -> dict[str, int]:
        """Ended jobs by how they ended (the terminal statuses)."""
        return {s: self.jobs.get(s, 0) for s in JobStatus.TERMINAL}


def read_figures(session: Session, queue_depth: int | None = None) -> Figures:
    """The figures now, from a few aggregate queries."""
    f = Figures(queue_depth=queue_depth)
    f.jobs = {s: 0 for s in JobStatus.ALL} | dict(session.execute(
        select(Job.status, func.count()).group_by(Job.status)).all())
    f.runs = dict(session.execute(select(StageRun.status, func.count()).group_by(StageRun.status)).all())
    f.lease_expiries = f.runs.get(RunStatus.EXPIRED, 0)
    later = aliased(StageRun)
    f.revivals = session.scalar(select(func.count()).select_from(StageRun).where(
        StageRun.status == RunStatus.EXPIRED,
        exists().where(later.job_id == StageRun.job_id, later.stage == StageRun.stage, later.id > StageRun.id))) or 0
    f.dead_letters = f.jobs.get(JobStatus.DEAD, 0)
    oldest = session.scalar(select(func.min(Job.created_at)).where(Job.status == JobStatus.QUEUED))
    f.oldest_queued_seconds = max(0.0, (utcnow() - aware(oldest)).total_seconds()) if oldest else 0.0
    rows = session.execute(select(StageRun.stage, StageRun.seconds).where(
        StageRun.status == RunStatus.SUCCEEDED, StageRun.seconds.is_not(None)))
    for stage, seconds in rows:
        h = f.stage_seconds.setdefault(stage, {"buckets": [0] * len(BUCKETS), "sum": 0.0, "count": 0})
        for i, edge in enumerate(BUCKETS):
            if seconds <= edge:
                h["buckets"][i] += 1
        h["sum"] += seconds
        h["count"] += 1
    return f


def prometheus_text(f: Figures) -> bytes:
    """The figures in Prometheus' text format."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

    class _Reading:
        def collect(self):
            jobs = GaugeMetricFamily("handouts_jobs", "Jobs by status", labels=["status"])
            for status, n in sorted(f.jobs.items()):
                jobs.add_metric([status], n)
            yield jobs
            runs = GaugeMetricFamily("handouts_stage_runs", "Stage runs by status", labels=["status"])
            for status, n in sorted(f.runs.items()):
                runs.add_metric([status], n)
            yield runs
            hist = HistogramMetricFamily("handouts_stage_duration_seconds", "Succeeded stage run durations",
                                         labels=["stage"])
            for stage, h in sorted(f.stage_seconds.items()):
                buckets = [(str(edge), n) for edge, n in zip(BUCKETS, h["buckets"])] + [("+Inf", h["count"])]
                hist.add_metric([stage], buckets, h["sum"])
            yield hist
            if f.queue_depth is not None:
                yield GaugeMetricFamily("handouts_queue_depth", "Wake-ups waiting in the queue",
                                        value=f.queue_depth)
            yield GaugeMetricFamily("handouts_oldest_queued_seconds", "Age of the oldest queued job",
                                    value=f.oldest_queued_seconds)
            # Read from stored rows, so these fall when jobs are deleted or a dead job is retried: gauges, not
            # counters (a counter that falls reads as a process restart to Prometheus' rate()).
            yield GaugeMetricFamily("handouts_lease_expiries", "Stage runs on record whose worker died (resumed "
                                    "by the reaper or dead-lettered)", value=f.lease_expiries)
            yield GaugeMetricFamily("handouts_reaper_revivals", "Stage runs on record that another worker ran again "
                                    "after their worker died", value=f.revivals)
            outcomes = GaugeMetricFamily("handouts_job_outcomes", "Ended jobs by outcome", labels=["outcome"])
            for outcome, n in sorted(f.outcomes.items()):
                outcomes.add_metric([outcome], n)
            yield outcomes
            yield GaugeMetricFamily("handouts_dead_letters", "Jobs in the dead-letter state (after repeated "
                                    "worker deaths)", value=f.dead_letters)

    registry = CollectorRegistry()
    registry.register(_Reading())
    return generate_latest(registry)
