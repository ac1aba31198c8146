"""Readable text out of a received e-mail, and of that text only what the person wrote now.

E-mail in turns a user's reply into a message of their case. A reply carries far more than the new
words: an HTML twin of the text, the whole quoted conversation (the desk's own earlier mails among
it), the client's "Enviado desde mi iPhone", a signature. Kept whole, every message of a case would
repeat the thread, so:

- full_text() picks the body a person reads: the text/plain part, or the HTML part turned into plain
  text (never markup), decoded whatever the charset, format=flowed lines joined again;
- strip_reply() keeps only the new text: quoted history and signature removed.

strip_reply() rests on mail-parser-reply (EmailReplyParser), which knows Outlook header blocks and the
English "On … wrote:" line in many variants. It misses the Spanish clients (its "El … escribió:"
pattern can never match), Outlook's "Enviado el:", the mobile signatures, and it keeps whatever
follows the first header, so a reply written below the quote would be lost. HISTORY_HEADERS and
SIGNATURES below complete it, one row per client and language. The steps, in order: drop the "> "
quoted blocks with their attribution lines, let the library cut at the first header it knows, cut at
the first header of HISTORY_HEADERS, cut at the first line of SIGNATURES.

Decisions:
- Text after quoted "> " lines is the person's (bottom-posting, answers interleaved with the
  question): quoted blocks and their "… escribió:" line go, the pieces between them stay, one blank
  line apart.
- A history header that no quoted block follows (Outlook, forwards, HTML history without
  <blockquote>) starts unmarked history: everything from it down is cut.
- A forward: the note written above "---------- Mensaje reenviado ---------" is the new text, the
  forwarded mail is history. A forward without a note then leaves nothing, so the full text is kept
  (next rule): the forwarded mail is what the person sent.
- Never empty: when stripping leaves nothing, the full text (trimmed) is returned.
- Sign-offs ("Saludos,", "Gracias,") stay: they cannot be told from a sentence ("Gracias, ya
  funciona") and cost nothing. A signature goes only when marked: the "-- " line or a client's
  "Enviado desde …" line. An unmarked corporate signature block stays.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

# ---------------------------------------------------------------------------------------------------
# Messages and bodies


def message_from_bytes(raw: bytes) -> EmailMessage:
    """The parsed message, with the modern API (get_body, get_content) of email.policy.default."""
    return email.message_from_bytes(raw, policy=default_policy)


def full_text(message: EmailMessage) -> str:
    """The whole readable body: text/plain preferred, an HTML-only mail as plain text; "" without a body."""
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        text = _decoded(plain)
        if plain.get_param("format", "").lower() == "flowed":
            text = _unflow(text, delsp=plain.get_param("delsp", "").lower() == "yes")
        if text.strip():
            return _tidy(text, collapse_blanks=False)
    # Some clients send an empty text/plain twin: then the HTML part is the body.
    html = message.get_body(preferencelist=("html",))
    return _tidy(html_to_text(_decoded(html)), collapse_blanks=False) if html is not None else ""


# Senders label windows-1252 as Latin-1 (browsers decode it so too), and 8-bit text labelled ASCII
# is nearly always UTF-8.
_CHARSET_READ_AS = {"iso-8859-1": "windows-1252", "latin1": "windows-1252", "us-ascii": "utf-8", "ascii": "utf-8"}


def _decoded(part: EmailMessage) -> str:
    """The part's text, decoded by its charset; an unknown or wrong charset falls back to UTF-8, then Latin-1."""
    raw = part.get_payload(decode=True) or b""
    charset = (part.get_content_charset() or "us-ascii").lower()
    for codec in (_CHARSET_READ_AS.get(charset, charset), "utf-8"):
        try:
            return raw.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("latin-1")  # decodes any byte


def _unflow(text: str, delsp: bool) -> str:
    """Joins format=flowed (RFC 3676) soft line breaks: a line ending in a space goes on in the next line."""
    out: list[str] = []
    pending: tuple[str, str] | None = None  # (quote marks, text) of a paragraph still flowing
    for line in text.replace("\r\n", "\n").split("\n"):
        marks = line[: len(line) - len(line.lstrip(">"))]
        content = line[len(marks) :]
        if content.startswith(" "):  # space-stuffing
            content = content[1:]
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        if pending is not None and pending[0] == marks:
            content = pending[1] + content
        elif pending is not None:
            out.append(_quoted(*pending))
        pending = (marks, content) if flowed else None
        if not flowed:
            out.append(_quoted(marks, content))
    if pending is not None:
        out.append(_quoted(*pending))
    return "\n".join(out)


def _quoted(marks: str, content: str) -> str:
    return f"{marks} {content}" if marks else content


def _tidy(text: str, collapse_blanks: bool = True) -> str:
    """LF line ends, no trailing spaces nor byte-order marks, no blank lines around (nor doubled inside)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "").split("\n")
    tidy: list[str] = []
    for line in (line.rstrip() for line in lines):
        if collapse_blanks and not line and tidy and not tidy[-1]:
            continue
        tidy.append(line)
    return "\n".join(tidy).strip("\n")


# ---------------------------------------------------------------------------------------------------
# HTML to text

_SKIPPED = frozenset({"script", "style", "head", "title", "noscript", "template"})
_BLOCKS = frozenset(
    {"address", "article", "aside", "center", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure"}
    | {"footer", "form", "header", "hr", "main", "nav", "ol", "pre", "section", "table", "tr", "ul"}
)
_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6"})
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")


def html_to_text(html: str) -> str:
    """Plain text of an HTML body, with blockquote lines marked "> " so quote stripping works on them."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return parser.text()


class _HtmlText(HTMLParser):
    """Collects the text of an HTML document line by line, each line with the blockquote depth it began in."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._line_quote = 0
        self._started = False  # the line has content, even if only a &nbsp;
        self._quote = 0
        self._pre = 0
        self._skipping: list[str] = []
        self._paragraphs: list[bool] = []  # per open <p>: whether it is a real paragraph
        self._links: list[tuple[str, list[str]]] = []  # open <a>: href and the text seen inside

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping.append(tag)
            return
        if tag == "body":
            self._skipping.clear()  # a <head> never closed
        if self._skipping:
            return
        if tag == "br":
            self._end_line(force=True)
        elif tag == "blockquote":
            self._break()
            self._quote += 1
        elif tag == "li":
            self._break()
            self._write("- ")
        elif tag in ("td", "th") and self._started:
            self._write(" ")
        elif tag == "p":
            # Word's HTML (Outlook) makes every line a margin-less <p class=MsoNormal> and writes blank
            # lines as &nbsp; paragraphs: those are plain line breaks, not paragraphs.
            real = "msonormal" not in (dict(attrs).get("class") or "").lower()
            self._paragraphs.append(real)
            self._paragraph(real)
        elif tag in _PARAGRAPHS:
            self._paragraph()
        elif tag in _BLOCKS:
            self._break()
        if tag == "pre":
            self._pre += 1
        elif tag == "a":
            self._links.append(((dict(attrs).get("href") or "").strip(), []))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            if tag in self._skipping:
                del self._skipping[len(self._skipping) - 1 - self._skipping[::-1].index(tag)]
            return
        if self._skipping:
            return
        if tag == "blockquote":
            self._break()
            self._quote = max(0, self._quote - 1)
        elif tag == "p":
            self._paragraph(self._paragraphs.pop() if self._paragraphs else True)
        elif tag in _PARAGRAPHS:
            self._paragraph()
        elif tag in _BLOCKS or tag == "li":
            self._break()
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
        elif tag == "a" and self._links:
            href, seen = self._links.pop()
            label = "".join(seen).strip()
            if label and _shows_href(href) and not _same_target(label, href):
                self._write(f" ({href})")

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if self._pre:
            first, *rest = data.replace("\r\n", "\n").split("\n")
            self._write(first)
            for piece in rest:
                self._end_line(force=True)
                self._write(piece)
            return
        text = _HTML_SPACE.sub(" ", data)
        if not self._started or "".join(self._line).endswith(" "):
            text = text.lstrip(" ")
        if text:
            self._write(text)

    def text(self) -> str:
        self._break()
        out: list[str] = []
        for line in self.lines:
            blank = not line.strip("> ")
            if blank and out and out[-1] == line:
                continue
            out.append(line)
        while out and not out[0].strip("> "):
            out.pop(0)
        while out and not out[-1].strip("> "):
            out.pop()
        return "\n".join(out)

    def _write(self, text: str) -> None:
        if not self._started:
            self._line_quote = self._quote
            self._started = True
        self._line.append(text)
        for _, seen in self._links:
            seen.append(text)

    def _end_line(self, force: bool = False) -> None:
        if not (self._started or force):
            return
        quote = self._line_quote if self._started else self._quote
        text = "".join(self._line).replace("\xa0", " ").rstrip()
        self.lines.append(("> " * quote + text).rstrip())
        self._line, self._started = [], False

    def _break(self) -> None:
        """Ends the current line, if anything was written on it."""
        self._end_line()

    def _paragraph(self, real: bool = True) -> None:
        """Ends the current line and (for a real paragraph) leaves one blank line before what follows."""
        self._end_line()
        if real and self.lines and self.lines[-1].strip("> "):
            self.lines.append(("> " * self._quote).rstrip())


def _shows_href(href: str) -> bool:
    """Whether a link's target is worth showing: not an anchor, script or inline-image reference."""
    return bool(href) and not href.lower().startswith(("#", "javascript:", "cid:"))


def _same_target(label: str, href: str) -> bool:
    """Whether the link's text already says where it goes: "ana@x.co" for mailto:ana@x.co, "www.x.co" for https://x.co/."""

    def bare(value: str) -> str:
        value = re.sub(r"^(?:mailto:|tel:|https?://)", "", value.strip().lower())
        return value.removeprefix("www.").rstrip("/")

    return bare(label) == bare(href)


# ---------------------------------------------------------------------------------------------------
# What the person wrote now


@dataclass(frozen=True)
class Marker:
    """A line (whole, spaces trimmed) that starts history or a signature in mail of a client and language.
    next_line, when set, must match the next non-blank line too (an Outlook header is two or more lines)."""

    client: str
    language: str
    line: re.Pattern[str]
    next_line: re.Pattern[str] | None = None


def _marker(client: str, language: str, line: str, next_line: str = "") -> Marker:
    flags = re.IGNORECASE
    return Marker(client, language, re.compile(line, flags), re.compile(next_line, flags) if next_line else None)


_WEEKDAY_ES = r"(?:lun(?:es)?|mar(?:tes)?|mi[ée](?:rcoles)?|jue(?:ves)?|vie(?:rnes)?|s[áa]b(?:ado)?|dom(?:ingo)?)\.?"
_WEEKDAY_EN = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*"
# Every client's header carries the time: it tells "El martes, el proveedor escribió:" (a sentence) apart.
_CLOCK = r"\d{1,2}:\d{2}"
_TIME = rf"{_CLOCK}(?: ?[ap]\.? ?m\.?)?"
_DATE_NUMERIC = r"\d{1,2}/\d{1,2}/\d{2,4}"

# Where quoted history starts. With a quoted block below, the line (or up to three, when a client wrapped
# it) is the quote's attribution and goes with it; with none, it begins unmarked history: all below is cut.
HISTORY_HEADERS: tuple[Marker, ...] = (
    # "El jue, 27 nov 2026 a las 10:02, Mesa de Servicio (<mesa@empresa.co>) escribió:" (web),
    # "El jue., 27 de nov. de 2026 10:02 a. m., Mesa <mesa@empresa.co> escribió:" (Android app);
    # Yahoo writes the weekday whole: "El jueves, 27 de noviembre de 2026, 10:02:15 GMT-5, … escribió:"
    _marker("gmail", "es", rf"El {_WEEKDAY_ES},? .+ {_CLOCK}.* escribió:"),
    # "On Thu, Nov 27, 2026 at 10:02 AM Mesa de Servicio <mesa@empresa.co> wrote:" (Yahoo: "On Thursday, …")
    _marker("gmail", "en", rf"On {_WEEKDAY_EN},? .+ {_CLOCK}.* wrote:"),
    # "El 27 nov 2026, a las 10:02, Mesa <mesa@x.co> escribió:", "El 27/11/2026, a las 10:02, …" (Mac, iPhone)
    _marker("apple", "es", rf"El \d{{1,2}}[ /].+, a las {_TIME}, .+ escribió:"),
    # "On 27 Nov 2026, at 10:02, Mesa <mesa@x.co> wrote:", "On Nov 27, 2026, at 10:02 AM, …"
    _marker("apple", "en", rf"On .+, at {_TIME}, .+ wrote:"),
    # "El 27/11/26 a las 10:02, Mesa de Servicio escribió:"
    _marker("thunderbird", "es", rf"El {_DATE_NUMERIC},? a las {_TIME}, .+ escribió:"),
    # "On 11/27/26 10:02 AM, Mesa de Servicio wrote:"
    _marker("thunderbird", "en", rf"On {_DATE_NUMERIC},? {_TIME}, .+ wrote:"),
    # "De: …" over "Enviado: …" (web), "Enviado el: …" (desktop), "Fecha: …" (Mac, mobile), in any order
    _marker("outlook", "es", r"\*?De:\*? .+", r"\*?(?:Enviado(?: el)?|Fecha|Para|Asunto|CC):\*?(?: .*)?"),
    _marker("outlook", "en", r"\*?From:\*? .+", r"\*?(?:Sent|Date|To|Subject|Cc):\*?(?: .*)?"),
    # The rule Outlook draws above that header block
    _marker("outlook", "any", r"_{20,}", r"\*?(?:De|From):\*? .+"),
    # "-----Mensaje original-----" (desktop), "-------- Mensaje original --------" (Android)
    _marker("outlook", "es", r"-{2,} ?Mensaje original ?-{2,}"),
    _marker("outlook", "en", r"-{2,} ?Original Message ?-{2,}"),
    # "---------- Mensaje reenviado ---------" (also Thunderbird's "-------- Mensaje reenviado --------")
    _marker("gmail", "es", r"-{2,} ?Mensaje reenviado ?-{2,}"),
    _marker("gmail", "en", r"-{2,} ?Forwarded message ?-{2,}"),
    _marker("apple", "es", r"Inicio del mensaje reenviado:"),
    _marker("apple", "en", r"Begin forwarded message:"),
)

# Where a signature starts: from there to the end is not the message. Matched without a trailing
# "<link>" (Outlook mobile writes "Obtener Outlook para Android<https://aka.ms/…>").
_DEVICE = r"(?:[\w.-]+ ?){1,4}"  # "iPhone", "Android", "smartphone Samsung Galaxy"
SIGNATURES: tuple[Marker, ...] = (
    _marker("any", "any", r"--"),  # RFC 3676 "-- " separator (the trailing space is often lost)
    _marker("mobile", "es", rf"Enviado desde mi {_DEVICE}"),
    _marker("mobile", "en", rf"Sent from my {_DEVICE}"),
    _marker("outlook", "es", r"Obtener Outlook para (?:Android|iOS)"),
    _marker("outlook", "en", r"Get Outlook for (?:Android|iOS)"),
    _marker("outlook", "es", r"Enviado desde (?:Outlook|Correo)(?: para \w+)?"),
    _marker("outlook", "en", r"Sent from (?:Outlook|Mail)(?: for \w+)?"),
    _marker("yahoo", "es", r"Enviado desde Yahoo Mail (?:para|en) \w+"),
    _marker("yahoo", "en", r"Sent from Yahoo Mail (?:for|on) \w+"),
)

# A quote's attribution from a client not in the table: the line right above a quoted block that ends so.
_ATTRIBUTION_END = re.compile(r"(?:escribió|escribio|wrote):$", re.IGNORECASE)
_TRAILING_LINK = re.compile(r"\s*<[^<>]*>$")
_LIBRARY_LANGUAGES = ("es", "en")
# History headers and signature lines are short: longer lines are not tried (matching time grows with length).
_MARKER_MAX_LENGTH = 256
_LIBRARY_MAX_LINES = 1000
_WRAPPED_MAX_LINES = 3


def strip_reply(text: str) -> str:
    """Only what the person wrote now: quoted history and marked signature removed (see the module notes)."""
    full = _tidy(text)
    lines = _without_quotes(full.split("\n"))
    lines = _library_latest_reply(lines)
    lines = lines[: _history_start(lines)]
    lines = lines[: _signature_start(lines)]
    return _tidy("\n".join(lines)) or full


def new_text(message: EmailMessage) -> str:
    """The new text of a received mail: its body without history and signature."""
    return strip_reply(full_text(message))


def _without_quotes(lines: list[str]) -> list[str]:
    """The lines without "> " quoted blocks and the attribution line(s) right above each; what the person
    wrote between or below the quotes stays."""
    kept: list[str] = []
    i = 0
    while i < len(lines):
        if _is_quoted(lines[i]):
            i = _after_quote(lines, i)
            kept.append("")  # keeps the pieces around a quote apart
            continue
        attribution = _history_header(lines, i) or (1 if _ATTRIBUTION_END.search(lines[i].strip()) else 0)
        if attribution and _quote_follows(lines, i + attribution):
            i += attribution
            continue
        kept.append(lines[i])
        i += 1
    return kept


def _history_start(lines: list[str]) -> int:
    """Index of the first history header (no quote below it: unmarked history), or len(lines)."""
    return next((i for i in range(len(lines)) if _history_header(lines, i)), len(lines))


def _library_latest_reply(lines: list[str]) -> list[str]:
    """mail-parser-reply's latest reply: the lines above the first history header the library knows."""
    # The library's patterns take time quadratic in a line's length: it reads the lines cut short (a
    # header is never long) and only the first ones (further down our own table still cuts).
    probe = [line[:_MARKER_MAX_LENGTH] for line in lines[:_LIBRARY_MAX_LINES]]
    start = _next_nonblank(probe, 0)
    if start is None:
        return lines
    reply = (EmailReplyParser(languages=list(_LIBRARY_LANGUAGES)).read("\n".join(probe)).latest_reply or "").split("\n")
    end = start + len(reply)
    cut = any(line.strip() for line in probe[end:])
    # It also strips every line: where its reply is our text cut short, keep our lines (whole, with their
    # indentation); where it found nothing to cut or rewrote something else, keep our text uncut.
    if not cut or [line.strip() for line in probe[start:end]] != reply:
        return lines
    return lines[start:end]


def _history_header(lines: list[str], i: int) -> int:
    """How many lines a history header at line i spans: 0 (none), 1, or more (an attribution the client
    wrapped, as Gmail does at 78 columns in plain-text mode)."""
    if _header_line(lines, i):
        return 1
    joined = lines[i].strip()
    for span in range(2, _WRAPPED_MAX_LINES + 1):
        end = i + span - 1
        if not joined or end >= len(lines) or not lines[end].strip() or _header_line(lines, end):
            return 0
        joined = f"{joined} {lines[end].strip()}"
        if len(joined) > _MARKER_MAX_LENGTH:
            return 0
        if any(m.next_line is None and m.line.fullmatch(joined) for m in HISTORY_HEADERS):
            return span
    return 0


def _header_line(lines: list[str], i: int) -> bool:
    line = lines[i].strip()
    if not line or len(line) > _MARKER_MAX_LENGTH:
        return False
    for marker in HISTORY_HEADERS:
        if not marker.line.fullmatch(line):
            continue
        if marker.next_line is None:
            return True
        following = _next_nonblank(lines, i + 1)
        if following is not None and marker.next_line.fullmatch(lines[following].strip()):
            return True
    return False


def _signature_start(lines: list[str]) -> int:
    """Index of the first signature line, or len(lines) when there is none."""
    for i, line in enumerate(lines):
        bare = _TRAILING_LINK.sub("", line.strip()[:_MARKER_MAX_LENGTH])
        if bare and any(m.line.fullmatch(bare) for m in SIGNATURES):
            return i
    return len(lines)


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _after_quote(lines: list[str], i: int) -> int:
    """Index of the first line after the quoted block at i (blank lines inside the block belong to it)."""
    while i < len(lines) and (_is_quoted(lines[i]) or (not lines[i].strip() and _quote_follows(lines, i))):
        i += 1
    return i


def _quote_follows(lines: list[str], i: int) -> bool:
    following = _next_nonblank(lines, i)
    return following is not None and _is_quoted(lines[following])


def _next_nonblank(lines: list[str], i: int) -> int | None:
    return next((j for j in range(i, len(lines)) if lines[j].strip()), None)
