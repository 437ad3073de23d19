"""Tenants, scopes and typed reply addresses; the one query that decides who sees which job."""

from __future__ import annotations

import pytest

from pipeline.addresses import LtiAddress, Origin, SlackAddress, lti_scope, lti_tenant, slack_scope, slack_tenant
from pipeline.errors import InputError, JobNotFound
from pipeline.jobs import OPERATOR, Viewer, get_visible_job, list_jobs, submit_job
from pipeline.storage import job_key


def test_tenant_convention():
    assert slack_tenant("T1") == "slack:T1" and slack_tenant(None, "E9") == "slack:E9"
    with pytest.raises(InputError, match="team_id"):
        slack_tenant("T1/../x")
    t = lti_tenant("https://canvas.instructure.com", "12:abcdef" * 20)
    assert t.startswith("lti:") and len(t) <= 128 and "/" not in t
    assert lti_tenant("https://a.edu", "1") != lti_tenant("https://b.edu", "1")
    assert job_key(t, "j1", "a.pdf") == f"t/{t.replace(':', '-')}/jobs/j1/a.pdf"  # one safe path part
    assert lti_scope("ctx-1") == "course:ctx-1" and slack_scope("C1") == "channel:C1"


def test_an_address_must_match_its_origin(make_settings):
    from handouts.wiring import open_runtime

    rt = open_runtime(make_settings(), immediate=False, stages=())
    with rt.transaction() as s, pytest.raises(InputError, match="cannot answer to a slack address"):
        submit_job(s, rt.enqueue, source="x.mp4", origin=Origin.CLI,
                   address=SlackAddress(channel_id="C1", user_id="U1"))
    rt.close()


def test_viewers_see_only_their_tenant_scope_and_owner(make_settings):
    from handouts.wiring import open_runtime

    rt = open_runtime(make_settings(), immediate=False, stages=())
    lti = dict(issuer="https://lms.example.edu", client_id="c", deployment_id="d", user_id="teacher")
    tenant = lti_tenant("https://lms.example.edu", "d")
    with rt.transaction() as s:
        a = submit_job(s, rt.enqueue, source="a.mp4", tenant=tenant, scope=lti_scope("c1"), owner="teacher",
                       origin=Origin.LTI, address=LtiAddress(context_id="c1", **lti)).id
        b = submit_job(s, rt.enqueue, source="b.mp4", tenant=tenant, scope=lti_scope("c2"), owner="teacher",
                       origin=Origin.LTI, address=LtiAddress(context_id="c2", **lti)).id
        c = submit_job(s, rt.enqueue, source="c.mp4", tenant="slack:T1", scope=slack_scope("C1"), owner="U1",
                       origin=Origin.SLACK, address=SlackAddress(team_id="T1", channel_id="C1", user_id="U1")).id
    with rt.sessions() as s:
        course1 = Viewer(tenant=tenant, scope=lti_scope("c1"))
        assert [j.id for j in list_jobs(s, course1)] == [a]
        assert get_visible_job(s, course1, a).address.context_id == "c1"
        with pytest.raises(JobNotFound):
            get_visible_job(s, course1, b)  # another course of the same platform
        with pytest.raises(JobNotFound):
            get_visible_job(s, course1, c)  # another tenant altogether
        assert {j.id for j in list_jobs(s, Viewer(tenant=tenant))} == {a, b}
        assert [j.id for j in list_jobs(s, Viewer(tenant="slack:T1", owner="U2"))] == []
        assert {j.id for j in list_jobs(s, OPERATOR)} == {a, b, c}
    with pytest.raises(InputError, match="needs a tenant"):
        Viewer(scope="course:c1")
    rt.close()
