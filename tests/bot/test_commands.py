"""/handout: ack first, a job with one progress message, files in its thread, clear refusals."""

from __future__ import annotations

import time

import pytest

from pipeline.models import JobStatus

from .conftest import quick_stages

URL = "https://media.example.edu/lectures/week3.mp4"


def test_command_acks_at_once_then_delivers_into_the_thread(world):
    w = world()
    r = w.command(f"{URL} --title 'Week 3: Cells'")
    assert r.status_code == 200 and "Starting a handout" in r.get_json()["text"]
    assert w.fake.wait_for(lambda: w.fake.called("files.completeUploadExternal"))
    assert w.fake.wait_for(lambda: len(w.fake.called("chat.postMessage")) >= 3)  # progress, summary, DM
    [job] = w.jobs()
    assert job.status == JobStatus.COMPLETED_WITH_WARNINGS and job.origin == "slack" and job.owner == "U1"
    assert job.options["title"] == "Week 3: Cells" and job.idempotency_key.startswith("slack:T1:")
    posts = w.fake.called("chat.postMessage")
    progress = posts[0]
    assert progress.params["channel"] == "C1" and "thread_ts" not in progress.params
    assert all(c.token == "xoxb-T1-test" for c in w.fake.calls if c.method not in ("upload",))
    summary = next(p for p in posts if p.params.get("thread_ts"))
    ts = w.state(job.id).progress_ts
    assert summary.params["thread_ts"] == ts
    text = str(summary.params["blocks"])
    assert "7 slides" in text and "12 min 34 s" in text and "mindmap" in text  # the warning is listed as missing
    files = w.fake.channel_files("C1")
    assert sorted(f["name"] for f in files) == ["week3-handout-16up.pdf", "week3-handout-notes.pdf",
                                                "week3-questions.pdf"]
    assert all(f["thread_ts"] == ts for f in files)
    assert set(w.state(job.id).files) == {f["name"] for f in files}
    # the progress message was edited in place to its final state, without a Cancel button
    final = w.fake.messages[("C1", ts)]
    assert final["edits"] >= 1 and "handout_cancel" not in str(final["blocks"])
    dm = [p for p in posts if p.params["channel"] == "DU1"]
    assert len(dm) == 1 and "fake.slack.com/files" in str(dm[0].params["blocks"])


def test_ack_does_not_wait_for_a_busy_job(world):
    w = world(stages=quick_stages(delay=2.0))
    started = time.monotonic()
    r = w.command(URL)
    took = time.monotonic() - started
    assert r.status_code == 200 and took < 1.0, f"ack took {took:.2f} s"
    assert not w.fake.called("files.completeUploadExternal")
    assert w.fake.wait_for(lambda: w.fake.called("files.completeUploadExternal"), timeout=10)


def test_no_quiz_leaves_questions_out_and_says_so(world):
    w = world()
    w.command(f"{URL} --no-quiz")
    assert w.fake.wait_for(lambda: w.fake.called("files.completeUploadExternal"))
    assert "week3-questions.pdf" not in {f["name"] for f in w.fake.channel_files("C1")}
    summary = next(p for p in w.fake.called("chat.postMessage") if p.params.get("thread_ts"))
    assert "left out as asked (--no-quiz)" in str(summary.params["blocks"])


def test_same_command_retried_or_sent_twice_makes_one_job(world):
    w = world(immediate=False)
    assert w.command(URL, trigger="T-1").status_code == 200
    assert w.fake.wait_for(lambda: len(w.jobs()) == 1 and w.fake.called("chat.postMessage"))
    assert w.command(URL, trigger="T-1", retry=1).status_code == 200      # Slack's retry of the same request
    assert w.command(URL, trigger="T-2").status_code == 200               # the user pressed enter twice
    assert w.fake.wait_for(lambda: len(w.ephemeral_texts()) == 2)
    assert len(w.jobs()) == 1 and len(w.fake.called("chat.postMessage")) == 1
    assert all("already running as job" in t for t in w.ephemeral_texts())


def test_help_and_malformed_commands_answer_in_the_ack(world):
    w = world(immediate=False)
    assert "--no-quiz" in w.command("help").get_json()["text"]
    cases = {"": "empty", "--no-quiz": "No link given", "ftp://x.edu/a.mp4": "not a web link",
             f"{URL} --colour red": "`--colour` is not an option", f"{URL} --profile": "needs a value",
             "https://x.edu/notes.pdf": "a PDF document", "https://www.youtube.com/watch?v=abc": "video page",
             "https://uni.hosted.panopto.com/Panopto/Pages/Viewer.aspx": "without a session id",
             'https://uni.hosted.panopto.com/Panopto/Pages/Sessions/List.aspx#folderID="0f6b4a62-1d2c-4e57-9a3b-'
             'aa12bb34cc56"': "folder, not a session"}
    for text, expected in cases.items():
        answer = w.command(text).get_json()
        assert answer["response_type"] == "ephemeral"
        assert expected in answer["text"] and "Example" in answer["text"], (text, answer["text"])
    assert w.jobs() == [] and not w.fake.called("chat.postMessage")


def test_panopto_podcast_link_is_read_as_its_session(world):
    # a podcast download is a session's own file: it goes through Panopto with the person's rights, so with no
    # Panopto server set up for the workspace the person is told who can fix that, and nothing is started
    w = world(immediate=False)
    url = ("https://uni.hosted.panopto.com/Panopto/Podcast/Social/0f6b4a62-1d2c-4e57-9a3b-aa12bb34cc56.mp4"
           "?mediaTargetType=videoPodcast")
    assert "Starting" in w.command(url).get_json()["text"]
    assert w.fake.wait_for(lambda: w.ephemeral_texts())
    assert "no Panopto server is set up" in w.ephemeral_texts()[0] and w.jobs() == []


def test_private_address_is_refused_after_the_ack(world):
    w = world(immediate=False, HANDOUTS_ALLOW_PRIVATE_URLS=False)
    assert w.command("http://127.0.0.1:9/lecture.mp4").status_code == 200
    assert w.fake.wait_for(lambda: w.ephemeral_texts())
    assert "private or local network" in w.ephemeral_texts()[0]
    assert w.jobs() == [] and not w.fake.called("chat.postMessage")


def test_bot_not_in_channel_says_how_to_invite_and_stores_nothing(world):
    w = world(immediate=False)
    w.fake.add_channel("C9", member=False)
    w.command(URL, channel="C9")
    w.command(URL, channel="G404")  # a private channel the bot cannot even see
    assert w.fake.wait_for(lambda: len(w.ephemeral_texts()) == 2)
    assert all("/invite @Handouts" in t for t in w.ephemeral_texts())
    assert w.jobs() == []


def test_rate_limits_per_user_and_per_workspace(world):
    w = world(immediate=False, HANDOUTS_SLACK_USER_RATE=2, HANDOUTS_SLACK_TEAM_RATE=3)
    for i in range(3):
        w.command(f"https://media.example.edu/{i}.mp4", user="U1")
    assert w.fake.wait_for(lambda: len(w.ephemeral_texts()) == 1)
    assert "2 handouts in the last hour" in w.ephemeral_texts()[0] and "HANDOUTS_SLACK_USER_RATE" in \
        w.ephemeral_texts()[0]
    w.command("https://media.example.edu/a.mp4", user="U2")
    w.command("https://media.example.edu/b.mp4", user="U3")
    assert w.fake.wait_for(lambda: len(w.ephemeral_texts()) == 2)
    assert "This workspace has asked for 3" in w.ephemeral_texts()[1]
    assert len(w.jobs()) == 3


def test_unknown_profile_is_refused_with_the_known_ones(world):
    w = world(immediate=False)
    w.command(f"{URL} --profile nosuch")
    assert w.fake.wait_for(lambda: w.ephemeral_texts())
    assert "unknown setting profile 'nosuch'" in w.ephemeral_texts()[0] and "default" in w.ephemeral_texts()[0]
    assert w.jobs() == []


def test_unsigned_or_stale_requests_are_rejected(world):
    w = world(immediate=False)
    r = w.http.post("/slack/events", data="command=%2Fhandout&text=x", headers={
        "X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=bad",
        "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 401
    assert w.jobs() == []


def test_hostile_commands_get_an_answer_not_a_crash(world):
    w = world(immediate=False, HANDOUTS_ALLOW_PRIVATE_URLS=False)
    long_label = "https://" + "a" * 70 + ".example.edu/lecture.mp4"
    r = w.command(long_label)
    assert r.status_code == 200
    texts = [r.get_json().get("text", "")]
    w.fake.wait_for(lambda: w.ephemeral_texts())
    texts += w.ephemeral_texts()
    assert any("not a valid link" in t for t in texts), texts
    assert w.jobs() == []


@pytest.mark.parametrize("link", ["https://media..example.edu/w3.mp4", "https://xn--zz.example.edu/w3.mp4",
                                  "https://" + "b" * 70 + ".example.edu/w3.mp4", "https://[::1/w3.mp4",
                                  "https://media.example.edu:99999/w3.mp4", "https://%zz.example.edu/w3.mp4"])
def test_a_malformed_host_is_answered_in_the_ack_as_not_a_valid_link(world, link):
    w = world(immediate=False, HANDOUTS_ALLOW_PRIVATE_URLS=False)
    r = w.command(link)
    assert r.status_code == 200
    answer = r.get_json()
    assert answer["response_type"] == "ephemeral" and "not a valid link" in answer["text"], answer
    assert w.jobs() == []


def test_a_signed_command_without_a_user_is_refused_cleanly(world):
    from urllib.parse import urlencode

    w = world(immediate=False)
    body = urlencode({"team_id": "T1", "channel_id": "C1", "command": "/handout", "text": URL,
                      "trigger_id": "trig-x", "response_url": w.fake.response_url("nouser")})
    r = w.signed(body, "application/x-www-form-urlencoded")
    assert r.status_code in (200, 400)
    if r.status_code == 200:
        assert "could not tell who" in (r.get_json() or {}).get("text", "")
    assert w.jobs() == []


def test_malformed_and_oversized_bodies_are_refused_before_anything_runs(world):
    w = world(immediate=False)
    bad = w.signed("payload=%7Bnot-json", "application/x-www-form-urlencoded")
    assert bad.status_code == 400
    unsigned = w.http.post("/slack/events", data="payload=%7Bnot-json",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert unsigned.status_code in (400, 401)
    huge = w.http.post("/slack/events", data=b"x" * (3 * 1024 * 1024),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert huge.status_code == 413


class _Endless:
    """A chunked upload that never ends, counting what the server read of it."""

    def __init__(self):
        self.read_bytes = 0

    def read(self, n=-1):
        n = 65536 if n is None or n < 0 else min(n, 65536)
        self.read_bytes += n
        return b"x" * n

    readline = read

    def tell(self):
        return self.read_bytes

    def seek(self, pos, whence=0):
        return self.read_bytes


def test_a_chunked_body_is_cut_at_the_slack_limit_not_the_apps(world):
    from bot import MAX_SLACK_BODY

    w = world(immediate=False)
    assert MAX_SLACK_BODY < w.app.config["MAX_CONTENT_LENGTH"]
    stream = _Endless()
    r = w.http.post("/slack/events", input_stream=stream, environ_overrides={"wsgi.input_terminated": True},
                    headers={"Content-Type": "application/x-www-form-urlencoded", "Transfer-Encoding": "chunked"})
    assert r.status_code == 413 and "too large for a Slack request" in r.get_data(as_text=True)
    assert stream.read_bytes <= MAX_SLACK_BODY + 65536, "read no further than the Slack limit"
    declared = w.http.post("/slack/events", data=b"x" * (MAX_SLACK_BODY + 10),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert declared.status_code == 413


def _signed_gzip(w, body: str, *, cut: int = 0):
    import gzip

    from slack_sdk.signature import SignatureVerifier

    from .conftest import SECRET

    ts = str(int(time.time()))
    packed = gzip.compress(body.encode())
    return w.http.post("/slack/events", data=packed[:len(packed) - cut] if cut else packed, headers={
        "X-Slack-Request-Timestamp": ts, "Content-Type": "application/x-www-form-urlencoded",
        "Content-Encoding": "gzip",
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)})


def test_gzip_bodies_are_decoded_with_a_cap(world):
    from urllib.parse import urlencode

    from bot import MAX_SLACK_BODY

    w = world(immediate=False)
    body = urlencode({"team_id": "T1", "channel_id": "C1", "user_id": "U1", "command": "/handout", "text": "help",
                      "trigger_id": "trig-gz", "response_url": w.fake.response_url("gz")})
    ok = _signed_gzip(w, body)
    assert ok.status_code == 200 and "Make a handout" in ok.get_json()["text"]
    bomb = _signed_gzip(w, body + "&pad=" + "0" * (MAX_SLACK_BODY + 1))  # a few kilobytes packed
    assert bomb.status_code == 413 and "once decoded" in bomb.get_data(as_text=True)
    assert _signed_gzip(w, body, cut=12).status_code == 400  # cut short
    garbage = w.http.post("/slack/events", data=b"not gzip at all", headers={
        "Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": "gzip"})
    assert garbage.status_code == 400 and "does not decode" in garbage.get_data(as_text=True)
    other = w.http.post("/slack/events", data=b"x", headers={"Content-Type": "application/json",
                                                            "Content-Encoding": "br"})
    assert other.status_code == 415


@pytest.mark.parametrize("body, content_type", [
    ("payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),   # JSON, but a list
    ("payload=%22text%22", "application/x-www-form-urlencoded"),    # JSON, but a string
    ("payload=%7Bcut", "application/x-www-form-urlencoded"),
    ("{not json", "application/json"),
    ("[1]", "application/json"),
    ("payload=%ff%fe", "application/x-www-form-urlencoded"),
])
def test_a_malformed_payload_is_a_400_not_a_500(world, body, content_type):
    w = world(immediate=False)
    r = w.signed(body, content_type)
    assert r.status_code == 400, (r.status_code, r.get_data(as_text=True))
    assert "JSON" in r.get_data(as_text=True)
    raw = w.http.post("/slack/events", data=b"payload=%7B%22a%22%3A1%7D\xff\xfe",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert raw.status_code in (400, 401)


def test_user_text_cannot_ping_the_channel(world):
    w = world()
    w.command(f'{URL} --title "<!channel> & <@U2> free pizza"')
    assert w.fake.wait_for(lambda: w.jobs() and w.jobs()[-1].is_terminal)
    posted = [str(c.params) for c in w.fake.calls if c.method in ("chat.postMessage", "chat.update")]
    assert posted and not any("<!channel>" in p or "<@U2>" in p for p in posted)
    assert any("&lt;!channel&gt;" in p for p in posted)


def test_a_database_outage_is_told_to_the_person(world, monkeypatch):
    from sqlalchemy.exc import OperationalError

    import bot.listeners.commands as commands

    w = world(immediate=False)

    def down(*_a, **_k):
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(commands, "start_handout", down)
    assert "Starting" in w.command(URL).get_json()["text"]
    assert w.fake.wait_for(lambda: w.ephemeral_texts())
    assert "database is unavailable" in w.ephemeral_texts()[0] and "try again in a minute" in w.ephemeral_texts()[0]


def test_an_ack_echoing_user_text_cannot_ping(world):
    w = world(immediate=False)
    for text in (f"{URL} --profile <!channel>", "--<!here>", "https://media.example.edu/a<!channel>.mp4"):
        answer = w.command(text).get_json()["text"]
        assert "<!channel>" not in answer and "<!here>" not in answer, answer
        assert "&lt;!" in answer, answer
