"""What slide OCR costs: one engine per process, one read per distinct image content, nothing for a text
already read (in this process, or by an earlier attempt of the job), and the tuned RapidOCR settings."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest
import structlog
from PIL import Image

from pipeline.context import StageContext
from pipeline.results import as_checkpoint
from pipeline.slides import ocr
from pipeline.slides.ocr import OcrCache, OcrOptions, read_slides
from pipeline.stages import slides as slides_stage
from pipeline.storage import LocalStorage
from pipeline.types import SlideText, TextLine


class CountingEngine:
    """Reads the shade of an image as its text ("shade 40"), and counts every call."""

    name = "fake"

    def __init__(self, calls: list) -> None:
        self._calls = calls

    def read(self, rgb: np.ndarray) -> list[TextLine]:
        self._calls.append(rgb.shape)
        h, w = rgb.shape[:2]
        return [TextLine(f"shade {int(rgb[..., 0].mean())}", (w * 0.1, h * 0.05, w * 0.6, h * 0.15), 0.99)]


@pytest.fixture
def fake(monkeypatch):
    """Every engine the process builds is a CountingEngine: `fake.built` engines, `fake.calls` reads."""

    class Counts:
        built = 0
        calls: list = []

    counts = Counts()
    lock = threading.Lock()

    def make_engine(opts):
        with lock:
            counts.built += 1
        return CountingEngine(counts.calls)

    monkeypatch.setattr(ocr, "make_engine", make_engine)
    monkeypatch.setattr(ocr, "_POOLS", {})
    monkeypatch.setattr(ocr, "SHARED_CACHE", OcrCache())
    return counts


def _slide(path, shade: int, size=(320, 180)) -> None:
    Image.new("RGB", size, (shade, shade, shade)).save(path)


def test_identical_images_are_read_once(fake, tmp_path):
    _slide(tmp_path / "a.png", 40)
    (tmp_path / "b.png").write_bytes((tmp_path / "a.png").read_bytes())  # same bytes under another name
    _slide(tmp_path / "c.png", 200)
    report = read_slides(tmp_path, ["a.png", "b.png", "a.png", "c.png"], OcrOptions(engine="rapidocr"))
    assert len(fake.calls) == 2 and report.engine_reads == 2 and report.reused == 0
    assert report.texts["a.png"] is report.texts["b.png"] and report.texts["a.png"].title == "shade 40"
    assert report.texts["c.png"].title == "shade 200" and not report.failed and report.engine == "fake"


def test_a_text_in_the_cache_costs_no_engine_call_nor_an_engine(fake, tmp_path):
    for i, shade in enumerate((10, 90, 170)):
        _slide(tmp_path / f"s{i}.png", shade)
    images = ["s0.png", "s1.png", "s2.png"]
    first = read_slides(tmp_path, images, OcrOptions(workers=1))
    assert len(fake.calls) == 3 and fake.built == 1
    ocr._POOLS.clear()  # a pool would have to be started again, were any engine needed
    again = read_slides(tmp_path, images, OcrOptions(workers=1))
    assert len(fake.calls) == 3 and fake.built == 1 and not ocr._POOLS
    assert again.texts == first.texts and again.reused == 3 and again.engine_reads == 0 and again.engine == "fake"
    # the same picture in another job's folder is the same content
    other = tmp_path / "job2"
    other.mkdir()
    (other / "slide-001.png").write_bytes((tmp_path / "s1.png").read_bytes())
    assert read_slides(other, ["slide-001.png"], OcrOptions(workers=1)).texts["slide-001.png"].title == "shade 90"
    assert len(fake.calls) == 3


def test_cache_is_per_reader_and_can_be_turned_off(fake, tmp_path):
    _slide(tmp_path / "s.png", 60)
    read_slides(tmp_path, ["s.png"], OcrOptions())
    read_slides(tmp_path, ["s.png"], OcrOptions(max_side=1280))  # fed at another size: read again
    read_slides(tmp_path, ["s.png"], OcrOptions(), cache=None)
    assert len(fake.calls) == 3
    read_slides(tmp_path, ["s.png"], OcrOptions(max_side=1280))
    assert len(fake.calls) == 3


def test_one_engine_per_process_across_jobs_and_at_most_one_per_worker(fake, tmp_path):
    for job in range(3):
        folder = tmp_path / f"job{job}"
        folder.mkdir()
        for i in range(4):
            _slide(folder / f"s{i}.png", 20 * job + 5 * i + 1)
        report = read_slides(folder, [f"s{i}.png" for i in range(4)], OcrOptions(workers=2))
        assert report.engine_reads == 4
    assert len(fake.calls) == 12 and 1 <= fake.built <= 2


def test_the_job_folder_keeps_texts_for_a_rerun(fake, tmp_path):
    _slide(tmp_path / "s0.png", 30)
    _slide(tmp_path / "s1.png", 130)
    first = read_slides(tmp_path, ["s0.png", "s1.png"], OcrOptions(), store=True)
    stored = json.loads((tmp_path / ocr.STORE_NAME).read_text())
    assert stored["reader"] == ocr.reader_key(OcrOptions()) and len(stored["texts"]) == 2
    # a new process (empty memory cache) re-running the job: nothing read again
    again = read_slides(tmp_path, ["s0.png", "s1.png"], OcrOptions(), store=True, cache=OcrCache())
    assert len(fake.calls) == 2 and again.texts == first.texts and again.reused == 2
    # a slide that changed is read again, the others are not
    _slide(tmp_path / "s1.png", 131)
    third = read_slides(tmp_path, ["s0.png", "s1.png"], OcrOptions(), store=True, cache=OcrCache())
    assert len(fake.calls) == 3 and third.texts["s1.png"].title == "shade 131" and third.reused == 1
    # a store written for other settings, or damaged, is not used
    read_slides(tmp_path, ["s0.png"], OcrOptions(max_side=640), store=True, cache=OcrCache())
    assert len(fake.calls) == 4
    (tmp_path / ocr.STORE_NAME).write_text("{not json")
    read_slides(tmp_path, ["s0.png"], OcrOptions(), store=True, cache=OcrCache())
    assert len(fake.calls) == 5


def test_lru_drops_the_least_recently_used():
    cache = OcrCache(capacity=2)
    a, b, c = (SlideText(t) for t in "abc")
    cache.put("r", "1", a)
    cache.put("r", "2", b)
    assert cache.get("r", "1") is a  # 1 is now the most recent
    cache.put("r", "3", c)
    assert cache.get("r", "2") is None and cache.get("r", "1") is a and cache.get("r", "3") is c
    assert len(cache) == 2 and cache.get("other", "1") is None
    with pytest.raises(ValueError, match="at least one"):
        OcrCache(capacity=0)


def _platform_ctx(tmp_path, make_settings, shades: list[int]) -> StageContext:
    """A slides stage given a platform's slide images (as Panopto serves them), no video to search."""
    storage = LocalStorage(tmp_path / "files")
    slides = []
    for i, shade in enumerate(shades):
        _slide(tmp_path / f"up{i}.png", shade)
        key = f"t/jobs/j1/panopto/{i}.png"
        storage.put_file(key, tmp_path / f"up{i}.png", "image/png")
        slides.append({"key": key, "start": 10.0 * i, "end": 10.0 * (i + 1)})
    return StageContext(job_id="j1", tenant="t", source="panopto", options={}, stage="slides",
                        settings=make_settings(), storage=storage, workdir=tmp_path / "work",
                        outputs={"fetch": {"panopto_slides": slides, "slides_source": "panopto"}},
                        report=lambda f, m: None, cancel_requested=lambda: False,
                        deadline=time.monotonic() + 600, log=structlog.get_logger())


def test_slides_stage_rerun_reads_nothing_again(fake, tmp_path, make_settings, monkeypatch):
    # the platform shows slide 1 twice (two keys, the same picture): read once
    out = as_checkpoint(slides_stage.run(_platform_ctx(tmp_path, make_settings, [50, 150, 50])))
    assert len(fake.calls) == 2
    built = fake.built
    titles = [sh["slide_text"]["title"] for sh in out["showings"]]
    assert titles == ["shade 50", "shade 150", "shade 50"]
    assert (tmp_path / "work" / "slides" / ocr.STORE_NAME).exists()
    assert ocr.STORE_NAME not in out["images"]
    # the stage runs again in another worker process: its memory is empty, the job folder is not
    monkeypatch.setattr(ocr, "SHARED_CACHE", OcrCache())
    monkeypatch.setattr(ocr, "_POOLS", {})
    again = as_checkpoint(slides_stage.run(_platform_ctx(tmp_path, make_settings, [50, 150, 50])))
    assert len(fake.calls) == 2 and fake.built == built and again["showings"] == out["showings"]


def test_the_tuned_settings_reach_the_installed_rapidocr():
    pytest.importorskip("rapidocr", reason="the OCR engine is a dependency of the package; install it with pip")
    engine = ocr.RapidEngine(threads=1, max_side=960, min_confidence=0.5)
    rec = engine._ocr.text_rec  # loaded when the engine is built, not on the first slide
    assert rec is not None and engine._ocr.text_det is not None
    assert rec.rec_batch_num == 1
    assert rec.session.session.get_session_options().enable_cpu_mem_arena is True
    assert engine._ocr.cfg.Det.limit_side_len == 960 and engine._ocr.cfg.Det.limit_type == "max"


def test_a_job_folder_that_cannot_be_written_still_gives_the_text(fake, tmp_path, monkeypatch):
    _slide(tmp_path / "s.png", 70)

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(ocr.Path, "write_text", refuse)
    report = read_slides(tmp_path, ["s.png"], OcrOptions(), store=True)
    assert report.texts["s.png"].title == "shade 70" and not report.failed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.png"]  # no store, no temporary file left


def test_slides_read_before_a_cancel_are_kept_for_the_rerun(fake, tmp_path):
    from pipeline.errors import Cancelled

    for i in range(4):
        _slide(tmp_path / f"s{i}.png", 40 * i + 10)
    images = [f"s{i}.png" for i in range(4)]

    def cancel_after_two():
        if len(fake.calls) >= 2:
            raise Cancelled("j1")

    with pytest.raises(Cancelled):
        read_slides(tmp_path, images, OcrOptions(workers=1), store=True, cancel_check=cancel_after_two)
    assert len(fake.calls) == 2
    assert len(json.loads((tmp_path / ocr.STORE_NAME).read_text())["texts"]) == 2
    again = read_slides(tmp_path, images, OcrOptions(workers=1), store=True, cache=OcrCache())
    assert len(fake.calls) == 4 and again.reused == 2 and again.engine_reads == 2
    assert [again.texts[i].title for i in images] == ["shade 10", "shade 50", "shade 90", "shade 130"]


def test_jobs_reading_at_once_share_the_process_engines(monkeypatch, tmp_path):
    busy, most, built = [0], [0], [0]
    lock = threading.Lock()

    class SlowEngine:
        name = "slow"

        def read(self, rgb):
            with lock:
                busy[0] += 1
                most[0] = max(most[0], busy[0])
            time.sleep(0.05)
            with lock:
                busy[0] -= 1
            return [TextLine(f"shade {int(rgb[..., 0].mean())}", (1, 1, 50, 10), 0.9)]

    def make_engine(opts):
        with lock:
            built[0] += 1
        return SlowEngine()

    monkeypatch.setattr(ocr, "make_engine", make_engine)
    monkeypatch.setattr(ocr, "_POOLS", {})
    reports = {}

    def job(n):
        folder = tmp_path / f"job{n}"
        folder.mkdir()
        for i in range(3):
            _slide(folder / f"s{i}.png", 30 * n + 7 * i + 1)
        reports[n] = read_slides(folder, [f"s{i}.png" for i in range(3)], OcrOptions(workers=2), cache=None)

    threads = [threading.Thread(target=job, args=(n,)) for n in range(3)]  # three jobs in one worker process
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.engine_reads == 3 and not r.failed for r in reports.values())
    assert built[0] <= 2 and most[0] <= 2  # never more engines, nor reads at once, than HANDOUTS_OCR_WORKERS


def test_an_engine_pool_refuses_no_room():
    with pytest.raises(ValueError, match="at least one engine"):
        ocr.EnginePool(lambda: None, limit=0)
