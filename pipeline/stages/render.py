"""Stage 6: every file the user gets: PDF handouts, slides.json, and the study materials."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from ..ai.schemas import CleanedCaptions, KeyPoints, StudyTable, VignetteSet
from ..context import StageContext
from ..render.manifest import write_manifest
from ..render.pdf import GRIDS, HandoutMeta, check_layout, render_grid, render_notes
from ..render.text import clock, slide_numbers
from ..results import AlignResult, CaptionsResult, FetchResult, RenderResult, SlidesResult, StudyResult
from ..titles import lecture_title
from ..types import Showing

OFFLINE_NOTE = ("Made without an AI model: Handouts' offline engine picked these from the lecture's own words; "
                "check them against your notes.")
RECALL_HEADING = "Recall practice"


def file_stem(title: str, limit: int = 60) -> str:
    """A safe, readable file name stem from a lecture title (ASCII, no separators, never empty)."""
    ascii_ = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9]+", "-", ascii_).strip("-").lower()[:limit].rstrip("-")
    return stem or "lecture"


def _with_clean_captions(showings: list[Showing], study: StudyResult) -> list[Showing]:
    cleaned = study.results.get("clean_captions")
    if not cleaned:
        return showings
    by_index = {s.index: s.text for s in CleanedCaptions.model_validate(cleaned).slides}
    for i, sh in enumerate(showings):
        if by_index.get(i, "").strip():
            sh.text = by_index[i].strip()
    return showings


def _provenance(fetched: FetchResult, captions: CaptionsResult, slides: SlidesResult) -> str | None:
    """Where a platform recording came from and which of its parts the handout took (None for plain files)."""
    if not fetched.panopto:
        return None
    own = [part for part, src in (("slides", slides.source), ("captions", captions.source)) if src == "panopto"]
    return "Panopto" + (f" (its {' and '.join(own)})" if own else "")


def _key_points_markdown(title: str, kp: KeyPoints, showings: list[Showing], note: str = "") -> str:
    numbers = slide_numbers(showings)  # a return to a slide keeps that slide's number
    lines = [f"# {title}", ""] + ([f"*{note}*", ""] if note else [])
    lines += ["## Key points", ""] + [f"- {p}" for p in kp.lecture] + [""]
    for sp in kp.slides:
        if sp.points and 0 <= sp.index < len(showings):
            again = " (again)" if showings[sp.index].repeat_of is not None else ""
            lines += [f"## Slide {numbers[sp.index]}{again} · {clock(showings[sp.index].start)}", ""]
            lines += [f"- {p}" for p in sp.points] + [""]
    return "\n".join(lines)


def _study_files(ctx: StageContext, out: Path, stem: str, title: str, showings: list[Showing],
                 images_dir: Path) -> list[tuple[Path, str]]:
    """Render whichever study materials exist; a renderer that fails becomes a warning, like a failed task."""
    from ..errors import HandoutsError

    study = ctx.result(StudyResult)
    results = study.results
    offline = study.engine == "offline"
    note = OFFLINE_NOTE if offline else ""
    files: list[tuple[Path, str]] = []
    if results:
        p = out / f"{stem}-study.json"
        p.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        files.append((p, "study_json"))

    def attempt(label: str, fn) -> None:
        try:
            files.extend(fn())
        except (HandoutsError, ValueError) as e:
            ctx.warn(f"{label} missing: {e}")

    if "key_points" in results:
        def key_points():
            p = out / f"{stem}-key-points.md"
            p.write_text(_key_points_markdown(title, KeyPoints.model_validate(results["key_points"]), showings,
                                              note), encoding="utf-8")
            return [(p, "key_points")]
        attempt("key points", key_points)
    if "study_table" in results:
        def table():
            from ..render.xlsx import render_study_table

            return [(render_study_table(StudyTable.model_validate(results["study_table"]),
                                        out / f"{stem}-study-table.xlsx", title=title, images_dir=images_dir,
                                        showings=showings, note=note), "study_table")]
        attempt("study table", table)
    if "vignettes" in results:
        def quiz():
            from ..render.quiz_pdf import render_quiz

            return [(render_quiz(VignetteSet.model_validate(results["vignettes"]), out / f"{stem}-questions.pdf",
                                 title=title, language=ctx.settings.caption_language,
                                 heading=RECALL_HEADING if offline else "", note=note), "questions")]
        attempt("practice questions", quiz)
    if "mindmap" in results:
        def mindmap():
            from ..mindmap_tree import parse_mindmap, to_mermaid, tree_for_drawing
            from ..render.mindmap import render_html, render_png, render_svg

            answer = results["mindmap"]
            # A tree since answers carry one; Mermaid text in answers stored before.
            tree = tree_for_drawing(answer["root"]) if "root" in answer else parse_mindmap(answer["mermaid"])
            source = to_mermaid(tree)
            if note:
                source = f"%% {note}\n{source}"
            mmd = out / f"{stem}-mindmap.mmd"
            mmd.write_text(source, encoding="utf-8")
            return [(mmd, "mindmap_source"),
                    (render_svg(tree, out / f"{stem}-mindmap.svg", note=note), "mindmap_svg"),
                    (render_png(tree, out / f"{stem}-mindmap.png", note=note), "mindmap_png"),
                    (render_html(tree, source, out / f"{stem}-mindmap.html", title=title,
                                 language=ctx.settings.caption_language, note=note), "mindmap_html")]
        attempt("mindmap", mindmap)
    return files


def run(ctx: StageContext) -> RenderResult:
    """Render the handouts, the manifest and the study materials, and store them."""
    fetched = ctx.result(FetchResult)
    study = ctx.result(StudyResult)
    slides = ctx.result(SlidesResult)
    captions = ctx.result(CaptionsResult)
    showings = _with_clean_captions([Showing.from_json(d) for d in ctx.result(AlignResult).showings], study)
    images_dir = ctx.workdir / "slides"
    for name, key in slides.images.items():
        if not (images_dir / name).exists():
            ctx.storage.get_file(key, images_dir / name)
    out = ctx.workdir / "out"
    out.mkdir(parents=True, exist_ok=True)
    title = lecture_title(ctx.options, ctx.outputs, (study.results.get("title") or {}).get("title"))
    stem = file_stem(title)
    meta = HandoutMeta(title=title, author=ctx.options.get("author"),
                       subject=f"Handout of {fetched.original_name}",
                       language=ctx.settings.caption_language, duration=fetched.duration,
                       paper=ctx.options.get("paper", "letter"),
                       machine_captions=captions.machine, recogniser=captions.recogniser,
                       source=_provenance(fetched, captions, slides))
    # Without a layout option both default handouts are made; with one, only that layout.
    layout = ctx.options.get("layout")
    layouts = ["16up", "notes"] if not layout else [check_layout(layout)]
    files = []
    results = study.results
    for k, name in enumerate(layouts):
        ctx.check_cancel()
        if name in GRIDS:
            files.append((render_grid(showings, images_dir, out / f"{stem}-handout-{name}.pdf", meta, name),
                          "handout_grid"))
        else:
            key_points = KeyPoints.model_validate(results["key_points"]) if "key_points" in results else None
            files.append((render_notes(showings, images_dir, out / f"{stem}-handout-notes.pdf", meta,
                                       per_page=int(ctx.options.get("per_page", 1)), key_points=key_points),
                          "handout_notes"))
        ctx.progress(0.7 * (k + 1) / len(layouts), f"{name} handout")
    ctx.check_cancel()
    files += _study_files(ctx, out, stem, title, showings, images_dir)
    files.append((write_manifest(showings, out / "slides.json",
                                 extra={"title": title, "duration": fetched.duration,
                                        "captions_source": captions.source, "slides_source": slides.source,
                                        "captions_cleaned": bool(study.results.get("clean_captions"))}),
                  "manifest"))
    names = [ctx.save_artifact(path, kind)["name"] for path, kind in files]
    ctx.progress(1.0, "handouts ready")
    return RenderResult(artifacts=names, title=title)
