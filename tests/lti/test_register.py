"""Dynamic registration at /lti/register against a fake LMS's openid-configuration and registration endpoint."""

from __future__ import annotations

import html
import json
import re

from lti.registry import list_platforms
from tests.fakes.http_server import Reply


def _lms(http_server, *, client_id="dyn-client-9", deployment="dyn-dep-1", reg_host=None):
    base = http_server.url("")
    conf = {"issuer": "https://moodle.test.example", "authorization_endpoint": base + "/mod/lti/auth.php",
            "token_endpoint": base + "/mod/lti/token.php", "jwks_uri": base + "/mod/lti/certs.php",
            "registration_endpoint": (reg_host or base) + "/mod/lti/openid-registration.php",
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "moodle", "messages_supported": [
                    {"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}]}}
    http_server.add("/mod/lti/openid-configuration.php", json.dumps(conf).encode(), "application/json")
    answer = {"client_id": client_id, "https://purl.imsglobal.org/spec/lti-tool-configuration":
              {"deployment_id": deployment}}
    http_server.route("/mod/lti/openid-registration.php",
                      lambda req, n: Reply(200, json.dumps(answer).encode(), "application/json"))
    return http_server.url("/mod/lti/openid-configuration.php")


def test_registration_is_closed_without_a_token_setting(lti_world):
    w = lti_world()
    r = w.client.get("/lti/register?openid_configuration=https://x.example/c")
    assert r.status_code == 404 and "switched off" in r.get_data(as_text=True)


def test_wrong_token_refused(lti_world, http_server):
    w = lti_world(HANDOUTS_LTI_REGISTRATION_TOKEN="reg-secret")
    url = _lms(http_server)
    r = w.client.get("/lti/register", query_string={"openid_configuration": url, "token": "guess"})
    assert r.status_code == 403
    assert http_server.hits("/mod/lti/openid-configuration.php") == 0


def test_register_with_the_lms_and_launch(lti_world, http_server):
    w = lti_world(HANDOUTS_LTI_REGISTRATION_TOKEN="reg-secret")
    url = _lms(http_server)
    q = {"openid_configuration": url, "token": "reg-secret", "registration_token": "lms-one-time"}
    page = w.client.get("/lti/register", query_string=q)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Register Handouts with moodle" in text and "https://moodle.test.example" in text
    assert http_server.requests_to("/mod/lti/openid-configuration.php")[0].headers["authorization"] == \
        "Bearer lms-one-time"
    assert len(list_platforms(w.rt.sessions)) == 1  # nothing registered by the GET
    csrf = re.search(r'name="csrf" value="([^"]+)"', text).group(1)
    done = w.client.post("/lti/register", data={**q, "csrf": csrf})
    assert done.status_code == 200
    assert "now activate it in your LMS" in html.unescape(done.get_data(as_text=True))
    [sent] = http_server.requests_to("/mod/lti/openid-registration.php")
    assert sent.headers["authorization"] == "Bearer lms-one-time"
    body = json.loads(sent.body)
    assert body["initiate_login_uri"].endswith("/lti/login") and body["jwks_uri"].endswith("/lti/jwks")
    assert body["redirect_uris"] == [body["https://purl.imsglobal.org/spec/lti-tool-configuration"]
                                     ["target_link_uri"]]
    types = [m["type"] for m in body["https://purl.imsglobal.org/spec/lti-tool-configuration"]["messages"]]
    assert types == ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"]
    regs = {p.issuer: (p, deps) for p, deps in list_platforms(w.rt.sessions)}
    p, deps = regs["https://moodle.test.example"]
    assert p.client_id == "dyn-client-9" and deps == [("dyn-dep-1", "active")]
    assert p.key_set_url == http_server.url("/mod/lti/certs.php")


def test_bad_platform_configurations_refused(lti_world, http_server):
    w = lti_world(HANDOUTS_LTI_REGISTRATION_TOKEN="reg-secret")
    url = _lms(http_server, reg_host="https://elsewhere.example")
    r = w.client.get("/lti/register", query_string={"openid_configuration": url, "token": "reg-secret"})
    assert r.status_code == 400 and "another host" in r.get_data(as_text=True)
    http_server.add("/bad.json", b"<html>no</html>", "text/html")
    r = w.client.get("/lti/register", query_string={"openid_configuration": http_server.url("/bad.json"),
                                                   "token": "reg-secret"})
    assert r.status_code == 400 and "not a JSON object" in r.get_data(as_text=True)
    r = w.client.post("/lti/register", data={"openid_configuration": url, "token": "reg-secret", "csrf": "x"})
    assert r.status_code == 403
    r = w.client.get("/lti/register", query_string={"token": "reg-secret"})
    assert r.status_code == 400 and "openid_configuration" in r.get_data(as_text=True)


def test_private_addresses_refused_unless_allowed(lti_world, http_server):
    w = lti_world(HANDOUTS_LTI_REGISTRATION_TOKEN="reg-secret", HANDOUTS_ALLOW_PRIVATE_URLS=False)
    url = _lms(http_server)
    r = w.client.get("/lti/register", query_string={"openid_configuration": url, "token": "reg-secret"})
    assert r.status_code == 400 and "private or local network" in r.get_data(as_text=True)
    assert http_server.hits("/mod/lti/openid-configuration.php") == 0
