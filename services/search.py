"""Full-text search over the cases: the words people type, with who may see what decided inside the
word index itself, at a cost that does not grow with the desk.

The documents (models/search.py) are written by the transaction that writes their text: sessions of
services.db.DeskSession note the cases whose subject, description, solution, requester, area or messages
change, and rebuild those cases' documents just before they commit. The word index follows the documents
inside the database (SQLite: FTS5 `unicode61 remove_diacritics 2` over search_docs, kept by triggers;
PostgreSQL: a stored `to_tsvector('spanish', mesa_unaccent(…))` column in a GIN index), so a case's text
and its index can never disagree after a commit.

Rights: every document carries scope words (search_docs.scope: r<requester> on what the requester may
read, a<area>, k<kind>, t<key> of its subject, and while the case is open sopen and o<area>, which the
Bandeja's open views ask for instead) in a column of the index that only the desk writes; a
search asks for them with the words (SQLite: `{title body people}: (…) AND scope: (…)`; PostgreSQL: the
GIN index's second column), so the index never hands over a document outside the searcher's scope, and
the words typed never reach the scope words.

Word forms: on SQLite each word typed as its singular or its plurals ("impresoras" → impresora OR
impresoras; "red" → red OR redes), a number only as itself; PostgreSQL's Spanish stemmer. Accents and
capitals are ignored on both.

At scale (issue 19): only the newest matching cases in scope are ranked and paged, 200 at first and up
to CAP (1,000) when the person widens the search (WINDOWS) — the index is walked from its newest
document down and stops there (PostgreSQL: the newest blocks of ids first, see _pg_newest); past them
the page only says there were more (Page.more) and the count stops at the window. A case whose subject
is exactly what was typed comes first, found by its subject key even when older (up to EXACT_OLDER of
them); then by rank (PostgreSQL ts_rank; SQLite where the words are: all in the subject, all in the
requester's name — bm25() would first count every document of each word); then the list's own order.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Case, CaseMessage, SearchDoc, User
from models.cases import OPEN_STATUSES
from models.enums import Role
from models.search import CASE_DOC, NOTE_DOC

_PENDING = "mesa_search_pending"
_WATCHED = ("subject", "description", "solution", "requester_id", "area_id", "status")
_CHUNK = 500
MAX_TERMS = 8  # words of one search that count; the rest of a pasted paragraph is ignored
SNIPPET_START, SNIPPET_END = "\x02", "\x03"  # around a matched word in a snippet; ui.highlight draws them
_WORD = re.compile(r"\w+", re.UNICODE)


class Searcher(Protocol):
    id: int
    role: str
    area_ids: tuple[int, ...]


# ---------------------------------------------------------------- keeping the documents in step


def track(session_class: type[so.Session]) -> None:
    """Sessions of this class rebuild the documents of the cases they changed when they commit."""
    sa.event.listen(session_class, "before_flush", _collect)
    sa.event.listen(session_class, "before_commit", _refresh_pending)


def _collect(session: so.Session, _context, _instances) -> None:
    pending = session.info.setdefault(_PENDING, {"cases": set(), "ids": set(), "people": set()})
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, User) and obj.id is not None and so.attributes.get_history(obj, "full_name").has_changes():
            pending["people"].add(obj.id)
        elif isinstance(obj, Case):
            if obj in session.new or any(so.attributes.get_history(obj, n).has_changes() for n in _WATCHED):
                pending["cases"].add(obj)
        elif isinstance(obj, CaseMessage):
            history = (so.attributes.get_history(obj, n) for n in ("body", "internal", "case_id"))
            if obj in session.new or obj in session.deleted or any(h.has_changes() for h in history):
                pending["ids"].add(obj.case_id)
                pending["ids"].update(v for v in so.attributes.get_history(obj, "case_id").deleted if v)


def _refresh_pending(session: so.Session) -> None:
    session.flush()  # what is not flushed yet passes through _collect now
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    ids = {obj.id for obj in pending["cases"] if obj.id is not None} | {i for i in pending["ids"] if i}
    if pending["people"]:  # a renamed requester: their cases carry the name
        ids.update(session.scalars(sa.select(Case.id).where(Case.requester_id.in_(pending["people"]))))
    if ids:
        reindex(session.connection(), ids)


Document = tuple[int, int, str, str, str, str]  # requester_id, area_id, title, body, people, scope
_DOCUMENT = ("requester_id", "area_id", "title", "body", "people", "scope")


def subject_key(subject: str) -> str:
    """A word standing for a subject, the same for every way of writing it (capitals, accents, spaces):
    the exact-subject search finds the documents with this word in their scope."""
    return "t" + hashlib.blake2b(fold(subject).encode(), digest_size=8).hexdigest()


# The scope words of an open case's documents (migration 0015): OPEN_WORD, and o<area> for an advisor's
# areas (one small word each, where a<area> AND sopen would walk the whole area). The Bandeja's open views
# search among the open cases inside the index, so an open case older than the window's newest matching ones
# of any status is still found.
OPEN_WORD = "sopen"


def scope_words(requester_id: int, area_id: int, kind: str, subject: str, *, status: str | None = None) -> str:
    """Who may find a document, as words of the word index: r<requester> (only on what the requester may
    read: never on the notes), a<area>, k<kind>, its subject's key (subject_key) and, while the case is
    open, OPEN_WORD and o<area>."""
    requester = f"r{requester_id} " if kind == CASE_DOC else ""
    still_open = f" {OPEN_WORD} o{area_id}" if status in OPEN_STATUSES else ""
    return f"{requester}a{area_id} k{kind} {subject_key(subject)}{still_open}"


def documents(conn: sa.Connection, case_ids: Iterable[int]) -> dict[tuple[int, str], Document]:
    """What the documents of these cases must hold: (case_id, kind) → Document."""
    wanted: dict[tuple[int, str], Document] = {}
    ids = sorted(set(case_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        heads = conn.execute(
            sa.select(
                Case.id,
                Case.requester_id,
                Case.area_id,
                Case.subject,
                Case.description,
                Case.solution,
                User.full_name,
                Case.status,
            )
            .join(User, User.id == Case.requester_id)
            .where(Case.id.in_(chunk))
        ).all()
        said: dict[tuple[int, bool], list[str]] = {}
        for case_id, body, internal in conn.execute(
            sa.select(CaseMessage.case_id, CaseMessage.body, CaseMessage.internal)
            .where(CaseMessage.case_id.in_(chunk))
            .order_by(CaseMessage.case_id, CaseMessage.created_at, CaseMessage.id)
        ):
            said.setdefault((case_id, bool(internal)), []).append(body)
        for case_id, requester_id, area_id, subject, description, solution, name, status in heads:
            public = [description, *said.get((case_id, False), []), *([solution] if solution else [])]
            scope = scope_words(requester_id, area_id, CASE_DOC, subject, status=status)
            wanted[(case_id, CASE_DOC)] = (requester_id, area_id, subject, "\n\n".join(public), name, scope)
            if notes := said.get((case_id, True)):
                scope = scope_words(requester_id, area_id, NOTE_DOC, subject, status=status)
                wanted[(case_id, NOTE_DOC)] = (requester_id, area_id, subject, "\n\n".join(notes), name, scope)
    return wanted


def reindex(conn: sa.Connection, case_ids: Iterable[int]) -> None:
    """Make the documents of these cases what their text says now (only the rows that differ are written)."""
    ids = sorted(set(case_ids))
    docs = SearchDoc.__table__
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        wanted = documents(conn, chunk)
        have = {
            (row.case_id, row.kind): row
            for row in conn.execute(
                sa.select(docs.c.id, docs.c.case_id, docs.c.kind, *(docs.c[name] for name in _DOCUMENT)).where(
                    docs.c.case_id.in_(chunk)
                )
            )
        }
        stale = [row.id for key, row in have.items() if key not in wanted]
        if stale:
            conn.execute(sa.delete(docs).where(docs.c.id.in_(stale)))
        now = sa.func.current_timestamp()
        for (case_id, kind), document in wanted.items():
            row = have.get((case_id, kind))
            values = dict(zip(_DOCUMENT, document, strict=True))
            if row is None:
                conn.execute(sa.insert(docs).values(case_id=case_id, kind=kind, updated_at=now, **values))
            elif tuple(getattr(row, name) for name in _DOCUMENT) != document:
                conn.execute(sa.update(docs).where(docs.c.id == row.id).values(updated_at=now, **values))


def rebuild(conn: sa.Connection) -> int:
    """Every case's documents from scratch (a migration, a bench's generated desk); returns how many cases."""
    ids = conn.execute(sa.select(Case.id).order_by(Case.id)).scalars().all()
    for start in range(0, len(ids), 5000):
        reindex(conn, ids[start : start + 5000])
    return len(ids)


# ---------------------------------------------------------------- the query


# Words too common to search by ("¿Cómo cambiar el tóner?" is about "cambiar" and "toner"); PostgreSQL's
# Spanish configuration drops its own list, this one makes SQLite agree.
_STOPWORDS_TEXT = """
a al algo como con cual cuando de del donde el en es esta este hay la las le lo los me mi mis muy no nos o para
pero por que se sin su sus un una uno y ya yo tengo tiene hace favor buenas buenos dias tardes ayuda necesito
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
# How many of the newest matching cases a search ranks and pages: the first window, then, when the person asks
# for more ("Buscar entre los 1.000 más recientes"), the wider ones; past the window it only says there were
# more (Found.more; the pages: i18n keys search.more, search.wider). A search's cost grows with the cases it
# ranks: the first window bounds it however large the desk (README, "Search").
WINDOWS = (200, 1_000)
CAP = WINDOWS[-1]


def window_for(asked: int | None) -> int:
    """The window a search ranks: the smallest of WINDOWS that holds `asked` (None: the first)."""
    return next((w for w in WINDOWS if asked <= w), CAP) if asked else WINDOWS[0]


def wider(window: int) -> int | None:
    """The next window after `window`, None past the last."""
    return next((w for w in WINDOWS if w > window), None)


def terms(text: str, *, plain: bool = False) -> list[str]:
    """The words of a search, folded (no accents, no capitals), the common ones left out (unless there
    is nothing else), at most MAX_TERMS; `plain`: all the meaningful ones, the caller cuts."""
    words = [fold(w) for w in _WORD.findall(text or "")]
    meaningful = [w for w in words if w not in STOPWORDS]
    chosen = meaningful or words
    return chosen if plain else chosen[:MAX_TERMS]


def fold(text: str) -> str:
    """Lower case without accents: "Impresión" → "impresion" (the index's own folding)."""
    decomposed = unicodedata.normalize("NFKD", (text or "").lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def light_stem(word: str) -> str:
    """Spanish plural endings off: impresoras → impresora, redes → red."""
    if len(word) > 4 and word.endswith("es") and word[-3] not in "aeiou":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and word[-2] != "s":
        return word[:-1]
    return word


def word_forms(word: str) -> tuple[str, ...]:
    """The forms of a typed word a case search finds (SQLite): its singular and plurals, whichever was
    typed ("impresoras" → impresora, impresoras; "red" → red, redes); a number only as itself."""
    if any(c.isdigit() for c in word):
        return (word,)
    stem = light_stem(word)
    forms = [stem, f"{stem}s", f"{stem}es", word]
    if word[-1] not in "aeious":
        forms.append(f"{word}es")
    return tuple(dict.fromkeys(forms))


def postgres_words(words: list[str], *, any_word: bool = False) -> str:
    """The words for PostgreSQL's Spanish stemmer, plurals taken off first: its stemmer reads "toneres" as
    "toner" but "toner" as "ton", so a plural typed would miss the singular written."""
    return (" or " if any_word else " ").join(light_stem(w) for w in words)


def fts5_query(words: list[str], *, any_word: bool = False) -> str:
    """An FTS5 query of prefixes (the knowledge base's): each word as a prefix of its light stem, a number
    as itself ("100" never finds "1000"); every word (AND) or, for suggestions, any of them (OR)."""
    parts = (f'"{w}"' if any(c.isdigit() for c in w) else f'"{light_stem(w)}"*' for w in words)
    return (" OR " if any_word else " AND ").join(parts)


@dataclass(frozen=True)
class Scope:
    """Whose documents a search may reach: one requester's cases, or the staff's (areas; notes)."""

    requester_id: int | None = None
    area_ids: tuple[int, ...] | None = None  # None: every area
    notes: bool = False
    open_only: bool = False  # only the open cases' documents (OPEN_WORD, or o<area> for the areas)


def scope_for(actor: Searcher, *, own: bool, open_only: bool = False) -> Scope:
    """`own`: the actor's own cases as their requester (Verificar); else what the actor's role reaches.
    `open_only`: among the open cases only (the Bandeja's open views)."""
    if own:
        return Scope(requester_id=actor.id, open_only=open_only)
    if actor.role == Role.ADVISOR:
        return Scope(area_ids=tuple(actor.area_ids), notes=True, open_only=open_only)
    if actor.role in (Role.MANAGER, Role.ADMIN):
        return Scope(notes=True, open_only=open_only)
    return Scope(requester_id=actor.id, open_only=open_only)  # anyone else: their own cases, never the notes


def case_query(words: list[str], scope: Scope, *, subject: str | None = None) -> str:
    """The FTS5 query of a case search: every word (in one of its forms) in the subject, the text or the
    requester's name, and the scope's words in the scope column — which only the desk writes and the
    words typed never reach; `subject`: only the documents with that subject key (subject_key)."""
    typed = " AND ".join("(" + " OR ".join(f'"{f}"' for f in word_forms(w)) + ")" for w in words)
    rights = scope_query(scope, subject=subject)
    return f"{{title body people}} : ({typed})" + (f" AND {rights}" if rights else "")


def scope_query(scope: Scope, *, subject: str | None = None) -> str:
    """The FTS5 query of the scope's words ("" for all): its requester and kind, or its areas; `subject`:
    only the documents with this subject key (subject_key)."""
    # A requester's word is only on the documents they may read; "kcase" would only add the cost of
    # counting every case's document.
    rights = [] if scope.notes or scope.requester_id is not None else ['"kcase"']
    if scope.requester_id is not None:
        rights.append(f'"r{int(scope.requester_id)}"')
    if scope.area_ids is not None:
        area = "o" if scope.open_only else "a"  # an open case of the area: o<area>
        rights.append("(" + " OR ".join(f'"{area}{int(a)}"' for a in scope.area_ids) + ")")
    elif scope.open_only:
        rights.append(f'"{OPEN_WORD}"')
    if subject is not None:
        rights.append(f'"{subject}"')
    return f"scope : ({' AND '.join(rights)})" if rights else ""


def _rights(docs: sa.Table, scope: Scope) -> list[sa.ColumnElement[bool]]:
    where = [docs.c.kind.in_((CASE_DOC, NOTE_DOC) if scope.notes else (CASE_DOC,))]
    if scope.requester_id is not None:
        where.append(docs.c.requester_id == scope.requester_id)
    if scope.area_ids is not None:
        where.append(docs.c.area_id.in_(scope.area_ids))
    return where


def _spanish_query(words: list[str]) -> sa.ColumnElement:
    spanish = sa.literal_column("'spanish'::regconfig")
    return sa.func.plainto_tsquery(spanish, sa.func.mesa_unaccent(postgres_words(words)))


_FTS = sa.literal_column("search_fts")
_TSV = sa.literal_column("search_docs.tsv")
# PostgreSQL: the documents in blocks of BLOCK ids, b<id // BLOCK> beside the scope's words in the second
# column of the words' GIN index (migration 0013): a search asks for the newest blocks first, and the index
# intersects the words with the scope and the blocks before any row is read.
BLOCK = 4096
_PG_SCOPE = "to_tsvector('simple'::regconfig, scope || ' b' || (id / 4096)::text)"
_PG_WORDS = "plainto_tsquery('spanish'::regconfig, mesa_unaccent(:words))"
_PG_NEWEST = (
    "WITH w AS MATERIALIZED (SELECT id, case_id, kind, title{tsv} FROM search_docs WHERE id < :below{words}{scope}) "
    "SELECT id, case_id, kind, title, {rank} FROM (SELECT * FROM w ORDER BY id DESC LIMIT :n) AS kept ORDER BY id DESC"
)  # ranked after the LIMIT: ts_rank reads a whole document, once for each one kept, not for each one matched


def _sqlite_newest(session: so.Session, words: list[str], scope: Scope, limit: int) -> list[tuple]:
    """(id, case_id, kind, title, rank) of the newest `limit` documents with the words in `scope`: FTS5
    walks its index from the newest row down and stops at `limit`. The rank says where the words are: all
    in the subject (-10), all in the requester's name (-2), both (-12), else 0 — two more short walks over
    the same rows. (FTS5's bm25() first counts every document holding each word of the query, the scope's
    too: a cost that grows with the desk.)"""
    docs, index = SearchDoc.__table__, sa.table("search_fts", sa.column("rowid"))

    hits = (
        sa.select(index.c.rowid.label("id"))
        .where(_FTS.op("MATCH")(case_query(words, scope)))
        .order_by(index.c.rowid.desc())
        .limit(limit)
        .subquery("hits")
    )
    rows = session.execute(
        sa.select(hits.c.id, docs.c.case_id, docs.c.kind, docs.c.title).join(docs, docs.c.id == hits.c.id)
    ).all()
    if not rows:
        return []
    # Every match from the oldest row kept up is a row kept: the same words in one column, walked upwards
    # (FTS5 stops at a lower bound only when it walks up).
    low, weight = min(row.id for row in rows), {}
    for column, points in (("title", 10), ("people", 2)):
        only = case_query(words, scope).replace("{title body people}", column, 1)
        for (doc_id,) in session.execute(sa.select(index.c.rowid).where(_FTS.op("MATCH")(only), index.c.rowid >= low)):
            weight[doc_id] = weight.get(doc_id, 0) + points
    return [(*row, -weight.get(row.id, 0)) for row in rows]


def _pg_scope(scope: Scope, *, subject: str | None = None, blocks: range | None = None) -> str:
    """The tsquery of the scope's words (their own index column: the words typed never reach them)."""
    parts = [] if scope.notes else ["kcase"]
    if scope.requester_id is not None:
        parts.append(f"r{int(scope.requester_id)}")
    if scope.area_ids is not None:
        area = "o" if scope.open_only else "a"  # an open case of the area: o<area>
        parts.append("(" + " | ".join(f"{area}{int(a)}" for a in scope.area_ids) + ")")
    elif scope.open_only:
        parts.append(OPEN_WORD)
    if subject is not None:
        parts.append(subject)
    if blocks is not None:
        parts.append("(" + " | ".join(f"b{b}" for b in blocks) + ")")
    return " & ".join(parts)


def _pg_newest(
    session: so.Session,
    words: list[str] | None,
    scope: Scope,
    limit: int,
    *,
    subject: str | None = None,
    below: int | None = None,
    enough: int,
) -> list[sa.Row]:
    """(id, case_id, kind, title, rank) of the newest documents with the words (None: any) in `scope`
    (`subject`: with that subject key; `below`: ids under it), until `limit` documents or `enough` cases. A GIN index has no
    order: the newest blocks are asked first, a few, then as many more as the matches found so far say
    are needed, so what is read is about what is kept (one person's documents are few: asked at once)."""
    top = session.scalar(sa.text("SELECT max(id) FROM search_docs"))
    if top is None:
        return []
    top = top if below is None else min(top, below - 1)
    query = _PG_NEWEST.replace("{scope}", f" AND {_PG_SCOPE} @@ CAST(:scope AS tsquery)")
    if words is None:
        query, arguments = query.replace("{tsv}", "").replace("{words}", "").replace("{rank}", "0"), {}
    else:
        query = query.replace("{tsv}", ", tsv").replace("{words}", f" AND tsv @@ {_PG_WORDS}")
        query, arguments = query.replace("{rank}", f"-ts_rank(tsv, {_PG_WORDS})"), {"words": postgres_words(words)}
    query_without_scope = query.replace(f" AND {_PG_SCOPE} @@ CAST(:scope AS tsquery)", "")

    def newest(scope_words: str, below: int, n: int) -> list[sa.Row]:
        if not scope_words:  # every document: nothing to ask the scope's column
            return session.execute(sa.text(query_without_scope), {**arguments, "below": below, "n": n}).all()
        return session.execute(sa.text(query), {**arguments, "scope": scope_words, "below": below, "n": n}).all()

    if scope.requester_id is not None:
        return newest(_pg_scope(scope, subject=subject), top + 1, limit)
    rows: list[sa.Row] = []
    cases: set[int] = set()
    high = top // BLOCK + 1  # the blocks still to ask: [0, high)
    span = 4
    while high > 0 and len(rows) < limit and len(cases) < enough:
        low = max(0, high - span)
        blocks = range(low, high) if span <= 64 else None  # past that many: every older block at once
        if blocks is None:
            low = 0
        found = newest(_pg_scope(scope, subject=subject, blocks=blocks), min(high * BLOCK, top + 1), limit - len(rows))
        rows += found
        cases.update(row.case_id for row in found)
        asked, high = top // BLOCK + 1 - low, low
        per_block = len(cases) / asked
        # Nothing yet: eight times as many blocks — or, for a subject's key alone (rare, and a key nobody wrote
        # is found in no block), every older block at once: a long list of blocks costs the index more.
        span = math.ceil((enough - len(cases)) * 1.25 / per_block) if per_block else span * (8 if words else 64)
    return rows


@dataclass(frozen=True)
class Found:
    """What a case search found: the newest `window` matching cases within its scope (`more`: more than
    that matched, the older ones are left out), and any older one whose subject is exactly what was typed;
    each case with its score (lower first: an exact subject, then the rank) and the documents that
    matched (for the snippets)."""

    scores: dict[int, float]
    docs: dict[int, tuple[int, ...]]
    more: bool
    window: int = WINDOWS[0]
    low: int = 0  # the oldest document the walk down the word index reached (older: exact subjects only)

    def table(self, dialect: str) -> sa.CTE:
        """The found cases as a table (case_id, score) for the queries that count and page them, passed as
        one value (JSON on SQLite, two arrays on PostgreSQL): a statement of the same text whatever was
        found, compiled once."""
        if dialect == "sqlite":
            rows = sa.text(
                "SELECT json_extract(value, '$[0]') AS case_id, json_extract(value, '$[1]') AS score "
                "FROM json_each(:found)"
            ).bindparams(found=json.dumps(list(self.scores.items())))
        else:
            rows = sa.text(
                "SELECT * FROM unnest(CAST(:found_ids AS integer[]), CAST(:found_scores AS float8[])) "
                "AS found(case_id, score)"
            ).bindparams(found_ids=list(self.scores), found_scores=list(self.scores.values()))
        return rows.columns(case_id=sa.Integer, score=sa.Float).cte("found").prefix_with("MATERIALIZED")


def window_fields(found: Found | None) -> dict:
    """A page's `more`, `window` and `wider` (services.paging.Page) for what a search found (None: no search)."""
    if found is None:
        return {}
    return {"more": found.more, "window": found.window, "wider": wider(found.window) if found.more else None}


EXACT = 1e6  # the score of a case whose subject is exactly what was typed (negative): it comes first
EXACT_OLDER = 100  # cases with that subject older than the window's newest matching ones that are kept too


def matches(session: so.Session, text: str, scope: Scope, *, window: int | None = None) -> Found | None:
    """The cases whose documents hold every word of `text` within `scope` (Found); None when `text` has
    no words. Two short walks down the word index, newest first: the newest documents with the words
    (up to twice the window plus two: a case has at most two documents, so they hold more than `window`
    cases when there are that many; window_for), then, older than those, the newest whose subject is
    exactly `text` (by its key; at most EXACT_OLDER cases)."""
    words = terms(text)
    if not words:
        return None
    window = window_for(window)
    if scope.area_ids is not None and not scope.area_ids:
        return Found({}, {}, False, window)  # an advisor of no area
    dialect, folded, size = session.get_bind().dialect.name, fold(text), len(text.split())
    same: dict[str, bool] = {}

    def exact(title: str) -> bool:
        if title not in same:
            same[title] = len(title.split()) == size and fold(title) == folded
        return same[title]

    limit = 2 * window + 2 if scope.notes else window + 1  # one document per case without the notes
    if dialect == "sqlite":
        newest = _sqlite_newest(session, words, scope, limit)
    else:
        session.execute(sa.text("SET LOCAL jit = off"))  # compiling a plan costs more than running it
        newest = _pg_newest(session, words, scope, limit, enough=window + 1)
    scores: dict[int, float] = {}
    docs: dict[int, list[tuple[str, int]]] = {}
    kept = older = 0
    more = False

    def keep(doc_id: int, case_id: int, kind: str, score: float, is_exact: bool) -> None:
        nonlocal kept, older, more
        if case_id not in scores:
            if kept == window:
                more = True
                if not is_exact or older == EXACT_OLDER:
                    return
                older += 1  # past the window, a case with exactly that subject is kept all the same
            else:
                kept += 1
            scores[case_id] = math.inf
        scores[case_id] = min(scores[case_id], score)
        docs.setdefault(case_id, []).append((kind, doc_id))

    for doc_id, case_id, kind, title, rank in newest:
        is_exact = exact(title)
        keep(doc_id, case_id, kind, -EXACT if is_exact else rank, is_exact)
    # Older than every document walked: the cases whose subject is exactly `text`, by its key.
    below = min((row[0] for row in newest), default=None)
    if older < EXACT_OLDER:
        wanted, key = 2 * (EXACT_OLDER - older), subject_key(text)
        if dialect == "sqlite":
            table, index = SearchDoc.__table__, sa.table("search_fts", sa.column("rowid"))
            olders = session.execute(
                sa.select(index.c.rowid, table.c.case_id, table.c.kind, table.c.title)
                .join(table, table.c.id == index.c.rowid)
                .where(_FTS.op("MATCH")(scope_query(scope, subject=key)), index.c.rowid < (below or 2**62))
                .order_by(index.c.rowid.desc())
                .limit(wanted)
            ).all()
        else:
            olders = _pg_newest(session, None, scope, wanted, subject=key, below=below, enough=EXACT_OLDER - older)
            olders = [row[:4] for row in olders]
        for doc_id, case_id, kind, title in olders:
            if exact(title):
                keep(doc_id, case_id, kind, -EXACT, True)
    # The conversation's document ("case") before the notes'.
    return Found(scores, {c: tuple(d for _, d in sorted(found)) for c, found in docs.items()}, more, window, below or 0)


def snippets(session: so.Session, text: str, scope: Scope, found: Found, case_ids: Iterable[int]) -> dict[int, str]:
    """A short piece of each case's matching text, its matched words between SNIPPET_START and
    SNIPPET_END: from the description and conversation, or (staff only) the notes, never beyond `scope`."""
    words = terms(text)
    wanted = [doc for case_id in case_ids for doc in found.docs.get(case_id, ())]
    if not words or not wanted:
        return {}
    docs, dialect = SearchDoc.__table__, session.get_bind().dialect.name
    if dialect == "sqlite":
        index = sa.table("search_fts", sa.column("rowid"))
        # FTS5 walks every match of the words when asked for `rowid IN (…)` (7 ms for a page at 200,000
        # cases, 13 at a million); between two rowids it walks only the matches between them: for the
        # documents the search walked down to found.low, as many as it found; for the older ones (kept for
        # their exact subject), the words with that subject's key, as the walk that found them. `rowid + 0`
        # keeps the list itself out of FTS5's plan.
        walked = [d for d in wanted if d >= found.low]
        older = [d for d in wanted if d < found.low]
        ranges = [(case_query(words, scope), walked)] if walked else []
        ranges += [(case_query(words, scope, subject=subject_key(text)), older)] if older else []
        parts = [
            sa.select(
                index.c.rowid.label("id"), sa.func.snippet(_FTS, 1, SNIPPET_START, SNIPPET_END, "…", 14).label("piece")
            ).where(
                _FTS.op("MATCH")(query),
                index.c.rowid >= min(ids),
                index.c.rowid <= max(ids),
                (index.c.rowid + 0).in_(ids),
            )
            for query, ids in ranges
        ]
        pieces = (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery("pieces")
        query = sa.select(docs.c.case_id, docs.c.kind, pieces.c.piece).join(docs, docs.c.id == pieces.c.id)
    else:
        spanish = sa.literal_column("'spanish'::regconfig")
        options = f"StartSel={SNIPPET_START}, StopSel={SNIPPET_END}, MaxWords=18, MinWords=8, MaxFragments=1"
        piece = sa.func.ts_headline(spanish, docs.c.body, _spanish_query(words), options)
        query = sa.select(docs.c.case_id, docs.c.kind, piece).where(
            docs.c.id.in_(wanted), _TSV.op("@@")(_spanish_query(words))
        )
    found_pieces: dict[int, str] = {}
    for case_id, _kind, piece in session.execute(
        query.where(*_rights(docs, scope)).order_by(docs.c.case_id, docs.c.kind)
    ):
        if SNIPPET_START in (piece or "") and case_id not in found_pieces:  # a piece with the words in it
            found_pieces[case_id] = " ".join(piece.split())
    return found_pieces


# ---------------------------------------------------------------- checking


def index_problems(conn: sa.Connection) -> list[str]:
    """What differs between the cases' text and the search (empty when they agree): documents missing,
    extra or stale, and a word index that is not the documents' (FTS5 integrity-check; the stored tsvector
    recomputed)."""
    docs = SearchDoc.__table__
    wanted = documents(conn, conn.execute(sa.select(Case.id)).scalars())
    have = {
        (row[0], row[1]): tuple(row[2:])
        for row in conn.execute(sa.select(docs.c.case_id, docs.c.kind, *(docs.c[name] for name in _DOCUMENT)))
    }
    problems = [f"missing {key}" for key in wanted.keys() - have.keys()]
    problems += [f"extra {key}" for key in have.keys() - wanted.keys()]
    problems += [f"stale {key}" for key in wanted.keys() & have.keys() if wanted[key] != have[key]]
    if conn.dialect.name == "sqlite":
        for index in ("search_fts", "kb_fts"):  # the cases' and the articles' (services/knowledge.py)
            try:
                conn.exec_driver_sql(f"INSERT INTO {index}({index}, rank) VALUES ('integrity-check', 1)")
            except sa.exc.DatabaseError as exc:
                problems.append(f"word index {index}: {exc.orig}")
    else:
        differing = conn.exec_driver_sql(
            "SELECT count(*) FROM search_docs WHERE tsv IS DISTINCT FROM ("
            "setweight(to_tsvector('spanish'::regconfig, mesa_unaccent(title)), 'A') || "
            "setweight(to_tsvector('spanish'::regconfig, mesa_unaccent(body)), 'B') || "
            "setweight(to_tsvector('spanish'::regconfig, mesa_unaccent(people)), 'C'))"
        ).scalar()
        if differing:
            problems.append(f"word index: {differing} documents")
    return problems
