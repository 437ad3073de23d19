"""Typed stage results checkpointed by the runner, and the JobSummary adapters read instead of checkpoints."""

from __future__ import annotations

from pipeline.artifacts import DELIVERABLE, ArtifactKind, kind_of
from pipeline.context import StageDef
from pipeline.jobs import submit_job
from pipeline.models import Job
from pipeline.results import CaptionsResult, FetchResult, SlidesResult, StudyResult, parse_result
from pipeline.summary import job_summary


def _stages():
    def fetch(ctx):
        return FetchResult(video_key="k", media={"duration": 754.0}, title="Week 3", deck_hint="kept")

    def captions(ctx):
        return CaptionsResult(source="offline", machine=True, recogniser="offline", cues=[])

    def slides(ctx):
        p = ctx.workdir / "notes.pdf"
        p.write_bytes(b"%PDF-1.4 test")
        ctx.save_artifact(p, ArtifactKind.HANDOUT_NOTES)
        return SlidesResult(showings=[{"start": 0, "end": 1, "image": "s1.png"}] * 3, images={}, source="panopto")

    def study(ctx):
        ctx.warn("mindmap missing: the answer was cut short")
        return StudyResult(engine="offline", results={}, missing={"mindmap": "the answer was cut short"})

    return tuple(StageDef(n, f, 1) for n, f in (("fetch", fetch), ("captions", captions), ("slides", slides),
                                                 ("study", study)))


def test_typed_results_round_trip_and_the_summary_reads_them(make_settings):
    from handouts.wiring import open_runtime

    rt = open_runtime(make_settings(), immediate=True, stages=_stages())
    with rt.transaction() as s:
        job_id = submit_job(s, rt.enqueue, source="x.mp4").id
    with rt.sessions() as s:
        summary = job_summary(s, job_id)
        runs = {r.stage: r.output for r in s.get(Job, job_id).stage_runs}
    assert summary.status == "completed_with_warnings" and summary.title == "Week 3"
    assert summary.duration == 754.0 and summary.slide_count == 3
    assert summary.captions_source == "offline" and summary.captions_machine and summary.slides_source == "panopto"
    assert summary.missing == {"mindmap": "the answer was cut short"}
    assert summary.warnings == ("mindmap missing: the answer was cut short",)
    [notes] = summary.files(*DELIVERABLE)
    assert notes.kind is ArtifactKind.HANDOUT_NOTES and notes.name == "notes.pdf" and notes.size == 13
    fetched = parse_result("fetch", runs["fetch"])
    assert isinstance(fetched, FetchResult) and fetched.video_key == "k"
    assert runs["fetch"]["deck_hint"] == "kept", "keys a reader does not know survive the checkpoint"
    assert "session_title" not in runs["fetch"], "unset optional fields are not stored"
    with rt.sessions() as s:
        assert job_summary(s, "nope") is None
    rt.close()


def test_artifact_kinds_are_one_enum():
    assert ArtifactKind.SLIDE == "slide" and kind_of("slide") is ArtifactKind.SLIDE
    assert kind_of("something_newer") is None
    assert ArtifactKind.CAPTIONS_INPUT.is_input and not ArtifactKind.QUESTIONS.is_input
    assert ArtifactKind.SLIDE not in DELIVERABLE
