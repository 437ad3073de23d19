"""The same launch posted twice at once (a double click, a replaying proxy): exactly one is accepted.

On SQLite and, with TEST_DATABASE_URL, on PostgreSQL (where two web processes really race)."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select

from lti.tables import LtiLaunch
from tests.lti.platform import Platform
from tests.services.conftest import postgres_url  # noqa: F401 - a fixture


@pytest.fixture(params=["sqlite", "postgresql"])
def db_overrides(request):
    if request.param == "sqlite":
        return {}
    return {"DATABASE_URL": request.getfixturevalue("postgres_url")}


def test_simultaneous_replays_accept_one(lti_world, http_server, db_overrides):
    plat = Platform(http_server, issuer=f"https://lms-{uuid.uuid4().hex[:6]}.example")
    w = lti_world(platform=plat, **db_overrides)
    login = plat.login(w.client)
    token = plat.sign(plat.claims(login["nonce"]))
    start = threading.Barrier(4)
    codes = []

    def post():
        client = w.app.test_client()
        start.wait()
        codes.append(client.post("/lti/launch", data={"id_token": token, "state": login["state"]}).status_code)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(codes) == [303, 400, 400, 400]
    with w.rt.sessions() as s:
        n = s.scalar(select(func.count()).select_from(LtiLaunch).where(LtiLaunch.platform_id == w.registration.id))
    assert n == 1


def test_full_flow_on_the_configured_database(lti_world, http_server, db_overrides):
    """Login, launch, a request and its listing on each database."""
    plat = Platform(http_server, issuer=f"https://lms-{uuid.uuid4().hex[:6]}.example")
    w = lti_world(platform=plat, **db_overrides)
    resp, _, _ = plat.launch(w.client, context_id=f"course-{uuid.uuid4().hex[:6]}")
    assert resp.status_code == 200
    base = w.ticket_url(resp)
    csrf = w.csrf(resp.get_data(as_text=True))
    r = w.client.post(f"{base}jobs?csrf={csrf}", data={"csrf": csrf, "url": "https://v.example/a.mp4",
                                                        "layout": "notes", "title": "Tübingen 50% _x"},
                      content_type="multipart/form-data")
    assert r.status_code == 303
    page = w.client.get(f"{base}?q=50%25 _").get_data(as_text=True)
    assert "(1)" in page and "Tübingen" in page
