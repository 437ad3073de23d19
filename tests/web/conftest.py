"""An app over a Runtime with stages made for the test, jobs of two tenants, and a signed-in operator."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from pipeline.context import StageDef
from pipeline.jobs import submit_job
from pipeline.models import Job, JobStatus, utcnow

ADMIN = "s3cret-admin-token"
SECRET = "k" * 48


def stages():
    def a(ctx):
        for name, body in (("handout.pdf", b"%PDF-1.4 " + b"x" * 3000), ("mindmap.html", b"<script>alert(1)</script>"),
                           ("notes é.txt", b"plain words")):
            p = ctx.workdir / name
            p.write_bytes(body)
            ctx.save_artifact(p, "handout_grid" if name.endswith(".pdf") else "mindmap_html"
                              if name.endswith(".html") else "key_points")
        ctx.warn("the video has no audio track: the handout has slides without captions")
        return {"title": ctx.options.get("title", "Cell <biology>")}
    return (StageDef("a", a, 1),)


@pytest.fixture
def make_app(make_settings):
    made = []

    def build(**overrides):
        from handouts.app import create_app
        from handouts.wiring import open_runtime

        values = {"HANDOUTS_ADMIN_TOKEN": ADMIN, "HANDOUTS_SECRET_KEY": SECRET}
        values.update(overrides)
        values = {k: v for k, v in values.items() if v is not None}
        rt = open_runtime(make_settings(**values), immediate=True, stages=stages())
        made.append(rt)
        app = create_app(runtime=rt)
        app.config["TESTING"] = True
        return app, rt

    yield build
    for rt in made:
        rt.close()


def submit(rt, *, tenant="local", title="Cell <biology>", **kw) -> str:
    with rt.transaction() as s:
        return submit_job(s, rt.enqueue, source=f"{title}.mp4", tenant=tenant, options={"title": title}, **kw).id


def add_rows(rt, n: int, *, tenant="local", status=JobStatus.COMPLETED, prefix="Lecture") -> list[str]:
    """n finished job rows written straight to the store (a second apart, newest last)."""
    now = utcnow()
    ids = []
    with rt.transaction() as s:
        for i in range(n):
            job = Job(source=f"{prefix}-{i}.mp4", tenant=tenant, owner="u", title=f"{prefix} {i:03d}", status=status,
                      progress=100.0, message="done", warnings=[], created_at=now - timedelta(seconds=n - i))
            s.add(job)
            s.flush()
            ids.append(job.id)
    return ids


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "the page has no CSRF field"
    return m.group(1)


def sign_in(client, token=ADMIN, **environ):
    """Post the sign-in form the way a browser does: fetch the page (and its CSRF token), send the token."""
    page = client.get("/sign-in", headers={"Accept": "text/html"}, environ_base=environ)
    return client.post("/sign-in", data={"token": token, "csrf_token": csrf_of(page.get_data(as_text=True))},
                       environ_base=environ)


REMOTE = {"REMOTE_ADDR": "203.0.113.9"}
HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture
def app_rt(make_app):
    return make_app()


@pytest.fixture
def operator(app_rt):
    """A test client signed in as the operator from another machine."""
    app, _ = app_rt
    client = app.test_client()
    r = sign_in(client, **REMOTE)
    assert r.status_code == 303, r.get_data(as_text=True)
    client.environ_base.update(REMOTE)
    return client
