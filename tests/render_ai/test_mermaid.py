"""Mermaid mindmap source: read the way Mermaid reads it, refused with the line that is wrong, written back safely."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.mindmap_tree import SHAPES, MermaidError, MindmapNode, parse_mindmap, to_mermaid

EXAMPLE = """\
---
title: Cell biology
---
%% made by the model
mindmap
  root((Cell biology))
    Membranes
      id1[Lipid bilayer]
      ::icon(fa fa-book)
      :::urgent
      Channels :::big
    id2["`**Transport** proteins
      and pumps`"]
      ))Sodium pump((
      )Vesicles(
      {{Receptors}}
      (-70 mV)
    Q["He said #quot;hi#quot;: #35;1 (really)"]
"""


def shape_of(tree: MindmapNode) -> tuple:
    """A tree as nested tuples, to compare trees by value."""
    return (tree.text, tree.shape, tree.markdown, tuple(shape_of(c) for c in tree.children))


def test_reads_every_shape_id_decoration_and_string_kind():
    root = parse_mindmap(EXAMPLE)
    assert (root.text, root.shape) == ("Cell biology", "circle")
    membranes, transport, quote = root.children
    assert [(c.text, c.shape) for c in membranes.children] == [("Lipid bilayer", "square"), ("Channels", "default")]
    # A markdown string over two lines keeps its line break and says it is markdown.
    assert (transport.text, transport.shape) == ("**Transport** proteins\nand pumps", "square")
    assert transport.markdown
    assert [(c.text, c.shape) for c in transport.children] == [
        ("Sodium pump", "bang"), ("Vesicles", "cloud"), ("Receptors", "hexagon"), ("-70 mV", "rounded")]
    assert quote.text == 'He said "hi": #1 (really)'
    assert len(root.walk()) == 10 and root.depth() == 3


def test_text_before_a_shape_is_its_id_as_in_mermaid():
    # Mermaid shows only the words inside the brackets; what comes before them is an id.
    root = parse_mindmap("mindmap\n  root\n    Transport (active)\n")
    assert (root.children[0].text, root.children[0].shape) == ("active", "rounded")


def test_indentation_may_be_any_consistent_width():
    root = parse_mindmap("mindmap\nA\n    B\n        C\n    D\n")
    assert shape_of(root) == ("A", "default", False, (("B", "default", False, (("C", "default", False, ()),)),
                                                     ("D", "default", False, ())))


def test_round_trip_keeps_every_text_and_shape():
    tricky = ["Vitamin B12 (cobalamin)", 'a "quoted" word', "#hashtag; and #35;", "ratio: 3:1", "α-helix",
              "mindmap inside", "line one\nline two", "<b>not html</b>", "a `tick`", "%% not a comment", "[x] {y}"]
    root = MindmapNode("Root text", "circle", [
        MindmapNode(t, SHAPES[1 + k % (len(SHAPES) - 1)], [MindmapNode("leaf " + str(k))]) for k, t in enumerate(tricky)
    ] + [MindmapNode("**bold** and *em*", "rounded", markdown=True),
         MindmapNode("two\nlines of `md`", "square", markdown=True)])
    source = to_mermaid(root)
    assert source.startswith("mindmap\n")
    assert shape_of(parse_mindmap(source)) == shape_of(root)


def test_plain_safe_text_is_written_bare_and_unsafe_plain_text_rounded():
    root = MindmapNode("Root", children=[MindmapNode("Simple words"), MindmapNode("needs (quotes)")])
    lines = to_mermaid(root).splitlines()
    assert lines[1] == "  Root" and lines[2] == "    Simple words"
    assert lines[3].endswith('("needs (quotes)")')
    again = parse_mindmap(to_mermaid(root))
    assert again.children[1].text == "needs (quotes)"


@pytest.mark.parametrize("source, line, words", [
    ("", 0, "empty"),
    ("   \n%% only a comment\n", 0, "empty"),
    ("graph TD\n  A --> B\n", 1, "expected the header 'mindmap'"),
    ("mindmap\n\n", 1, "followed by no node"),
    ("mindmap\n  A\n  B\n", 3, "more than one root"),
    ("mindmap\n    A\n  B\n", 3, "more than one root"),
    ("mindmap\n  A\n      B\n    C\n", 4, "inconsistent indentation"),
    ("mindmap\n  A\n    B\n\t    C\n", 4, "tabs and spaces"),
    ("mindmap\n  A((root)\n", 2, "unbalanced"),
    ("mindmap\n  A\n    B[box\n", 3, "unbalanced"),
    ("mindmap\n  A\n    B{{hex}\n", 3, "unbalanced"),
    ("mindmap\n  A\n    B))bang(\n", 3, "unbalanced"),
    ("mindmap\n  A\n    B[\"open]\n", 3, "not closed"),
    ("mindmap\n  A\n    B[\"`never closed\n    more\n", 3, "never closed"),
    ("---\ntitle: x\nmindmap\n  A\n", 1, "never closed"),
])
def test_each_broken_diagram_names_its_line(source, line, words):
    with pytest.raises(MermaidError) as caught:
        parse_mindmap(source)
    err = caught.value
    assert err.line == line
    assert words in err.message
    assert isinstance(err, ValueError) and isinstance(err, InputError)
    assert err.as_dict()["line"] == line


def test_an_unknown_shape_is_refused():
    with pytest.raises(InputError, match="shape"):
        MindmapNode("x", "triangle")
