"""Nobody but an operator sees another tenant's jobs: not in the list, not by id, not their files."""

from __future__ import annotations

import re

from tests.web.conftest import HTML, REMOTE, add_rows, csrf_of, submit


def _as_viewer(app, tenant, scope=None, owner=None):
    client = app.test_client()
    client.environ_base.update(REMOTE)
    with client.session_transaction() as s:
        s["viewer"] = {"tenant": tenant, "scope": scope, "owner": owner}
    return client


def test_a_tenant_sees_only_its_own(app_rt, operator):
    app, rt = app_rt
    mine = submit(rt, tenant="lti:aaa:1", title="Ours")
    theirs = submit(rt, tenant="slack:T999", title="Theirs")
    add_rows(rt, 3, tenant="slack:T999", prefix="Hidden")
    viewer = _as_viewer(app, "lti:aaa:1")
    page = viewer.get("/", headers=HTML).get_data(as_text=True)
    assert "Ours" in page and "Theirs" not in page and "Hidden" not in page
    assert "completed_with_warnings: 1" in page and "completed: 3" not in page, "counts are the tenant's too"
    assert viewer.get(f"/jobs/{mine}", headers=HTML).status_code == 200
    for path in (f"/jobs/{theirs}", f"/api/jobs/{theirs}", f"/jobs/{theirs}/files/handout.pdf"):
        r = viewer.get(path, headers=HTML)
        assert r.status_code == 404 and "Theirs" not in r.get_data(as_text=True), path
    # the page cursor of another tenant's job does not reveal or reorder anything
    hidden = re.findall(r"Hidden", viewer.get(f"/?after={theirs}", headers=HTML).get_data(as_text=True))
    assert hidden == []
    # viewers who are not operators have no cancel or retry, and a forged post is refused
    detail = viewer.get(f"/jobs/{mine}", headers=HTML).get_data(as_text=True)
    assert "/retry" not in detail
    r = viewer.post(f"/jobs/{mine}/retry", data={"csrf_token": csrf_of(detail)})
    assert r.status_code == 403
    r = viewer.post(f"/jobs/{theirs}/cancel", data={"csrf_token": csrf_of(detail)})
    assert r.status_code == 403
    # the operator sees both
    everything = operator.get("/", headers=HTML).get_data(as_text=True)
    assert "Ours" in everything and "Theirs" in everything and "Hidden" in everything


def test_scope_narrows_within_a_tenant(app_rt):
    app, rt = app_rt
    a = submit(rt, tenant="lti:aaa:1", title="Course A", scope="course:A")
    b = submit(rt, tenant="lti:aaa:1", title="Course B", scope="course:B")
    viewer = _as_viewer(app, "lti:aaa:1", scope="course:A")
    page = viewer.get("/", headers=HTML).get_data(as_text=True)
    assert "Course A" in page and "Course B" not in page
    assert viewer.get(f"/jobs/{b}").status_code == 404 and viewer.get(f"/jobs/{a}").status_code == 200


def test_a_viewer_without_a_tenant_is_nobody(app_rt):
    app, _ = app_rt
    client = _as_viewer(app, "")
    assert client.get("/api/jobs/x").status_code == 401


def test_get_job_with_a_viewer_is_scoped(app_rt):
    import pytest

    from pipeline.errors import JobNotFound
    from pipeline.jobs import OPERATOR, Viewer, get_job, list_jobs

    _, rt = app_rt
    theirs = submit(rt, tenant="slack:T999", title="Theirs")
    with rt.sessions() as s:
        assert get_job(s, theirs, viewer=OPERATOR).id == theirs
        assert get_job(s, theirs, viewer=Viewer(tenant="slack:T999")).id == theirs
        with pytest.raises(JobNotFound):
            get_job(s, theirs, viewer=Viewer(tenant="lti:aaa:1"))
        assert list_jobs(s, Viewer(tenant="lti:aaa:1")) == []


def test_a_signed_in_viewer_stays_in_its_tenant_even_on_this_machine(make_app):
    app, rt = make_app(HANDOUTS_ADMIN_TOKEN=None, HANDOUTS_SECRET_KEY=None)
    submit(rt, tenant="lti:aaa:1", title="Ours")
    submit(rt, tenant="slack:T999", title="Theirs")
    client = app.test_client()  # loopback, no admin token: an operator by default
    assert "Theirs" in client.get("/", headers=HTML).get_data(as_text=True)
    with client.session_transaction() as s:
        s["viewer"] = {"tenant": "lti:aaa:1", "scope": None, "owner": None}
    page = client.get("/", headers=HTML).get_data(as_text=True)
    assert "Ours" in page and "Theirs" not in page
