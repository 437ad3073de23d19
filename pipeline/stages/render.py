"""Stage 5: the PDF handouts and slides.json."""

from __future__ import annotations

from ..context import StageContext
from ..render.manifest import write_manifest
from ..render.pdf import HandoutMeta, render_grid, render_notes
from ..types import Showing


def run(ctx: StageContext) -> dict:
    """Render the 16-up and notes handouts and the manifest, and store them."""
    fetched = ctx.outputs["fetch"]
    showings = [Showing.from_json(d) for d in ctx.outputs["align"]["showings"]]
    images_dir = ctx.workdir / "slides"
    for name, key in ctx.outputs["slides"]["images"].items():
        if not (images_dir / name).exists():
            ctx.storage.get_file(key, images_dir / name)
    out = ctx.workdir / "out"
    out.mkdir(parents=True, exist_ok=True)
    meta = HandoutMeta(title=fetched.get("title") or "Lecture handout",
                       author=ctx.options.get("author"),
                       subject=f"Handout of {fetched.get('original_name')}",
                       language=ctx.settings.caption_language,
                       duration=fetched["media"]["duration"],
                       paper=ctx.options.get("paper", "letter"))
    ctx.check_cancel()
    grid = render_grid(showings, images_dir, out / "handout-16up.pdf", meta)
    ctx.progress(0.45, "16-up handout")
    ctx.check_cancel()
    notes = render_notes(showings, images_dir, out / "handout-notes.pdf", meta,
                         per_page=int(ctx.options.get("per_page", 1)))
    ctx.progress(0.9, "notes handout")
    manifest = write_manifest(showings, out / "slides.json",
                              extra={"title": meta.title, "duration": meta.duration,
                                     "captions_source": ctx.outputs["captions"]["source"]})
    names = []
    for path, kind in ((grid, "handout_grid"), (notes, "handout_notes"), (manifest, "manifest")):
        names.append(ctx.save_artifact(path, kind)["name"])
    ctx.progress(1.0, "handouts ready")
    return {"artifacts": names}
