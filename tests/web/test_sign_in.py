"""Operators sign in once with the admin token in a form (or a Bearer header); never with ?token= in the URL."""

from __future__ import annotations

from tests.web.conftest import ADMIN, HTML, REMOTE, csrf_of, sign_in


def test_form_sign_in_then_the_session_remembers(make_app):
    app, _ = make_app()
    client = app.test_client()
    first = client.get("/", headers=HTML, environ_base=REMOTE)
    assert first.status_code == 302 and "/sign-in?next=/" in first.headers["Location"]
    api = client.get("/api/jobs/x", environ_base=REMOTE)
    assert api.status_code == 401 and api.headers["WWW-Authenticate"].startswith("Bearer")
    assert "/sign-in" in api.get_json()["message"]
    r = sign_in(client, **REMOTE)
    assert r.status_code == 303 and r.headers["Location"] == "/"
    assert client.get("/", headers=HTML, environ_base=REMOTE).status_code == 200
    page = client.get("/", headers=HTML, environ_base=REMOTE).get_data(as_text=True)
    out = client.post("/sign-out", data={"csrf_token": csrf_of(page)}, environ_base=REMOTE)
    assert out.status_code == 303
    assert client.get("/", headers=HTML, environ_base=REMOTE).status_code == 302, "signed out"


def test_no_token_in_the_url(make_app):
    app, _ = make_app()
    client = app.test_client()
    r = client.get(f"/?token={ADMIN}", environ_base=REMOTE)
    assert r.status_code == 401
    assert client.get("/", environ_base=REMOTE).status_code == 401, "and nothing was remembered"


def test_wrong_and_odd_tokens_are_refused_plainly(make_app):
    app, _ = make_app()
    client = app.test_client()
    r = sign_in(client, token="wrong", **REMOTE)
    assert r.status_code == 401 and "not right" in r.get_data(as_text=True)
    r = sign_in(client, token="jeton-privé-ü", **REMOTE)
    assert r.status_code == 401, "a token that is not ASCII is compared as bytes, not a 500"
    assert client.get("/api/jobs/x", headers={"Authorization": "Bearer ünïcode"}, environ_base=REMOTE) \
        .status_code == 401
    assert client.get("/api/jobs/x", headers={"Authorization": f"Bearer {ADMIN}"},
                      environ_base=REMOTE).status_code == 404, "the header signs in one request"


def test_failed_sign_ins_are_rate_limited(make_app):
    app, _ = make_app(HANDOUTS_SIGNIN_ATTEMPTS=3)
    client = app.test_client()
    for _ in range(3):
        assert sign_in(client, token="guess", **REMOTE).status_code == 401
    r = sign_in(client, token=ADMIN, **REMOTE)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in r.get_data(as_text=True)
    other = app.test_client()
    assert sign_in(other, **{"REMOTE_ADDR": "198.51.100.7"}).status_code == 303, "per address"


def test_limiter_window_slides():
    from web.auth import SignInLimiter

    now = [1000.0]
    limiter = SignInLimiter(2, 60, clock=lambda: now[0])
    limiter.failed("a"), limiter.failed("a")
    assert limiter.retry_after("a") == 61 and limiter.retry_after("b") == 0
    now[0] += 30
    assert 0 < limiter.retry_after("a") <= 31
    now[0] += 31
    assert limiter.retry_after("a") == 0
    limiter.failed("a"), limiter.succeeded("a")
    assert limiter.retry_after("a") == 0


def test_next_is_a_path_on_this_site(make_app):
    app, _ = make_app()
    client = app.test_client()
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        page = client.get("/sign-in", query_string={"next": target}, environ_base=REMOTE)
        r = client.post("/sign-in", data={"token": ADMIN, "next": target,
                                          "csrf_token": csrf_of(page.get_data(as_text=True))},
                        environ_base=REMOTE)
        assert r.status_code == 303 and r.headers["Location"] == "/", target
        client.post("/sign-out", data={"csrf_token": csrf_of(client.get("/", headers=HTML, environ_base=REMOTE)
                                                             .get_data(as_text=True))}, environ_base=REMOTE)


def test_without_a_token_only_this_machine_unproxied(make_app):
    app, _ = make_app(HANDOUTS_ADMIN_TOKEN=None, HANDOUTS_SECRET_KEY=None)
    client = app.test_client()
    assert client.get("/").status_code == 200, "loopback sees the embedded default's pages"
    r = client.get("/", environ_base=REMOTE)
    assert r.status_code == 403 and "HANDOUTS_ADMIN_TOKEN" in r.get_json()["message"]
    proxied = client.get("/", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 403, "a proxy on this machine does not open the pages to the world"
    assert client.get("/", headers={"Forwarded": "for=203.0.113.9"}).status_code == 403
    assert client.get("/metrics", environ_base=REMOTE).status_code == 403
    page = client.get("/sign-in", headers=HTML, environ_base=REMOTE).get_data(as_text=True)
    assert "No admin token is set" in page and 'type="password"' not in page


def test_behind_a_trusted_proxy_failures_count_per_client(make_app):
    app, _ = make_app(HANDOUTS_SIGNIN_ATTEMPTS=2, HANDOUTS_PROXY_HOPS=1)
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    guesser = app.test_client()
    guesser.environ_base.update({"HTTP_X_FORWARDED_FOR": "198.51.100.66"})
    for _ in range(2):
        assert sign_in(guesser, token="guess", **proxy).status_code == 401
    assert sign_in(guesser, **proxy).status_code == 429
    operator = app.test_client()
    operator.environ_base.update({"HTTP_X_FORWARDED_FOR": "203.0.113.20"})
    assert sign_in(operator, **proxy).status_code == 303, "another client behind the same proxy is not locked out"


class _Sock:
    def __init__(self, host):
        self.host = host

    def getsockname(self):
        return (self.host, 8000)


def test_without_a_token_the_pages_need_a_loopback_bind_host_and_no_proxy(make_app):
    from web.auth import BIND_HOST

    app, _ = make_app(HANDOUTS_ADMIN_TOKEN=None, HANDOUTS_SECRET_KEY=None)
    client = app.test_client()
    assert client.get("/api/jobs/x").status_code == 404, "this machine, unproxied: an operator"
    for header in ("X-Real-IP", "X-Forwarded-Host", "X-Forwarded-Proto", "Via", "True-Client-IP"):
        r = client.get("/api/jobs/x", headers={header: "203.0.113.9"})
        assert r.status_code == 403, header
    rebound = client.get("/api/jobs/x", headers={"Host": "evil.example:8000"})
    assert rebound.status_code == 403, "a DNS name rebound to 127.0.0.1 in a local browser is not this machine"
    assert client.get("/api/jobs/x", headers={"Host": "[::1]:8000"}).status_code == 404
    assert client.get("/api/jobs/x", environ_base={"gunicorn.socket": _Sock("0.0.0.0")}).status_code == 403
    assert client.get("/api/jobs/x", environ_base={"gunicorn.socket": _Sock("127.0.0.1")}).status_code == 404
    app.config[BIND_HOST] = "0.0.0.0"  # `handouts serve --host 0.0.0.0`
    r = client.get("/api/jobs/x")
    assert r.status_code == 403 and "listening on loopback" in r.get_json()["message"]
    assert client.get("/metrics").status_code == 403
    wide, _ = make_app(HANDOUTS_ADMIN_TOKEN=None, HANDOUTS_SECRET_KEY=None, HANDOUTS_HOST="0.0.0.0")
    assert wide.test_client().get("/api/jobs/x").status_code == 403


def test_a_non_ascii_admin_token_signs_in_by_form_and_by_header(make_app):
    token = "jeton-privé-ü-" + "k" * 20
    app, _ = make_app(HANDOUTS_ADMIN_TOKEN=token)
    client = app.test_client()
    assert sign_in(client, token=token, **REMOTE).status_code == 303
    raw = token.encode("utf-8").decode("latin-1")  # the bytes a client sends, as WSGI hands them over
    other = app.test_client()
    assert other.get("/api/jobs/x", headers={"Authorization": f"Bearer {raw}"}, environ_base=REMOTE) \
        .status_code == 404
    assert other.get("/api/jobs/x", headers={"Authorization": "Bearer jeton-privé-ü"}, environ_base=REMOTE) \
        .status_code == 401
    assert other.get("/api/jobs/x", headers={"Authorization": "Bearer \udcff"}, environ_base=REMOTE) \
        .status_code in (400, 401)
