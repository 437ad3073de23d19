"""CSRF on every form, security headers on every response, the session cookie's flags, framing by the LMS only."""

from __future__ import annotations

import pytest
from flask import Blueprint

from pipeline.models import JobStatus

from tests.web.conftest import ADMIN, HTML, REMOTE, add_rows, csrf_of, sign_in, submit

_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy")


def _routes(job: str) -> list[str]:
    return ["/", f"/jobs/{job}", f"/api/jobs/{job}", f"/jobs/{job}/files/handout.pdf", "/sign-in", "/healthz",
            "/readyz", "/metrics", "/static/web/style.css", "/static/web/job.js", "/jobs/missing", "/files/bogus",
            "/nowhere", "/?status=bad"]


def _check_headers(r, path):
    for h in _HEADERS:
        assert h in r.headers, f"{path} has no {h}"
    csp = r.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
    assert "frame-ancestors 'none'" in csp and r.headers["X-Frame-Options"] == "DENY", path
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_headers_on_every_route_signed_in_or_not(operator, app_rt):
    app, rt = app_rt
    job = submit(rt)
    anonymous = app.test_client()
    for client in (operator, anonymous):
        for path in _routes(job):
            r = client.get(path, headers=HTML, environ_base=REMOTE)
            _check_headers(r, path)
            assert "Strict-Transport-Security" not in r.headers, "no HSTS over plain http"
            r.close()
    for path in ("/sign-in", f"/jobs/{job}/cancel", "/sign-out"):  # refusals of a POST carry them too
        _check_headers(anonymous.post(path, environ_base=REMOTE), path)
    page = operator.get("/", headers=HTML)
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "object-src 'none'" in csp
    assert page.headers["Cache-Control"] == "no-store"


def test_csrf_refusals_and_acceptance(operator, app_rt):
    app, rt = app_rt
    job = add_rows(rt, 1, status=JobStatus.FAILED)[0]
    no_token = operator.post(f"/jobs/{job}/retry", headers=HTML)
    assert no_token.status_code == 400 and "security token" in no_token.get_data(as_text=True)
    wrong = operator.post(f"/jobs/{job}/retry", data={"csrf_token": "x" * 43}, headers=HTML)
    assert wrong.status_code == 400
    # a token from someone else's session is no good here
    other = app.test_client()
    assert sign_in(other, **REMOTE).status_code == 303
    theirs = csrf_of(other.get(f"/jobs/{job}", headers=HTML, environ_base=REMOTE).get_data(as_text=True))
    assert operator.post(f"/jobs/{job}/retry", data={"csrf_token": theirs}).status_code == 400
    mine = csrf_of(operator.get(f"/jobs/{job}", headers=HTML).get_data(as_text=True))
    assert operator.post(f"/jobs/{job}/retry", data={"csrf_token": "é" + mine[1:]}).status_code == 400
    ok = operator.post(f"/jobs/{job}/retry", data={"csrf_token": mine})
    assert ok.status_code == 303 and ok.headers["Location"].endswith(f"/jobs/{job}?done=retried")
    assert "Queued again." in operator.get(ok.headers["Location"], headers=HTML).get_data(as_text=True)
    # the header form, for scripts
    running = add_rows(rt, 1, status=JobStatus.RUNNING)[0]
    assert operator.post(f"/jobs/{running}/cancel", headers={"X-CSRF-Token": "nope"}).status_code == 400
    assert operator.post(f"/jobs/{running}/cancel", headers={"X-CSRF-Token": mine}).status_code == 303
    assert operator.get(f"/api/jobs/{running}").get_json()["status"] == "cancelled"
    # a form with no session at all
    fresh = app.test_client()
    r = fresh.post("/sign-in", data={"token": ADMIN, "csrf_token": mine}, headers=HTML, environ_base=REMOTE)
    assert r.status_code == 400 and "expired" in r.get_data(as_text=True)


def test_cookie_flags_over_http_and_https(make_app):
    app, _ = make_app()
    client = app.test_client()
    r = sign_in(client, **REMOTE)
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "handouts_session=" in cookie and "Expires=" in cookie, "a lifetime, not a browser-session cookie"
    secure = app.test_client()
    page = secure.get("/sign-in", base_url="https://handouts.example", environ_base=REMOTE)
    assert "Secure" in page.headers["Set-Cookie"] and "Strict-Transport-Security" in page.headers
    r = secure.post("/sign-in", base_url="https://handouts.example", environ_base=REMOTE,
                    data={"token": ADMIN, "csrf_token": csrf_of(page.get_data(as_text=True))})
    assert r.status_code == 303 and "Secure" in r.headers["Set-Cookie"]


def test_session_lifetime_is_a_setting(make_app):
    app, _ = make_app(HANDOUTS_SESSION_HOURS=12)
    assert app.permanent_session_lifetime.total_seconds() == 12 * 3600


def test_https_behind_a_trusted_proxy(make_app):
    app, _ = make_app(HANDOUTS_PROXY_HOPS=1)
    r = app.test_client().get("/sign-in", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.2"},
                              environ_base=REMOTE)
    assert "Strict-Transport-Security" in r.headers and "Secure" in r.headers["Set-Cookie"]
    untrusted, _ = make_app()
    r = untrusted.test_client().get("/sign-in", headers={"X-Forwarded-Proto": "https"}, environ_base=REMOTE)
    assert "Strict-Transport-Security" not in r.headers, "forwarded headers count only from trusted proxies"
    forced, _ = make_app(HANDOUTS_HTTPS=True)
    r = forced.test_client().get("/sign-in", environ_base=REMOTE)
    assert "Strict-Transport-Security" in r.headers and "Secure" in r.headers["Set-Cookie"]


def test_lms_pages_are_framed_by_the_lms_only(make_app):
    # (the LTI tool itself is a mounted app of its own at /lti; pages of this app shown in an LMS are listed
    # in HANDOUTS_FRAMEABLE_PATHS)
    app, _ = make_app(HANDOUTS_FRAME_ANCESTORS=["https://canvas.example.edu", "https://*.instructure.com"],
                      HANDOUTS_FRAMEABLE_PATHS=["/course/"])
    lms = Blueprint("lms_probe", __name__)
    lms.add_url_rule("/course/probe", "probe", lambda: "inside the LMS")
    app.register_blueprint(lms)
    client = app.test_client()
    inside = client.get("/course/probe")
    csp = inside.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://canvas.example.edu https://*.instructure.com" in csp
    assert "X-Frame-Options" not in inside.headers
    outside = client.get("/sign-in")
    assert "frame-ancestors 'none'" in outside.headers["Content-Security-Policy"]
    assert outside.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("bad", [["https://x.edu; script-src *"], ["javascript:alert(1)"], ["*"],
                                 ["https://x.edu 'unsafe-inline'"]])
def test_frame_ancestors_must_be_origins(make_app, bad):
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match="HANDOUTS_FRAME_ANCESTORS"):
        make_app(HANDOUTS_FRAME_ANCESTORS=bad)


def test_frame_ancestors_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("HANDOUTS_FRAME_ANCESTORS", '["https://moodle.example.edu"]')
    app, rt = make_app(HANDOUTS_FRAMEABLE_PATHS=["/course/"])
    assert rt.settings.frame_ancestors == ["https://moodle.example.edu"]
    lms = Blueprint("lms_probe", __name__)
    lms.add_url_rule("/course/page", "page", lambda: "inside")
    app.register_blueprint(lms)
    csp = app.test_client().get("/course/page").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://moodle.example.edu" in csp


def test_views_can_opt_in_to_framing_and_out_of_csrf(make_app):
    from web import csrf_exempt, frameable

    app, _ = make_app(HANDOUTS_FRAME_ANCESTORS=["https://lms.example.edu"])
    probe = Blueprint("probe", __name__)
    probe.add_url_rule("/embed/card", "card", frameable(lambda: "card"))
    # a platform's signed launch arrives from the LMS with no session of ours
    probe.add_url_rule("/launch", "launch", csrf_exempt(lambda: "launched"), methods=["POST"])
    probe.add_url_rule("/plain", "plain", lambda: "plain", methods=["POST"])
    app.register_blueprint(probe)
    client = app.test_client()
    assert "frame-ancestors 'self' https://lms.example.edu" in \
        client.get("/embed/card").headers["Content-Security-Policy"]
    assert client.post("/launch").status_code == 200
    assert client.post("/plain").status_code == 400


def test_the_lms_iframe_gets_a_partitioned_third_party_cookie(make_app):
    from flask import session

    app, _ = make_app(HANDOUTS_FRAME_ANCESTORS=["https://canvas.example.edu"], HANDOUTS_FRAMEABLE_PATHS=["/course/"])
    lms = Blueprint("lms_cookie", __name__)

    def launch():
        session["viewer"] = {"tenant": "lti:aaa:1", "scope": None, "owner": None}
        return "launched"
    lms.add_url_rule("/course/page", "page", launch)
    app.register_blueprint(lms)
    client = app.test_client()
    inside = client.get("/course/page", base_url="https://handouts.example").headers["Set-Cookie"]
    assert "SameSite=None" in inside and "Secure" in inside and "Partitioned" in inside and "HttpOnly" in inside
    plain = client.get("/course/page").headers["Set-Cookie"]
    assert "SameSite=Lax" in plain and "Partitioned" not in plain, "over http a None cookie would be refused"
    own = client.get("/sign-in", base_url="https://handouts.example").headers["Set-Cookie"]
    assert "SameSite=Lax" in own and "Partitioned" not in own


def test_the_app_refuses_a_body_over_its_size_limit(make_app):
    app, _ = make_app()
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    response = app.test_client().post("/sign-in", environ_base=REMOTE, data=b"token=" + b"x" * (16 * 1024 * 1024),
                                      content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413


def test_a_lost_database_is_a_503_with_one_line_for_browsers_and_scripts(make_app, tmp_path):
    import sqlalchemy

    app, _ = make_app()
    gone = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'x.db'}")
    probe = Blueprint("dbprobe", __name__)
    probe.add_url_rule("/db-probe", "db_probe", lambda: str(gone.connect().execute(sqlalchemy.text("select 1"))))
    probe.add_url_rule("/db-bug", "db_bug", lambda: (_ for _ in ()).throw(
        sqlalchemy.exc.IntegrityError("insert", {}, Exception("duplicate key"))))
    app.register_blueprint(probe)
    client = app.test_client()
    page = client.get("/db-probe", environ_base=REMOTE, headers=HTML)
    assert page.status_code == 503 and page.headers["Retry-After"] == "60"
    assert "the database is unavailable; try again in a minute" in page.get_data(as_text=True)
    api = client.get("/db-probe", environ_base=REMOTE)
    assert api.status_code == 503
    assert api.get_json() == {"error": "database_unavailable", "message": "the database is unavailable; try again in a minute"}
    # a query that is wrong is a bug, not an outage: it stays a 500 and says nothing of the database
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production, where no test client wants the traceback
    bug = client.get("/db-bug", environ_base=REMOTE)
    assert bug.status_code == 500 and "database is unavailable" not in bug.get_data(as_text=True)
