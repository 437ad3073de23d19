"""Cancel / Retry buttons checked against who pressed them; App Home with jobs and the default profile."""

from __future__ import annotations

from pipeline.models import JobStatus

from .conftest import quick_stages

URL = "https://media.example.edu/lectures/week3.mp4"


def _start(w, **kw) -> str:
    w.command(URL, **kw)
    assert w.fake.wait_for(lambda: w.jobs() and w.state(w.jobs()[-1].id).progress_ts)
    return w.jobs()[-1].id


def test_requester_cancels_a_queued_job_and_retries_it(world):
    w = world(immediate=False)
    job_id = _start(w)
    ts = w.state(job_id).progress_ts
    assert "handout_cancel" in str(w.fake.messages[("C1", ts)]["blocks"])
    assert w.press("handout_cancel", job_id).status_code == 200
    assert w.fake.wait_for(lambda: w.job(job_id).status == JobStatus.CANCELLED)
    assert w.fake.wait_for(lambda: "handout_retry" in str(w.fake.messages[("C1", ts)]["blocks"]))
    w.press("handout_retry", job_id)
    assert w.fake.wait_for(lambda: w.job(job_id).status == JobStatus.QUEUED)
    assert w.fake.wait_for(lambda: "handout_cancel" in str(w.fake.messages[("C1", ts)]["blocks"]))
    assert len(w.fake.called("chat.postMessage")) == 1, "buttons edit the one message, never post another"


def test_someone_else_may_not_cancel_but_an_instructor_may(world):
    w = world(immediate=False, HANDOUTS_SLACK_INSTRUCTORS={"C1": ["U9"]})
    job_id = _start(w)
    w.press("handout_cancel", job_id, user="U2")
    assert w.fake.wait_for(lambda: w.ephemeral_texts())
    assert "Only <@U1>" in w.ephemeral_texts()[0]
    assert w.job(job_id).status == JobStatus.QUEUED
    w.press("handout_cancel", job_id, user="U9")
    assert w.fake.wait_for(lambda: w.job(job_id).status == JobStatus.CANCELLED)


def test_buttons_on_a_finished_job_or_from_another_workspace_explain_why_not(world):
    w = world()
    job_id = _start(w)
    assert w.fake.wait_for(lambda: w.job(job_id).is_terminal)
    w.press("handout_cancel", job_id)
    assert w.fake.wait_for(lambda: len(w.ephemeral_texts()) == 1)
    assert "already completed_with_warnings; nothing to cancel" in w.ephemeral_texts()[0]
    w.press("handout_retry", job_id, team="T7")
    assert w.fake.wait_for(lambda: len(w.ephemeral_texts()) == 2)
    assert "belongs to another workspace" in w.ephemeral_texts()[1]
    w.press("handout_cancel", "nosuchjob")
    assert w.fake.wait_for(lambda: len(w.ephemeral_texts()) == 3)
    assert "no job with id 'nosuchjob'" in w.ephemeral_texts()[2]


def test_failed_job_tells_the_requester_and_retry_finishes_it(world):
    attempts = []

    def flaky(ctx):
        attempts.append(1)
        if len(attempts) == 1:
            from pipeline.errors import NotAVideo

            raise NotAVideo(ctx.source, "the link gave a web page (HTML), not a video")
        return {"showings": [{"i": 0}], "images": {}}

    fetch, _, render = quick_stages()
    from pipeline.context import StageDef

    w = world(stages=(fetch, StageDef("slides", flaky, 1), render), HANDOUTS_SLACK_INSTRUCTORS={"C1": ["U9"]})
    job_id = _start(w)
    assert w.fake.wait_for(lambda: w.job(job_id).status == JobStatus.FAILED)
    ts = w.state(job_id).progress_ts
    assert w.fake.wait_for(lambda: "handout_retry" in str(w.fake.messages[("C1", ts)]["blocks"]))
    assert w.fake.wait_for(lambda: len([p for p in w.fake.called("chat.postMessage")
                                        if p.params["channel"].startswith("D")]) == 2)
    dms = {p.params["channel"]: str(p.params["blocks"]) for p in w.fake.called("chat.postMessage")
           if p.params["channel"].startswith("D")}
    assert set(dms) == {"DU1", "DU9"} and all("web page (HTML)" in b for b in dms.values())
    assert not w.fake.called("files.completeUploadExternal")
    w.press("handout_retry", job_id)
    assert w.fake.wait_for(lambda: w.fake.called("files.completeUploadExternal"))
    assert w.job(job_id).status == JobStatus.COMPLETED_WITH_WARNINGS
    assert w.fake.wait_for(lambda: len([p for p in w.fake.called("chat.postMessage")
                                        if p.params["channel"].startswith("D")]) == 4), "told again at the end"


def test_app_home_lists_jobs_and_keeps_the_chosen_profile(world):
    w = world()
    job_id = _start(w, user="U1")
    # the home tab links the files once the upload's permalinks are on record, not when the upload call is made
    assert w.fake.wait_for(lambda: any(f.get("permalink") for f in w.state(job_id).files.values()))
    assert w.event({"type": "app_home_opened", "user": "U1", "channel": "DU1", "tab": "home"}).status_code == 200
    assert w.fake.wait_for(lambda: w.fake.called("views.publish"))
    view = w.fake.called("views.publish")[0].params["view"]
    view = view if isinstance(view, dict) else __import__("json").loads(view)
    text = str(view["blocks"])
    assert "Week 3: Cells" in text and "fake.slack.com/files" in text and "home_profile_select" in text
    assert "medical-step1" in text
    payload_value = "medical-step1"
    import json
    from urllib.parse import urlencode

    body = {"type": "block_actions", "user": {"id": "U1", "team_id": "T1"}, "team": {"id": "T1"},
            "api_app_id": "A1", "trigger_id": "tr", "container": {"type": "view", "view_id": "V1"},
            "view": {"id": "V1", "type": "home"},
            "actions": [{"type": "static_select", "action_id": "home_profile_select", "block_id": "b",
                         "selected_option": {"text": {"type": "plain_text", "text": payload_value},
                                             "value": payload_value}, "action_ts": "1"}]}
    w.signed(urlencode({"payload": json.dumps(body)}), "application/x-www-form-urlencoded")
    assert w.fake.wait_for(lambda: len(w.fake.called("views.publish")) == 2)
    w.command("https://media.example.edu/other.mp4", user="U1")
    assert w.fake.wait_for(lambda: len(w.jobs()) == 2)
    assert w.jobs()[-1].options["profile"] == payload_value


def test_event_retries_from_slack_are_answered_without_work(world):
    w = world()
    r = w.event({"type": "app_home_opened", "user": "U1", "channel": "DU1", "tab": "home"}, retry=1)
    assert r.status_code == 200
    assert not w.fake.wait_for(lambda: w.fake.called("views.publish"), timeout=0.5)
