"""The panopto_servers table on PostgreSQL: migration 0006, encrypted secrets, one row per tenant and host."""

from __future__ import annotations

from sqlalchemy import text

from handouts.schema import upgrade
from pipeline import db
from pipeline.panopto.links import parse_panopto_link
from pipeline.panopto.servers import add_server, remove_server, server_for_link


def test_servers_on_postgres(postgres_url, make_settings):
    settings = make_settings(DATABASE_URL=postgres_url)
    engine = db.make_engine(settings.db_url)
    upgrade(engine)
    maker = db.make_sessionmaker(engine)
    try:
        for secret in ("first-secret", "second-secret"):
            with db.transaction(maker) as s:
                add_server(s, settings, tenant="lti:abc:1", host="https://uni.hosted.panopto.com/Panopto",
                           client_id="cid", client_secret=secret, username="svc", password="pw-1",
                           service_user_allowed=True)
        with maker() as s:
            rows = s.execute(text("SELECT client_secret, password FROM panopto_servers")).all()
            assert len(rows) == 1 and all(v.startswith("enc1:") for v in rows[0])
            link = parse_panopto_link("https://uni.hosted.panopto.com/Panopto/Pages/Viewer.aspx?id="
                                      "0f6b4a62-1d2c-4e57-9a3b-aa12bb34cc56")
            server = server_for_link(s, settings, "lti:abc:1", link)
            assert (server.client_secret, server.password, server.service_user_allowed) == ("second-secret", "pw-1",
                                                                                           True)
        with db.transaction(maker) as s:
            assert remove_server(s, tenant="lti:abc:1", host="uni.hosted.panopto.com", settings=settings)
    finally:
        engine.dispose()
