"""The worker-side notifier: throttled edits, 429 Retry-After, uploads that fail half way, size limits, re-runs."""

from __future__ import annotations

import pytest

from pipeline.models import JobStatus

from .conftest import quick_stages

URL = "https://media.example.edu/lectures/week3.mp4"


def _finished(w) -> str:
    w.command(URL)
    assert w.fake.wait_for(lambda: w.jobs() and w.jobs()[-1].is_terminal
                           and (w.state(w.jobs()[-1].id).files or w.state(w.jobs()[-1].id).delivery_error))
    return w.jobs()[-1].id


def test_rate_limited_update_pauses_progress_and_the_final_edit_waits_it_out(world):
    w = world()
    waits: list[float] = []
    w.notifier.sleep = waits.append
    # a pause far longer than the quick job, so a loaded machine cannot use it up before the final edit
    w.fake.fail("chat.update", 429, retry_after=30, times=2)
    job_id = _finished(w)
    updates = w.fake.called("chat.update")
    # first progress edit: 429, progress paused for 30 s (the quick job's other progress edits are skipped);
    # the final edit first waits out what is left of that pause, gets a 429 again, waits Retry-After, then lands
    assert [c.params.get("ts") for c in updates].count(w.state(job_id).progress_ts) == len(updates)
    assert len(waits) == 2 and 0 < waits[0] <= 30 and waits[1] == pytest.approx(30, abs=0.05)
    assert len(updates) == 3
    final = w.fake.messages[("C1", w.state(job_id).progress_ts)]
    assert "Done" in final["text"] and final["edits"] == 1


def test_no_call_comes_sooner_than_retry_after(world):
    w = world()
    w.fake.fail("chat.update", 429, retry_after=0.4, times=1)
    job_id = _finished(w)
    updates = w.fake.called("chat.update")
    assert len(updates) >= 2 and w.job(job_id).is_terminal
    assert updates[1].at - updates[0].at >= 0.4, "the next chat.update waited the whole Retry-After"


def test_progress_edits_are_throttled_but_stage_changes_go_through(world):
    w = world(HANDOUTS_SLACK_UPDATE_INTERVAL=60)
    job_id = _finished(w)
    # 3 stages: one edit per stage change plus the final one, never one per progress report
    assert len(w.fake.called("chat.update")) <= 4
    assert w.job(job_id).status == JobStatus.COMPLETED_WITH_WARNINGS


def test_upload_failing_half_way_shares_nothing_and_retry_delivery_sends_each_file_once(world):
    w = world()
    w.fake.fail_upload(2)
    job_id = _finished(w)
    job = w.job(job_id)
    assert job.status == JobStatus.COMPLETED_WITH_WARNINGS, "a delivery failure does not fail the job"
    assert "uploading the files to Slack failed" not in (job.message or "")
    assert w.state(job.id).delivery_error and not w.state(job.id).files
    assert w.fake.channel_files("C1") == [] and not w.fake.called("files.completeUploadExternal")
    ts = w.state(job.id).progress_ts
    # the failure is recorded first, then the progress message is edited to offer the button
    assert w.fake.wait_for(lambda: "handout_redeliver" in str(w.fake.messages[("C1", ts)]["blocks"]))
    summaries_before = len([p for p in w.fake.called("chat.postMessage") if p.params.get("thread_ts")])
    w.press("handout_redeliver", job_id)
    assert w.fake.wait_for(lambda: len(w.fake.channel_files("C1")) == 3)
    assert w.fake.wait_for(lambda: "handout_redeliver" not in str(w.fake.messages[("C1", ts)]["blocks"]))
    assert len([p for p in w.fake.called("chat.postMessage") if p.params.get("thread_ts")]) == summaries_before
    assert w.fake.wait_for(lambda: not w.state(job_id).delivery_error)
    # a second press finds nothing left to send
    w.press("handout_redeliver", job_id)
    assert not w.fake.wait_for(lambda: len(w.fake.called("files.completeUploadExternal")) > 1, timeout=0.5)


def test_file_over_the_upload_limit_is_listed_as_missing_with_where_to_get_it(world):
    w = world(stages=quick_stages(big=5000), HANDOUTS_SLACK_MAX_UPLOAD_BYTES=4000)
    job_id = _finished(w)
    names = {f["name"] for f in w.fake.channel_files("C1")}
    assert "week3-handout-notes.pdf" not in names and "week3-handout-16up.pdf" in names
    summary = next(p for p in w.fake.called("chat.postMessage") if p.params.get("thread_ts"))
    assert "over the Slack upload limit" in str(summary.params["blocks"]) and job_id in str(summary.params["blocks"])


def test_running_the_same_events_again_posts_nothing_new(world):
    w = world()
    job_id = _finished(w)
    assert w.fake.wait_for(lambda: len(w.fake.called("chat.postMessage")) == 3)
    before = w.fake.methods()
    w.notifier.job_event(w.rt, job_id, "finished")
    after = w.fake.methods()[len(before):]
    assert "chat.postMessage" not in after and "files.completeUploadExternal" not in after
    assert "upload" not in after and after.count("chat.update") == 2  # the progress message and the summary


def test_worker_posts_the_message_itself_when_the_job_has_none(world):
    from pipeline.addresses import Origin, SlackAddress
    from pipeline.jobs import submit_job

    w = world()
    with w.rt.transaction() as s:
        job = submit_job(s, w.rt.enqueue, source=URL, tenant="slack:T1", owner="U1", origin=Origin.SLACK,
                         address=SlackAddress(team_id="T1", channel_id="C1", user_id="U1"))
        job_id = job.id
    assert w.fake.wait_for(lambda: w.state(job_id).files)
    assert len([p for p in w.fake.called("chat.postMessage") if p.params["channel"] == "C1"
                and not p.params.get("thread_ts")]) == 1


def test_jobs_from_elsewhere_are_left_alone(world):
    from pipeline.addresses import Origin, SlackAddress
    from pipeline.jobs import submit_job

    w = world()
    with w.rt.transaction() as s:
        submit_job(s, w.rt.enqueue, source=URL, origin="cli")
    assert w.fake.calls == [] or set(w.fake.methods()) <= {"auth.test"}
