"""Every page renders, escapes what it shows, pages through many jobs and filters by status and title."""

from __future__ import annotations

import re

from pipeline.models import JobStatus

from tests.web.conftest import HTML, add_rows, submit


def test_jobs_page_lists_escapes_and_counts(operator, app_rt):
    _, rt = app_rt
    submit(rt, title="Cell <biology>")
    r = operator.get("/", headers=HTML)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert "Cell &lt;biology&gt;" in page and "<biology>" not in page
    assert "completed_with_warnings: 1" in page
    assert '<a class="skip-link" href="#main">' in page and '<main id="main"' in page
    assert '<label for="filter-status">' in page and '<label for="filter-q">' in page
    assert 'role="progressbar"' in page and "<progress" in page
    assert " style=" not in page and "<style" not in page, "no inline styles"
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None, "no inline scripts"


def test_job_page_shows_files_with_sizes_progress_and_actions(operator, app_rt):
    _, rt = app_rt
    job = submit(rt)
    page = operator.get(f"/jobs/{job}", headers=HTML).get_data(as_text=True)
    assert "<h1>Cell &lt;biology&gt;</h1>" in page
    assert f'href="/jobs/{job}/files/handout.pdf"' in page
    assert "2.9 KB" in page and "(3009 bytes)" in page, "sizes in words and in bytes"
    assert "25 bytes" in page  # mindmap.html, small enough to give in bytes only
    assert 'aria-live="polite"' in page and "no audio track" in page
    assert f'action="/jobs/{job}/retry"' not in page, "nothing is missing, so there is nothing to retry"
    assert 'name="csrf_token"' in page  # the sign-out form
    assert "<h2 id=\"stages-heading\">Stages</h2>" in page
    assert " style=" not in page


def test_running_job_page_polls_with_an_external_script(operator, app_rt):
    _, rt = app_rt
    ids = add_rows(rt, 1, status=JobStatus.RUNNING)
    page = operator.get(f"/jobs/{ids[0]}", headers=HTML).get_data(as_text=True)
    assert '<script src="/static/web/job.js" defer></script>' in page
    js = operator.get("/static/web/job.js")
    assert js.status_code == 200 and "javascript" in js.mimetype
    css = operator.get("/static/web/style.css")
    assert css.status_code == 200 and "@media (max-width: 46rem)" in css.get_data(as_text=True)
    js.close(), css.close()


def test_sign_in_and_error_pages_render(app_rt):
    app, _ = app_rt
    client = app.test_client()
    page = client.get("/sign-in", headers=HTML).get_data(as_text=True)
    assert '<label for="token">Admin token</label>' in page and 'type="password"' in page
    assert 'name="csrf_token"' in page
    r = client.get("/jobs/nope", headers={**HTML, "Authorization": "Bearer s3cret-admin-token"})
    body = r.get_data(as_text=True)
    assert r.status_code == 404 and r.mimetype == "text/html" and "<h1>Not found</h1>" in body
    assert "no job" in body and 'role="alert"' in body
    api = client.get("/api/jobs/nope", headers={"Authorization": "Bearer s3cret-admin-token"})
    assert api.status_code == 404 and "no job" in api.get_json()["message"]
    unknown = client.get("/no/such/page", headers=HTML)
    assert unknown.status_code == 404 and "<h1>Not found</h1>" in unknown.get_data(as_text=True)


def test_pages_of_jobs_newest_first(operator, app_rt):
    _, rt = app_rt
    add_rows(rt, 120)
    first = operator.get("/", headers=HTML).get_data(as_text=True)
    titles = re.findall(r"Lecture (\d{3})</a>", first)
    assert titles[0] == "119" and len(titles) == 50 and titles[-1] == "070"
    older = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert 'rel="prev"' not in first
    second = operator.get(older, headers=HTML).get_data(as_text=True)
    assert re.findall(r"Lecture (\d{3})</a>", second)[0] == "069"
    third = operator.get(re.search(r'rel="next" href="([^"]+)"', second).group(1).replace("&amp;", "&"),
                         headers=HTML).get_data(as_text=True)
    last_titles = re.findall(r"Lecture (\d{3})</a>", third)
    assert last_titles == [f"{i:03d}" for i in range(19, -1, -1)] and 'rel="next"' not in third
    back = re.search(r'rel="prev" href="([^"]+)"', third).group(1).replace("&amp;", "&")
    assert re.findall(r"Lecture (\d{3})</a>", operator.get(back, headers=HTML).get_data(as_text=True))[0] == "069"


def test_filter_by_status_and_title(operator, app_rt):
    _, rt = app_rt
    add_rows(rt, 3, prefix="Enzymes")
    add_rows(rt, 2, prefix="Enzymes", status=JobStatus.FAILED)
    add_rows(rt, 4, prefix="Genetics 100%_x")
    page = operator.get("/?status=failed&q=enzy", headers=HTML).get_data(as_text=True)
    assert len(re.findall(r"Enzymes \d{3}</a>", page)) == 2 and "Genetics" not in page.split("<table")[1]
    assert '<option value="failed" selected>' in page and 'value="enzy"' in page
    # the search is for the words as typed: % and _ are not wildcards
    assert len(re.findall(r"Genetics 100%_x \d{3}</a>", operator.get("/?q=100%25_x", headers=HTML)
                          .get_data(as_text=True))) == 4
    assert "No job matches" in operator.get("/?q=%25x", headers=HTML).get_data(as_text=True)
    bad = operator.get("/?status=exploded", headers=HTML)
    assert bad.status_code == 400 and "unknown status" in bad.get_data(as_text=True)
    long = operator.get("/?q=" + "x" * 300, headers=HTML)
    assert long.status_code == 400 and "at most 200" in long.get_data(as_text=True)


def test_a_signed_links_secrets_are_on_no_page_and_in_no_answer(app_rt, operator):
    from pipeline.jobs import submit_job

    _, rt = app_rt
    link = "https://ann:hunter2@media.example.edu/w3.mp4?X-Amz-Signature=SIGabc123&X-Amz-Expires=600&sig=AZsig9"
    with rt.transaction() as s:
        job = submit_job(s, rt.enqueue, source=link, options={"title": "Week 3"}, seal=rt.seal).id
    shown = [operator.get(f"/jobs/{job}", headers=HTML).get_data(as_text=True),
             operator.get("/", headers=HTML).get_data(as_text=True),
             operator.get(f"/api/jobs/{job}").get_data(as_text=True)]
    for text in shown:
        for secret in ("hunter2", "SIGabc123", "AZsig9"):
            assert secret not in text, (secret, text[:2000])
    assert "media.example.edu/w3.mp4" in shown[0] and "X-Amz-Signature=redacted" in shown[0]
    assert '"title":"Week 3"' in shown[2], "the API answered"
