"""A mindmap as a tree: the type the AI answers in (as JSON) and the renderer draws, and its Mermaid source.

Models answer a mindmap as a JSON tree ({"text", "children"}), which a strict JSON schema can describe, so
the tree is valid by construction; we write the Mermaid source people paste into their notes from it, and
draw SVG, PNG and HTML ourselves (pipeline/render/mindmap.py), since no browser runs on the server. This
module is the domain both sides share: the AI tasks build trees, the renderer reads them.

Mermaid text is still read (answers stored before the tree, and sources people hand us).
The parser follows Mermaid's own grammar (mindmap.jison) where it matters:

    mindmap                      header (after optional blank lines, %% comments or --- front matter)
      root((Cell biology))       exactly one root; any indentation
        Membranes                plain text: the node's id is its text
          id1[Lipid bilayer]     an id, then a shape: [square] (rounded) ((circle)) ))bang(( )cloud( {{hexagon}}
          ::icon(fa fa-book)     decorations of the node above: ignored
          :::urgent              (classes too)
        id2["`**Markdown** text`"]   quoted and markdown strings may hold brackets; <br/> breaks a line

Where Mermaid silently guesses a parent for a line indented between two levels, we refuse: an LLM that
misindents has usually lost track of its tree, and a wrong tree is worse than a retry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import InputError

SHAPES = ("default", "square", "rounded", "circle", "bang", "cloud", "hexagon")

# Openers longest first, so "((" is not read as "(" and "))" not as ")".
_DELIMS: tuple[tuple[str, str, str], ...] = (
    ("((", "))", "circle"),
    ("))", "((", "bang"),
    ("{{", "}}", "hexagon"),
    ("(-", "-)", "cloud"),
    ("-)", "(-", "bang"),
    ("[", "]", "square"),
    ("(", ")", "rounded"),
    (")", "(", "cloud"),
)
_OPEN = {"square": ("[", "]"), "rounded": ("(", ")"), "circle": ("((", "))"), "bang": ("))", "(("),
         "cloud": (")", "("), "hexagon": ("{{", "}}")}  # the documented pair of each shape, as we write it
_ID_STOP = re.compile(r"[(\[){}]|-\)|\(-")      # where a node id ends and a shape begins, as Mermaid lexes it
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_ENTITIES = {"quot": '"', "amp": "&", "lt": "<", "gt": ">", "apos": "'", "nbsp": "\u00a0"}
_ENTITY = re.compile(r"#(\w+);")
# Text Mermaid reads back as itself when written bare: no brackets, dashes, colons, quotes, '#', '%', '`'.
_BARE = re.compile(r"[^\s()\[\]{}\-:\"'`#%<>]+(?: [^\s()\[\]{}\-:\"'`#%<>]+)*")


class MermaidError(InputError, ValueError):
    """A mindmap that does not parse; `line` is 1-based (0 when the problem is the whole text).
    Also a ValueError, so pydantic validators may raise it as they are."""

    code = "bad_mermaid"

    def __init__(self, line: int, problem: str) -> None:
        where = f"line {line}: " if line else ""
        super().__init__(f"Mermaid mindmap, {where}{problem}", line=line)
        self.line = line
        self.problem = problem


@dataclass
class MindmapNode:
    """One node of a mindmap: its text (line breaks as "\\n"), its shape and its children in order."""

    text: str
    shape: str = "default"
    children: list["MindmapNode"] = field(default_factory=list)
    markdown: bool = False      # the text came as a "`markdown string`": **bold** and *italic* are formatting

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise InputError(f"mindmap node shape {self.shape!r} is not one of {', '.join(SHAPES)}", field="shape")

    def walk(self) -> list["MindmapNode"]:
        """This node and every node below it, depth first, parents before children."""
        found = [self]
        for child in self.children:
            found.extend(child.walk())
        return found

    def depth(self) -> int:
        """Levels in the tree: 1 for a lone root."""
        return 1 + max((c.depth() for c in self.children), default=0)


def _decode(text: str) -> str:
    """Mermaid's entity codes (#quot; #35;) and <br> line breaks made plain text."""
    def entity(m: re.Match) -> str:
        name = m.group(1)
        if name.isdigit():
            return chr(int(name)) if 0 < int(name) < 0x110000 else m.group(0)
        return _ENTITIES.get(name.lower(), m.group(0))
    text = _ENTITY.sub(entity, _BREAK.sub("\n", text))
    return "\n".join(" ".join(part.split()) for part in text.split("\n")).strip()


def _label(inner: str, number: int) -> tuple[str, bool]:
    """The words inside a shape and whether they are markdown: quoted strings are unwrapped."""
    s = inner.strip()
    if s.startswith('"`'):
        if not s.endswith('`"') or len(s) < 4:
            raise MermaidError(number, 'a markdown string "`...`" is not closed with `"')
        return s[2:-2], True
    if s.startswith('"'):
        if not s.endswith('"') or len(s) < 2:
            raise MermaidError(number, 'a quoted string is not closed with "')
        return s[1:-1], False
    return s, False


def _node(content: str, number: int) -> MindmapNode:
    """Read one node (indentation removed): optional id, then optional shape."""
    stop = _ID_STOP.search(content)
    if stop is None:
        if "`" in content or '"' in content:
            raise MermaidError(number, f"{content[:60]!r}: quoted and markdown strings must sit inside a shape, "
                                       'e.g. id["text"]')
        return MindmapNode(_decode(content))
    rest = content[stop.start():].rstrip()
    failure: MermaidError | None = None
    for opener, closer, shape in _DELIMS:
        if not rest.startswith(opener):
            continue
        if len(rest) < len(opener) + len(closer) or not rest.endswith(closer):
            # "(-5 mV)" opens like a cloud but is a rounded node: try the shorter openers before failing.
            failure = failure or MermaidError(number, f"{content[:60]!r}: the shape opened with {opener!r} must "
                                                      f"close with {closer!r} at the end of the line "
                                                      "(unbalanced brackets)")
            continue
        inner = rest[len(opener):-len(closer)]
        if not inner.lstrip().startswith('"'):
            stray = [ch for ch in "()[]{}" if ch in inner]
            if stray:
                raise MermaidError(number, f"{content[:60]!r}: unbalanced brackets ({stray[0]!r} inside the "
                                           'shape); put text with brackets in quotes, e.g. id["a (b)"]')
        label, markdown = _label(inner, number)
        text = _decode(label) or _decode(content[:stop.start()])
        if not text:
            raise MermaidError(number, f"{content[:60]!r}: the node has no text")
        return MindmapNode(text, shape, markdown=markdown)
    raise failure or MermaidError(number, f"{content[:60]!r}: {rest[0]!r} does not start a shape; a shape is one "
                                          "of [square] (rounded) ((circle)) ))bang(( )cloud( {{hexagon}}")


def _logical_lines(body: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Join a markdown string that runs over several lines into one line, its breaks written as <br/>."""
    joined: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, raw in body:
        if pending is not None:
            pending = (pending[0], pending[1] + "<br/>" + raw.strip())
            if '`"' in raw:
                joined.append(pending)
                pending = None
            continue
        opened = raw.find('"`')
        if opened >= 0 and raw.find('`"', opened + 2) < 0:
            pending = (number, raw.rstrip())
            continue
        joined.append((number, raw))
    if pending is not None:
        raise MermaidError(pending[0], 'a markdown string "`...`" is never closed with `"')
    return joined


def _body(lines: list[str]) -> tuple[int, list[tuple[int, str]]]:
    """Find the `mindmap` header; return its line number and the numbered lines after it."""
    i = 0
    if lines and lines[0].strip() == "---":            # front matter (title, config) before the header
        end = next((k for k in range(1, len(lines)) if lines[k].strip() == "---"), None)
        if end is None:
            raise MermaidError(1, "front matter opened with '---' is never closed")
        i = end + 1
    while i < len(lines) and (not lines[i].strip() or lines[i].strip().startswith("%%")):
        i += 1
    if i == len(lines):
        raise MermaidError(0, "the diagram is empty; it must start with the line 'mindmap' and hold one root node")
    if lines[i].strip().lower() != "mindmap":
        raise MermaidError(i + 1, f"expected the header 'mindmap', found {lines[i].strip()[:60]!r}")
    return i + 1, [(k + 1, lines[k]) for k in range(i + 1, len(lines))]


def parse_mindmap(text: str) -> MindmapNode:
    """Parse Mermaid mindmap source into its tree; raise MermaidError naming the line that is wrong."""
    if not isinstance(text, str):
        raise MermaidError(0, f"expected text, got {type(text).__name__}")
    header, body = _body(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    root: MindmapNode | None = None
    stack: list[tuple[int, MindmapNode]] = []        # (indent, node) from the root down to the last node
    child_indent: dict[int, int] = {}                # id(node) -> the indent its children use
    indent_char = ""
    for number, raw in _logical_lines(body):
        stripped = raw.strip()
        if not stripped or stripped.startswith("%%") or stripped.startswith("::icon(") or stripped.startswith(":::"):
            continue
        lead = raw[:len(raw) - len(raw.lstrip())]
        if lead:
            kinds = set(lead)
            if len(kinds) > 1 or (indent_char and lead[0] != indent_char):
                raise MermaidError(number, "inconsistent indentation: tabs and spaces are mixed; indent with "
                                           "spaces only")
            indent_char = lead[0]
        indent = len(lead)
        # A class or icon written on the node's own line decorates it; the words are before it.
        node = _node(re.split(r"\s*(?::::|::icon\()", stripped, maxsplit=1)[0] or stripped, number)
        if root is None:
            root, stack = node, [(indent, node)]
            continue
        if indent <= stack[0][0]:
            raise MermaidError(number, f"more than one root: {node.text[:40]!r} is not indented under the root "
                                       f"{root.text[:40]!r}; a mindmap has exactly one root")
        while stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        expected = child_indent.setdefault(id(parent), indent)
        if indent != expected:
            raise MermaidError(number, f"inconsistent indentation: {node.text[:40]!r} is indented {indent} "
                                       f"but its siblings under {parent.text[:40]!r} are indented {expected}")
        parent.children.append(node)
        stack.append((indent, node))
    if root is None:
        raise MermaidError(header, "the diagram is empty: 'mindmap' is followed by no node")
    return root


MAX_JSON_DEPTH = 6     # levels below which a JSON tree's branches are cut (a model's recursion must end)


def tree_from_json(data: dict, depth: int = 0) -> MindmapNode:
    """A tree from its JSON form ({"text": ..., "children": [...]}); InputError naming what is wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise InputError("a mindmap node must be an object with a text string and a children list",
                         field="mindmap")
    text = " ".join(data["text"].split())
    if not text:
        raise InputError("a mindmap node has no text", field="mindmap")
    children = data.get("children") or []
    if not isinstance(children, list):
        raise InputError(f"the children of mindmap node {text[:40]!r} must be a list", field="mindmap")
    kept = [tree_from_json(c, depth + 1) for c in children] if depth < MAX_JSON_DEPTH else []
    return MindmapNode(text, children=kept)


def tree_for_drawing(data: dict) -> MindmapNode:
    """A JSON tree ready to draw and write out: its root shaped as Mermaid shapes a root, root((...))."""
    tree = tree_from_json(data)
    tree.shape = "circle"
    return tree


def tree_to_json(node: MindmapNode) -> dict:
    """The JSON form of a tree: text and children only (shapes are the renderer's choice)."""
    return {"text": node.text, "children": [tree_to_json(c) for c in node.children]}


def _quoted(text: str) -> str:
    """Text inside a quoted shape: quotes and '#' as Mermaid entity codes, line breaks as <br/>."""
    return (text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
            .replace("\n", "<br/>"))


def _line(node: MindmapNode, number: int, pad: str) -> str:
    """One node as Mermaid: bare text when it is safe, else an id and its shape around a quoted string."""
    text = "\n".join(" ".join(part.split()) for part in node.text.split("\n")).strip() or "(empty)"
    bare = _BARE.fullmatch(text) is not None and "mindmap" not in text.lower()
    if node.shape == "default" and bare and not node.markdown:
        return text
    # Mermaid's bare form cannot carry brackets, dashes or colons; such a plain node is written rounded.
    opener, closer = _OPEN["rounded" if node.shape == "default" else node.shape]
    if node.markdown:
        # A markdown string breaks lines with real line breaks, its later lines indented like the node.
        body = "\n".join(_quoted(part).replace("`", "#96;") for part in text.split("\n"))
        return f'n{number}{opener}"`{body.replace(chr(10), chr(10) + pad)}`"{closer}'
    return f'n{number}{opener}"{_quoted(text)}"{closer}'


def to_mermaid(root: MindmapNode, indent: str = "  ") -> str:
    """Write a tree as Mermaid mindmap source that Mermaid and parse_mindmap both read back unchanged."""
    out = ["mindmap"]
    counter = 0

    def emit(node: MindmapNode, level: int) -> None:
        nonlocal counter
        counter += 1
        out.append(indent * level + _line(node, counter, indent * level))
        for child in node.children:
            emit(child, level + 1)

    emit(root, 1)
    return "\n".join(out) + "\n"
