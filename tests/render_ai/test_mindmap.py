"""Mindmaps drawn on the server: an SVG that parses, a PNG that shows the tree, an HTML page that needs no network."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from itertools import combinations

import numpy as np
from PIL import Image

from pipeline.mindmap_tree import MindmapNode, parse_mindmap, to_mermaid
from pipeline.render.mindmap import (BRANCH_COLOURS, display_text, layout, render_html, render_png, render_svg,
                                     wrap, _font)

SVG = "{http://www.w3.org/2000/svg}"


def overlap(a, b) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def test_layout_puts_root_in_the_middle_and_no_boxes_overlap(tree):
    lay = layout(tree)
    assert len(lay.nodes) == 30
    root = lay.root
    right = [p for p in lay.nodes if p.depth and p.side > 0]
    left = [p for p in lay.nodes if p.depth and p.side < 0]
    assert right and left, "branches go to both sides"
    assert all(p.x > root.x + root.w for p in right) and all(p.x + p.w < root.x for p in left)
    assert not [(a.node.text, b.node.text) for a, b in combinations(lay.nodes, 2) if overlap(a, b)]
    assert all(0 <= p.x and p.x + p.w <= lay.width and 0 <= p.y and p.y + p.h <= lay.height for p in lay.nodes)
    # A parent sits beside its children, vertically among them.
    for p in lay.nodes:
        if p.children and p.depth:
            mid = p.y + p.h / 2
            assert min(c.y for c in p.children) <= mid <= max(c.y + c.h for c in p.children)


def test_long_text_wraps_inside_its_box():
    words = "a very long node text that would make one absurdly wide box if it were not wrapped " * 3
    lay = layout(MindmapNode("root", children=[MindmapNode("branch", children=[MindmapNode(words)])]))
    leaf = lay.nodes[-1]
    assert len(leaf.lines) >= 4
    font = _font(leaf.style.size, leaf.style.bold)
    assert max(font.getlength(line) for line in leaf.lines) <= leaf.style.max_width
    assert " ".join(leaf.lines) == " ".join(words.split())
    assert wrap("Supercalifragilisticexpialidocious" * 4, font, 100)[0]  # a word wider than a line is cut


def test_markdown_markers_are_formatting_not_text():
    assert display_text(MindmapNode("**Bold** and *em* 2*3", markdown=True)) == "Bold and em 2*3"
    assert display_text(MindmapNode("**literal**")) == "**literal**"


def test_svg_parses_and_carries_every_node_title_and_branch_colours(tree, tmp_path):
    out = render_svg(tree, tmp_path / "map.svg")
    doc = ET.parse(out).getroot()
    assert doc.tag == f"{SVG}svg" and doc.get("role") == "img"
    assert doc.find(f"{SVG}title").text == "Mindmap: Cardiac physiology"
    desc = doc.find(f"{SVG}desc").text
    assert "  - Branch 1" in desc and "      - Deeper detail" in desc
    shown = " ".join(" ".join(t.itertext()) for t in doc.iter(f"{SVG}text"))
    for node in tree.walk():
        for word in node.text.split():
            assert word in shown
    assert len([g for g in doc.iter(f"{SVG}g") if "node" in (g.get("class") or "")]) == 30
    strokes = {p.get("stroke") for p in doc.iter(f"{SVG}path")}
    assert len(strokes) == 6  # one colour per first-level branch
    assert "#%02x%02x%02x" % BRANCH_COLOURS[0] in strokes
    assert len(list(doc.iter(f"{SVG}path"))) == 29  # one edge per node but the root


def test_svg_escapes_text(tmp_path):
    root = MindmapNode('<script>alert("x")</script> & more')
    out = render_svg(root, tmp_path / "x.svg").read_text()
    assert "<script>" not in out
    assert "&lt;script&gt;" in out
    ET.parse(tmp_path / "x.svg")


def test_png_shows_the_tree_in_colour_with_large_text(tree, tmp_path):
    out = render_png(tree, tmp_path / "map.png")
    lay = layout(tree)
    with Image.open(out) as im:
        assert im.format == "PNG"
        assert abs(im.width - round(lay.width * 2)) <= 1 and abs(im.height - round(lay.height * 2)) <= 1
        px = np.asarray(im.convert("RGB")).astype(np.int16)
    assert (px.min(axis=2) < 200).mean() > 0.05, "the drawing is nearly blank"
    # Each branch colour is present (solid first-level boxes).
    for colour in BRANCH_COLOURS[:6]:
        assert (np.abs(px - np.array(colour)).sum(axis=2) < 12).sum() > 500, colour
    # The root's label is drawn with a 20 pt face at 2x: white glyph pixels inside the dark root circle.
    root = lay.root
    box = px[round(root.y * 2):round((root.y + root.h) * 2), round(root.x * 2):round((root.x + root.w) * 2)]
    assert (box.min(axis=2) > 230).sum() > 1500


def test_png_of_a_huge_tree_is_bounded(tmp_path):
    root = MindmapNode("root", children=[MindmapNode(f"branch {b}", children=[MindmapNode(f"leaf {b}.{k}")
                                                                              for k in range(40)]) for b in range(8)])
    out = render_png(root, tmp_path / "big.png")
    with Image.open(out) as im:
        assert max(im.size) <= 6000


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]


def test_html_is_self_contained(tree, tmp_path):
    source = to_mermaid(tree)
    out = render_html(tree, source, tmp_path / "map.html", title='Cardiac <physiology> & "more"')
    page = out.read_text(encoding="utf-8")
    assert not re.search(r"https?:", page, re.IGNORECASE), "nothing may point at the network"
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags and "link" not in parser.tags and "img" not in parser.tags
    assert parser.urls == []
    assert parser.tags.count("details") == 1 + 6 + 1  # the root, six branches and the one node with children
    assert "svg" in parser.tags and "pre" in parser.tags and "title" in parser.tags
    assert "<h1>Cardiac &lt;physiology&gt; &amp; &quot;more&quot;</h1>" in page
    # The Mermaid source comes back whole from the <pre>, and parses to the same tree.
    pre = re.search(r"<pre><code>(.*?)</code></pre>", page, re.DOTALL).group(1)
    import html
    assert parse_mindmap(html.unescape(pre)).walk()[-1].text == tree.walk()[-1].text


def test_html_language_and_svg_inline_without_namespace(tree, tmp_path):
    page = render_html(tree, to_mermaid(tree), tmp_path / "m.html", title="Herz", language="de").read_text()
    assert '<html lang="de">' in page and "<svg " in page and "xmlns" not in page
