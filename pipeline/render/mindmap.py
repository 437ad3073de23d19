"""A mindmap drawn without a browser: one layout, rendered as SVG, as PNG (Pillow) and as an offline HTML page.

Layout: the root sits in the middle; its branches are shared between the right and the left side so both
sides are about as tall, and each side is a horizontal tree (children in a column beside their parent,
a parent centred on its children). Text is measured with the DejaVu Sans that ships in pipeline/fonts,
the same face the PNG is drawn with and the first the SVG asks for, so boxes fit their words.
Every first-level branch has its own colour, and its whole subtree shares it.
"""

from __future__ import annotations

import html
import io
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .fonts import pil_font
from .files import atomic_output
from ..mindmap_tree import MindmapNode

FONT_FAMILY = "'DejaVu Sans', Verdana, Arial, sans-serif"
ROOT_FILL, ROOT_INK = (33, 47, 74), (255, 255, 255)
BRANCH_COLOURS = [(46, 109, 180), (201, 98, 20), (58, 143, 62), (190, 52, 58), (128, 84, 160),
                  (30, 128, 124), (160, 118, 10), (184, 70, 118), (110, 80, 60), (80, 96, 112)]
INK = (25, 28, 33)
H_GAP = 46.0            # between a parent and its children's column
V_GAP = 10.0            # between siblings
BRANCH_GAP = 22.0       # between first-level branches, so each reads as a block
MARGIN = 24.0
PNG_MAX_SIDE = 6000     # pixels; a huge tree is drawn smaller rather than exhausting memory


@dataclass(frozen=True)
class _Style:
    size: float
    bold: bool
    max_width: float
    pad_x: float
    pad_y: float


def _style(depth: int) -> _Style:
    if depth == 0:
        return _Style(20, True, 200, 18, 12)
    if depth == 1:
        return _Style(15.5, True, 190, 12, 8)
    return _Style(13, False, 180, 9, 5)


@dataclass
class Placed:
    """A node with its place in the drawing: box (x, y, w, h) in layout units, wrapped lines, colours."""

    node: MindmapNode
    depth: int
    lines: list[str]
    style: _Style
    w: float
    h: float
    x: float = 0.0
    y: float = 0.0
    side: int = 1                        # +1 right of the root, -1 left
    branch: int = -1                     # index of the first-level branch, -1 for the root
    children: list["Placed"] = field(default_factory=list)

    @property
    def colour(self) -> tuple[int, int, int]:
        return ROOT_FILL if self.branch < 0 else BRANCH_COLOURS[self.branch % len(BRANCH_COLOURS)]

    @property
    def fill(self) -> tuple[int, int, int]:
        """Root and first-level nodes are solid; deeper ones a pale tint of their branch."""
        if self.depth <= 1:
            return self.colour
        return tuple(round(c + (255 - c) * 0.86) for c in self.colour)  # type: ignore[return-value]

    @property
    def ink(self) -> tuple[int, int, int]:
        return ROOT_INK if self.depth <= 1 else INK


@dataclass
class Layout:
    """Every placed node (root first) and the size of the drawing in layout units (1 unit = 1 CSS px)."""

    root: Placed
    nodes: list[Placed]
    width: float
    height: float


@lru_cache(maxsize=16)
def _font(size: float, bold: bool, scale: float = 1.0) -> ImageFont.FreeTypeFont:
    # The shared font chain: maths and CJK a node holds are drawn by a fallback face, not as boxes.
    return pil_font(max(1, round(size * scale)), bold)


def display_text(node: MindmapNode) -> str:
    """The words a node shows: markdown emphasis markers dropped when the text is a markdown string."""
    text = node.text
    if node.markdown:
        text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
        text = re.sub(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])", r"\2", text)
    return text


def wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy word wrap to `width` pixels in `font`; a word wider than a line is cut between characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            trial = f"{line} {word}" if line else word
            if font.getlength(trial) <= width:
                line = trial
                continue
            if line:
                lines.append(line)
            while font.getlength(word) > width and len(word) > 1:
                cut = max(1, next((k for k in range(len(word), 0, -1) if font.getlength(word[:k]) <= width), 1))
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines or [""]


def _measure(node: MindmapNode, depth: int) -> Placed:
    style = _style(depth)
    font = _font(style.size, style.bold)
    max_width = style.max_width * (0.8 if node.shape == "circle" else 1.0)
    lines = wrap(display_text(node), font, max_width)
    line_h = style.size * 1.25
    tw = max(font.getlength(line) for line in lines)
    th = line_h * len(lines)
    w, h = tw + 2 * style.pad_x, th + 2 * style.pad_y
    if node.shape == "circle":
        w = h = math.hypot(tw, th) + style.pad_y * 2
    elif node.shape == "hexagon":
        w += h * 0.6
    elif node.shape == "bang":
        w, h = w * 1.3 + 10, h * 1.5 + 10
    elif node.shape == "cloud":
        w, h = w + 16, h + 14
    return Placed(node, depth, lines, style, w, h)


def _build(node: MindmapNode, depth: int) -> Placed:
    placed = _measure(node, depth)
    placed.children = [_build(child, depth + 1) for child in node.children]
    return placed


def _span(p: Placed) -> float:
    """Height of a subtree laid out as a column of its children beside it."""
    if not p.children:
        return p.h
    gap = BRANCH_GAP if p.depth == 0 else V_GAP
    return max(p.h, sum(_span(c) for c in p.children) + gap * (len(p.children) - 1))


def _place(p: Placed, edge_x: float, top: float, side: int, branch: int) -> None:
    """Put a subtree in the band starting at `top`; `edge_x` is where its root's inner edge goes."""
    p.side, p.branch = side, branch
    span = _span(p)
    p.x = edge_x if side > 0 else edge_x - p.w
    p.y = top + (span - p.h) / 2
    if not p.children:
        return
    kids = sum(_span(c) for c in p.children) + V_GAP * (len(p.children) - 1)
    y = top + (span - kids) / 2
    child_edge = p.x + p.w + H_GAP if side > 0 else p.x - H_GAP
    for child in p.children:
        _place(child, child_edge, y, side, branch)
        y += _span(child) + V_GAP


def layout(root: MindmapNode) -> Layout:
    """Place every node: the root centred, first-level branches split between the right and left sides."""
    top = _build(root, 0)
    branches = top.children
    spans = [_span(b) for b in branches]
    # The first k branches go right (read top to bottom), the rest left; k makes the sides most even,
    # and on a tie the right side takes more, so a lone branch reads left to right.
    total = sum(spans)
    best_k, best_diff = len(branches), math.inf
    for k in range(len(branches), -1, -1):
        right = sum(spans[:k])
        diff = abs(right - (total - right))
        if diff < best_diff - 1e-9:
            best_k, best_diff = k, diff
    sides = [(branches[:best_k], 1), (branches[best_k:], -1)]
    top.x, top.y = -top.w / 2, -top.h / 2
    for group, side in sides:
        height = sum(_span(b) for b in group) + BRANCH_GAP * max(0, len(group) - 1)
        y = -height / 2
        edge = top.w / 2 + H_GAP * 1.3 if side > 0 else -top.w / 2 - H_GAP * 1.3
        for b in group:
            _place(b, edge, y, side, branches.index(b))
            y += _span(b) + BRANCH_GAP
    nodes: list[Placed] = []
    stack = [top]
    while stack:
        p = stack.pop(0)
        nodes.append(p)
        stack.extend(p.children)
    min_x = min(p.x for p in nodes) - MARGIN
    min_y = min(p.y for p in nodes) - MARGIN
    for p in nodes:
        p.x -= min_x
        p.y -= min_y
    width = max(p.x + p.w for p in nodes) + MARGIN
    height = max(p.y + p.h for p in nodes) + MARGIN
    return Layout(top, nodes, width, height)


# ---- shapes, shared by both renderers -------------------------------------------------------------------------

def _shape(p: Placed) -> list[tuple]:
    """The node outline as primitives: ("rect", x, y, w, h, radius), ("ellipse", cx, cy, rx, ry), ("poly", pts).
    Several primitives form one shape (a cloud is a union of circles around a box)."""
    x, y, w, h = p.x, p.y, p.w, p.h
    cx, cy = x + w / 2, y + h / 2
    shape = p.node.shape
    if shape == "square":
        return [("rect", x, y, w, h, 0.0)]
    if shape == "circle":
        return [("ellipse", cx, cy, w / 2, h / 2)]
    if shape == "hexagon":
        d = h * 0.3
        return [("poly", [(x, cy), (x + d, y), (x + w - d, y), (x + w, cy), (x + w - d, y + h), (x + d, y + h)])]
    if shape == "bang":
        spikes, pts = 14, []
        for k in range(spikes * 2):
            a = math.pi * k / spikes
            r = 1.0 if k % 2 == 0 else 0.78
            pts.append((cx + w / 2 * r * math.cos(a), cy + h / 2 * r * math.sin(a)))
        return [("poly", pts)]
    if shape == "cloud":
        r = min(h / 2.6, 16.0)
        bumps = max(2, round((w - 2 * r) / (1.6 * r)))
        parts: list[tuple] = [("rect", x + r * 0.5, y + r * 0.5, w - r, h - r, r * 0.5)]
        for k in range(bumps + 1):
            bx = x + r + (w - 2 * r) * k / bumps
            parts += [("ellipse", bx, y + r, r, r), ("ellipse", bx, y + h - r, r, r)]
        parts += [("ellipse", x + r, cy, r, r), ("ellipse", x + w - r, cy, r, r)]
        return parts
    radius = 10.0 if shape == "rounded" else 6.0
    return [("rect", x, y, w, h, min(radius, h / 2))]


def _edge_points(parent: Placed, child: Placed) -> tuple[tuple[float, float], ...]:
    """A cubic Bézier from the parent's side to the child's near side: start, two controls, end."""
    side = child.side
    sx = parent.x + (parent.w if side > 0 else 0)
    if parent.depth == 0:
        sx = parent.x + parent.w / 2 + side * parent.w * 0.42  # from inside the root, so round roots connect
    sy = parent.y + parent.h / 2
    ex = child.x if side > 0 else child.x + child.w
    ey = child.y + child.h / 2
    mid = (ex - sx) * 0.5
    return (sx, sy), (sx + mid, sy), (ex - mid, ey), (ex, ey)


def _edge_width(child: Placed) -> float:
    return {1: 4.0, 2: 2.4}.get(child.depth, 1.6)


def _edges(lay: Layout) -> list[tuple[Placed, Placed]]:
    return [(p, c) for p in lay.nodes for c in p.children]


# ---- SVG ------------------------------------------------------------------------------------------------------

def _hex(rgb: tuple[int, int, int]) -> str:
    return "#%02x%02x%02x" % rgb


def _n(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def outline_text(node: MindmapNode, level: int = 0) -> list[str]:
    """The tree as indented lines, for screen readers and plain-text readers."""
    lines = ["  " * level + ("- " if level else "") + display_text(node).replace("\n", " ")]
    for child in node.children:
        lines += outline_text(child, level + 1)
    return lines


def _svg_primitive(prim: tuple, attrs: str) -> str:
    kind = prim[0]
    if kind == "rect":
        _, x, y, w, h, r = prim
        return (f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="{_n(r)}" {attrs}/>')
    if kind == "ellipse":
        _, cx, cy, rx, ry = prim
        return f'<ellipse cx="{_n(cx)}" cy="{_n(cy)}" rx="{_n(rx)}" ry="{_n(ry)}" {attrs}/>'
    pts = " ".join(f"{_n(px)},{_n(py)}" for px, py in prim[1])
    return f'<polygon points="{pts}" {attrs}/>'


NOTE_SIZE = 11.0        # the line under the drawing saying how it was made, when there is one
NOTE_ROOM = 26.0


def _note_size(lay: Layout, note: str) -> tuple[float, float]:
    """Width and height of the picture with room for `note` under the drawing."""
    if not note:
        return lay.width, lay.height
    return max(lay.width, NOTE_SIZE * 0.6 * len(note) + 2 * MARGIN), lay.height + NOTE_ROOM


def svg_markup(root: MindmapNode, *, standalone: bool = True, title: str | None = None, note: str = "") -> str:
    """The mindmap as SVG markup; `standalone` adds the XML namespace a separate .svg file needs; `note` is a
    line of small text under the drawing."""
    lay = layout(root)
    esc = html.escape
    label = title or display_text(root).replace("\n", " ")
    ns = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    width, height = _note_size(lay, note)
    out = [f'<svg{ns} width="{_n(width)}" height="{_n(height)}" '
           f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" aria-labelledby="mm-title mm-desc" '
           f'font-family="{esc(FONT_FAMILY)}">',
           f'<title id="mm-title">Mindmap: {esc(label)}</title>',
           f'<desc id="mm-desc">{esc(chr(10).join(outline_text(root)))}</desc>',
           '<rect width="100%" height="100%" fill="#ffffff"/>']
    if note:
        out.append(f'<text x="{_n(MARGIN)}" y="{_n(lay.height + NOTE_ROOM / 2)}" font-size="{_n(NOTE_SIZE)}" '
                   f'fill="#555555" dominant-baseline="central">{esc(note)}</text>')
    out.append('<g fill="none" stroke-linecap="round">')
    for parent, child in _edges(lay):
        (sx, sy), (c1x, c1y), (c2x, c2y), (ex, ey) = _edge_points(parent, child)
        out.append(f'<path d="M{_n(sx)} {_n(sy)} C{_n(c1x)} {_n(c1y)} {_n(c2x)} {_n(c2y)} {_n(ex)} {_n(ey)}" '
                   f'stroke="{_hex(child.colour)}" stroke-width="{_n(_edge_width(child))}"/>')
    out.append("</g>")
    for p in lay.nodes:
        prims = _shape(p)
        stroke = _hex(p.colour)
        out.append(f'<g class="node depth-{p.depth}">')
        if len(prims) > 1:
            # A union of parts: outline every part first, then fill them all, so only the outer edge shows.
            out += [_svg_primitive(q, f'fill="{stroke}" stroke="{stroke}" stroke-width="3"') for q in prims]
            out += [_svg_primitive(q, f'fill="{_hex(p.fill)}"') for q in prims]
        else:
            out.append(_svg_primitive(prims[0], f'fill="{_hex(p.fill)}" stroke="{stroke}" stroke-width="1.5"'))
        line_h = p.style.size * 1.25
        first = p.y + p.h / 2 - line_h * (len(p.lines) - 1) / 2
        weight = ' font-weight="bold"' if p.style.bold else ""
        out.append(f'<text x="{_n(p.x + p.w / 2)}" y="{_n(first)}" font-size="{_n(p.style.size)}"{weight} '
                   f'fill="{_hex(p.ink)}" text-anchor="middle" dominant-baseline="central">')
        for k, line in enumerate(p.lines):
            out.append(f'<tspan x="{_n(p.x + p.w / 2)}" y="{_n(first + k * line_h)}">{esc(line)}</tspan>')
        out.append("</text></g>")
    out.append("</svg>")
    return "\n".join(out)


# ---- writing files --------------------------------------------------------------------------------------------

def _publish(out: Path, data: bytes) -> Path:
    with atomic_output(out) as tmp:
        tmp.write_bytes(data)
    return Path(out)


def render_svg(node: MindmapNode, out: Path, *, note: str = "") -> Path:
    """Write the mindmap as a standalone SVG file (with `note` under the drawing)."""
    return _publish(out, ('<?xml version="1.0" encoding="UTF-8"?>\n' + svg_markup(node, note=note) + "\n")
                    .encode("utf-8"))


# ---- PNG ------------------------------------------------------------------------------------------------------

def _bezier(points: tuple[tuple[float, float], ...], steps: int = 24) -> list[tuple[float, float]]:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    found = []
    for k in range(steps + 1):
        t = k / steps
        a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3
        found.append((a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3))
    return found


def _draw_primitive(draw: ImageDraw.ImageDraw, prim: tuple, s: float, fill, outline, width: int) -> None:
    kind = prim[0]
    if kind == "rect":
        _, x, y, w, h, r = prim
        draw.rounded_rectangle([x * s, y * s, (x + w) * s, (y + h) * s], radius=r * s, fill=fill,
                               outline=outline, width=width)
    elif kind == "ellipse":
        _, cx, cy, rx, ry = prim
        draw.ellipse([(cx - rx) * s, (cy - ry) * s, (cx + rx) * s, (cy + ry) * s], fill=fill, outline=outline,
                     width=width)
    else:
        draw.polygon([(px * s, py * s) for px, py in prim[1]], fill=fill, outline=outline, width=width)


def png_image(node: MindmapNode, scale: float = 2.0, note: str = "") -> Image.Image:
    """The mindmap drawn with Pillow at `scale` pixels per layout unit (2 = sharp on high-density screens)."""
    lay = layout(node)
    width, height = _note_size(lay, note)
    lay = Layout(lay.root, lay.nodes, width, height) if note else lay
    scale = min(scale, PNG_MAX_SIDE / max(lay.width, lay.height))
    # Pillow draws shapes without anti-aliasing: draw twice as large and scale down to smooth the edges.
    ss = 2 if lay.width * lay.height * (scale * 2) ** 2 <= 60_000_000 else 1
    s = scale * ss
    img = Image.new("RGB", (max(1, round(lay.width * s)), max(1, round(lay.height * s))), "white")
    draw = ImageDraw.Draw(img)
    for parent, child in _edges(lay):
        pts = [(x * s, y * s) for x, y in _bezier(_edge_points(parent, child))]
        draw.line(pts, fill=child.colour, width=max(1, round(_edge_width(child) * s)), joint="curve")
    for p in lay.nodes:
        prims = _shape(p)
        if len(prims) > 1:
            for q in prims:
                _draw_primitive(draw, q, s, p.colour, p.colour, max(1, round(3 * s)))
            for q in prims:
                _draw_primitive(draw, q, s, p.fill, None, 0)
        else:
            _draw_primitive(draw, prims[0], s, p.fill, p.colour, max(1, round(1.5 * s)))
        font = _font(p.style.size, p.style.bold, s)
        line_h = p.style.size * 1.25
        first = p.y + p.h / 2 - line_h * (len(p.lines) - 1) / 2
        for k, line in enumerate(p.lines):
            draw.text(((p.x + p.w / 2) * s, (first + k * line_h) * s), line, font=font, fill=p.ink, anchor="mm")
    if note:
        draw.text((MARGIN * s, (lay.height - NOTE_ROOM / 2) * s), note, font=_font(NOTE_SIZE, False, s),
                  fill=(85, 85, 85), anchor="lm")
    if ss > 1:
        img = img.resize((max(1, round(lay.width * scale)), max(1, round(lay.height * scale))),
                         Image.Resampling.LANCZOS)
    return img


def render_png(node: MindmapNode, out: Path, *, scale: float = 2.0, note: str = "") -> Path:
    """Write the mindmap as a PNG drawn with the project's DejaVu Sans (with `note` under the drawing)."""
    buf = io.BytesIO()
    png_image(node, scale, note).save(buf, format="PNG")  # optimize=True costs 3x the time for 0.2 % smaller
    return _publish(out, buf.getvalue())


# ---- HTML -----------------------------------------------------------------------------------------------------

def _outline_html(node: MindmapNode) -> str:
    text = html.escape(display_text(node)).replace("\n", "<br>")
    if not node.children:
        return f"<li>{text}</li>"
    kids = "".join(_outline_html(c) for c in node.children)
    return f"<li><details open><summary>{text}</summary><ul>{kids}</ul></details></li>"


_CSS = """
body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;margin:0;color:#191c21;background:#f6f7f9}
main{max-width:1200px;margin:0 auto;padding:1.2rem}
h1{font-size:1.5rem;margin:.4rem 0 1rem}
h2{font-size:1.15rem;margin:1.6rem 0 .6rem}
figure{margin:0;background:#fff;border:1px solid #d8dce2;border-radius:8px;overflow:auto}
figure svg{display:block;max-width:100%;height:auto;margin:0 auto}
.outline ul{list-style:none;padding-left:1.3rem;margin:.2rem 0}
.outline>ul{padding-left:0}
.outline li{margin:.15rem 0}
summary{cursor:pointer;font-weight:600}
.note{color:#555;font-style:italic;margin:-.6rem 0 1rem}
pre{background:#fff;border:1px solid #d8dce2;border-radius:8px;padding:.8rem;overflow:auto;font-size:.9rem}
@media print{body{background:#fff}figure{border:none}}
"""


def html_page(node: MindmapNode, mermaid_source: str, *, title: str, language: str = "en", note: str = "") -> str:
    """A self-contained HTML page: the drawing inline, a collapsible outline and the Mermaid source."""
    esc = html.escape
    heading = " ".join((title or display_text(node)).split())
    return "\n".join([
        "<!DOCTYPE html>", f'<html lang="{esc(language or "en")}">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(heading)} \u2014 mindmap</title>", f"<style>{_CSS}</style>", "</head>", "<body><main>",
        f"<h1>{esc(heading)}</h1>", *([f'<p class="note">{esc(note)}</p>'] if note else []),
        f'<figure aria-label="Mindmap">{svg_markup(node, standalone=False, title=heading)}</figure>',
        '<section class="outline" aria-labelledby="outline-h"><h2 id="outline-h">Outline</h2>',
        f"<ul>{_outline_html(node)}</ul></section>",
        '<section aria-labelledby="source-h"><h2 id="source-h">Mermaid source</h2>',
        "<p>Paste this into any Mermaid editor or a Markdown note that renders Mermaid.</p>",
        f"<pre><code>{esc(mermaid_source.rstrip())}</code></pre></section>",
        "</main></body>", "</html>", ""])


def render_html(node: MindmapNode, mermaid_source: str, out: Path, *, title: str, language: str = "en",
                note: str = "") -> Path:
    """Write the self-contained HTML page of the mindmap: no scripts, fonts or styles from the network."""
    return _publish(out, html_page(node, mermaid_source, title=title, language=language, note=note)
                    .encode("utf-8"))
