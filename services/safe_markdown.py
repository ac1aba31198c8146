"""An article's Markdown made safe to hand to st.markdown (never with unsafe_allow_html).

The author's text is parsed by markdown-it-py (CommonMark, with tables and strikethrough, raw HTML off)
and written out again as Markdown by this module, every piece of the author's text escaped. So what
reaches the page is only what this module writes, whatever the author typed:

- headings, paragraphs, emphasis, lists, quotes, code, tables, rules;
- links to http(s) and mailto, and to the desk's own pages ("/…", "#…"); any other link (javascript:,
  data:, vbscript:, file:, another host written "//host"…) is its text only;
- no image: an image is its description, so no picture is fetched from anywhere (an article's pictures
  would come from its attachments, which the desk serves itself);
- no HTML: what was typed as HTML is text;
- size: the text is cut at MAX_CHARS and each table at MAX_TABLE_ROWS rows, with a note.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

MAX_CHARS = 50_000
MAX_TABLE_ROWS = 60
SAFE_SCHEMES = ("http", "https", "mailto")

_PARSER = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
# Every ASCII punctuation CommonMark lets a backslash escape that could start something: emphasis, code,
# links, headings, lists, quotes, tables, HTML, entities, setext underlines; and Streamlit's own
# ":icon:" / ":color[…]" and "$math$".
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=\"'^])")
_HIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f]")


def escape(text: str) -> str:
    """Text shown as typed: every character that could mean something to Markdown escaped."""
    return _SPECIAL.sub(r"\\\1", text)


def safe_destination(href: str) -> str | None:
    """The link's address when it is http(s), mailto or a page of the desk itself; else None."""
    plain = _HIDDEN.sub("", href or "")
    if plain.startswith(("//", "/\\", "\\")):
        return None  # another host, however the slashes are written
    scheme = urlsplit(plain).scheme.lower()
    if scheme and scheme not in SAFE_SCHEMES:
        return None
    if not scheme and not plain.startswith(("/", "#", "?")):
        return None  # "java&#58;script:…" made plain, or a bare path: only the desk's own pages
    # An address between < and > may hold parentheses and spaces; these three it may not.
    return plain.replace("<", "%3C").replace(">", "%3E").replace("\\", "%5C")


def _inline(node: SyntaxTreeNode, *, in_cell: bool = False, struck: bool = False) -> str:
    """The inline content of a block, as escaped Markdown. `in_cell`: inside a table cell, where a "|"
    even in code ends the cell unless escaped; `struck`: inside a strikethrough already."""
    parts: list[str] = []

    def add(piece: str) -> None:
        if not piece:
            return  # an empty image or label adds nothing, and leaves nothing between its neighbours
        # Two code spans side by side (a link between them dropped) would merge their backtick runs.
        if piece.startswith("`") and parts and parts[-1].endswith("`"):
            parts.append(" ")
        parts.append(piece)

    for child in node.children:
        kind = child.type
        if kind == "text":
            add(escape(child.content))
        elif kind == "softbreak":
            add("\n")
        elif kind == "hardbreak":
            add("\\\n")
        elif kind == "code_inline":
            code = _code_span(child.content)
            add(code.replace("|", "\\|") if in_cell else code)
        elif kind == "em":
            add(f"*{_inline(child, in_cell=in_cell, struck=struck)}*")
        elif kind == "strong":
            add(f"**{_inline(child, in_cell=in_cell, struck=struck)}**")
        elif kind == "s":  # struck twice is struck once: "~~~~" could open a code fence
            inner = _inline(child, in_cell=in_cell, struck=True)
            add(inner if struck else f"~~{inner}~~")
        elif kind == "link":
            label = _inline(child, in_cell=in_cell, struck=struck)
            target = safe_destination(str(child.attrs.get("href", "")))
            add(f"[{label}](<{target}>)" if target and label.strip() else label)
        elif kind == "image":
            add(escape(child.content or ""))  # its description, never the picture
        else:  # anything else a future parser adds: its text
            add(escape(child.content or "") if not child.children else _inline(child, in_cell=in_cell))
    return "".join(parts)


def _code_span(content: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if content.startswith(("`", " ")) or content.endswith(("`", " ")) else ""
    return f"{fence}{pad}{content}{pad}{fence}"


def _fenced(content: str, info: str) -> list[str]:
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * max(3, longest + 1)
    language = re.sub(r"[^\w+-]", "", info.split(" ", 1)[0])[:20] if info else ""
    return [fence + language, *content.rstrip("\n").split("\n"), fence]


def _prefixed(lines: list[str], first: str, rest: str) -> list[str]:
    return [(first if i == 0 else rest) + line if line else "" for i, line in enumerate(lines)]


class _Writer:
    def __init__(self, table_note: str):
        self.table_note = table_note

    def blocks(self, node: SyntaxTreeNode) -> list[str]:
        out: list[str] = []
        tight = False  # after a paragraph of a tight list item, the next block follows without a gap
        for child in node.children:
            lines = self.block(child)
            if lines:
                if out and not tight:
                    out.append("")
                out.extend(lines)
            tight = child.type == "paragraph" and child.hidden
        return out

    def block(self, node: SyntaxTreeNode) -> list[str]:
        kind = node.type
        if kind == "paragraph":
            return _inline(node.children[0]).split("\n") if node.children else []
        if kind == "heading":
            level = int(node.tag[1])
            return ["#" * level + " " + _inline(node.children[0]).replace("\n", " ")]
        if kind in ("fence", "code_block"):
            return _fenced(node.content, node.info if kind == "fence" else "")
        if kind == "hr":
            return ["---"]
        if kind == "blockquote":
            return [f"> {line}" if line else ">" for line in self.blocks(node)]
        if kind == "bullet_list":
            return self.items(node, lambda _: "- ")
        if kind == "ordered_list":
            start = int(node.attrs.get("start", 1) or 1)
            return self.items(node, lambda i: f"{min(start + i, 999_999_999)}. ")  # CommonMark: 9 digits
        if kind == "table":
            return self.table(node)
        return self.blocks(node)

    def items(self, node: SyntaxTreeNode, marker) -> list[str]:
        out: list[str] = []
        for index, item in enumerate(node.children):
            head = marker(index)
            lines = self.blocks(item) or [""]
            out.extend(_prefixed(lines, head, " " * len(head)) if lines != [""] else [head.rstrip()])
        return out

    def table(self, node: SyntaxTreeNode) -> list[str]:
        rows = [row for part in node.children for row in part.children]  # thead's row, then tbody's
        if not rows:
            return []
        header, body = rows[0], rows[1:]
        width = len(header.children)

        def cells(row) -> list[str]:
            texts = [
                _inline(cell.children[0], in_cell=True).replace("\n", " ") if cell.children else ""
                for cell in row.children
            ]
            return (texts + [""] * width)[:width]

        def align(cell) -> str:
            style = str(cell.attrs.get("style", ""))
            return {"text-align:left": ":--", "text-align:center": ":-:", "text-align:right": "--:"}.get(style, "---")

        lines = ["| " + " | ".join(cells(header)) + " |", "| " + " | ".join(align(c) for c in header.children) + " |"]
        lines += ["| " + " | ".join(cells(row)) + " |" for row in body[:MAX_TABLE_ROWS]]
        if len(body) > MAX_TABLE_ROWS:
            lines += ["", self.table_note.format(rows=len(body) - MAX_TABLE_ROWS)]
        return lines


def render(source: str, *, cut_note: str = "…", table_note: str = "…") -> str:
    """The Markdown to show for `source`. `cut_note` and `table_note` are the words (in the reader's
    language, Markdown of the desk's own) put where text or table rows were cut; table_note may use {rows}."""
    text = (source or "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    cut = len(text) > MAX_CHARS
    tree = SyntaxTreeNode(_PARSER.parse(text[:MAX_CHARS]))
    lines = _Writer(table_note).blocks(tree)
    if cut:
        lines += ["", cut_note]
    return "\n".join(lines)
