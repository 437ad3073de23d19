"""The instructor page inside an LMS iframe on another host name, in headless Chromium (the Debian package).

The LMS page (one host) frames the tool's ticket page (another host, so cross-site: no tool cookie needed);
the framed page runs its script and asks the parent for its height (lti.frameResize), which the LMS page writes
into its own DOM for --dump-dom to show. Skipped where no Chromium is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading

import pytest

CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser", shutil.which("chromium") or "")
                 if p and shutil.which(p)), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium here (/usr/bin/chromium: the Debian "
                                                          "package .ci/run installs)")

LMS_PAGE = """<!doctype html><html><head><title>Course</title></head><body>
<h1>Biology 101</h1><pre id="got">none</pre>
<iframe id="tool" title="Handouts" src="{src}" style="width:360px;height:600px;border:0"></iframe>
<script>
window.addEventListener("message", function (e) {{
  if (e.data && e.data.subject === "lti.frameResize") {{
    document.getElementById("got").textContent = "resize " + e.data.height + " from " + e.origin;
  }}
}});
</script></body></html>"""


def _serve(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_instructor_page_in_a_cross_site_iframe(lti_world, http_server):
    w = lti_world()
    resp, _, _ = w.launch()
    ticket_path = w.ticket_url(resp)
    server = _serve(w.app)
    try:
        tool = f"http://tool.test:{server.server_port}"
        http_server.add("/course", LMS_PAGE.format(src=tool + ticket_path).encode(), "text/html")
        lms = f"http://lms.test:{http_server.port}/course"
        out = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=800,900",
             "--host-resolver-rules=MAP tool.test 127.0.0.1, MAP lms.test 127.0.0.1",
             "--virtual-time-budget=8000", "--dump-dom", lms],
            capture_output=True, text=True, timeout=90)
        dom = out.stdout
        got = re.search(r'<pre id="got">([^<]*)</pre>', dom)
        assert got, out.stderr[-2000:]
        assert got.group(1).startswith("resize ") and got.group(1).endswith(f"from {tool}")
        assert int(got.group(1).split()[1]) > 200  # the framed page rendered its form and list
    finally:
        server.shutdown()
