"""An article's Markdown made safe to hand to st.markdown (never with unsafe_allow_html).

What an author may use: headings, emphasis, lists, quotes, code, tables and links to http(s) and
mailto. What is neutralised, outside code (fenced blocks and `spans` are shown as typed anyway):

- raw HTML: every "<" is escaped, so no tag (and no <autolink>) reaches the renderer; Streamlit would not
  render HTML either, this is the second lock;
- links whose address is not http(s) or mailto (javascript:, data:, vbscript:, file:, entities and
  control characters that hide the scheme included) point to nowhere ("#");
- images: "![" is escaped, so an image is its text — no picture is ever fetched from another host (an
  article's pictures would come from its attachments, which the desk serves itself);
- size: the text is cut at MAX_CHARS and a table at MAX_TABLE_ROWS rows, with a note of what was cut.
"""

from __future__ import annotations

import html
import re

MAX_CHARS = 50_000
MAX_TABLE_ROWS = 60
SAFE_SCHEMES = ("http", "https", "mailto")

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
# [text](destination "title") — the destination up to a space or the closing parenthesis.
_INLINE_LINK = re.compile(r"(\]\(\s*)(<[^>]*>|[^)\s]*)")
# [label]: destination — a reference definition at the start of a line.
_REFERENCE = re.compile(r"^(\s{0,3}\[[^\]]+\]:\s*)(<[^>]*>|\S+)", re.MULTILINE)
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_HIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_TABLE_ROW = re.compile(r"^\s*\|")


def safe_destination(destination: str) -> str:
    """The link's address when it is http(s), mailto or relative to the desk; else "#"."""
    plain = _HIDDEN.sub("", html.unescape(destination.strip("<>")))
    # Percent-escaped letters of the scheme ("java%73cript:") are decoded by nobody but still worry a reader.
    scheme = _SCHEME.match(plain)
    if scheme and scheme.group(1).lower() not in SAFE_SCHEMES:
        return "#"
    if not scheme and (":" in plain.split("/", 1)[0] or plain.startswith("//")):
        return "#"  # "javascript&colon;…" made plain, or a protocol-relative address to another host
    return destination


def _outside_code(line: str) -> str:
    """Escape raw HTML and images and fix the links of a line, leaving its `code spans` as typed."""
    pieces, last = [], 0
    for span in _CODE_SPAN.finditer(line):
        pieces.append(_neutralise(line[last : span.start()]))
        pieces.append(span.group(0))
        last = span.end()
    pieces.append(_neutralise(line[last:]))
    return "".join(pieces)


def _neutralise(text: str) -> str:
    text = text.replace("<", "\\<").replace("![", "!\\[")
    text = _INLINE_LINK.sub(lambda m: m.group(1) + safe_destination(m.group(2)), text)
    return _REFERENCE.sub(lambda m: m.group(1) + safe_destination(m.group(2)), text)


def render(source: str, *, cut_note: str = "…", table_note: str = "…") -> str:
    """The Markdown to show for `source`. `cut_note` and `table_note` are the words (in the reader's
    language) put where text or table rows were cut; table_note may use {rows}."""
    text = (source or "").replace("\r\n", "\n").replace("\r", "\n")
    cut = len(text) > MAX_CHARS
    text = text[:MAX_CHARS]
    out: list[str] = []
    fence: str | None = None
    table_rows = dropped = 0
    for line in text.split("\n"):
        opener = _FENCE.match(line)
        if fence is not None:
            out.append(line)
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence):
                fence = None
            continue
        if opener:
            fence = opener.group(1)
            out.append(line)
            continue
        if _TABLE_ROW.match(line):
            table_rows += 1
            if table_rows > MAX_TABLE_ROWS + 2:  # the header and its |---| line, then the rows
                dropped += 1
                continue
        else:
            if dropped:
                out.append("")
                out.append(table_note.format(rows=dropped))
            table_rows = dropped = 0
        out.append(_outside_code(line))
    if fence is not None:
        out.append(fence)  # an unclosed block ends here, not on the page's next element
    if dropped:
        out.extend(["", table_note.format(rows=dropped)])
    if cut:
        out.extend(["", cut_note])
    return "\n".join(out)
