"""Login and launch against the test platform: good launches, and every kind of bad one refused cleanly."""

from __future__ import annotations

import time

from structlog.testing import capture_logs
from sqlalchemy import func, select

from lti.tables import LtiLaunch, LtiUsedNonce
from tests.lti.platform import INSTRUCTOR, LEARNER, REMOVE, rsa_key


def test_login_redirects_to_platform_with_state_and_nonce(lti_world):
    w = lti_world()
    login = w.platform.login(w.client)
    assert login["response"].status_code == 302
    assert login["location"].startswith(w.platform.auth_url + "?")
    assert login["scope"] == "openid" and login["response_type"] == "id_token"
    assert login["response_mode"] == "form_post" and login["prompt"] == "none"
    assert login["client_id"] == w.platform.client_id
    assert login["redirect_uri"].endswith("/lti/launch")
    assert login["login_hint"] == "user-1" and login["lti_message_hint"] == "msg-hint-1"
    assert len(login["state"]) >= 32 and len(login["nonce"]) >= 32
    cookie = login["response"].headers["Set-Cookie"]
    assert "SameSite=None" in cookie and "Secure" in cookie and "Partitioned" in cookie and "HttpOnly" in cookie


def test_login_by_get_works_too(lti_world):
    w = lti_world()
    login = w.platform.login(w.client, method="GET")
    assert login["response"].status_code == 302 and login["state"]


def test_login_of_unknown_issuer_or_client_is_refused_with_a_page(lti_world):
    w = lti_world()
    for kw in ({"issuer": "https://other.example"}, {"client_id": "not-registered"}):
        with capture_logs() as logs:
            resp = w.platform.login(w.client, **kw)["response"]
        assert resp.status_code == 400
        page = resp.get_data(as_text=True)
        assert "Handouts has no registration for" in page and "handouts lti add-platform" in page
        assert any(e.get("code") == "unknown_platform" for e in logs)


def test_login_needs_iss_and_login_hint(lti_world):
    w = lti_world()
    resp = w.client.post("/lti/login", data={"login_hint": "u"})
    assert resp.status_code == 400 and "no issuer" in resp.get_data(as_text=True)
    resp = w.client.post("/lti/login", data={"iss": w.platform.issuer, "client_id": w.platform.client_id})
    assert resp.status_code == 400 and "login_hint" in resp.get_data(as_text=True)


def test_good_launch_lands_on_the_instructor_page_through_a_ticket(lti_world):
    w = lti_world()
    login = w.platform.login(w.client)
    resp, _, _ = w.launch(login=login, follow=False)
    assert resp.status_code == 303
    assert "/lti/t/" in resp.headers["Location"]
    page = w.client.get(resp.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Handouts for Biology 101" in html and "Request a handout" in html
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    # no cookie is needed after the launch: a fresh client with the ticket URL sees the same page
    other = w.app.test_client()
    assert other.get(resp.headers["Location"]).status_code == 200


def test_launch_works_without_the_state_cookie(lti_world):
    """Browsers that block third-party cookies drop the state cookie; the state is server-side."""
    w = lti_world()
    login = w.platform.login(w.client)
    fresh = w.app.test_client()
    resp, _, _ = w.platform.launch(fresh, login=login)
    assert resp.status_code == 200 and "Request a handout" in resp.get_data(as_text=True)


def test_replayed_launch_is_refused_and_nonce_consumed(lti_world):
    w = lti_world()
    resp, login, token = w.launch()
    assert resp.status_code == 200
    with capture_logs() as logs:
        again = w.client.post("/lti/launch", data={"id_token": token, "state": login["state"]})
    assert again.status_code == 400
    assert "already used" in again.get_data(as_text=True)
    assert any(e.get("code") == "replayed" for e in logs)
    # the same token with a fresh login's state: its nonce belongs to the old login
    login2 = w.platform.login(w.client)
    third = w.client.post("/lti/launch", data={"id_token": token, "state": login2["state"]})
    assert third.status_code == 400 and "nonce" in third.get_data(as_text=True)
    with w.rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(LtiLaunch)) == 1
        assert s.scalar(select(func.count()).select_from(LtiUsedNonce)) == 1


def test_replayed_nonce_in_a_new_login_is_refused(lti_world):
    """A platform that repeats a nonce (or an attacker re-signing one) is refused by the used-nonce record."""
    w = lti_world()
    resp, login, _ = w.launch()
    assert resp.status_code == 200
    login2 = w.platform.login(w.client)
    from lti.launch import digest
    from lti.tables import LtiLoginState

    with w.rt.sessions() as s, s.begin():  # make the new login carry the old nonce, as a replaying LMS would
        s.get(LtiLoginState, digest(login2["state"])).nonce = login["nonce"]
    token = w.platform.sign(w.platform.claims(login["nonce"]))
    again = w.client.post("/lti/launch", data={"id_token": token, "state": login2["state"]})
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)


def _refused(w, expect_code: str, *, status: int = 400, **kw):
    with capture_logs() as logs:
        resp, login, _ = w.launch(**kw)
    assert resp.status_code == status, resp.get_data(as_text=True)
    codes = [e.get("code") for e in logs if e.get("event") == "lti_refused"]
    assert codes == [expect_code], logs
    with w.rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(LtiLaunch)) == 0  # no side effect
        assert s.scalar(select(func.count()).select_from(LtiUsedNonce)) == 0
    return resp.get_data(as_text=True), logs


def test_expired_token_refused(lti_world):
    w = lti_world()
    old = int(time.time()) - 3600
    page, logs = _refused(w, "expired", iat=old, exp=old + 60)
    assert "expired" in page and "Open Handouts again from your course" in page
    assert [e["tenant"] for e in logs if e.get("event") == "lti_refused"][0].startswith("lti:")


def test_expiry_within_the_leeway_passes(lti_world):
    w = lti_world()
    now = int(time.time())
    resp, _, _ = w.launch(iat=now - 100, exp=now - 10)
    assert resp.status_code == 200


def test_token_from_the_future_refused(lti_world):
    w = lti_world()
    now = int(time.time())
    _refused(w, "not_yet_valid", iat=now + 600, exp=now + 900)


def test_wrongly_signed_token_refused(lti_world):
    """Signed with a key the platform does not publish, under the published kid."""
    w = lti_world()
    page, _ = _refused(w, "bad_signature", sign={"slot": 1, "kid": rsa_key(0)[1]["kid"]})
    assert "signature" in page


def test_forged_token_unsigned_or_tampered_refused(lti_world):
    w = lti_world()
    login = w.platform.login(w.client)
    token = w.platform.sign(w.platform.claims(login["nonce"]))
    head, body, sig = token.split(".")
    import base64
    import json

    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims[ "https://purl.imsglobal.org/spec/lti/claim/roles"] = [INSTRUCTOR, "Administrator"]
    forged = head + "." + base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode() + "." + sig
    _refused(w, "bad_signature", token=forged, login=login)
    login = w.platform.login(w.client)
    none_alg = jwt_none(w.platform.claims(login["nonce"]))
    _refused(w, "bad_algorithm", token=none_alg, login=login)
    login = w.platform.login(w.client)
    _refused(w, "malformed_token", token="not-a-jwt", login=login)


def jwt_none(claims: dict) -> str:
    import base64
    import json

    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    return enc({"alg": "none", "typ": "JWT", "kid": "platform-key-0"}) + "." + enc(claims) + "."


def test_unknown_kid_reloads_the_key_set_once(lti_world, http_server):
    """The platform rotated its key: the cached set lacks the new kid, so it is fetched again, once."""
    w = lti_world()
    assert w.launch()[0].status_code == 200
    fetched = http_server.hits("/jwks")
    w.platform.published = [0, 1]
    w.platform.key_slot = 1
    assert w.launch()[0].status_code == 200
    assert http_server.hits("/jwks") == fetched + 1
    assert w.launch()[0].status_code == 200
    assert http_server.hits("/jwks") == fetched + 1  # cached now


def test_kid_not_in_the_key_set_refused(lti_world):
    w = lti_world()
    page, _ = _refused(w, "no_key", sign={"kid": "someone-elses-key"})
    assert "someone-elses-key" in page


def test_key_set_that_does_not_answer_refused(lti_world, http_server):
    w = lti_world()
    http_server.add_status("/jwks", 500)
    page, _ = _refused(w, "no_key")
    assert "HTTP 500" in page


def test_wrong_issuer_or_audience_refused(lti_world):
    w = lti_world()
    _refused(w, "wrong_platform", iss="https://evil.example")
    _refused(w, "wrong_platform", aud="another-client")
    _refused(w, "wrong_audience", aud=["tool-client-1", "other"])  # several audiences, no azp
    resp, _, _ = w.launch(aud=["other", "tool-client-1"], azp="tool-client-1")
    assert resp.status_code == 200


def test_unknown_deployment_recorded_on_first_sight_by_default(lti_world):
    w = lti_world(deployment_ids=[])
    resp, _, _ = w.launch()
    assert resp.status_code == 200
    from lti.registry import list_platforms

    assert list_platforms(w.rt.sessions)[0][1] == [("dep-1", "active")]


def test_unknown_deployment_waits_for_approval_when_set(lti_world):
    w = lti_world(deployment_ids=[], HANDOUTS_LTI_DEPLOYMENTS="approve")
    page, _ = _refused(w, "deployment_pending", status=403)
    assert "handouts lti approve --platform" in page
    from lti.registry import approve_deployment, list_platforms

    assert list_platforms(w.rt.sessions)[0][1] == [("dep-1", "pending")]
    approve_deployment(w.rt.sessions, w.registration.id, "dep-1")
    assert w.launch()[0].status_code == 200


def test_missing_roles_and_other_claims_refused(lti_world):
    w = lti_world()
    page, _ = _refused(w, "missing_roles", claim_roles=REMOVE)
    assert "role" in page
    _refused(w, "missing_deployment", claim_deployment_id=REMOVE)
    _refused(w, "bad_message", claim_version="1.1")
    _refused(w, "missing_context", claim_context=REMOVE)
    _refused(w, "bad_message", claim_resource_link=REMOVE)


def test_unknown_state_and_platform_error(lti_world):
    w = lti_world()
    login = {"state": "made-up", "nonce": "n"}
    _refused(w, "unknown_state", login=login)
    resp = w.client.post("/lti/launch", data={"error": "login_required", "error_description": "no session"})
    assert resp.status_code == 400 and "login_required" in resp.get_data(as_text=True)
    resp = w.client.post("/lti/launch", data={})
    assert resp.status_code == 400 and "id_token" in resp.get_data(as_text=True)


def test_expired_ticket_refused(lti_world):
    w = lti_world()
    resp, _, _ = w.launch()
    url = w.ticket_url(resp)
    with w.rt.sessions() as s, s.begin():
        from datetime import datetime, timezone

        for row in s.scalars(select(LtiLaunch)):
            row.expires_at = datetime(2020, 1, 1, tzinfo=timezone.utc)
    page = w.client.get(url)
    assert page.status_code == 403 and "expired" in page.get_data(as_text=True)
    assert w.client.get("/lti/t/not-a-ticket/").status_code == 403


def test_learner_and_institution_only_roles(lti_world):
    from tests.lti.platform import INSTITUTION_FACULTY

    w = lti_world()
    resp, _, _ = w.launch(roles=[LEARNER])
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Request a handout" not in html and "No handouts are ready" in html
    resp, _, _ = w.launch(roles=[INSTITUTION_FACULTY])
    assert resp.status_code == 403
    html = resp.get_data(as_text=True)
    assert "role in this course" in html and INSTITUTION_FACULTY in html


def test_tool_jwks_published_with_kid_alg_use(lti_world):
    w = lti_world()
    data = w.client.get("/lti/jwks").get_json()
    assert len(data["keys"]) == 2  # current and next
    for k in data["keys"]:
        assert k["kty"] == "RSA" and k["alg"] == "RS256" and k["use"] == "sig" and k["kid"]
        assert "d" not in k


def test_bogus_kids_do_not_flood_the_platform(lti_world, http_server):
    """Each unknown kid may reload the set, but a set a reload just fetched is not fetched again."""
    w = lti_world()
    assert w.launch()[0].status_code == 200
    before = http_server.hits("/jwks")
    for i in range(4):
        resp, _, _ = w.launch(sign={"kid": f"bogus-{i}"})
        assert resp.status_code == 400
    assert http_server.hits("/jwks") == before + 1


def test_behind_a_proxy_urls_are_https_and_operator_guard_does_not_apply(lti_world):
    """ProxyFix: the public scheme and host come from the proxy; the LTI routes are open to LMS users, while
    the operator pages stay behind HANDOUTS_ADMIN_TOKEN."""
    w = lti_world(HANDOUTS_ADMIN_TOKEN="op-token", HANDOUTS_SECRET_KEY="a-long-random-secret-for-tests")
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "handouts.uni.example", "X-Forwarded-For": "203.0.113.9"}
    env = {"REMOTE_ADDR": "10.0.0.2"}
    login = w.client.post("/lti/login", data={"iss": w.platform.issuer, "login_hint": "u",
                                              "client_id": w.platform.client_id}, headers=headers, environ_base=env)
    assert login.status_code == 302
    from urllib.parse import parse_qs, urlsplit

    q = parse_qs(urlsplit(login.headers["Location"]).query)
    assert q["redirect_uri"] == ["https://handouts.uni.example/lti/launch"]
    assert w.client.get("/lti/jwks", headers=headers, environ_base=env).status_code == 200
    assert w.client.get("/", environ_base=env).status_code == 401  # the operator's jobs page: sign in first


def test_plain_http_on_a_public_host_is_logged(lti_world):
    w = lti_world()
    with capture_logs() as logs:
        w.client.post("/lti/login", base_url="http://handouts.uni.example",
                      data={"iss": w.platform.issuer, "login_hint": "u", "client_id": w.platform.client_id})
    [warn] = [e for e in logs if e["event"] == "lti_insecure_launch_url"]
    assert warn["launch_url"] == "http://handouts.uni.example/lti/launch" and "X-Forwarded-Proto" in warn["hint"]


def test_only_the_listed_lms_may_frame_the_tool(lti_world):
    w = lti_world(HANDOUTS_FRAME_ANCESTORS=["https://canvas.example.edu"])
    r = w.client.get("/lti/jwks")
    assert r.headers["Content-Security-Policy"] == "frame-ancestors 'self' https://canvas.example.edu"
    assert "X-Frame-Options" not in r.headers
