"""Pieces without Slack: the command parser, token encryption, the manifest."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.app import BOT_SCOPES
from bot.command import parse_command
from pipeline.crypto import slack_token_cipher as TokenCipher
from pipeline.panopto.links import panopto_session_id
from pipeline.errors import ConfigError, InputError

SID = "0f6b4a62-1d2c-4e57-9a3b-aa12bb34cc56"


def test_options_and_escaped_links():
    cmd = parse_command('<https://x.edu/a.mp4|a.mp4> --no-quiz --profile medical-step1 --title "Week 3" --paper A4')
    assert cmd.url == "https://x.edu/a.mp4"
    assert cmd.options == {"no_quiz": True, "profile": "medical-step1", "title": "Week 3", "paper": "a4"}
    assert parse_command("https://x.edu/a.m3u8?token=1&amp;b=2").url == "https://x.edu/a.m3u8?token=1&b=2"


@pytest.mark.parametrize("text, expected", [
    ("x.edu/a.mp4", "no https://"), ("https://x.edu/a.mp4 https://x.edu/b.mp4", "One video per command"),
    ('https://x.edu/a.mp4 --title "open', "quote is not closed"), ("https://x.edu/a.mp4 --paper a3", "paper size"),
    ("https://x.edu/a.mp4 --profile ../etc", "not a profile name"), ("https://x.edu/talk.mp3", "audio file"),
])
def test_malformed_commands_name_the_problem_and_show_an_example(text, expected):
    with pytest.raises(InputError) as e:
        parse_command(text)
    assert expected in e.value.message and "Example" in e.value.message


def test_panopto_shapes():
    base = "https://uni.hosted.panopto.com/Panopto"
    assert panopto_session_id(f"{base}/Pages/Viewer.aspx?id={SID}") == (True, SID)
    assert panopto_session_id(f"{base}/Pages/Embed.aspx?ID={SID.upper()}&autoplay=true") == (True, SID)
    assert panopto_session_id(f"{base}/Pages/Viewer.aspx?tid={SID}") == (True, SID)
    assert panopto_session_id(f"{base}/Podcast/Download/{SID}.mp4") == (True, SID)
    assert panopto_session_id(f"{base}/Pages/Sessions/List.aspx") == (True, None)
    assert panopto_session_id("https://x.edu/a.mp4") == (False, None)


def test_tokens_round_trip_and_rotate():
    old = TokenCipher(["old-key"])
    sealed = old.encrypt("xoxb-1")
    assert sealed.startswith("enc1:") and "xoxb" not in sealed and old.encrypt(sealed) == sealed
    rotated = TokenCipher(["new-key", "old-key"])
    assert rotated.decrypt(sealed) == "xoxb-1"
    assert rotated.decrypt("xoxb-plain") == "xoxb-plain"  # stored before encryption was on
    with pytest.raises(ConfigError) as e:
        TokenCipher(["other"]).decrypt(sealed)
    assert "HANDOUTS_SLACK_TOKEN_KEY" in e.value.message


def test_manifest_asks_for_what_the_app_uses():
    text = (Path(__file__).parents[2] / "slack-manifest.yml").read_text()
    for scope in BOT_SCOPES:
        assert f"- {scope} " in text or f"- {scope}\n" in text
    assert text.count("/slack/events") == 3 and "/slack/oauth_redirect" in text
    for event in ("app_home_opened", "app_uninstalled", "tokens_revoked"):
        assert f"- {event}" in text


def test_slack_off_registers_nothing(make_settings):
    import bot
    from handouts.wiring import open_runtime
    from handouts.app import create_app

    rt = open_runtime(make_settings(), immediate=True, stages=())
    app = create_app(runtime=rt)
    bot.init_app(app, rt)  # a second call is as harmless as the first when Slack is off
    assert "/slack/events" not in {r.rule for r in app.url_map.iter_rules()}
    from bot.notifier import make_slack_notifier

    assert make_slack_notifier(rt.settings, rt.sessions) is None
    rt.close()


def test_the_summary_says_where_slides_and_captions_came_from():
    from types import SimpleNamespace

    from bot.blocks import summary_message
    from bot.notifier import _sources_line

    def job(**kw):
        base = dict(provenance=None, captions_machine=False, captions_source="sidecar")
        return SimpleNamespace(**{**base, **kw})

    assert _sources_line(job()) is None
    assert _sources_line(job(provenance="Slides and captions from Panopto", captions_source="panopto")) == \
        "Slides and captions from Panopto"
    heard = _sources_line(job(provenance="Slides from Panopto", captions_machine=True, captions_source="offline"))
    assert heard.startswith("Slides from Panopto; captions machine-heard")
    assert "no captions" in _sources_line(job(captions_source="none"))
    _, blocks = summary_message("Week 3", 7, 600, ["handout.pdf"], [], sources="captions machine-heard <x>")
    assert "_Captions machine-heard &lt;x&gt;_" in blocks[0]["text"]["text"]


HOSTILE = "<!channel> & <@U2>"


def _no_raw_mention(*texts: str) -> None:
    for t in texts:
        assert "<!channel>" not in t and "<@U2>" not in t, t
        assert "&lt;!channel&gt; &amp; &lt;@U2&gt;" in t, t


def _hostile_job(**kw):
    from pipeline.addresses import SlackAddress
    from pipeline.models import Job, JobStatus

    job = Job(id="j1", source=f"https://media.example.edu/{HOSTILE}.mp4", title=HOSTILE, status=JobStatus.FAILED,
              progress=40.0, message=f"slides: {HOSTILE}", warnings=[f"mindmap: {HOSTILE}"],
              error={"code": "x", "message": f"the link said {HOSTILE}"}, cancel_requested=False, options={},
              created_at=datetime(2026, 12, 1, tzinfo=timezone.utc))
    job.address = SlackAddress(team_id="T1", channel_id="C1", user_id="U1")
    for k, v in kw.items():
        setattr(job, k, v)
    return job


def test_user_text_is_escaped_in_every_message_and_its_fallback_text():
    from bot.blocks import dm_message, home_view, progress_message, summary_message

    job = _hostile_job()
    text, blocks = progress_message(job, ["fetch", "slides"])
    _no_raw_mention(text, blocks[0]["text"]["text"])
    text, blocks = dm_message(job, {f"{HOSTILE}.pdf": "https://files.slack.com/f1"}, "C1")
    _no_raw_mention(text, blocks[0]["text"]["text"])
    assert f"the link said &lt;!channel&gt;" in blocks[0]["text"]["text"] and "Notes: mindmap: &lt;" in \
        blocks[0]["text"]["text"]
    text, blocks = summary_message(HOSTILE, 3, 60, [f"{HOSTILE}.pdf (notes)"], [f"quiz: {HOSTILE}"])
    _no_raw_mention(text, blocks[0]["text"]["text"], blocks[1]["text"]["text"], blocks[2]["text"]["text"])
    untitled = _hostile_job(title=None)
    text, _ = progress_message(untitled, ["fetch"])
    _no_raw_mention(text)
    view = home_view([job], ["default"], None)
    shown = [b["text"]["text"] for b in view["blocks"] if b.get("type") == "section" and "&lt;" in b["text"]["text"]]
    assert shown, view
    _no_raw_mention(*shown)


def test_an_error_echoing_user_text_is_escaped_in_the_ack():
    from bot.start import started_text

    with pytest.raises(InputError) as e:
        parse_command("https://media.example.edu/w3.mp4 --profile <!channel>")
    from bot.blocks import escape_mrkdwn

    assert "<!channel>" in e.value.message and "<!channel>" not in escape_mrkdwn(e.value.message)
    cmd = parse_command("https://media.example.edu/a<!channel>b.mp4")
    assert "<!channel>" not in started_text(cmd) and "&lt;!channel&gt;" in started_text(cmd)
