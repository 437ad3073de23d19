"""`handouts make <panopto link>` end to end against the fake Panopto, with a test credentials object.

The secrets (bearer, cookies, client secret) are then looked for in the database, the data folder, the outputs
and everything printed or logged: they must be nowhere.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import handouts.wiring
from handouts.cli import main
from tests.panopto.conftest import GOOD_TOKEN, StaticCredentials

CLIENT_SECRET = "client-SECRET-9a8b7c"
CUES = [(0.0, 1.8, "Enzymes lower the activation energy"), (1.8, 3.6, "Substrates bind at the active site"),
        (3.6, 5.9, "Temperature changes the rate")]


@pytest.fixture
def env(tmp_path, monkeypatch, panopto):
    monkeypatch.setenv("HANDOUTS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HANDOUTS_ALLOW_PRIVATE_URLS", "true")   # the fake Panopto is on loopback
    monkeypatch.setenv("HANDOUTS_OFFLINE_ASR", "false")
    monkeypatch.setenv("HANDOUTS_STAGE_RETRIES", "0")
    monkeypatch.setenv("HANDOUTS_OCR_ENGINE", "off")
    monkeypatch.setenv("PANOPTO_HOST", panopto.base_url)
    monkeypatch.setenv("PANOPTO_CLIENT_ID", "handouts-client")
    monkeypatch.setenv("PANOPTO_CLIENT_SECRET", CLIENT_SECRET)
    creds = StaticCredentials()
    real = handouts.wiring.open_runtime

    def with_credentials(settings, **kwargs):
        kwargs.setdefault("panopto_credentials", creds)
        return real(settings, **kwargs)

    monkeypatch.setattr(handouts.wiring, "open_runtime", with_credentials)
    return creds


def _fetch_checkpoint(data: Path) -> dict:
    db = sqlite3.connect(data / "handouts.db")
    try:
        row = db.execute("SELECT output FROM stage_runs WHERE stage = 'fetch' AND status = 'succeeded'").fetchone()
        return json.loads(row[0])
    finally:
        db.close()


def _secrets_nowhere(tmp_path: Path, printed: str, secrets: list[str]) -> None:
    dump = "\n".join(sqlite3.connect(tmp_path / "data" / "handouts.db").iterdump())
    blobs = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and "fake-media" not in p.parts]
    assert blobs
    for secret in secrets:
        assert secret not in dump, f"{secret} is in the database"
        assert secret not in printed, f"{secret} was printed or logged"
        hit = [b for b in blobs if secret.encode() in b]
        assert not hit, f"{secret} is in a file under the data or output folder"


def test_a_session_with_captions_and_powerpoint_slides(env, panopto, tmp_path, capfd):
    sid = panopto.add_session(tmp_path / "fake-media", seconds=6, slides=3, captions={0: [], 1: CUES})
    out = tmp_path / "out"
    assert main(["-v", "make", panopto.viewer_url(sid, start="12", query="enzymes"), "-o", str(out), "--no-ai"]) == 0
    printed = "".join(capfd.readouterr())
    manifest = json.loads((out / "slides.json").read_text())
    assert manifest["captions_source"] == "panopto" and manifest["slides_source"] == "panopto"
    assert manifest["title"] == "Week 3: Enzymes (2026-03-04)"
    assert [round(s["start"], 1) for s in manifest["slides"]] == [0.0, 2.0, 4.0]
    spoken = " ".join(s["text"] for s in manifest["slides"])
    assert "activation energy" in spoken and "active site" in spoken
    names = {p.name for p in out.iterdir()}
    assert any(n.startswith("week-3-enzymes-2026-03-04") and n.endswith("-handout-notes.pdf") for n in names), names
    import pypdfium2 as pdfium

    notes = next(out / n for n in names if n.endswith("-handout-notes.pdf"))
    doc = pdfium.PdfDocument(str(notes))
    text = doc[0].get_textpage().get_text_range()
    assert "Panopto (its slides and captions)" in text, "the handout says where its parts came from"
    doc.close()
    fetched = _fetch_checkpoint(tmp_path / "data")
    assert fetched["kind"] == "panopto" and fetched["captions_source"] == "panopto"
    assert fetched["panopto"]["caption_language"] == "en-GB", "the blank en-US track was skipped"
    assert fetched["panopto"]["video_stream"] == "SCREEN" and "audio_key" not in fetched, "captions: no voice needed"
    assert env.calls == [("local", "local", panopto.server.url("").split("//")[1])]
    assert panopto.logins == 1
    cookies = list(panopto.cookies)
    _secrets_nowhere(tmp_path, printed, [GOOD_TOKEN, CLIENT_SECRET, *cookies])
    for r in panopto.server.requests:
        assert GOOD_TOKEN not in r.path and not any(c in r.path for c in cookies)


def test_an_encrypted_hls_screen_and_a_separate_voice_when_there_are_no_captions(env, panopto, tmp_path, capfd):
    sid = panopto.add_session(tmp_path / "fake-media", seconds=6, screen="hls", podcast="mp4")
    out = tmp_path / "out"
    assert main(["-v", "make", panopto.viewer_url(sid), "-o", str(out), "--no-ai"]) == 0, capfd.readouterr().err
    printed = "".join(capfd.readouterr())
    fetched = _fetch_checkpoint(tmp_path / "data")
    assert fetched["panopto"]["video_stream"] == "SCREEN" and fetched["panopto"]["audio_stream"] == "PODCAST"
    assert abs(fetched["media"]["duration"] - 6.0) < 0.6 and fetched["audio_media"]["has_audio"]
    assert "slides_source" not in fetched
    manifest = json.loads((out / "slides.json").read_text())
    assert manifest["slides_source"] == "finder" and manifest["captions_source"] == "none"
    key_hits = panopto.server.requests_to(f"/Panopto/Content/{sid}/screen/key")
    assert len(key_hits) == 1 and ".ASPXAUTH" in key_hits[0].headers.get("cookie", "")
    _secrets_nowhere(tmp_path, printed, [GOOD_TOKEN, CLIENT_SECRET, *panopto.cookies])


def test_a_resumed_mp4_download(env, panopto, tmp_path):
    sid = panopto.add_session(tmp_path / "fake-media", seconds=6, slides=2, captions={0: CUES}, podcast=None)
    path = f"/Panopto/Content/{sid}/screen.mp4"
    body = panopto.files[path][0]
    original = panopto.content
    from tests.fakes.http_server import Reply

    def cut_once(req, n):
        reply = original(req, n)
        if req.path.startswith(path) and n == 0:
            return Reply(reply.status, reply.body, reply.content_type, reply.headers, True, cut_after=len(body) // 2)
        return reply

    panopto.server.route(path, cut_once)
    assert main(["make", panopto.viewer_url(sid), "-o", str(tmp_path / "out"), "--no-ai"]) == 0
    hits = panopto.server.requests_to(path)
    assert len(hits) == 2 and hits[1].headers.get("range", "").startswith(f"bytes={len(body) // 2}-")


@pytest.mark.parametrize("switch, words", [
    ("not_found", "has no session"), ("forbidden", "ask the recording's owner"),
    ("processing", "try again when processing ends"), ("no_streams", "has no video"),
    ("login_page", "sign-in page"), ("outage", "try again in a few minutes"),
    ("login_required", "Connect your Panopto account again"),
])
def test_bad_sessions_fail_with_what_to_do(env, panopto, tmp_path, capsys, switch, words):
    sid = panopto.add_session(tmp_path / "fake-media", seconds=2, screen=None)
    setattr(panopto.fail, switch, True)
    assert main(["make", panopto.viewer_url(sid), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("handouts: failed at fetch:") and words in err, err


def test_not_linked_other_hosts_and_folders(env, panopto, tmp_path, capsys, monkeypatch):
    sid = panopto.add_session(tmp_path / "fake-media", seconds=2, screen=None)
    env.token = None
    assert main(["make", panopto.viewer_url(sid), "-o", str(tmp_path / "o1")]) == 1
    assert "Connect your Panopto account" in capsys.readouterr().err
    env.token = "revoked-token"
    assert main(["make", panopto.viewer_url(sid), "-o", str(tmp_path / "o1")]) == 1
    assert "no longer accepts the linked account's sign-in" in capsys.readouterr().err
    env.token = GOOD_TOKEN
    other = f"https://other.hosted.panopto.com/Panopto/Pages/Viewer.aspx?id={sid}"
    assert main(["make", other, "-o", str(tmp_path / "o2")]) == 1
    assert "other.hosted.panopto.com is not this workspace's Panopto server" in capsys.readouterr().err
    folder = panopto.server.url(f'/Panopto/Pages/Sessions/List.aspx#folderID="{sid}"')
    assert main(["make", folder, "-o", str(tmp_path / "o3")]) == 1
    assert "folder, not a session" in capsys.readouterr().err
    assert not any(r.path.startswith("/Panopto/Content/") for r in panopto.server.requests)


def test_a_tid_link_that_is_not_the_session_id_says_to_send_the_id_link(env, panopto, tmp_path, capsys):
    panopto.add_session(tmp_path / "fake-media", seconds=2, screen=None)
    tid = "11111111-2222-4333-8444-555555555555"
    assert main(["make", panopto.server.url(f"/Panopto/Pages/Embed.aspx?tid={tid}"), "-o", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "has no session" in err and "`?id=`" in err, err


def test_an_hls_key_behind_a_sign_in_page_is_refused_clearly(env, panopto, tmp_path, capsys):
    from tests.fakes.http_server import Reply
    from tests.fakes.panopto import LOGIN_HTML

    sid = panopto.add_session(tmp_path / "fake-media", seconds=4, screen="hls", podcast=None)
    panopto.server.route(f"/Panopto/Content/{sid}/screen/key",
                         lambda req, n: Reply(200, LOGIN_HTML, "text/html", ranges=False))
    assert main(["make", panopto.viewer_url(sid), "-o", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "not 16 (an AES-128 key)" in err and "sign-in page" in err, err


def test_a_plain_file_on_a_panopto_named_path_is_fetched_as_a_file(env, panopto, tmp_path, monkeypatch):
    from tests.fakes.media import make_clip

    monkeypatch.delenv("PANOPTO_HOST")
    clip = make_clip(tmp_path / "c.mp4", seconds=3, colours=[(250, 250, 250), (20, 40, 160)])
    panopto.server.add("/panopto/archive/week3.mp4", clip.read_bytes(), "video/mp4")
    assert main(["make", panopto.server.url("/panopto/archive/week3.mp4"), "-o", str(tmp_path / "o"),
                 "--no-ai"]) == 0
    assert _fetch_checkpoint(tmp_path / "data")["kind"] == "http" and env.calls == []


def test_a_download_that_panopto_refuses_says_to_ask_the_owner(env, panopto, tmp_path, capsys):
    sid = panopto.add_session(tmp_path / "fake-media", seconds=2, podcast=None)
    panopto.server.add_status(f"/Panopto/Content/{sid}/screen.mp4", 403)
    assert main(["make", panopto.viewer_url(sid), "-o", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "refused to let this account download" in err and "ask its owner to allow downloads" in err, err


def test_captions_from_generate_srt_when_the_player_lists_none(env, panopto, tmp_path):
    srt = "1\n00:00:00,000 --> 00:00:02,500\nCaptions from the SRT download\n\n2\n00:00:02,500 --> 00:00:05,000\nSecond line\n"
    sid = panopto.add_session(tmp_path / "fake-media", seconds=5, slides=2, srt=srt)
    out = tmp_path / "out"
    assert main(["make", panopto.viewer_url(sid), "-o", str(out), "--no-ai"]) == 0
    manifest = json.loads((out / "slides.json").read_text())
    assert manifest["captions_source"] == "panopto" and "SRT download" in manifest["slides"][0]["text"]
    fetched = _fetch_checkpoint(tmp_path / "data")
    assert fetched["panopto"]["caption_language"] == "0" and "audio_key" not in fetched
    asked = panopto.server.requests_to("/Panopto/Pages/Transcription/GenerateSRT.ashx")
    assert len(asked) == 1 and ".ASPXAUTH" in asked[0].headers.get("cookie", "")


def test_a_bearer_panopto_refuses_early_is_forgotten_and_a_fresh_one_used(env, panopto, tmp_path):
    # Panopto may revoke an access token before its expiry (the person signed out everywhere, an admin reset the
    # API client): the credentials port forgets it and the fetch goes on with a fresh one, once
    forgotten: list[str] = []
    env.token = "revoked-before-expiry"

    def invalidate(*, tenant, user, server, token):
        forgotten.append(token)
        env.token = GOOD_TOKEN

    env.invalidate = invalidate
    sid = panopto.add_session(tmp_path / "fake-media", seconds=4, slides=2, captions={0: CUES})
    assert main(["make", panopto.viewer_url(sid), "-o", str(tmp_path / "out"), "--no-ai"]) == 0
    assert forgotten == ["revoked-before-expiry"] and len(env.calls) == 2
