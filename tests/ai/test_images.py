"""Slide pictures to the model: what is sent (type, size, detail), what it costs, how it keys the cache, and that a
model which reads no images gets text only. Against the fake OpenAI server through the real SDK."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from pipeline.ai.cache import NullCache
from pipeline.ai.prompts import load_prompt
from pipeline.ai.images import image_tokens, prepare_image, prepare_images, vision_rule
from pipeline.ai.ledger import price_of
from pipeline.ai.offline import OfflineEngine
from pipeline.ai.openai_engine import OpenAIEngine
from pipeline.ai.schemas import LectureInput, SlideInput
from pipeline.ai.service import AIService
from pipeline.models import AIRequest
from tests.ai.conftest import make_lecture
from tests.fakes.openai_server import ChatReply, FakeOpenAI, decode_image, image_parts

CHAT = "/v1/chat/completions"


def draw(path, label: str, size=(1280, 720), shade: int = 255):
    """A slide picture: a heading, a table and a box-and-arrow diagram, all labelled with `label`."""
    img = Image.new("RGB", size, (shade, shade, shade))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, size[0], 110), fill=(31, 73, 125))
    d.text((40, 40), f"Slide about {label}", fill=(255, 255, 255))
    for r in range(4):
        for c in range(3):
            d.rectangle((60 + c * 180, 200 + r * 60, 230 + c * 180, 250 + r * 60), outline=(0, 0, 0))
            d.text((70 + c * 180, 215 + r * 60), f"{label} {r}.{c}", fill=(0, 0, 0))
    d.ellipse((800, 250, 1000, 450), outline=(200, 0, 0), width=5)
    d.line((1000, 350, 1200, 350), fill=(200, 0, 0), width=5)
    img.save(path)
    return path


@pytest.fixture
def pictured(tmp_path):
    """A four-showing lecture over three slides (the fourth shows slide 1 again), with their pictures."""
    def build(max_side=512, quality=70, labels=("osmosis", "diffusion", "pumps")) -> LectureInput:
        lecture = make_lecture(4)
        names = ["s1.png", "s2.png", "s3.png", "s1.png"]
        slides = [s.model_copy(update={"image": names[i], "repeat_of": 0 if i == 3 else None, "number": None})
                  for i, s in enumerate(lecture.slides)]
        paths = {n: draw(tmp_path / n, labels[k]) for k, n in enumerate(names[:3])}
        images = {n: prepare_image(p, max_side, quality, n) for n, p in paths.items()}
        return LectureInput(slides=slides, title_hint=lecture.title_hint, images=images)
    return build


class DictCache:
    def __init__(self):
        self.entries: dict[str, dict] = {}

    def get(self, key):
        return self.entries.get(key)

    def put(self, key, value, info):
        self.entries[key] = value

    def clear(self, prompt_name=None):
        n = len(self.entries)
        self.entries.clear()
        return n


@pytest.fixture
def vision_fake():
    with FakeOpenAI(vision_models=("gpt-4o-mini", "gpt-4.1-nano")) as server:
        server.answer_within_schema(seed=5)
        yield server


def make_service(make_settings, server, sessions=None, cache=None, **overrides):
    values = {"OPENAI_API_KEY": server.api_key, "OPENAI_BASE_URL": server.base_url, "HANDOUTS_AI_RETRIES": 0,
              "HANDOUTS_AI_CALL_TIMEOUT": 10, "HANDOUTS_AI_MODEL": "gpt-4.1-nano"}
    values.update(overrides)
    settings = make_settings(**values)
    return AIService(settings, sessions, engine=OpenAIEngine(settings), cache=cache or DictCache())


def transcript_of(body: dict):
    return body["messages"][1]["content"]


# ---- what is sent ------------------------------------------------------------------------------------------------

def test_each_distinct_slide_picture_is_sent_once_as_a_small_low_detail_jpeg(make_settings, vision_fake, pictured):
    ai = make_service(make_settings, vision_fake)
    ai.run("key_points", pictured())
    body = vision_fake.chat_bodies()[-1]
    parts = transcript_of(body)
    assert isinstance(parts, list) and parts[0]["type"] == "text"
    images = image_parts(body)
    assert len(images) == 3                     # three slides, the return to slide 1 carries no second picture
    for part in images:
        assert part["image_url"]["detail"] == "low"
        url = part["image_url"]["url"]
        assert url.startswith("data:image/jpeg;base64,")
        raw = base64.b64decode(url.split(",", 1)[1])
        with Image.open(io.BytesIO(raw)) as img:
            assert img.format == "JPEG" and max(img.size) <= 512 and img.size == (512, 288)
        assert len(raw) < 60_000
    # each picture follows the text of the passage where its slide is first shown, marker included
    texts_before = [parts[i - 1]["text"] for i, p in enumerate(parts) if p["type"] == "image_url"]
    assert [t.rsplit("[#", 1)[1].split(" ")[0] for t in texts_before] == ["0", "1", "2"]
    assert "[#3 slide 1 again" in parts[-1]["text"]
    assert "picture of its slide" in body["messages"][0]["content"]


def test_the_detail_size_and_task_settings_are_obeyed(make_settings, vision_fake, pictured):
    ai = make_service(make_settings, vision_fake, HANDOUTS_AI_IMAGE_DETAIL="high", HANDOUTS_AI_IMAGE_MAX_SIDE=256,
                      HANDOUTS_AI_IMAGE_TASKS=["vignettes"])
    lecture = pictured(max_side=ai.settings.ai_image_max_side)
    ai.run("vignettes", lecture)
    images = image_parts(vision_fake.chat_bodies()[-1])
    assert len(images) == 3 and {p["image_url"]["detail"] for p in images} == {"high"}
    assert all(max(decode_image(p)) <= 256 for p in images)
    ai.run("key_points", lecture)               # not one of HANDOUTS_AI_IMAGE_TASKS: text only
    assert isinstance(transcript_of(vision_fake.chat_bodies()[-1]), str)


def test_images_off_sends_text_only(make_settings, vision_fake, pictured):
    ai = make_service(make_settings, vision_fake, HANDOUTS_AI_IMAGES="off")
    ai.run("key_points", pictured())
    body = vision_fake.chat_bodies()[-1]
    assert image_parts(body) == [] and isinstance(transcript_of(body), str)


def test_a_model_that_reads_no_images_gets_text_only(make_settings, vision_fake, pictured):
    # The fake answers 400 to image parts for any model outside its vision list, as OpenAI does.
    ai = make_service(make_settings, vision_fake, HANDOUTS_AI_MODEL="gpt-3.5-turbo")
    assert not ai.engine.accepts_images
    answer = ai.run("key_points", pictured())
    assert answer.lecture
    body = vision_fake.chat_bodies()[-1]
    assert body["model"] == "gpt-3.5-turbo" and image_parts(body) == []
    assert "picture" not in body["messages"][0]["content"]
    # HANDOUTS_AI_IMAGES=on sends them anyway (an endpoint we do not know); this one refuses, and says why
    forced = make_service(make_settings, vision_fake, HANDOUTS_AI_MODEL="gpt-3.5-turbo", HANDOUTS_AI_IMAGES="on")
    from pipeline.errors import AIError

    with pytest.raises(AIError, match="image_url is only supported"):
        forced.run("key_points", pictured())


def test_auto_keeps_pictures_from_a_model_that_bills_them_dearly(make_settings, vision_fake, pictured):
    # gpt-4o-mini reads images but bills a low-detail one at 2833 tokens (gpt-4.1-nano: 355 for our 512x288)
    cheap = make_service(make_settings, vision_fake)
    dear = make_service(make_settings, vision_fake, HANDOUTS_AI_MODEL="gpt-4o-mini")
    assert cheap.engine.accepts_images and not dear.engine.accepts_images
    dear.run("key_points", pictured())
    assert image_parts(vision_fake.chat_bodies()[-1]) == []
    forced = make_service(make_settings, vision_fake, HANDOUTS_AI_MODEL="gpt-4o-mini", HANDOUTS_AI_IMAGES="on")
    forced.run("key_points", pictured(labels=("a", "b", "c")))
    assert len(image_parts(vision_fake.chat_bodies()[-1])) == 3
    raised = make_service(make_settings, vision_fake, HANDOUTS_AI_MODEL="gpt-4o-mini",
                          HANDOUTS_AI_IMAGE_MAX_TOKENS=3000)
    assert raised.engine.accepts_images


def test_a_dated_snapshot_is_a_vision_model_of_its_family(make_settings):
    settings = make_settings()
    assert vision_rule(settings, "gpt-4o-mini-2024-07-18") == settings.ai_vision["gpt-4o-mini"]
    assert vision_rule(settings, "gpt-4o-2024-08-06") == settings.ai_vision["gpt-4o"]
    assert vision_rule(settings, "gpt-3.5-turbo") is None


# ---- cache -------------------------------------------------------------------------------------------------------

def test_the_cache_key_follows_the_pictures_and_their_settings(make_settings, vision_fake, pictured, tmp_path):
    cache = DictCache()
    ai = make_service(make_settings, vision_fake, cache=cache)
    lecture = pictured()
    ai.run("key_points", lecture)
    ai.run("key_points", lecture)
    assert len(vision_fake.chat_bodies()) == 1                  # same pictures: answered from the cache
    changed = pictured(labels=("osmosis", "diffusion", "sodium pumps"))     # slide 3's picture changed
    assert changed.images["s3.png"].sha256 != lecture.images["s3.png"].sha256
    ai.run("key_points", changed)
    assert len(vision_fake.chat_bodies()) == 2
    high = make_service(make_settings, vision_fake, cache=cache, HANDOUTS_AI_IMAGE_DETAIL="high")
    high.run("key_points", lecture)                            # another detail: another answer
    assert len(vision_fake.chat_bodies()) == 3
    # a task that sees no pictures keys as the same lecture without them: a new picture costs it nothing
    ai.run("title", lecture)
    ai.run("title", changed)
    ai.run("title", lecture.model_copy(update={"images": {}}))
    assert len(vision_fake.chat_bodies()) == 4


# ---- cost --------------------------------------------------------------------------------------------------------

def test_image_tokens_follow_openais_published_examples(make_settings):
    settings = make_settings(HANDOUTS_AI_VISION={"gpt-4o": {"base": 85, "tile": 170}, "gpt-4.1": {"patch": 1}})
    assert image_tokens(settings, "gpt-4o", 4096, 8192, "low") == 85
    assert image_tokens(settings, "gpt-4o", 1024, 1024, "high") == 765
    assert image_tokens(settings, "gpt-4o", 2048, 4096, "high") == 1105
    assert image_tokens(settings, "gpt-4.1", 1024, 1024) == 1024
    assert image_tokens(settings, "gpt-4.1", 1800, 2400) == 1452
    defaults = make_settings()
    assert image_tokens(defaults, "gpt-4o-mini", 512, 288, "low") == 2833
    assert image_tokens(defaults, "gpt-4.1-nano", 512, 288) == 355      # 16 x 9 patches x 2.46


def test_the_ledger_counts_what_the_pictures_cost(make_settings, sessions, pictured):
    with FakeOpenAI() as server:
        server.answer_within_schema(seed=2)
        settings = make_settings()
        server.count_usage(lambda w, h, detail: image_tokens(settings, "gpt-4o-mini", w, h, detail))
        ai = make_service(make_settings, server, sessions=sessions, HANDOUTS_AI_MODEL="gpt-4o-mini",
                          HANDOUTS_AI_IMAGES="on")
        lecture = pictured()
        ai.run("key_points", lecture)
        body = server.chat_bodies()[-1]
        text = sum(len(p.get("text", "")) for p in transcript_of(body)) + len(body["messages"][0]["content"]) + \
            len(body["messages"][2]["content"])
        expected = -(-text // 4) + 3 * 2833
        # an endpoint that reports no usage: priced from our own estimate, pictures included
        server.count_usage(None)  # type: ignore[arg-type]
        other = pictured(labels=("tonicity", "gradients", "channels"))
        server.queue_chat(ChatReply(server_answer(other), prompt_tokens=0, completion_tokens=0))
        ai.run("key_points", other)
    with sessions() as s:
        rows = s.scalars(select(AIRequest).order_by(AIRequest.id)).all()
    assert [(r.prompt_name, r.outcome) for r in rows] == [("key_points", "ok")] * 2
    assert rows[0].tokens_in == expected
    assert rows[0].cost_usd == pytest.approx(price_of(settings, "gpt-4o-mini", expected, 0, rows[0].tokens_out))
    assert rows[1].tokens_in >= 3 * 2833 and rows[1].cost_usd > 3 * 2833 * 0.15 / 1e6


def server_answer(lecture):
    """Schema-valid key points for `lecture`, as the fake would answer them."""
    import random

    from pipeline.ai.wire import task_schema
    from tests.fakes.openai_server import random_within

    return random_within(task_schema("key_points", lecture), random.Random(1))


# ---- limits per request ------------------------------------------------------------------------------------------

def test_a_lecture_with_more_pictures_than_a_request_may_carry_is_sent_in_parts(make_settings, vision_fake,
                                                                                 tmp_path):
    paths = {f"s{i}.png": draw(tmp_path / f"s{i}.png", f"topic {i}") for i in range(7)}
    images, problems = prepare_images(paths, make_settings())
    assert not problems
    lecture = LectureInput(slides=[SlideInput(index=i, start=i * 60.0, end=(i + 1) * 60.0, image=f"s{i}.png",
                                              text=f"Topic {i} is explained here with care and detail.")
                                   for i in range(7)], images=images)
    ai = make_service(make_settings, vision_fake, HANDOUTS_AI_MAX_IMAGES_PER_REQUEST=3)
    ai.run("key_points", lecture)
    counts = [len(image_parts(b)) for b in vision_fake.chat_bodies()]
    assert sorted(counts) == [1, 3, 3]     # parts run in parallel, in any order

    # gpt-4o-mini pays 2833 tokens a picture: a small token budget splits by tokens, pictures included
    vision_fake.requests.clear()
    ai = make_service(make_settings, vision_fake, HANDOUTS_AI_MAX_INPUT_TOKENS=8000,
                      HANDOUTS_AI_MODEL="gpt-4o-mini", HANDOUTS_AI_IMAGES="on")
    assert ai.part_budget(load_prompt("key_points", ai.settings)) < 3 * 2833
    ai.run("key_points", lecture)
    counts = [len(image_parts(b)) for b in vision_fake.chat_bodies()]
    assert sum(counts) == 7 and max(counts) <= 2 and len(counts) >= 4


def test_an_unreadable_picture_leaves_its_slide_as_text(make_settings, tmp_path):
    good = draw(tmp_path / "good.png", "osmosis")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    images, problems = prepare_images({"good.png": good, "bad.png": bad}, make_settings())
    assert list(images) == ["good.png"]
    assert "bad.png" in problems["bad.png"] and "cannot be read" in problems["bad.png"]


def test_a_picture_too_large_to_decode_safely_is_refused_not_fatal(make_settings, tmp_path, monkeypatch):
    huge = draw(tmp_path / "huge.png", "osmosis")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)        # 1280x720 is far beyond twice this
    images, problems = prepare_images({"huge.png": huge}, make_settings())
    assert images == {} and "decompression bomb" in problems["huge.png"]


# ---- the offline engine ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("task", ["clean_captions", "key_points", "study_table", "mindmap"])
def test_the_offline_engine_takes_the_same_lecture_and_answers_as_without_pictures(task, make_settings, pictured):
    lecture = pictured()
    offline = AIService(make_settings(HANDOUTS_AI_ENGINE="offline"), None, engine=OfflineEngine(),
                        cache=NullCache())
    with_pictures = offline.run(task, lecture)
    without = offline.run(task, lecture.model_copy(update={"images": {}}))
    assert with_pictures == without


# ---- through the study stage -------------------------------------------------------------------------------------

def test_make_shows_the_model_each_slide_once(tmp_path, monkeypatch, capsys):
    from handouts.cli import main
    from pipeline.synth import LectureSpec, make_lecture as make_video

    video = tmp_path / "lecture.mp4"
    make_video(video, LectureSpec(duration=30.0, slides=4, size=(640, 360), srt=True, seed=3))
    with FakeOpenAI(vision_models=("gpt-4.1-nano",)) as server:
        server.answer_within_schema(seed=4)
        for k, v in {"HANDOUTS_DATA_DIR": str(tmp_path / "data"), "OPENAI_API_KEY": server.api_key,
                     "OPENAI_BASE_URL": server.base_url, "HANDOUTS_AI_RETRIES": "0",
                     "HANDOUTS_AI_MODEL": "gpt-4.1-nano"}.items():
            monkeypatch.setenv(k, v)
        assert main(["make", str(video), "-o", str(tmp_path / "out")]) == 0, capsys.readouterr().err
        bodies = {b["response_format"]["json_schema"]["name"]: b for b in server.chat_bodies()}
    shown = json.loads((tmp_path / "out" / "slides.json").read_text())
    distinct = len({s["image"] for s in shown["slides"]})
    for task in ("key_points", "study_table", "vignettes"):
        images = image_parts(bodies[task])
        assert len(images) == distinct, task
        assert all(max(decode_image(p)) <= 512 and p["image_url"]["detail"] == "low" for p in images)
    for task in ("clean_captions", "mindmap"):
        assert image_parts(bodies[task]) == []


def test_the_offline_engine_answers_a_request_that_carries_pictures(make_settings, pictured):
    # The fake that answers with the offline engine (benchmarks.ai_cost) reads the same messages, parts and all.
    from benchmarks.ai_cost import lecture_from_request
    from pipeline.ai.messages import build_messages, render_transcript, transcript_text

    lecture = pictured()
    messages = build_messages("key_points", lecture, load_prompt("key_points", make_settings()), "low")
    assert isinstance(messages[1]["content"], list)
    assert transcript_text(messages[1]["content"]) == render_transcript(lecture)
    read = lecture_from_request(messages)
    assert [s.index for s in read.slides] == [s.index for s in lecture.slides]
    answer = OfflineEngine().run("key_points", read, load_prompt("key_points", make_settings()))
    assert answer.value.lecture


def test_bad_picture_settings_are_refused_with_what_to_write(make_settings):
    from pipeline.errors import ConfigError

    with pytest.raises((ConfigError, ValueError), match="key_points"):
        make_settings(HANDOUTS_AI_IMAGE_TASKS=["keypoints"])
    with pytest.raises((ConfigError, ValueError), match="patch"):
        make_settings(HANDOUTS_AI_VISION={"my-model": {"tiles": 3}})
    assert vision_rule(make_settings(HANDOUTS_AI_VISION={"My-Model": {"patch": 1.2}}), "my-model-2026") == \
        {"patch": 1.2}


def test_the_study_stage_fetches_prepares_and_reports_bad_pictures(make_settings, tmp_path):
    from types import SimpleNamespace

    from pipeline.stages.study import slide_pictures
    from pipeline.storage import LocalStorage
    from pipeline.types import Showing

    store = LocalStorage(tmp_path / "store")
    good, bad = draw(tmp_path / "good.png", "osmosis"), tmp_path / "bad.png"
    bad.write_bytes(b"not an image at all")
    keys = {"good.png": store.put_file("j/good.png", good).key, "bad.png": store.put_file("j/bad.png", bad).key,
            "gone.png": "j/gone.png"}
    showings = [Showing(0.0, 10.0, "good.png"), Showing(10.0, 20.0, "bad.png"), Showing(20.0, 30.0, "gone.png"),
                Showing(30.0, 40.0, "good.png", repeat_of=0)]
    warnings: list[str] = []

    def ctx(engine):
        from pipeline.results import SlidesResult

        outputs = {"slides": {"images": keys}}
        return SimpleNamespace(settings=make_settings(), ai=SimpleNamespace(engine=engine), storage=store,
                               outputs=outputs, workdir=tmp_path / "work", warn=warnings.append,
                               result=lambda model: SlidesResult.model_validate(outputs["slides"]))

    pictures = slide_pictures(ctx(SimpleNamespace(accepts_images=True)), showings)
    assert list(pictures) == ["good.png"] and max(pictures["good.png"].width, pictures["good.png"].height) == 512
    assert any("bad.png" in w and "text only" in w for w in warnings)
    assert any("gone.png" in w and "not shown to the AI" in w for w in warnings)
    # an engine that reads no pictures: nothing fetched, nothing prepared
    warnings.clear()
    assert slide_pictures(ctx(OfflineEngine()), showings) == {} and warnings == []


def test_a_long_lecture_digest_reuses_the_key_points_asked_with_pictures(make_settings, vision_fake, tmp_path):
    paths = {f"s{i}.png": draw(tmp_path / f"s{i}.png", f"topic {i}") for i in range(6)}
    images, _ = prepare_images(paths, make_settings())
    talk = " ".join(f"Sentence {k} about this topic explains one more detail of it." for k in range(25))
    lecture = LectureInput(slides=[SlideInput(index=i, start=i * 60.0, end=(i + 1) * 60.0, image=f"s{i}.png",
                                              text=f"Topic {i}. {talk}") for i in range(6)], images=images)
    ai = make_service(make_settings, vision_fake, HANDOUTS_AI_MAX_INPUT_TOKENS=2500)
    ai.run("key_points", lecture)
    asked = len(vision_fake.chat_bodies())
    assert asked > 1                                    # split: the lecture does not fit one request
    ai.run("mindmap", lecture)                          # a digest of the key points: answered from the cache
    bodies = vision_fake.chat_bodies()
    assert len(bodies) == asked + 1 and bodies[-1]["response_format"]["json_schema"]["name"] == "mindmap"
    assert image_parts(bodies[-1]) == []
