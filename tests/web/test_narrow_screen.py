"""The jobs page on a 360 px wide phone screen: nothing scrolls sideways (headless Chromium)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.web.conftest import add_rows, submit

CHROMIUM = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else shutil.which("chromium")

# Headless Chromium will not make its window narrower than 500 px, so the page is shown in a 360 px wide iframe
# of a wrapper page (/__frame), as a phone would lay it out. A probe served beside the app (same origin, so the
# page's CSP lets it run) writes what the browser laid out into the wrapper's DOM, which --dump-dom then prints.
_PROBE = b"""window.addEventListener("load", function () {
  var d = document.documentElement;
  window.parent.document.documentElement.setAttribute("data-probe", "inner=" + window.innerWidth + " scroll=" +
      d.scrollWidth + " body=" + document.body.scrollWidth + " listed=" +
      (document.body.textContent.indexOf("Lecture 059") >= 0));
});"""
_FRAME = """<!DOCTYPE html><html><head><title>phone</title></head><body style="margin:0">
<iframe src="{path}" style="width:360px;height:800px;border:0" title="page"></iframe></body></html>"""


class _WithProbe:
    """The app, plus /__probe.js, a script tag for it in HTML pages, and the /__frame wrapper (for this test
    only; the app's own pages forbid framing, so that header is lifted for the wrapper's same-origin frame)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/__probe.js":
            start_response("200 OK", [("Content-Type", "text/javascript"), ("Content-Length", str(len(_PROBE)))])
            return [_PROBE]
        if environ["PATH_INFO"] == "/__frame":
            from urllib.parse import parse_qs

            page = _FRAME.format(path=parse_qs(environ.get("QUERY_STRING", ""))["path"][0]).encode()
            start_response("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(page)))])
            return [page]
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        headers = [(k, v.replace("frame-ancestors 'none'", "frame-ancestors 'self'"))
                   for k, v in captured["headers"] if k.lower() not in ("content-length", "x-frame-options")]
        if any(k.lower() == "content-type" and v.startswith("text/html") for k, v in headers):
            body = body.replace(b"</body>", b'<script src="/__probe.js"></script></body>')
        start_response(captured["status"], headers + [("Content-Length", str(len(body)))])
        return [body]


def test_jobs_page_fits_a_360px_screen(make_app, tmp_path):
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: install Debian's chromium (.ci/run does)")
        pytest.skip("no /usr/bin/chromium here: the 360 px layout check needs a headless Chromium")
    app, rt = make_app(HANDOUTS_ADMIN_TOKEN=None, HANDOUTS_SECRET_KEY=None)  # loopback, no sign-in needed
    submit(rt, title="A lecture title that is long enough to wrap several times on a phone screen, with "
                     "Supercalifragilisticexpialidocious-words-that-do-not-break-easily")
    add_rows(rt, 60)
    server = make_server("127.0.0.1", 0, _WithProbe(app), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=800,900", "--force-device-scale-factor=1", "--virtual-time-budget=3000",
                 f"--user-data-dir={Path(tmp_path) / 'chromium-profile'}"]
        from urllib.parse import quote

        for path in ("/", "/?status=completed&q=Lecture"):
            frame = f"http://127.0.0.1:{server.server_port}/__frame?path={quote(path)}"
            dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", frame], capture_output=True, text=True,
                                 timeout=90).stdout
            m = re.search(r'data-probe="inner=(\d+) scroll=(\d+) body=(\d+) listed=(\w+)"', dom)
            assert m, f"the probe did not run on {path}: {dom[:300]}"
            inner, scroll, body = map(int, m.groups()[:3])
            assert inner <= 360, f"Chromium laid the page out {inner} px wide, not at phone width"
            assert scroll <= inner and body <= inner, f"{path} scrolls sideways: {scroll} px content in {inner} px"
            assert m.group(4) == "true", f"{path} does not list the jobs"
    finally:
        server.shutdown()
