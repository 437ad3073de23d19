"""The one list of artifact kinds: what a job's files are, so adapters choose what to show or send by kind."""

from __future__ import annotations

from enum import StrEnum


class ArtifactKind(StrEnum):
    """The kind of a file a job stored (a StrEnum: it compares equal to its stored string)."""

    CAPTIONS_INPUT = "captions_input"    # a sidecar or uploaded transcript, an input
    SLIDE = "slide"                      # one distinct slide image (PNG)
    HANDOUT_GRID = "handout_grid"        # the 16-up PDF
    HANDOUT_NOTES = "handout_notes"      # the notes PDF
    HANDOUT_LAYOUT = "handout_layout"    # another printed layout (6-up, 4-up)
    MANIFEST = "manifest"                # slides.json
    STUDY_JSON = "study_json"            # everything the AI produced
    KEY_POINTS = "key_points"            # markdown
    STUDY_TABLE = "study_table"          # xlsx
    QUESTIONS = "questions"              # practice questions PDF with the answer key
    MINDMAP_SOURCE = "mindmap_source"    # Mermaid text
    MINDMAP_SVG = "mindmap_svg"
    MINDMAP_PNG = "mindmap_png"
    MINDMAP_HTML = "mindmap_html"

    @property
    def is_input(self) -> bool:
        """Inputs are kept for re-runs, not handed out as results."""
        return self is ArtifactKind.CAPTIONS_INPUT


# What people receive, in the order they are offered; slide images and inputs stay in storage.
DELIVERABLE = (ArtifactKind.HANDOUT_NOTES, ArtifactKind.HANDOUT_GRID, ArtifactKind.HANDOUT_LAYOUT,
               ArtifactKind.STUDY_TABLE, ArtifactKind.QUESTIONS, ArtifactKind.KEY_POINTS, ArtifactKind.MINDMAP_PNG,
               ArtifactKind.MINDMAP_HTML)
LABELS = {ArtifactKind.HANDOUT_NOTES: "handout with notes", ArtifactKind.HANDOUT_GRID: "16-up handout",
          ArtifactKind.HANDOUT_LAYOUT: "printed handout", ArtifactKind.STUDY_TABLE: "study table",
          ArtifactKind.QUESTIONS: "practice questions", ArtifactKind.KEY_POINTS: "key points",
          ArtifactKind.MINDMAP_PNG: "mindmap", ArtifactKind.MINDMAP_HTML: "interactive mindmap"}


def kind_of(value: str) -> ArtifactKind | None:
    """The kind for a stored string, or None for a kind this version does not know."""
    try:
        return ArtifactKind(value)
    except ValueError:
        return None
