"""An article's Markdown made safe for st.markdown (services/safe_markdown.py): what an author types is
shown, nothing runs, nothing is fetched from another host, and a huge article or table is cut with a note.

render() parses the author's text with markdown-it-py (raw HTML off) and writes Markdown out itself. These
tests read that OUTPUT with an independent markdown-it-py reader that has raw HTML *on*, so that any HTML
left in the output shows up as html_inline / html_block tokens, and look at what a browser would get:
images, raw HTML, and the address of every link.
"""

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from services.safe_markdown import MAX_CHARS, MAX_TABLE_ROWS, escape, render, safe_destination

# The reader of the output: CommonMark with tables and strikethrough, as render() writes, and raw HTML ON.
READER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
# How render() itself reads the author's text (raw HTML off): to tell what the author typed as code.
AUTHOR_READER = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])

IMG = "<img src=x onerror=alert(1)>"

# Hypothesis profiles, as in tests/test_properties.py: CI (CI=true) runs the full counts; a developer's run a
# tenth of them. HYPOTHESIS_PROFILE=ci runs the full counts anywhere.
FULL = os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev") == "ci"
EXAMPLES = 500 if FULL else 50
PROPERTY_SETTINGS = dict(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)

# ---------------------------------------------------------------- reading the output


def tokens(markdown: str, reader: MarkdownIt = READER) -> list[Token]:
    """Every token of `markdown`, block tokens and the inline tokens inside them (an image's too)."""

    def walk(found: list[Token]) -> list[Token]:
        out = []
        for token in found:
            out.append(token)
            out.extend(walk(token.children or []))
        return out

    return walk(reader.parse(markdown))


def safe_href(href: str) -> bool:
    """http(s), mailto, or a page of the desk itself: "/…" (not "//host" nor "/\\host"), "#…", "?…"."""
    if href.lower().startswith(("http:", "https:", "mailto:")):
        return True
    return href.startswith(("#", "?")) or (href.startswith("/") and not href.startswith(("//", "/\\")))


def dangers(markdown: str) -> list[str]:
    """What in `markdown` could run or fetch: raw HTML, an image, a link to another scheme or host."""
    found = []
    for token in tokens(markdown):
        if token.type in ("image", "html_inline", "html_block"):
            found.append(f"{token.type} {token.content!r}")
        elif token.type == "link_open" and not safe_href(str(token.attrGet("href"))):
            found.append(f"link {token.attrGet('href')!r}")
    return found


def links(markdown: str) -> list[tuple[str, str]]:
    """(href, label text) of every link in `markdown`."""
    found, label, href = [], None, ""
    for token in tokens(markdown):
        if token.type == "link_open":
            label, href = [], str(token.attrGet("href"))
        elif token.type == "link_close":
            found.append((href, "".join(label)))
            label = None
        elif label is not None and token.type in ("text", "code_inline"):
            label.append(token.content)
        elif label is not None and token.type in ("softbreak", "hardbreak"):
            label.append("\n")
    return found


def words(markdown: str, reader: MarkdownIt = READER) -> str:
    """The text a reader sees (code left out), one line per paragraph, heading or cell."""
    lines = []
    for token in reader.parse(markdown):
        if token.type == "inline":
            parts = []
            for child in token.children or []:
                if child.type == "text":
                    parts.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append("\n")
            lines.append("".join(parts))
    return "\n".join(lines)


def code(markdown: str, reader: MarkdownIt = READER) -> list[str]:
    """The content of every code span and code block, in order (what is shown as typed, never read as Markdown).
    What an image's description holds is left out: render() shows that description as plain words."""
    found = []
    for token in reader.parse(markdown):
        if token.type in ("fence", "code_block"):
            found.append(token.content)
        for child in token.children or []:
            if child.type == "code_inline":
                found.append(child.content)
    return found


def structure(markdown: str) -> list[tuple]:
    """What the reader builds of `markdown`, without where in the text each piece came from."""
    return [
        (
            t.type,
            t.tag,
            "" if t.type == "text" else t.info.strip(),
            dict(t.attrs),
            "" if t.type == "inline" else t.content,
        )
        for t in tokens(markdown)
    ]


# ---------------------------------------------------------------- links


HIDDEN_SCHEMES = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "java&#x73;cript:alert(1)",
    "java&#115;cript:alert(1)",
    "&#106;avascript:alert(1)",
    "javascript&colon;alert(1)",
    "java&#9;script:alert(1)",
    "java&NewLine;script:alert(1)",
    "  javascript:alert(1)",
    "\x01javascript:alert(1)",
    "java\u200bscript:alert(1)",
    "javascript\\:alert(1)",
    "<javascript:alert(1)>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,x",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://evil.example/x",
    "evil:x",
    "//evil.example/entrar",
    "<//evil.example/entrar>",
    "&#47;&#47;evil.example/entrar",
    "\\/\\/evil.example/entrar",
]


@pytest.mark.parametrize("destination", HIDDEN_SCHEMES)
def test_a_link_to_another_scheme_or_host_is_no_link_at_all(destination):
    shown = render(f"Vea [aquí]({destination}) los pasos.")
    assert dangers(shown) == [] and links(shown) == [], shown
    assert "](#)" not in shown  # not a link that points nowhere either: no link
    seen = words(shown)
    assert seen.startswith("Vea ") and "aquí" in seen and seen.endswith(" los pasos."), seen


def test_a_dropped_link_leaves_exactly_its_words():
    """A link markdown-it takes for one but the desk does not keep becomes its label, nothing else."""
    assert render("Vea [aquí](//evil.example/entrar) los pasos.") == "Vea aquí los pasos\\."
    assert render("Vea [**aquí**](ftp://evil.example) ya.") == "Vea **aquí** ya\\."


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "\x01javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "java\u200bscript:alert(1)",
        "java%E2%80%8Bscript:alert(1)",
        "data:text/html,x",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "ftp://evil.example",
        "//evil.example",
        " //evil.example",
        "\t//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "\\/evil.example",
        "",
    ],
)
def test_safe_destination_refuses_other_schemes_and_hosts(href):
    assert not safe_destination(href)


@pytest.mark.parametrize(
    ("href", "kept"),
    [
        ("https://ok.example/ayuda?tema=1#pasos", "https://ok.example/ayuda?tema=1#pasos"),
        ("HTTP://OK.EXAMPLE", "HTTP://OK.EXAMPLE"),
        ("mailto:mesa@example.org", "mailto:mesa@example.org"),
        ("/conocimiento?articulo=3", "/conocimiento?articulo=3"),
        ("#pasos", "#pasos"),
        ("?tema=2", "?tema=2"),
        ("https://ok.example/a<b>\\c", "https://ok.example/a%3Cb%3E%5Cc"),  # nothing that ends <…> early
    ],
)
def test_safe_destination_keeps_the_web_mail_and_the_desk(href, kept):
    assert safe_destination(href) == kept


@pytest.mark.parametrize(
    "source",
    [
        "[a]: javascript:alert(1)\n\n[aquí][a]",
        "   [a]: <javascript:alert(1)>\n\n[aquí][a]",
        '[a]: data:text/html,x "título"\n\n[aquí][a]',
        "[a]:\njavascript:alert(1)\n\n[aquí][a]",
        "[a\nb]: javascript:alert(1)\n\n[aquí][a b]",
        "[a\\]]: javascript:alert(1)\n\n[aquí][a\\]]",
        "> [a]: javascript:alert(1)\n\n[aquí][a]",
        "- [a]: javascript:alert(1)\n\n[aquí][a]",
        "[a]: //evil.example\n\n[aquí][a] y [a] y [a][]",
        "[a]: ftp://evil.example\n\n[aquí][a]",
        "[aquí](\njavascript:alert(1))",
        "[aquí](\n//evil.example)",
        "[a](/x[aquí](javascript:alert(1))",
        "[a](/x[aquí](//evil.example)",
    ],
    ids=[
        "definition",
        "bracketed",
        "titled",
        "next-line",
        "two-line-label",
        "escaped-label",
        "quote",
        "list",
        "protocol-relative-definition",
        "ftp-definition",
        "inline-next-line",
        "inline-next-line-host",
        "after-a-relative-link-left-open",
        "host-after-a-relative-link-left-open",
    ],
)
def test_a_reference_definition_or_a_split_link_to_another_scheme_is_no_link(source):
    shown = render(source)
    assert dangers(shown) == [] and links(shown) == [], shown
    assert "aquí" in words(shown)


@pytest.mark.parametrize(
    ("autolink", "href"),
    [("<https://ok.example>", "https://ok.example"), ("<mesa@example.org>", "mailto:mesa@example.org")],
)
def test_an_autolink_to_the_web_or_to_mail_is_a_link(autolink, href):
    shown = render(f"Escriba a {autolink} hoy.")
    assert links(shown) == [(href, autolink[1:-1])] and dangers(shown) == []
    assert f"(<{href}>)" in shown


@pytest.mark.parametrize(
    "autolink", ["<javascript:alert(1)>", "<JavaScript:alert(1)>", "<vbscript:x>", "<data:text/html,x>", "<ftp://x>"]
)
def test_an_autolink_to_another_scheme_is_text(autolink):
    shown = render(f"Escriba a {autolink} hoy.")
    assert dangers(shown) == [] and links(shown) == []
    assert words(shown) in (f"Escriba a {autolink} hoy.", f"Escriba a {autolink[1:-1]} hoy.")


@pytest.mark.parametrize(
    ("destination", "href"),
    [
        ("https://ok.example/ayuda?tema=1#pasos", "https://ok.example/ayuda?tema=1#pasos"),
        ("http://intranet.example", "http://intranet.example"),
        ("HTTPS://OK.EXAMPLE", "HTTPS://OK.EXAMPLE"),
        ("mailto:mesa@example.org", "mailto:mesa@example.org"),
        ("/conocimiento?articulo=3", "/conocimiento?articulo=3"),
        ("#pasos", "#pasos"),
        ("?tema=2", "?tema=2"),
        ("https://ok.example/a_(b)", "https://ok.example/a_(b)"),
        ("<https://ok.example/a b>", "https://ok.example/a%20b"),
    ],
)
def test_a_link_to_the_web_to_mail_or_to_the_desk_is_kept(destination, href):
    assert render(f"Vea [aquí]({destination}).") == f"Vea [aquí](<{href}>)\\."
    assert render(f"[a]: {destination}\n\n[aquí][a]") == f"[aquí](<{href}>)"


def test_a_bare_relative_path_is_not_a_desk_link():
    """Desk-relative means "/…", "#…" or "?…": a bare path ("articulo-3") is its words only."""
    shown = render("Vea [aquí](articulo-3).")
    assert links(shown) == [] and words(shown) == "Vea aquí.", shown


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[en\nvarias líneas](https://ok.example)", [("https://ok.example", "en\nvarias líneas")]),
        ("[a [b] c](https://ok.example)", [("https://ok.example", "a [b] c")]),
        ("[a [b](//evil.example) c](https://ok.example)", []),  # a link in a link: only the inner one is
        ("[a [b](https://ok.example/b) c](//evil.example)", [("https://ok.example/b", "b")]),
        ("[`]`](https://ok.example)", [("https://ok.example", "]")]),
        ("[a\\](https://ok.example)](/x)", [("/x", "a](https://ok.example)")]),
        ("[![logo](https://evil.example/p.png)](https://ok.example)", [("https://ok.example", "logo")]),
    ],
    ids=["split-label", "nested-brackets", "inner-dropped", "outer-dropped", "code-label", "escaped", "image-label"],
)
def test_links_split_over_lines_or_with_brackets_keep_their_words(source, expected):
    shown = render(source)
    assert links(shown) == expected and dangers(shown) == [], shown


# ---------------------------------------------------------------- raw HTML and code


@pytest.mark.parametrize(
    "markup",
    [
        "<script>alert(1)</script>",
        IMG,
        "<iframe src='https://evil.example'></iframe>",
        "<a href='javascript:alert(1)'>entrar</a>",
        "<!-- oculto -->",
        "<SCRIPT>alert(1)</SCRIPT>",
        "<?php echo 1; ?>",
        "<![CDATA[x]]>",
        "<!DOCTYPE html>",
        "<svg/onload=alert(1)>",
        "</p>",
    ],
)
def test_raw_html_is_shown_as_typed_text(markup):
    for source in (f"Antes {markup} después", markup, f"- {markup}", f"> {markup}"):
        shown = render(source)
        assert dangers(shown) == [], shown
        assert markup in words(shown), shown


def test_an_html_block_is_shown_as_text_and_what_it_held_is_read_as_markdown():
    shown = render("<div>\n\n*texto*\n\n</div>")
    assert dangers(shown) == []
    assert words(shown) == "<div>\ntexto\n</div>"
    assert "em_open" in [t.type for t in tokens(shown)]


@pytest.mark.parametrize(
    "source",
    [
        f"\\{IMG}",
        f"\\\\\\{IMG}",
        f"``{IMG}`",
        f"\\`{IMG}`",
        f"`a\nb`{IMG}`",
        f"``` `\n{IMG}\n```",
        f"\t```\n{IMG}",
        f"\u00a0```\n{IMG}",
        f"- paso\n  ```\n{IMG}",
        f"> ```\n{IMG}",
        f"````\n{IMG}\n```",
    ],
    ids=[
        "backslash",
        "three-backslashes",
        "unmatched-backtick-run",
        "escaped-backtick",
        "span-over-two-lines",
        "backtick-in-info-string",
        "tab-indented-fence",
        "nbsp-indented-fence",
        "fence-of-an-ended-list-item",
        "fence-of-an-ended-quote",
        "short-closing-fence",
    ],
)
def test_html_in_what_only_looks_like_code_stays_what_it_was(source):
    """Each source is read as render() reads it (raw HTML off); the tag is then code or text, and the output
    shows it the same way: as code if it was code, as text if it was text, never as HTML."""
    shown = render(source)
    assert dangers(shown) == [], shown
    was_code = any(IMG in c for c in code(source, AUTHOR_READER))
    assert any(IMG in c for c in code(shown)) == was_code, shown
    assert (IMG in words(shown)) == (not was_code), shown


@pytest.mark.parametrize(
    "source",
    [
        "``[aquí](javascript:alert(1))`",
        "\\`[aquí](javascript:alert(1))`",
        "``[aquí](//evil.example)`",
        "``![logo](https://evil.example/p.png)`",
        "\\`![logo](https://evil.example/p.png)`",
    ],
)
def test_links_and_images_in_what_only_looks_like_code_are_neutralised(source):
    shown = render(source)
    assert dangers(shown) == [] and links(shown) == [], shown


@pytest.mark.parametrize(
    "source",
    [
        "Escriba `<br>` para un salto.",
        "Use ``<b>`negrita`</b>`` así.",
        "Un ` `` ` y un ``` `` ``` y `` `<i>` ``.",
        "```html\n<script>alert(1)</script>\n[x](javascript:alert(1)) ![y](https://evil.example/p.png)\n```",
        "~~~\n<iframe src=x></iframe>\n~~~",
        "````\n```\n<b>dentro</b>\n````\n",
        "   ```\n<b>sangría de tres</b>\n   ```",
        "    <b>sangría de cuatro</b>\n    [x](javascript:alert(1))",
        "- paso\n\n  ```\n  <b>en la lista</b>\n\n  <i>tras una línea en blanco</i>\n  ```",
        "> ```\n> <b>en la cita</b>\n>\n> <i>tras una línea en blanco</i>\n> ```",
        "1. uno\n   - ```\n     <b>anidado</b>\n     ```",
        "```\n~~~\n<b>tildes dentro</b>\n~~~\n```",
    ],
)
def test_html_in_code_is_kept_as_code(source):
    shown = render(source)
    assert dangers(shown) == [], shown
    assert code(shown) == code(source, AUTHOR_READER), shown


def test_a_fence_keeps_a_plain_language_name_only():
    shown = render("```python {onclick=alert(1)}\nx = 1\n```")
    assert shown == "```python\nx = 1\n```"


# ---------------------------------------------------------------- backtick runs


@pytest.mark.parametrize(
    "source",
    [
        f"`x`[``y`{IMG}``](ftp://evil.example)",
        f"`x`[``y`{IMG}``](//evil.example)",
        f"[`x`](//evil.example)``y`{IMG}``",
        f"`x`![](https://evil.example/p.png)``y`{IMG}``",
        f"`x`[](//evil.example)``y`{IMG}``",
    ],
    ids=["label-after-code", "label-after-code-host", "code-after-label", "empty-image", "empty-label"],
)
def test_code_spans_brought_together_by_a_dropped_link_or_image_stay_code(source):
    """Dropping a link (or an image) must not set two code spans side by side: their backtick runs would
    join into one and pair differently, and what was code would be read as Markdown and HTML."""
    shown = render(source)
    assert dangers(shown) == [], shown
    assert code(shown) == code(source, AUTHOR_READER), shown


# ---------------------------------------------------------------- images


@pytest.mark.parametrize(
    "source",
    [
        "![logo](https://evil.example/p.png)",
        "![logo](//evil.example/p.png)",
        "![logo](javascript:alert(1))",
        "![logo](data:image/png;base64,iVBORw0KGgo=)",
        '![logo](https://evil.example/p.png "título")',
        "![logo][p]\n\n[p]: https://evil.example/p.png",
        "![logo]\n\n[logo]: https://evil.example/p.png",
        "![logo][]\n\n[logo]: https://evil.example/p.png",
        "!![logo](https://evil.example/p.png)",
        "<https://evil.example/p.png>",
        "| a |\n|---|\n| ![logo](https://evil.example/p.png) |",
        "# ![logo](https://evil.example/p.png)",
    ],
)
def test_an_image_is_never_fetched_its_words_are_shown(source):
    shown = render(source)
    assert dangers(shown) == [], shown
    assert "image" not in [t.type for t in tokens(shown)]
    assert "logo" in words(shown) or links(shown), shown


# ---------------------------------------------------------------- what is left as typed, and what is cut


@pytest.mark.parametrize(
    "source",
    [
        "# Cambiar el tóner\n\n1. Abra la **tapa**.\n2. Retire el *cartucho*.\n\n> Con cuidado.\n\n"
        "| Paso | Tiempo |\n|---|---|\n| 1 | 2 min |\n\n- [ ] listo\n\nFin\\.\n",
        "Título\n======\n\nSub\n---\n\n3. tres\n4. cuatro\n\n***\n\n~~tachado~~ y `código` y "
        "[ayuda](https://ok.example) y una  \nlínea partida.",
        "- uno\n  - dos\n    > cita\n- tres\n\n  párrafo del tercero\n\n> - en cita\n>\n>   ```sh\n>   ls\n>   ```",
        "| izq | centro | der |\n|:--|:-:|--:|\n| `a b` | **x** | [y](/z) |\n| solo |",
        "Texto con \\*asteriscos\\* y \\_rayas\\_ y 1\\. número y &amp; y &lt;b&gt; y :smile: y $x$.",
    ],
    ids=["article", "headings-rules-spans", "containers", "table", "escapes"],
)
def test_plain_markdown_reads_the_same(source):
    assert structure(render(source)) == structure(source)


def _table(rows: int) -> str:
    return "\n".join(["| n | nota |", "|---|---|", *(f"| {n} | fila |" for n in range(rows))])


def _body_rows(markdown: str) -> list[str]:
    rows, inside, cells = [], False, []
    for token in tokens(markdown):
        if token.type == "tbody_open":
            inside = True
        elif token.type == "tbody_close":
            inside = False
        elif inside and token.type == "tr_open":
            cells = []
        elif inside and token.type == "inline":
            cells.append(token.content)
        elif inside and token.type == "tr_close":
            rows.append(" | ".join(cells))
    return rows


def test_a_huge_table_is_cut_with_a_note_of_the_rows_left_out():
    shown = render(_table(MAX_TABLE_ROWS + 40) + "\n\nDespués.", table_note="Se omitieron {rows} filas.")
    assert _body_rows(shown) == [f"{n} | fila" for n in range(MAX_TABLE_ROWS)]
    assert words(shown).split("\n")[-2:] == ["Se omitieron 40 filas.", "Después."]


def test_a_huge_table_at_the_end_is_cut_with_its_note():
    shown = render(_table(MAX_TABLE_ROWS + 1), table_note="Se omitieron {rows} filas.")
    assert len(_body_rows(shown)) == MAX_TABLE_ROWS
    assert shown.endswith(f"| {MAX_TABLE_ROWS - 1} | fila |\n\nSe omitieron 1 filas.")


def test_a_huge_table_in_a_list_is_cut_with_its_note_in_the_list():
    source = "- tabla:\n\n" + "\n".join("  " + line for line in _table(MAX_TABLE_ROWS + 2).split("\n"))
    shown = render(source, table_note="Se omitieron {rows} filas.")
    assert len(_body_rows(shown)) == MAX_TABLE_ROWS and dangers(shown) == []
    assert words(shown).split("\n")[-1] == "Se omitieron 2 filas."
    assert [t.type for t in tokens(shown)][-3:] == ["paragraph_close", "list_item_close", "bullet_list_close"]


def test_a_table_of_the_largest_size_is_whole():
    shown = render(_table(MAX_TABLE_ROWS), table_note="Se omitieron {rows} filas.")
    assert structure(shown) == structure(_table(MAX_TABLE_ROWS))
    assert "omitieron" not in shown


def test_a_huge_text_is_cut_with_a_note():
    shown = render("a" * (MAX_CHARS + 500), cut_note="Texto recortado.")
    assert shown == "a" * MAX_CHARS + "\n\nTexto recortado."
    assert render("a" * MAX_CHARS, cut_note="Texto recortado.") == "a" * MAX_CHARS


def test_an_unclosed_fence_ends_with_the_article():
    assert render("Antes\n```python\nprint('<b>')") == "Antes\n\n```python\nprint('<b>')\n```"
    shown = render("~~~~\n<i>")
    assert code(shown) == ["<i>\n"] and dangers(shown) == []


def test_a_text_cut_inside_a_fence_closes_it_before_the_note():
    shown = render("```\n<b>" + "x" * MAX_CHARS, cut_note="Texto recortado.")
    assert code(shown) == ["<b>" + "x" * (MAX_CHARS - 7) + "\n"] and dangers(shown) == []
    assert shown.endswith("x\n```\n\nTexto recortado.")


# ---------------------------------------------------------------- structures whose code must stay code


def test_code_in_a_table_cell_keeps_its_pipes():
    """`\\|` in a cell's code span is a "|" of the code: written back bare, it would split the cell, and the
    rest of the code would be read as Markdown and HTML."""
    source = f"| h | i |\n| --- | --- |\n| `x\\|{IMG}` | b |"
    shown = render(source)
    assert dangers(shown) == [], shown
    assert code(shown) == [f"x|{IMG}"], shown


def test_a_long_ordered_list_keeps_its_items():
    """List numbers have at most nine digits: an item numbered 1000000000 would be no item at all, and the
    code it holds would be read as Markdown and HTML."""
    source = f"999999999. a\n999999999. ```\n           x\n\n           {IMG}\n           ```"
    shown = render(source)
    assert dangers(shown) == [], shown
    assert code(shown) == code(source, AUTHOR_READER) == [f"x\n\n{IMG}\n"], shown
    assert [t.type for t in tokens(shown)].count("list_item_open") == 2, shown


@pytest.mark.parametrize(
    "before",
    ["[](//evil.example)", "![](https://evil.example/p.png)", "x&#10;"],
    ids=["empty-link", "empty-image", "newline-entity"],
)
def test_strikethrough_in_strikethrough_does_not_open_a_fence(before):
    """A line the output starts with "~~~~" (strikethrough in strikethrough, after something that leaves no
    words or after a line end typed as an entity) would open a code block, which a "~~~~" line of real code
    would close: the rest of that code would be read as Markdown and HTML."""
    source = f"{before}~~~~a~~~~\n\n````\n```\n~~~~\n{IMG}\n```\n````"
    shown = render(source)
    assert dangers(shown) == [], shown
    assert code(shown) == code(source, AUTHOR_READER), shown


# ---------------------------------------------------------------- escape


@settings(**PROPERTY_SETTINGS)
@given(text=st.text(st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=30))
def test_escaped_text_reads_as_exactly_that_text(text):
    parsed = READER.parse(escape(text))
    assert [t.type for t in parsed] == ["paragraph_open", "inline", "paragraph_close"]
    assert [c.type for c in parsed[1].children] in (["text"], [])
    assert "".join(c.content for c in parsed[1].children) == text


# ---------------------------------------------------------------- any text at all

FRAGMENTS = [
    *"[]()<>!`~\\:&;#/|-*_=+.$\n \t",
    "](",
    "![",
    "![](",
    "[](",
    "[a]",
    "[a]:",
    "[a]: ",
    "<a href='x'>",
    IMG,
    "<script>",
    "</div>",
    "<!--",
    "<?",
    "``",
    "```",
    "````",
    "~~",
    "~~~",
    "~~~~",
    "\\|",
    "&#x73;",
    "&#47;",
    "&#10;",
    "&colon;",
    "&#9;",
    "java&#x73;cript:",
    "javascript:",
    "JaVaScRiPt:",
    "data:",
    "vbscript:",
    "file:",
    "ftp:",
    "//",
    "//evil.example",
    "/\\evil",
    "https://ok.example",
    "mailto:a@b.co",
    "/desk",
    "#a",
    "?q",
    "\n\n",
    "   ",
    "    ",
    "> ",
    "- ",
    "1. ",
    "999999999. ",
    "| a |",
    "| --- |",
    "\n|---|---|\n",
    "# ",
    "---",
    "texto",
    "é",
    "\x00",
    "\u200b",
]
# Flat: fragments and bits of any text, strung together.
FLAT = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)), max_size=40).map("".join)

# Shaped: lines of Markdown's containers and blocks, holding code spans, links, images and strikethrough
# (nested) to every kind of address, with bits of HTML and of Markdown's punctuation inside.
DESTINATIONS = st.sampled_from(
    [
        "javascript:alert(1)",
        "<javascript:x>",
        "java&#x73;cript:x",
        "//evil.example",
        "/\\evil",
        "ftp://x",
        "https://ok.example",
        "mailto:a@b.co",
        "/desk",
        "#a",
        "?q",
        "articulo",
        "",
    ]
)
BITS = st.text(st.sampled_from("ab<>`|~*_[]()!\\:/ &#"), max_size=5)
CODE_SPAN = st.builds(
    lambda n, content: "`" * n + content + "`" * n,
    st.integers(1, 3),
    st.one_of(BITS, st.just(IMG), st.just("a\\|" + IMG)),
)


def _around(opening: str, closing: str):
    return lambda inside: st.builds(lambda d: f"{opening}{d}{closing}", inside)


INLINE = st.deferred(
    lambda: st.one_of(
        st.sampled_from(FRAGMENTS),
        BITS,
        CODE_SPAN,
        st.builds(lambda label, to: f"[{label}]({to})", st.lists(INLINE, max_size=2).map("".join), DESTINATIONS),
        st.builds(lambda alt, to: f"![{alt}]({to})", BITS, DESTINATIONS),
        _around("~~", "~~")(st.lists(INLINE, max_size=2).map("".join)),
        _around("*", "*")(st.lists(INLINE, max_size=2).map("".join)),
    )
)
LINE_START = st.sampled_from(["", "", "", "- ", "1. ", "999999999. ", "> ", "| ", "    ", "  ", "```", "~~~", "# "])
LINE = st.one_of(
    st.builds(lambda start, parts: start + "".join(parts), LINE_START, st.lists(INLINE, max_size=5)),
    st.sampled_from(["", "| --- | --- |", "```", "~~~~", IMG, "---", "[a]: "]),
)
SHAPED = st.lists(LINE, max_size=10).map("\n".join)


@settings(**PROPERTY_SETTINGS)
@given(source=st.one_of(FLAT, SHAPED, st.text()))
def test_no_text_renders_an_image_raw_html_or_a_link_to_another_scheme(source):
    shown = render(source)
    assert dangers(shown) == [], shown
    again = render(shown)  # the output read as an author's text is as safe
    assert dangers(again) == [], again
