"""What a person sees: the status pages in headless Chromium, and `handouts serve` as a real process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from werkzeug.serving import make_server

from pipeline.context import StageDef
from pipeline.errors import NotAVideo
from pipeline.jobs import submit_job
from handouts.wiring import open_runtime
from handouts.app import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _need_chromium():
    if CHROMIUM:
        return
    if os.environ.get("CI"):
        pytest.fail("CI must run the browser tests: install Debian's chromium (.ci/run does)")
    pytest.skip("chromium is not installed (apt-get install chromium)")


def _chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={tmp / 'chromium-profile'}"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=90)


@pytest.fixture
def served(make_settings):
    def ok(ctx):
        p = ctx.workdir / "handout-16up.pdf"
        p.write_bytes(b"%PDF-1.4")
        ctx.save_artifact(p, "handout_grid")
        return {"title": "Week 3: Enzymes"}

    def maybe_fail(ctx):
        if ctx.options.get("fail"):
            raise NotAVideo(ctx.source, "page.mp4 is a web page (HTML), not a video")
        return {}

    rt = open_runtime(make_settings(), immediate=True, stages=(StageDef("a", ok, 1), StageDef("b", maybe_fail, 1)))
    with rt.transaction() as s:
        good = submit_job(s, rt.enqueue, source="enzymes.mp4").id
    with rt.transaction() as s:
        submit_job(s, rt.enqueue, source="page.mp4", options={"fail": True})
    server = make_server("127.0.0.1", 0, create_app(runtime=rt), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", good
    server.shutdown()
    rt.close()


def test_status_page_in_chromium(served, tmp_path):
    _need_chromium()
    base, good = served
    dom = _chromium("--dump-dom", f"{base}/", tmp=tmp_path).stdout
    assert "Week 3: Enzymes" in dom and "completed" in dom and "failed" in dom
    assert 'role="progressbar"' in dom
    shot = tmp_path / "status.png"
    _chromium(f"--screenshot={shot}", "--window-size=1100,600", f"{base}/", tmp=tmp_path)
    pixels = np.asarray(Image.open(shot).convert("L"))
    assert pixels.std() > 10, "the page rendered as a blank image"
    detail = _chromium("--dump-dom", f"{base}/jobs/{good}", tmp=tmp_path).stdout
    assert "handout-16up.pdf" in detail and f"/jobs/{good}/files/handout-16up.pdf" in detail


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_runs_as_a_process(tmp_path):
    port = _free_port()
    env = {**os.environ, "HANDOUTS_DATA_DIR": str(tmp_path / "data"), "HANDOUTS_LOG_FORMAT": "json"}
    proc = subprocess.Popen([sys.executable, "-m", "handouts.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline and body is None:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
            except OSError:
                time.sleep(0.2)
        assert body is not None, proc.stderr.read() if proc.poll() is not None else "no answer"
        assert b'"status":"ok"' in body.replace(b" ", b"")
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
        assert "no jobs yet" in page
    finally:
        proc.terminate()
        proc.wait(timeout=20)
