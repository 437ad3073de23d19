"""Presigned S3 downloads against the loopback S3: the filename, the type, the lifetime, and the web app's link."""

from __future__ import annotations

import urllib.request
import uuid
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from pipeline.context import StageDef
from pipeline.jobs import submit_job
from pipeline.storage import make_storage


@pytest.fixture
def s3_settings(s3_endpoint, make_settings):
    name = f"handouts-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket=name)
    return make_settings(HANDOUTS_STORAGE="s3", S3_BUCKET=name, S3_ENDPOINT_URL=s3_endpoint, S3_PREFIX="p",
                         AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")


def test_presigned_get_names_the_file_and_its_type(s3_settings, tmp_path):
    store = make_storage(s3_settings)
    src = tmp_path / "x.pdf"
    src.write_bytes(b"%PDF-1.4 s3")
    store.put_file("t/a/jobs/1/x.pdf", src, "application/pdf")
    url = store.url("t/a/jobs/1/x.pdf", expires=120, filename="Week 3 é.pdf", content_type="application/pdf")
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["120"] and "X-Amz-Signature" in query
    assert urlsplit(url).path.endswith("/p/t/a/jobs/1/x.pdf")
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read() == b"%PDF-1.4 s3"
        assert r.headers["Content-Type"] == "application/pdf"
        assert r.headers["Content-Disposition"] == \
            "inline; filename=\"Week 3 e.pdf\"; filename*=UTF-8''Week%203%20%C3%A9.pdf"
    html = store.url("t/a/jobs/1/x.pdf", expires=60, filename="map.html", content_type="text/html")
    with urllib.request.urlopen(html, timeout=10) as r:
        assert r.headers["Content-Disposition"].startswith("attachment;"), "HTML from the bucket is a download"
    with pytest.raises(ValueError):
        store.url("t/a/jobs/1/x.pdf", expires=0)


def test_presigned_link_carries_its_lifetime_in_the_signature(s3_settings):
    # The loopback S3 (moto) does not refuse lapsed links, so what is checked here is what S3 checks: the signed
    # query names the signing time and the lifetime asked for (SigV4, so changing either breaks the signature).
    from datetime import datetime, timezone

    store = make_storage(s3_settings)
    before = datetime.now(timezone.utc).replace(microsecond=0)
    query = parse_qs(urlsplit(store.url("t/a/jobs/1/x.txt", expires=45)).query)
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-Expires"] == ["45"]
    assert 0 <= (signed_at - before).total_seconds() < 5
    assert "x-amz-signedheaders" in {k.lower() for k in query}


def test_job_page_link_redirects_to_a_presigned_url(s3_settings):
    from handouts.app import create_app
    from handouts.wiring import open_runtime

    def a(ctx):
        p = ctx.workdir / "handout.pdf"
        p.write_bytes(b"%PDF-1.4 from s3")
        ctx.save_artifact(p, "handout_grid")
        return {}

    rt = open_runtime(s3_settings, immediate=True, stages=(StageDef("a", a, 1),))
    try:
        with rt.transaction() as s:
            job = submit_job(s, rt.enqueue, source="x.mp4").id
        client = create_app(runtime=rt).test_client()
        r = client.get(f"/jobs/{job}/files/handout.pdf")
        assert r.status_code == 303 and "X-Amz-Signature=" in r.headers["Location"]
        assert f"X-Amz-Expires={rt.settings.download_ttl}" in r.headers["Location"]
        with urllib.request.urlopen(r.headers["Location"], timeout=10) as got:
            assert got.read() == b"%PDF-1.4 from s3"
        assert "X-Content-Type-Options" in r.headers
        # the local /files/ route knows nothing of S3 objects
        refused = client.get("/files/whatever", headers={"Accept": "application/json"})
        assert refused.status_code == 403 and "S3" in refused.get_json()["message"]
    finally:
        rt.close()
