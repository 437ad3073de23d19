"""File downloads: a stable link per job file that hands out a short-lived signed URL, and the route that serves
the local store's signed links.

`/jobs/<id>/files/<name>` checks that the viewer may see the job, then redirects to `Storage.url(...)`: an S3
presigned GET, or `/files/<token>` for the local folder (HMAC-signed, expiring, served below). A page can show
the stable link for as long as it is open; the signed one lives `HANDOUTS_DOWNLOAD_TTL` seconds.
"""

from __future__ import annotations

import os

from flask import Blueprint, Response, abort, current_app, redirect, request

from pipeline.errors import StorageError
from pipeline.jobs import get_visible_job
from pipeline.runtime import Runtime
from pipeline.storage import SignedUrlError, content_disposition

from .auth import require_viewer
from .errors import error_response

bp = Blueprint("files", __name__)

_CHUNK = 256 * 1024


def _rt() -> Runtime:
    return current_app.extensions["handouts"]


@bp.get("/jobs/<job_id>/files/<name>")
def job_file(job_id: str, name: str):
    viewer = require_viewer()
    rt = _rt()
    with rt.sessions() as s:
        job = get_visible_job(s, viewer, job_id)
        art = next((a for a in job.artifacts if a.name == name), None)
        if art is None:
            abort(404, description=f"job {job_id} has no file named '{name[:120]}'")
        key, ctype = art.storage_key, art.content_type
    url = rt.storage.url(key, expires=rt.settings.download_ttl, filename=name, content_type=ctype)
    if url.startswith("/"):  # the local store's path on this app, wherever the app is mounted
        url = request.script_root + url
    response = redirect(url, code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def _refuse(e: SignedUrlError):
    status = 410 if e.expired else 403
    return error_response(status, "link_expired" if e.expired else "bad_link", e.message,
                          heading="Link expired" if e.expired else "Link not valid")


@bp.get("/files/<token>")
def signed_file(token: str):
    """Serve a local file named by a signed link: no session needed, the signature is the permission."""
    storage = _rt().storage
    try:
        signed = storage.verify(token)
    except SignedUrlError as e:
        return _refuse(e)
    try:
        handle = storage.open(signed.key)
    except StorageError:
        abort(404, description="this file is no longer stored; the job may have been cleaned up")

    def stream():
        with handle:
            while block := handle.read(_CHUNK):
                yield block

    response = Response(stream(), mimetype=signed.content_type, direct_passthrough=True)
    try:
        response.content_length = os.fstat(handle.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        pass
    disposition = content_disposition(signed.filename, signed.content_type)
    response.headers["Content-Disposition"] = disposition
    # A stored file is never a page of this site: no scripts, no forms, even when it is HTML or SVG. Types shown
    # in place (PDF, images, text) may use the browser's own viewer; everything else is a sandboxed download.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; object-src 'self'" if disposition.startswith("inline")
        else "default-src 'none'; sandbox")
    response.headers["Cache-Control"] = "private, max-age=60"
    return response
