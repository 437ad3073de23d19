"""Downloads go through short-lived signed links: the local store's /files/<token> and its refusals."""

from __future__ import annotations

import time

import pytest

from pipeline.storage import (LocalStorage, SignedUrlError, content_disposition, derive_key, sign_file_token,
                              verify_file_token)

from tests.web.conftest import HTML, REMOTE, submit


def _signed_location(client, job, name):
    r = client.get(f"/jobs/{job}/files/{name}", headers=HTML)
    assert r.status_code == 303 and r.headers["Location"].startswith("/files/"), r.status_code
    assert r.headers["Cache-Control"] == "no-store"
    return r.headers["Location"]


def test_download_by_signed_link_needs_no_session(operator, app_rt):
    app, rt = app_rt
    job = submit(rt)
    link = _signed_location(operator, job, "handout.pdf")
    anonymous = app.test_client()
    r = anonymous.get(link, environ_base=REMOTE)
    assert r.status_code == 200 and r.data.startswith(b"%PDF-1.4") and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"] == 'inline; filename="handout.pdf"'
    assert r.content_length == len(r.data) == 3009
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    r.close()
    followed = operator.get(f"/jobs/{job}/files/handout.pdf", follow_redirects=True)
    assert followed.status_code == 200 and followed.data.startswith(b"%PDF-1.4")
    followed.close()


def test_html_is_a_sandboxed_attachment_and_names_keep_their_letters(operator, app_rt):
    _, rt = app_rt
    job = submit(rt)
    r = operator.get(_signed_location(operator, job, "mindmap.html"))
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in r.headers["Content-Security-Policy"] and r.data == b"<script>alert(1)</script>"
    r.close()
    r = operator.get(_signed_location(operator, job, "notes é.txt"))
    assert r.headers["Content-Disposition"] == "inline; filename=\"notes e.txt\"; filename*=UTF-8''notes%20%C3%A9.txt"
    assert r.data == b"plain words"
    r.close()


def test_tampered_expired_and_foreign_links(operator, app_rt, make_app):
    app, rt = app_rt
    job = submit(rt)
    link = _signed_location(operator, job, "handout.pdf")
    token = link.removeprefix("/files/")
    body, _, mac = token.partition(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    for bad in (f"{flipped}.{mac}", f"{body}.{mac[:-3]}", body, "x.y", "..", f"{body}.{'A' * 43}"):
        r = operator.get(f"/files/{bad}", headers=HTML)
        assert r.status_code == 403 and "not valid" in r.get_data(as_text=True), bad
    key = rt.storage.signing_key
    artifact_key = f"t/local/jobs/{job}/handout.pdf"
    old = sign_file_token(key, artifact_key, filename="handout.pdf", content_type="application/pdf", expires=60,
                          now=time.time() - 120)
    r = operator.get(f"/files/{old}", headers=HTML)
    assert r.status_code == 410 and "expired" in r.get_data(as_text=True)
    r = operator.get(f"/files/{old}", headers={"Accept": "application/json"})
    assert r.status_code == 410 and r.get_json()["error"] == "link_expired"
    # another server (another secret key) signed it
    other_app, other_rt = make_app(HANDOUTS_SECRET_KEY="z" * 48, HANDOUTS_DATA_DIR=str(rt.settings.data_dir))
    foreign = other_rt.storage.url(artifact_key, expires=60, filename="handout.pdf")
    assert operator.get(foreign).status_code == 403
    assert other_app.test_client().get(foreign).status_code == 200


def test_a_file_gone_from_storage_is_not_found(operator, app_rt):
    _, rt = app_rt
    job = submit(rt)
    link = _signed_location(operator, job, "handout.pdf")
    rt.storage.delete(f"t/local/jobs/{job}/handout.pdf")
    r = operator.get(link, headers=HTML)
    assert r.status_code == 404 and "no longer stored" in r.get_data(as_text=True)


def test_local_storage_url_round_trip(tmp_path):
    store = LocalStorage(tmp_path, signing_key=derive_key("secret", "files"))
    (tmp_path / "src").write_bytes(b"abc")
    store.put_file("t/a/jobs/1/x.pdf", tmp_path / "src")
    url = store.url("t/a/jobs/1/x.pdf", expires=30, filename="x.pdf", content_type="application/pdf")
    signed = store.verify(url.removeprefix("/files/"))
    assert signed.key == "t/a/jobs/1/x.pdf" and signed.filename == "x.pdf" and signed.content_type == "application/pdf"
    assert time.time() + 25 < signed.expires <= time.time() + 31
    with store.open(signed.key) as f:
        assert f.read() == b"abc"
    with pytest.raises(SignedUrlError, match="expired") as e:
        verify_file_token(store.signing_key, url.removeprefix("/files/"), now=time.time() + 31)
    assert e.value.expired
    with pytest.raises(SignedUrlError, match="another server"):
        verify_file_token(derive_key("other", "files"), url.removeprefix("/files/"))
    with pytest.raises(ValueError):
        store.url("t/a/jobs/1/x.pdf", expires=0)
    from pipeline.errors import ConfigError, StorageError

    with pytest.raises(ConfigError):
        LocalStorage(tmp_path).url("t/a/jobs/1/x.pdf", expires=30)
    with pytest.raises(StorageError, match="outside"):
        store.url("../../etc/passwd", expires=30)
    assert derive_key("secret", "files") != derive_key("secret", "session")


def test_content_disposition_forms():
    assert content_disposition("a.pdf", "application/pdf") == 'inline; filename="a.pdf"'
    assert content_disposition("a.svg", "image/svg+xml").startswith("attachment;")
    assert content_disposition('we"ird/na\\me.xlsx').startswith('attachment; filename="we_ird_na_me.xlsx"')
    assert "filename*=UTF-8''%E8%AC%9B%E7%BE%A9.pdf" in content_disposition("講義.pdf", "application/pdf")


def test_links_follow_the_apps_mount_point(operator, app_rt):
    _, rt = app_rt
    job = submit(rt)
    r = operator.get(f"/jobs/{job}/files/handout.pdf", base_url="http://localhost/handouts")
    assert r.status_code == 303 and r.headers["Location"].startswith("/handouts/files/")
