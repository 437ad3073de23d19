"""Trees, tables and question sets the study-material renderers are tried on."""

from __future__ import annotations

import pytest

from pipeline.ai.schemas import LETTERS, Choice, StudyRow, StudyTable, Vignette, VignetteSet
from pipeline.mindmap_tree import MindmapNode


def thirty_node_tree() -> MindmapNode:
    """A root, 6 branches of 3 or 4 children, two grandchildren: 30 nodes in all, with every shape."""
    shapes = ["square", "rounded", "hexagon", "bang", "cloud", "default"]
    branches = []
    for b in range(6):
        kids = [MindmapNode(f"Point {b + 1}.{k + 1}" + (" about a topic worth remembering" if k == 0 else ""))
                for k in range(4)]
        branches.append(MindmapNode(f"Branch {b + 1}", shapes[b], kids[:4 if b < 3 else 3]))
    branches[0].children[0].children = [MindmapNode("Deeper detail"), MindmapNode("Another deeper detail")]
    root = MindmapNode("Cardiac physiology", "circle", branches)
    assert len(root.walk()) == 30
    return root


@pytest.fixture
def tree() -> MindmapNode:
    return thirty_node_tree()


@pytest.fixture
def table() -> StudyTable:
    return StudyTable(columns=["Disease", "Pathophysiology", "Presentation", "Treatment"], rows=[
        StudyRow(cells=["**Aortic stenosis**", "Calcific degeneration of a **tricuspid** valve in the elderly; "
                        "a bicuspid valve in younger patients.", "Syncope, angina, dyspnoea (**SAD**)",
                        "=SUM(A1) is text, not a formula"], slides=[2]),
        StudyRow(cells=["Mitral regurgitation", "Papillary muscle rupture after MI", "Holosystolic murmur",
                        "Afterload reduction"], slides=[99, 3]),
        StudyRow(cells=["HFrEF", "EF < 40 %", "**Dyspnoea**, oedema", "ACE inhibitor, **beta blocker**"], slides=[]),
    ])


def vignette(k: int, objective: str, answer: str = "A", difficulty: str = "medium") -> Vignette:
    """A question whose stem, question, choices and explanation are tagged with its number `k`."""
    return Vignette(
        objective=objective,
        stem=f"STEM{k}: a 58-year-old woman with exertional dyspnoea; a harsh crescendo–decrescendo murmur radiates "
             "to the carotids. Temperature 37.2 °C, BP 150/90 mm Hg; Ångström-level detail α, β ≥ γ.",
        question=f"QUESTION{k}: which is the most likely diagnosis?",
        choices=[Choice(letter=L, text=f"CHOICE{k}{L} option {L.lower()}") for L in LETTERS],
        answer=answer, explanation=f"EXPLAIN{k}: the murmur and its radiation point to the answer.",
        difficulty=difficulty)


@pytest.fixture
def vignettes() -> VignetteSet:
    objectives = ["Explain the determinants of cardiac output", "Recognise valvular murmurs",
                  "Choose first-line therapy for heart failure"]
    questions = [vignette(k + 1, objectives[k % 3], LETTERS[k % 5], ("easy", "medium", "hard")[k % 3])
                 for k in range(8)]
    return VignetteSet(objectives=objectives, questions=questions)
